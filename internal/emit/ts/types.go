package ts

import (
	"reflect"
	"slices"
	"strings"

	"github.com/hubgen/hubgen/internal/model"
	"github.com/hubgen/hubgen/internal/wire"
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

// inputSuffix marks the key of a declaration's sent form (see types.sent).
const inputSuffix = "#input"

// types maps Go types, as the model holds them, to TypeScript types that
// describe what encoding/json writes and reads.
type types struct {
	w     *wire.Shapes      // the wire's rules: declarations, struct members
	names map[string]string // TypeScript name by form key, for the declarations in use
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
	t := &types{w: wire.NewShapes(decls), names: make(map[string]string), dated: make(map[string]bool)}
	for _, d := range decls {
		t.reachesTime(wire.Key(d.Path, d.Name), map[string]bool{})
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
	d := ts.w.DeclOf(k)
	if d == nil || visiting[k] || d.Marshal != "" {
		return false
	}
	visiting[k] = true
	found := false
	d.Type.Walk(func(t *model.Type) {
		if found || t.Kind != model.Named {
			return
		}
		tk := wire.Key(t.Path, t.Name)
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
	return ts.w.DeclOf(k), sent
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
		case ts.w.IsByte(t.Elem) && ts.msgpack:
			return "Uint8Array" // bin
		case ts.w.IsByte(t.Elem):
			return "string" // base64
		}
		return array(ts.Value(t.Elem))
	case model.Array:
		if ts.w.IsByte(t.Elem) && ts.msgpack {
			return "Uint8Array" // bin, as MessagePack writes byte arrays
		}
		return array(ts.Value(t.Elem))
	case model.Map:
		return ts.record(t)
	case model.Struct:
		return ts.object(t, 0)
	case model.Named:
		k := wire.Key(t.Path, t.Name)
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
	if t.Key.Kind == model.Named && ts.w.Decl(t.Key) != nil {
		u, d := ts.w.Under(t.Key)
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
	k := ts.formKey(wire.Key(t.Path, t.Name))
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

// nilable reports whether encoding/json may write null for a value of t
// (apart from unknown, which includes null).
func (ts *types) nilable(t *model.Type) bool {
	if ts.msgpack && t.Kind == model.Named && wire.Key(t.Path, t.Name) == "encoding/json.RawMessage" {
		return true // a []byte to MessagePack
	}
	k, m := ts.w.Kind(t)
	return m == "" && (k == model.Pointer || k == model.Slice || k == model.Map)
}

// Field is a property of a TypeScript object type: one JSON member of a Go
// struct.
type Field struct {
	Name     string // the JSON name
	Optional bool
	Type     string
	Doc      string
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
	fields := ts.w.JSONFields(st)
	out := make([]Field, len(fields))
	for i, f := range fields {
		out[i] = ts.field(f)
	}
	return out
}

func (ts *types) field(f wire.Field) Field {
	empty := f.OmitEmpty && ts.w.Emptiable(f.Type)
	out := Field{Name: f.Name, Doc: f.Doc, Optional: f.OmitZero || empty || f.ViaPtr}
	switch {
	case f.Quoted && (f.OmitZero || empty):
		out.Type = "string"
	case f.Quoted:
		out.Type = "string"
		if f.Type.Kind == model.Pointer {
			out.Type += " | null"
		}
	case f.OmitZero || empty:
		out.Type = ts.NonNull(f.Type)
	default:
		out.Type = ts.Value(f.Type)
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
		if name == "-" || sf.Type == nil || sf.Name != "" && !wire.Exported(sf.Name) {
			continue
		}
		ft, viaPtr := sf.Type, false
		for ft.Kind == model.Pointer {
			ft, viaPtr = ft.Elem, true
		}
		if sf.Name == "" && !wire.HasOpt(opts, "noinline") && ts.inlines(ft) && !visiting[wire.TypeKey(ft)] {
			visiting[wire.TypeKey(ft)] = true
			inner := ts.msgpackFields(ts.w.StructOf(ft), visiting)
			delete(visiting, wire.TypeKey(ft))
			shadowed := slices.ContainsFunc(inner, func(f Field) bool { return names[f.Name] })
			if wire.HasOpt(opts, "inline") || !shadowed {
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
				name = wire.TypeName(ft)
			}
		}
		f := Field{Name: name, Doc: sf.Doc, Type: ts.Value(sf.Type)}
		if wire.HasOpt(opts, "omitempty") {
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
	if t.Kind != model.Named || wellKnown[wire.Key(t.Path, t.Name)] != "" {
		return false
	}
	u, d := ts.w.Under(t)
	return u.Kind == model.Struct && (d == nil || d.Marshal == "")
}
