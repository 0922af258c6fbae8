package analyze

import (
	"cmp"
	"encoding/json"
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"slices"
	"strings"

	"github.com/hubgen/hubgen/internal/model"
)

// noEnum is the directive, on a line of a type's doc comment, that keeps its
// constants from making it an enum.
const noEnum = directivePrefix + "noenum"

// units are the foreign types whose constants are units of a quantity, not
// a set of values: any time.Duration crosses the wire, not only an hour.
var units = map[string]bool{"time.Duration": true}

// consts returns the constants of the defined type t that its package
// declares, in declaration order, when t's underlying type is a string or
// an integer and t does not encode itself (the caller checks that) nor opt
// out with //hubgen:noenum.
func (a *analyzer) consts(t *types.Named) []model.Const {
	b, ok := t.Underlying().(*types.Basic)
	if !ok || b.Info()&(types.IsString|types.IsInteger) == 0 || t.TypeParams().Len() > 0 {
		return nil
	}
	obj := t.Obj()
	if units[obj.Pkg().Path()+"."+obj.Name()] {
		return nil
	}
	if obj.Pkg() == a.p.Types {
		if ts := a.p.TypeSpec(obj.Name()); ts != nil && ts.Doc != nil && slices.ContainsFunc(ts.Doc.List, func(c *ast.Comment) bool {
			return strings.TrimSpace(c.Text) == noEnum
		}) {
			return nil
		}
	}
	scope := obj.Pkg().Scope()
	var cs []*types.Const
	for _, n := range scope.Names() {
		if c, ok := scope.Lookup(n).(*types.Const); ok && types.Identical(c.Type(), t) {
			cs = append(cs, c)
		}
	}
	slices.SortFunc(cs, func(x, y *types.Const) int {
		return cmp.Or(cmp.Compare(x.Pos(), y.Pos()), cmp.Compare(x.Name(), y.Name()))
	})
	var docs map[token.Pos]string
	if obj.Pkg() == a.p.Types && len(cs) > 0 {
		docs = a.constDocs()
	}
	out := make([]model.Const, len(cs))
	for i, c := range cs {
		out[i] = model.Const{Name: c.Name(), Value: jsonLiteral(c.Val()), Doc: docs[c.Pos()]}
	}
	return out
}

// jsonLiteral writes a string or integer constant as JSON does.
func jsonLiteral(v constant.Value) string {
	if v.Kind() == constant.String {
		b, _ := json.Marshal(constant.StringVal(v))
		return string(b)
	}
	return v.ExactString()
}

// constDocs returns the doc (or else line) comments of the package's
// constants, by the position of their names.
func (a *analyzer) constDocs() map[token.Pos]string {
	docs := make(map[token.Pos]string)
	for _, f := range a.p.Syntax {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, s := range gd.Specs {
				vs := s.(*ast.ValueSpec)
				doc := vs.Doc
				if doc == nil {
					doc = vs.Comment
				}
				if doc == nil && len(gd.Specs) == 1 {
					doc = gd.Doc
				}
				if doc == nil {
					continue
				}
				for _, n := range vs.Names {
					docs[n.Pos()] = doc.Text()
				}
			}
		}
	}
	return docs
}
