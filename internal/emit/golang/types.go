package golang

import (
	"strconv"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/hubgen/hubgen/internal/model"
)

// typ renders t as written in the contract.
func (e *emitter) typ(t *model.Type) *jen.Statement {
	switch t.Kind {
	case model.Basic:
		return jen.Id(t.Name)
	case model.Named:
		var s *jen.Statement
		if t.Path == "" {
			s = jen.Id(t.Name)
		} else {
			s = jen.Qual(t.Path, t.Name)
		}
		if len(t.Args) > 0 {
			args := make([]jen.Code, len(t.Args))
			for i, a := range t.Args {
				args[i] = e.typ(a)
			}
			s = s.Index(jen.List(args...))
		}
		return s
	case model.Pointer:
		return jen.Op("*").Add(e.typ(t.Elem))
	case model.Slice:
		return jen.Index().Add(e.typ(t.Elem))
	case model.Array:
		return jen.Index(jen.Lit(int(t.Len))).Add(e.typ(t.Elem))
	case model.Map:
		return jen.Map(e.typ(t.Key)).Add(e.typ(t.Elem))
	case model.Struct:
		return jen.StructFunc(func(g *jen.Group) {
			for _, f := range t.Fields {
				var s *jen.Statement
				if f.Name == "" {
					s = g.Add(e.typ(f.Type))
				} else {
					s = g.Id(f.Name).Add(e.typ(f.Type))
				}
				if f.Tag != "" {
					s.Op(rawTag(f.Tag))
				}
			}
		})
	case model.Any:
		return jen.Any()
	}
	panic("hubgen: type of unknown kind " + string(t.Kind))
}

// rawTag writes a struct tag as the raw string it was, so that the struct type
// stays identical to the contract's.
func rawTag(tag string) string {
	if strings.Contains(tag, "`") {
		return strconv.Quote(tag)
	}
	return "`" + tag + "`"
}
