// Package wire says what a model type is on the wire in the JSON hub
// protocol, as encoding/json writes and reads it: the declarations named
// types stand for, with their type arguments in place, and the members of
// structs. The emitters (TypeScript, AsyncAPI) describe the same values in
// their own terms, from these rules alone.
package wire

import (
	"cmp"
	"reflect"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hubgen/hubgen/internal/model"
)

// WellKnownKinds are the kinds of the underlying types of the standard
// library's types that hub signatures use without a declaration in the model
// (they encode themselves): time.Time, json.RawMessage and json.Number.
var WellKnownKinds = map[string]model.TypeKind{
	"time.Time":                model.Struct,
	"encoding/json.RawMessage": model.Slice,
	"encoding/json.Number":     model.Basic,
}

// Key is the key of a named type: its package path and name.
func Key(path, name string) string { return path + "." + name }

// Shapes answers what values of model types look like on the wire, from a
// spec's declarations.
type Shapes struct {
	decls map[string]*model.Decl // by Key
}

// NewShapes returns the Shapes of the given declarations.
func NewShapes(decls []model.Decl) *Shapes {
	s := &Shapes{decls: make(map[string]*model.Decl, len(decls))}
	for i := range decls {
		d := &decls[i]
		s.decls[Key(d.Path, d.Name)] = d
	}
	return s
}

// Decl returns the declaration of a Named type, or nil for a well-known one
// or one the model does not declare.
func (s *Shapes) Decl(t *model.Type) *model.Decl {
	k := Key(t.Path, t.Name)
	if _, ok := WellKnownKinds[k]; ok {
		return nil
	}
	return s.decls[k]
}

// DeclOf returns the declaration with the given key, or nil.
func (s *Shapes) DeclOf(key string) *model.Decl { return s.decls[key] }

// Under returns the type that t finally stands for, following aliases and
// defined types to their declarations, and the declaration's Marshal.
// Well-known types and type parameters are returned as they are.
func (s *Shapes) Under(t *model.Type) (*model.Type, *model.Decl) {
	for range 100 { // alias chains are finite; this bounds a broken model
		if t.Kind != model.Named {
			return t, nil
		}
		d := s.Decl(t)
		if d == nil || d.Marshal != "" || d.Type == nil {
			return t, d
		}
		if d.Type.Kind != model.Named {
			return Subst(d.Type, d.Params, t.Args), d
		}
		t = Subst(d.Type, d.Params, t.Args)
	}
	return t, nil
}

// Kind returns the kind of t's underlying type, with Marshal for a named
// type that encodes itself, and Any for a type parameter.
func (s *Shapes) Kind(t *model.Type) (model.TypeKind, model.Marshal) {
	if t.Kind == model.Named {
		k := Key(t.Path, t.Name)
		if d := s.decls[k]; d != nil {
			return d.Kind, d.Marshal
		}
		if kind, ok := WellKnownKinds[k]; ok {
			return kind, model.MarshalJSON
		}
		return model.Any, ""
	}
	if t.Kind == model.TypeParam {
		return model.Any, ""
	}
	return t.Kind, ""
}

// Emptiable reports whether omitempty can leave a value of t out: false
// values, 0, "", nil and empty arrays, slices and maps; never a struct. A
// type parameter may be anything, so it may be empty.
func (s *Shapes) Emptiable(t *model.Type) bool {
	k, _ := s.Kind(t)
	if k == model.Array {
		u, _ := s.Under(t)
		return u.Kind == model.Array && u.Len == 0
	}
	return k != model.Struct
}

// IsByte reports whether a slice of t is base64 in JSON: t is byte, or a
// type defined as byte that does not encode itself.
func (s *Shapes) IsByte(t *model.Type) bool {
	u, d := s.Under(t)
	return (d == nil || d.Marshal == "") && u.Kind == model.Basic && (u.Name == "byte" || u.Name == "uint8")
}

// IsStruct reports whether t is a struct type whose fields encoding/json
// sees (it explores embedded structs, even those that encode themselves).
func (s *Shapes) IsStruct(t *model.Type) bool {
	k, _ := s.Kind(t)
	return k == model.Struct
}

// StructOf returns the struct type t stands for, with its type arguments in
// place; a struct that encodes itself has no fields to see.
func (s *Shapes) StructOf(t *model.Type) *model.Type {
	u, _ := s.Under(t)
	if u.Kind != model.Struct {
		return &model.Type{Kind: model.Struct}
	}
	return u
}

// Subst returns t with the type parameters params replaced by args.
func Subst(t *model.Type, params []string, args []*model.Type) *model.Type {
	if t == nil || len(params) == 0 || len(params) != len(args) {
		return t
	}
	if t.Kind == model.TypeParam {
		if i := slices.Index(params, t.Name); i >= 0 {
			return args[i]
		}
		return t
	}
	out := *t
	out.Elem = Subst(t.Elem, params, args)
	out.Key = Subst(t.Key, params, args)
	if t.Args != nil {
		out.Args = make([]*model.Type, len(t.Args))
		for i, a := range t.Args {
			out.Args[i] = Subst(a, params, args)
		}
	}
	if t.Fields != nil {
		out.Fields = make([]model.Field, len(t.Fields))
		for i, f := range t.Fields {
			f.Type = Subst(f.Type, params, args)
			out.Fields[i] = f
		}
	}
	return &out
}

// TypeKey identifies a type for encoding/json's bookkeeping of embedded
// structs: by package path, not name.
func TypeKey(t *model.Type) string {
	if t.Kind != model.Named {
		return t.String()
	}
	var b strings.Builder
	b.WriteString(Key(t.Path, t.Name))
	if len(t.Args) > 0 {
		b.WriteByte('[')
		for i, a := range t.Args {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(TypeKey(a))
		}
		b.WriteByte(']')
	}
	return b.String()
}

// Field is a struct field as encoding/json's typeFields finds it: a member
// of the JSON object.
type Field struct {
	Name      string // the JSON name
	Tagged    bool   // named by its json tag
	Index     []int  // its path through embedded structs
	Type      *model.Type
	OmitEmpty bool // ,omitempty
	OmitZero  bool // ,omitzero
	Quoted    bool // ,string on a basic type: a JSON string
	ViaPtr    bool // promoted from an embedded pointer: absent when it is nil
	Doc       string
}

// JSONFields returns the members of a struct type as encoding/json writes
// them, in its order. It follows encoding/json's rules: the json tag names a
// field (an invalid name is ignored), "-" leaves it out, unexported fields
// are left out, the fields of embedded structs without a tag name are
// promoted, and of several fields with one name the shallowest wins, then
// the tagged one, else none.
func (s *Shapes) JSONFields(st *model.Type) []Field {
	type embedded struct {
		typ    *model.Type // a struct type
		key    string
		index  []int
		viaPtr bool
	}
	var current []embedded
	next := []embedded{{typ: st, key: TypeKey(st)}}
	var count map[string]int
	nextCount := map[string]int{}
	visited := map[string]bool{}
	var fields []Field
	for len(next) > 0 {
		current, next = next, nil
		count, nextCount = nextCount, map[string]int{}
		for _, f := range current {
			if visited[f.key] {
				continue
			}
			visited[f.key] = true
			for i, sf := range f.typ.Fields {
				tag := reflect.StructTag(sf.Tag).Get("json")
				if tag == "-" || sf.Type == nil {
					continue
				}
				ft := sf.Type
				isPtr := ft.Kind == model.Pointer
				if isPtr {
					ft = ft.Elem
				}
				if sf.Name == "" {
					if !Exported(TypeName(ft)) && !s.IsStruct(ft) {
						continue
					}
				} else if !Exported(sf.Name) {
					continue
				}
				name, opts, _ := strings.Cut(tag, ",")
				if !validTag(name) {
					name = ""
				}
				index := append(slices.Clone(f.index), i)
				quoted := false
				if HasOpt(opts, "string") {
					if k, m := s.Kind(ft); k == model.Basic && m == "" {
						quoted = true
					}
				}
				if name != "" || sf.Name != "" || !s.IsStruct(ft) {
					jf := Field{
						Name: name, Tagged: name != "", Index: index, Type: sf.Type,
						OmitEmpty: HasOpt(opts, "omitempty"), OmitZero: HasOpt(opts, "omitzero"),
						Quoted: quoted, ViaPtr: f.viaPtr, Doc: sf.Doc,
					}
					if jf.Name == "" {
						jf.Name = sf.Name
						if jf.Name == "" {
							jf.Name = TypeName(ft)
						}
					}
					fields = append(fields, jf)
					if count[f.key] > 1 {
						// The struct is embedded twice at this depth: its
						// fields annihilate, as in encoding/json.
						fields = append(fields, jf)
					}
					continue
				}
				k := TypeKey(ft)
				nextCount[k]++
				if nextCount[k] == 1 {
					next = append(next, embedded{typ: s.StructOf(ft), key: k, index: index, viaPtr: f.viaPtr || isPtr})
				}
			}
		}
	}
	slices.SortStableFunc(fields, func(x, y Field) int {
		if c := cmp.Compare(x.Name, y.Name); c != 0 {
			return c
		}
		if c := cmp.Compare(len(x.Index), len(y.Index)); c != 0 {
			return c
		}
		if x.Tagged != y.Tagged {
			if x.Tagged {
				return -1
			}
			return 1
		}
		return slices.Compare(x.Index, y.Index)
	})
	var out []Field
	for i := 0; i < len(fields); {
		j := i + 1
		for j < len(fields) && fields[j].Name == fields[i].Name {
			j++
		}
		if j-i == 1 || len(fields[i].Index) != len(fields[i+1].Index) || fields[i].Tagged != fields[i+1].Tagged {
			out = append(out, fields[i])
		}
		i = j
	}
	slices.SortFunc(out, func(x, y Field) int { return slices.Compare(x.Index, y.Index) })
	return out
}

// TypeName is the name encoding/json gives an embedded field of type t.
func TypeName(t *model.Type) string {
	if t.Kind == model.Named || t.Kind == model.Basic {
		return t.Name
	}
	return ""
}

func Exported(name string) bool {
	r, _ := utf8.DecodeRuneInString(name)
	return unicode.IsUpper(r)
}

func HasOpt(opts, want string) bool {
	for o := range strings.SplitSeq(opts, ",") {
		if o == want {
			return true
		}
	}
	return false
}

// validTag reports whether encoding/json takes s as a field's name.
func validTag(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
			// Backslash and quote chars are reserved, but otherwise any
			// punctuation chars are allowed in a tag name.
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return true
}
