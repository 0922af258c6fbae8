package ts

import (
	"cmp"
	"reflect"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hubgen/hubgen/internal/model"
)

// wellKnown are the standard library's types written in place, with no
// declaration, and what encoding/json makes of them.
var wellKnown = map[string]string{
	"time.Time":                "string",  // RFC 3339 with nanoseconds: ISO 8601
	"encoding/json.RawMessage": "unknown", // any JSON
	"encoding/json.Number":     "number",  // a number literal
}

// msgpackKnown are the well-known types as MessagePack writes them: a
// time.Time is the timestamp extension, which the client decodes to a Date,
// a json.RawMessage is bin (MessagePack does not call its MarshalJSON), and
// a json.Number is the string it is.
var msgpackKnown = map[string]string{
	"time.Time":                "Date",
	"encoding/json.RawMessage": "Uint8Array",
	"encoding/json.Number":     "string",
}

// wellKnownKind are the kinds of the well-known types' underlying types, for
// a model that does not declare them.
var wellKnownKind = map[string]model.TypeKind{
	"time.Time":                model.Struct,
	"encoding/json.RawMessage": model.Slice,
	"encoding/json.Number":     model.Basic,
}

func key(path, name string) string { return path + "." + name }

// inputSuffix marks the key of a declaration's sent form (see types.sent).
const inputSuffix = "#input"

// types maps Go types, as the model holds them, to TypeScript types that
// describe what encoding/json writes and reads.
type types struct {
	decls map[string]*model.Decl // by key
	names map[string]string      // TypeScript name by form key, for the declarations in use
	// used, when not nil, records the declarations that rendering refers
	// to, by form key, in order.
	used func(k string)
	// sent renders what the client sends rather than what it receives: a
	// time.Time is string | Date, since JSON.stringify writes a Date as
	// ISO 8601, and a declaration that reaches one is its sent form.
	sent  bool
	dated map[string]bool // by key: whether a declaration reaches a time.Time
	// msgpack renders what the MessagePack protocol writes and reads,
	// rather than JSON: see msgpackFields and msgpackKnown.
	msgpack bool
}

func newTypes(decls []model.Decl) *types {
	t := &types{decls: make(map[string]*model.Decl), names: make(map[string]string), dated: make(map[string]bool)}
	for i := range decls {
		d := &decls[i]
		t.decls[key(d.Path, d.Name)] = d
	}
	for k := range t.decls {
		t.reachesTime(k, map[string]bool{})
	}
	return t
}

// as returns ts rendering sent values if sent, received ones otherwise.
func (ts *types) as(sent bool) *types {
	if sent == ts.sent {
		return ts
	}
	c := *ts
	c.sent = sent
	return &c
}

// reachesTime reports, and records in dated, whether the declaration k
// refers to time.Time, itself or through other declarations: then its sent
// form differs from its received one.
func (ts *types) reachesTime(k string, visiting map[string]bool) bool {
	if v, ok := ts.dated[k]; ok {
		return v
	}
	d := ts.decls[k]
	if d == nil || visiting[k] || d.Marshal != "" {
		return false
	}
	visiting[k] = true
	found := false
	d.Type.Walk(func(t *model.Type) {
		if found || t.Kind != model.Named {
			return
		}
		tk := key(t.Path, t.Name)
		found = tk == "time.Time" || ts.reachesTime(tk, visiting)
	})
	delete(visiting, k)
	ts.dated[k] = found
	return found
}

// formKey is the key of the form of declaration k that ts renders: k, or
// for a sent declaration that reaches a time.Time, k with inputSuffix.
func (ts *types) formKey(k string) string {
	if ts.sent && ts.dated[k] && !ts.msgpack {
		return k + inputSuffix
	}
	return k
}

// declForm returns the declaration of a form key, and whether it is the
// sent form.
func (ts *types) declForm(fk string) (*model.Decl, bool) {
	k, sent := strings.CutSuffix(fk, inputSuffix)
	return ts.decls[k], sent
}

// decl returns the declaration of a Named type, or nil for a well-known one
// (or one the model does not declare).
func (ts *types) decl(t *model.Type) *model.Decl {
	if wellKnown[key(t.Path, t.Name)] != "" {
		return nil
	}
	return ts.decls[key(t.Path, t.Name)]
}

// Value returns the TypeScript type of a value of t as encoding/json writes
// it: with "| null" when Go writes null for it (a nil pointer, slice or map).
func (ts *types) Value(t *model.Type) string {
	s := ts.NonNull(t)
	if ts.nilable(t) && !strings.HasSuffix(s, " | null") {
		s += " | null"
	}
	return s
}

// NonNull returns the TypeScript type of t without the null that a nil
// value would add: for what omitempty leaves out when nil, and for a
// pointer's element.
func (ts *types) NonNull(t *model.Type) string {
	switch t.Kind {
	case model.Basic:
		switch t.Name {
		case "bool":
			return "boolean"
		case "string":
			return "string"
		}
		return "number"
	case model.Pointer:
		return ts.Value(t.Elem)
	case model.Slice:
		switch {
		case ts.isByte(t.Elem) && ts.msgpack:
			return "Uint8Array" // bin
		case ts.isByte(t.Elem):
			return "string" // base64
		}
		return array(ts.Value(t.Elem))
	case model.Array:
		if ts.isByte(t.Elem) && ts.msgpack {
			return "Uint8Array" // bin, as MessagePack writes byte arrays
		}
		return array(ts.Value(t.Elem))
	case model.Map:
		return ts.record(t)
	case model.Struct:
		return ts.object(t, 0)
	case model.Named:
		k := key(t.Path, t.Name)
		if s := msgpackKnown[k]; s != "" && ts.msgpack {
			return s
		}
		if k == "time.Time" && ts.sent {
			return "string | Date"
		}
		if s := wellKnown[k]; s != "" {
			return s
		}
		return ts.ref(t)
	case model.TypeParam:
		return t.Name
	}
	return "unknown"
}

// record writes a map type. JSON object keys are strings: a key type that
// stands for a string (a named string, or a type with MarshalText) keeps its
// name, other keys (integers, written in decimal) are string. A map keyed by
// an enum need not have every key: Partial<Record<Status, V>>, with an
// integer enum's values as strings.
func (ts *types) record(t *model.Type) string {
	k := "string"
	if t.Key.Kind == model.Named && ts.decl(t.Key) != nil {
		u, d := ts.under(t.Key)
		switch {
		case d != nil && d.Marshal == model.MarshalText || u.Kind == model.Basic && u.Name == "string":
			k = ts.ref(t.Key)
		case d != nil && len(d.Consts) > 0:
			k = "`${" + ts.ref(t.Key) + "}`"
		}
		if d != nil && len(d.Consts) > 0 {
			return "Partial<Record<" + k + ", " + ts.Value(t.Elem) + ">>"
		}
	}
	return "Record<" + k + ", " + ts.Value(t.Elem) + ">"
}

// ref refers to a declared type by its TypeScript name.
func (ts *types) ref(t *model.Type) string {
	k := ts.formKey(key(t.Path, t.Name))
	if ts.used != nil {
		ts.used(k)
	}
	name := ts.names[k]
	if name == "" {
		name = t.Name
	}
	if len(t.Args) == 0 {
		return name
	}
	args := make([]string, len(t.Args))
	for i, a := range t.Args {
		args[i] = ts.Value(a)
	}
	return name + "<" + strings.Join(args, ", ") + ">"
}

// array writes an array of elem, parenthesized when elem is a union.
func array(elem string) string {
	depth := 0
	for _, r := range elem {
		switch r {
		case '<', '(', '{', '[':
			depth++
		case '>', ')', '}', ']':
			depth--
		case '|':
			if depth == 0 {
				return "(" + elem + ")[]"
			}
		}
	}
	return elem + "[]"
}

// under returns the type that t finally stands for, following aliases and
// defined types to their declarations, and the declaration's Marshal.
// Well-known types and type parameters are returned as they are.
func (ts *types) under(t *model.Type) (*model.Type, *model.Decl) {
	for range 100 { // alias chains are finite; this bounds a broken model
		if t.Kind != model.Named {
			return t, nil
		}
		d := ts.decl(t)
		if d == nil || d.Marshal != "" || d.Type == nil {
			return t, d
		}
		if d.Type.Kind != model.Named {
			return subst(d.Type, d.Params, t.Args), d
		}
		t = subst(d.Type, d.Params, t.Args)
	}
	return t, nil
}

// kind returns the kind of t's underlying type, with Marshal for a named
// type that encodes itself, and Any for a type parameter.
func (ts *types) kind(t *model.Type) (model.TypeKind, model.Marshal) {
	if t.Kind == model.Named {
		k := key(t.Path, t.Name)
		if d := ts.decls[k]; d != nil {
			return d.Kind, d.Marshal
		}
		if kind, ok := wellKnownKind[k]; ok {
			return kind, model.MarshalJSON
		}
		return model.Any, ""
	}
	if t.Kind == model.TypeParam {
		return model.Any, ""
	}
	return t.Kind, ""
}

// nilable reports whether encoding/json may write null for a value of t
// (apart from unknown, which includes null).
func (ts *types) nilable(t *model.Type) bool {
	if ts.msgpack && t.Kind == model.Named && key(t.Path, t.Name) == "encoding/json.RawMessage" {
		return true // a []byte to MessagePack
	}
	k, m := ts.kind(t)
	return m == "" && (k == model.Pointer || k == model.Slice || k == model.Map)
}

// emptiable reports whether omitempty can leave a value of t out: false
// values, 0, "", nil and empty arrays, slices and maps; never a struct. A
// type parameter may be anything, so it may be empty.
func (ts *types) emptiable(t *model.Type) bool {
	k, _ := ts.kind(t)
	if k == model.Array {
		u, _ := ts.under(t)
		return u.Kind == model.Array && u.Len == 0
	}
	return k != model.Struct
}

// isByte reports whether a slice of t is base64 in JSON: t is byte, or a
// type defined as byte that does not encode itself.
func (ts *types) isByte(t *model.Type) bool {
	u, d := ts.under(t)
	return (d == nil || d.Marshal == "") && u.Kind == model.Basic && (u.Name == "byte" || u.Name == "uint8")
}

// isStruct reports whether t is a struct type whose fields encoding/json
// sees (it explores embedded structs, even those that encode themselves).
func (ts *types) isStruct(t *model.Type) bool {
	k, _ := ts.kind(t)
	return k == model.Struct
}

// structOf returns the struct type t stands for, with its type arguments in
// place; a struct that encodes itself has no fields to see.
func (ts *types) structOf(t *model.Type) *model.Type {
	u, _ := ts.under(t)
	if u.Kind != model.Struct {
		return &model.Type{Kind: model.Struct}
	}
	return u
}

// subst returns t with the type parameters params replaced by args.
func subst(t *model.Type, params []string, args []*model.Type) *model.Type {
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
	out.Elem = subst(t.Elem, params, args)
	out.Key = subst(t.Key, params, args)
	if t.Args != nil {
		out.Args = make([]*model.Type, len(t.Args))
		for i, a := range t.Args {
			out.Args[i] = subst(a, params, args)
		}
	}
	if t.Fields != nil {
		out.Fields = make([]model.Field, len(t.Fields))
		for i, f := range t.Fields {
			f.Type = subst(f.Type, params, args)
			out.Fields[i] = f
		}
	}
	return &out
}

// typeKey identifies a type for encoding/json's bookkeeping of embedded
// structs: by package path, not name.
func typeKey(t *model.Type) string {
	if t.Kind != model.Named {
		return t.String()
	}
	var b strings.Builder
	b.WriteString(key(t.Path, t.Name))
	if len(t.Args) > 0 {
		b.WriteByte('[')
		for i, a := range t.Args {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(typeKey(a))
		}
		b.WriteByte(']')
	}
	return b.String()
}

// Field is a property of a TypeScript object type: one JSON member of a Go
// struct.
type Field struct {
	Name     string // the JSON name
	Optional bool
	Type     string
	Doc      string
}

// jsonField is a field as encoding/json's typeFields finds it.
type jsonField struct {
	name      string
	tagged    bool
	index     []int
	typ       *model.Type
	omitEmpty bool
	omitZero  bool
	quoted    bool
	viaPtr    bool // promoted from an embedded pointer: absent when it is nil
	doc       string
}

// Fields returns the JSON members of a struct type, in encoding/json's
// order, as TypeScript properties. It follows encoding/json's rules: the
// json tag names a field (an invalid name is ignored), "-" leaves it out,
// unexported fields are left out, the fields of embedded structs without a
// tag name are promoted, and of several fields with one name the shallowest
// wins, then the tagged one, else none.
func (ts *types) Fields(st *model.Type) []Field {
	if ts.msgpack {
		return ts.msgpackFields(st, map[string]bool{})
	}
	fields := ts.jsonFields(st)
	out := make([]Field, len(fields))
	for i, f := range fields {
		out[i] = ts.field(f)
	}
	return out
}

func (ts *types) field(f jsonField) Field {
	empty := f.omitEmpty && ts.emptiable(f.typ)
	out := Field{Name: f.name, Doc: f.doc, Optional: f.omitZero || empty || f.viaPtr}
	switch {
	case f.quoted && (f.omitZero || empty):
		out.Type = "string"
	case f.quoted:
		out.Type = "string"
		if f.typ.Kind == model.Pointer {
			out.Type += " | null"
		}
	case f.omitZero || empty:
		out.Type = ts.NonNull(f.typ)
	default:
		out.Type = ts.Value(f.typ)
	}
	return out
}

// object writes a struct as an object type literal on one line, or on
// several, indented, when indent > 0.
func (ts *types) object(st *model.Type, indent int) string {
	fields := ts.Fields(st)
	if len(fields) == 0 {
		return "Record<string, never>"
	}
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = f.property()
	}
	if indent == 0 {
		return "{ " + strings.Join(parts, "; ") + " }"
	}
	pad := strings.Repeat("  ", indent)
	return "{\n" + pad + strings.Join(parts, ";\n"+pad) + ";\n" + strings.Repeat("  ", indent-1) + "}"
}

// property writes the field as a property signature, without the semicolon.
func (f Field) property() string {
	opt := ""
	if f.Optional {
		opt = "?"
	}
	return Prop(f.Name) + opt + ": " + f.Type
}

func (ts *types) jsonFields(st *model.Type) []jsonField {
	type embedded struct {
		typ    *model.Type // a struct type
		key    string
		index  []int
		viaPtr bool
	}
	var current []embedded
	next := []embedded{{typ: st, key: typeKey(st)}}
	var count map[string]int
	nextCount := map[string]int{}
	visited := map[string]bool{}
	var fields []jsonField
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
					if !exported(typeName(ft)) && !ts.isStruct(ft) {
						continue
					}
				} else if !exported(sf.Name) {
					continue
				}
				name, opts, _ := strings.Cut(tag, ",")
				if !validTag(name) {
					name = ""
				}
				index := append(slices.Clone(f.index), i)
				quoted := false
				if hasOpt(opts, "string") {
					if k, m := ts.kind(ft); k == model.Basic && m == "" {
						quoted = true
					}
				}
				if name != "" || sf.Name != "" || !ts.isStruct(ft) {
					jf := jsonField{
						name: name, tagged: name != "", index: index, typ: sf.Type,
						omitEmpty: hasOpt(opts, "omitempty"), omitZero: hasOpt(opts, "omitzero"),
						quoted: quoted, viaPtr: f.viaPtr, doc: sf.Doc,
					}
					if jf.name == "" {
						jf.name = sf.Name
						if jf.name == "" {
							jf.name = typeName(ft)
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
				k := typeKey(ft)
				nextCount[k]++
				if nextCount[k] == 1 {
					next = append(next, embedded{typ: ts.structOf(ft), key: k, index: index, viaPtr: f.viaPtr || isPtr})
				}
			}
		}
	}
	slices.SortStableFunc(fields, func(x, y jsonField) int {
		if c := cmp.Compare(x.name, y.name); c != 0 {
			return c
		}
		if c := cmp.Compare(len(x.index), len(y.index)); c != 0 {
			return c
		}
		if x.tagged != y.tagged {
			if x.tagged {
				return -1
			}
			return 1
		}
		return slices.Compare(x.index, y.index)
	})
	var out []jsonField
	for i := 0; i < len(fields); {
		j := i + 1
		for j < len(fields) && fields[j].name == fields[i].name {
			j++
		}
		if j-i == 1 || len(fields[i].index) != len(fields[i+1].index) || fields[i].tagged != fields[i+1].tagged {
			out = append(out, fields[i])
		}
		i = j
	}
	slices.SortFunc(out, func(x, y jsonField) int { return slices.Compare(x.index, y.index) })
	return out
}

// typeName is the name encoding/json gives an embedded field of type t.
func typeName(t *model.Type) string {
	if t.Kind == model.Named || t.Kind == model.Basic {
		return t.Name
	}
	return ""
}

func exported(name string) bool {
	r, _ := utf8.DecodeRuneInString(name)
	return unicode.IsUpper(r)
}

func hasOpt(opts, want string) bool {
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

// msgpackFields returns the members of a struct type as MessagePack
// (github.com/vmihailenco/msgpack) writes them, in field order: named by the
// msgpack tag, else the Go name; `msgpack:"-"` and unexported fields left
// out; only the msgpack tag's omitempty makes a field optional, since
// MessagePack does not read json tags. An embedded struct (or pointer to
// one) that does not encode itself is inlined, unless its tag says
// noinline, or a field of it has the name of a field before it and its tag
// does not say inline: then it is a field named by its type. Fields inlined
// through a pointer are optional and may be null: a nil pointer writes them
// as null, or leaves them out when the struct has an omitempty field.
// visiting holds the structs being inlined, so that a struct that embeds
// itself is a field.
func (ts *types) msgpackFields(st *model.Type, visiting map[string]bool) []Field {
	var out []Field
	names := make(map[string]bool)
	add := func(f Field) {
		if !names[f.Name] {
			names[f.Name] = true
			out = append(out, f)
			return
		}
		// MessagePack writes both; the client keeps the last.
		out[slices.IndexFunc(out, func(g Field) bool { return g.Name == f.Name })] = f
	}
	for _, sf := range st.Fields {
		name, opts, _ := strings.Cut(reflect.StructTag(sf.Tag).Get("msgpack"), ",")
		if name == "-" || sf.Type == nil || sf.Name != "" && !exported(sf.Name) {
			continue
		}
		ft, viaPtr := sf.Type, false
		for ft.Kind == model.Pointer {
			ft, viaPtr = ft.Elem, true
		}
		if sf.Name == "" && !hasOpt(opts, "noinline") && ts.inlines(ft) && !visiting[typeKey(ft)] {
			visiting[typeKey(ft)] = true
			inner := ts.msgpackFields(ts.structOf(ft), visiting)
			delete(visiting, typeKey(ft))
			shadowed := slices.ContainsFunc(inner, func(f Field) bool { return names[f.Name] })
			if hasOpt(opts, "inline") || !shadowed {
				for _, f := range inner {
					if viaPtr {
						f.Optional = true
						if !strings.HasSuffix(f.Type, " | null") {
							f.Type += " | null"
						}
					}
					add(f)
				}
				continue
			}
		}
		if name == "" {
			name = sf.Name
			if name == "" {
				name = typeName(ft)
			}
		}
		f := Field{Name: name, Doc: sf.Doc, Type: ts.Value(sf.Type)}
		if hasOpt(opts, "omitempty") {
			f.Optional, f.Type = true, ts.NonNull(sf.Type)
		}
		add(f)
	}
	return out
}

// inlines reports whether MessagePack inlines an embedded field of type t:
// a struct that neither encodes itself nor is a well-known type.
func (ts *types) inlines(t *model.Type) bool {
	if t.Kind == model.Struct {
		return true
	}
	if t.Kind != model.Named || wellKnown[key(t.Path, t.Name)] != "" {
		return false
	}
	u, d := ts.under(t)
	return u.Kind == model.Struct && (d == nil || d.Marshal == "")
}
