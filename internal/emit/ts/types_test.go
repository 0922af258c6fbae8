package ts

import (
	"encoding"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hubgen/hubgen/internal/model"
	"github.com/hubgen/hubgen/internal/wire"
)

var (
	str   = &model.Type{Kind: model.Basic, Name: "string"}
	i64   = &model.Type{Kind: model.Basic, Name: "int64"}
	byt   = &model.Type{Kind: model.Basic, Name: "byte"}
	tTime = &model.Type{Kind: model.Named, Path: "time", Pkg: "time", Name: "Time"}
)

func ptr(t *model.Type) *model.Type   { return &model.Type{Kind: model.Pointer, Elem: t} }
func slice(t *model.Type) *model.Type { return &model.Type{Kind: model.Slice, Elem: t} }
func named(name string, args ...*model.Type) *model.Type {
	return &model.Type{Kind: model.Named, Path: "example.com/p", Pkg: "p", Name: name, Args: args}
}

func TestValue(t *testing.T) {
	ts := newTypes([]model.Decl{
		{Path: "example.com/p", Name: "ID", Kind: model.Basic, Type: str},
		{Path: "example.com/p", Name: "Tags", Kind: model.Slice, Type: slice(str)},
		{Path: "example.com/p", Name: "Raw", Kind: model.Slice, Type: slice(byt)},
		{Path: "example.com/p", Name: "B", Kind: model.Basic, Type: byt},
		{Path: "example.com/p", Name: "Text", Kind: model.Slice, Marshal: model.MarshalText},
		{Path: "example.com/p", Name: "Custom", Kind: model.Struct, Marshal: model.MarshalJSON},
		{Path: "example.com/p", Name: "Page", Params: []string{"T"}, Kind: model.Struct, Type: &model.Type{Kind: model.Struct}},
		{Path: "example.com/p", Name: "Alias", Alias: true, Kind: model.Slice, Type: named("Tags")},
	})
	for _, tc := range []struct {
		typ  *model.Type
		want string
	}{
		{str, "string"},
		{i64, "number"},
		{&model.Type{Kind: model.Basic, Name: "float32"}, "number"},
		{&model.Type{Kind: model.Basic, Name: "bool"}, "boolean"},
		{&model.Type{Kind: model.Any}, "unknown"},
		{ptr(str), "string | null"},
		{ptr(ptr(str)), "string | null"},
		{slice(str), "string[] | null"},
		{slice(ptr(str)), "(string | null)[] | null"},
		{slice(byt), "string | null"},
		{slice(named("B")), "string | null"},
		{&model.Type{Kind: model.Array, Len: 4, Elem: byt}, "number[]"},
		{&model.Type{Kind: model.Map, Key: str, Elem: slice(i64)}, "Record<string, number[] | null> | null"},
		{&model.Type{Kind: model.Map, Key: named("ID"), Elem: i64}, "Record<ID, number> | null"},
		{tTime, "string"},
		{ptr(tTime), "string | null"},
		{&model.Type{Kind: model.Named, Path: "encoding/json", Name: "RawMessage"}, "unknown"},
		{&model.Type{Kind: model.Named, Path: "encoding/json", Name: "Number"}, "number"},
		{named("ID"), "ID"},
		{named("Tags"), "Tags | null"},
		{named("Alias"), "Alias | null"},
		{named("Raw"), "Raw | null"},
		{named("Text"), "Text"},
		{ptr(named("Text")), "Text | null"},
		{named("Custom"), "Custom"},
		{named("Page", ptr(named("ID"))), "Page<ID | null>"},
		{&model.Type{Kind: model.Struct, Fields: []model.Field{{Name: "A", Type: str}, {Name: "b", Type: str}}}, "{ A: string }"},
		{&model.Type{Kind: model.Struct}, "Record<string, never>"},
	} {
		if got := ts.Value(tc.typ); got != tc.want {
			t.Errorf("Value(%s) = %q, want %q", tc.typ, got, tc.want)
		}
	}
}

func TestArray(t *testing.T) {
	for in, want := range map[string]string{
		"string":                          "string[]",
		"string | null":                   "(string | null)[]",
		"Record<string, number | null>":   "Record<string, number | null>[]",
		"{ a: string | null }":            "{ a: string | null }[]",
		"Page<A | null> | null":           "(Page<A | null> | null)[]",
		"Record<string, number> | string": "(Record<string, number> | string)[]",
	} {
		if got := array(in); got != want {
			t.Errorf("array(%q) = %q, want %q", in, got, want)
		}
	}
}

// The structs whose JSON form TestFieldsMatchEncodingJSON checks.
type (
	Inner  struct{ X, Y int }
	Other  struct{ Y, Z int }
	Tagged struct {
		Y int `json:"Y"`
	}
	Deep       struct{ Inner }
	Audit      struct{ By *string }
	Level      int
	Bytes      []byte
	Blob       struct{ n int }
	TextKey    string
	Box[T any] struct {
		Item T   `json:"item"`
		List []T `json:"list,omitempty"`
	}
	inner struct {
		Hidden string `json:"hidden"`
	}
	Everything struct {
		Inner         // X; its Y loses to Tagged's
		Other         // Z
		*Audit        // By, only when the pointer is set
		Deep          // Deep.Inner.X is deeper than Inner.X: hidden
		inner         // unexported, embedded: Hidden is promoted
		Named  Inner  `json:"named"`
		Name   string `json:"name"`
		Opt    string `json:"opt,omitempty"`
		Zero   Inner  `json:"zero,omitzero"`
		Never  Inner  `json:"never,omitempty"`
		At     time.Time
		AtOpt  time.Time  `json:",omitempty"`
		When   *time.Time `json:"when,omitempty"`
		Note   *string
		Skip   string `json:"-"`
		//lint:ignore SA5008 encoding/json names this field "-"
		Dash    string `json:"-,"`
		Quoted  int64  `json:"quoted,string"`
		QuotedP *bool  `json:"quotedP,string"`
		Level   Level  `json:"level,omitempty"`
		Bytes   Bytes
		Data    []byte `json:"data,omitempty"`
		Map     map[string]int
		MapOpt  map[TextKey]int `json:"mapOpt,omitempty"`
		Arr     [2]int
		Empty   [0]int `json:",omitempty"`
		Any     any
		Blob    Blob
		Box     Box[*Inner]
		Lit     struct{ A *int }
		private int
		//lint:ignore SA5008 encoding/json ignores an invalid name
		Invalid int `json:"in\"valid"`
		Punct   int `json:"a-b.c"`
		Tagged      // its Y is tagged: it wins over Inner's and Other's
	}
)

func (l Level) MarshalText() ([]byte, error)    { return []byte("L"), nil }
func (l *Level) UnmarshalText(b []byte) error   { return nil }
func (b Blob) MarshalJSON() ([]byte, error)     { return []byte(`{"blob":1}`), nil }
func (k TextKey) MarshalText() ([]byte, error)  { return []byte(k), nil }
func (k *TextKey) UnmarshalText(b []byte) error { *k = TextKey(b); return nil }

// The unexported fields are there for encoding/json to leave out.
var _ = []any{Everything{}.private, Everything{}.inner, Blob{}.n}

var (
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
)

// fromReflect builds the model of t as the analyzer would, declaring named
// types in decls.
func fromReflect(t reflect.Type, decls map[string]*model.Decl) *model.Type {
	if t.Name() != "" && t.PkgPath() != "" {
		name := t.Name()
		var args []*model.Type
		if i := strings.IndexByte(name, '['); i >= 0 { // Box[*ts.Inner]: declare the instance
			name = name[:i] + "Inst"
		}
		k := wire.Key(t.PkgPath(), name)
		if _, ok := decls[k]; !ok {
			d := &model.Decl{Path: t.PkgPath(), Name: name, Kind: fromReflectKind(t)}
			decls[k] = d
			switch p := reflect.PointerTo(t); {
			case p.Implements(jsonMarshaler):
				d.Marshal = model.MarshalJSON
			case p.Implements(textMarshaler):
				d.Marshal = model.MarshalText
			default:
				d.Type = fromReflectUnder(t, decls)
			}
		}
		return &model.Type{Kind: model.Named, Path: t.PkgPath(), Name: name, Args: args}
	}
	return fromReflectUnder(t, decls)
}

func fromReflectKind(t reflect.Type) model.TypeKind {
	switch t.Kind() {
	case reflect.Pointer:
		return model.Pointer
	case reflect.Slice:
		return model.Slice
	case reflect.Array:
		return model.Array
	case reflect.Map:
		return model.Map
	case reflect.Struct:
		return model.Struct
	case reflect.Interface:
		return model.Any
	}
	return model.Basic
}

func fromReflectUnder(t reflect.Type, decls map[string]*model.Decl) *model.Type {
	switch t.Kind() {
	case reflect.Pointer:
		return ptr(fromReflect(t.Elem(), decls))
	case reflect.Slice:
		return slice(fromReflect(t.Elem(), decls))
	case reflect.Array:
		return &model.Type{Kind: model.Array, Len: int64(t.Len()), Elem: fromReflect(t.Elem(), decls)}
	case reflect.Map:
		return &model.Type{Kind: model.Map, Key: fromReflect(t.Key(), decls), Elem: fromReflect(t.Elem(), decls)}
	case reflect.Struct:
		out := &model.Type{Kind: model.Struct}
		for i := range t.NumField() {
			f := t.Field(i)
			mf := model.Field{Type: fromReflect(f.Type, decls), Tag: string(f.Tag)}
			if !f.Anonymous {
				mf.Name = f.Name
			}
			out.Fields = append(out.Fields, mf)
		}
		return out
	case reflect.Interface:
		return &model.Type{Kind: model.Any}
	}
	return &model.Type{Kind: model.Basic, Name: t.Kind().String()}
}

// fill sets every pointer, slice and map in v, recursively, so that
// encoding/json writes every member it can.
func fill(v reflect.Value, depth int) {
	if depth > 5 {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() && v.CanSet() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		if !v.IsNil() {
			fill(v.Elem(), depth+1)
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			return
		}
		for i := range v.NumField() {
			if v.Field(i).CanSet() {
				fill(v.Field(i), depth+1)
			}
		}
	case reflect.Slice:
		if v.CanSet() {
			v.Set(reflect.MakeSlice(v.Type(), 1, 1))
			fill(v.Index(0), depth+1)
		}
	case reflect.Map:
		if v.CanSet() {
			m := reflect.MakeMap(v.Type())
			m.SetMapIndex(reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem())
			v.Set(m)
		}
	case reflect.String:
		if v.CanSet() {
			v.SetString("s")
		}
	case reflect.Int, reflect.Int64:
		if v.CanSet() {
			v.SetInt(1)
		}
	}
}

// members returns the members of the JSON object encoding/json writes for v.
func members(t *testing.T, v any) map[string]json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestFieldsMatchEncodingJSON checks Fields against encoding/json itself: a
// value with every pointer, slice and map set has exactly the fields; the
// zero value has every field that is not optional; and the fields that the
// zero value writes as null are the ones whose type includes null.
func TestFieldsMatchEncodingJSON(t *testing.T) {
	for _, v := range []any{Everything{}, Box[*Inner]{}, Deep{}, struct {
		Inner
		Tagged
	}{}, struct {
		Other
		*Tagged
	}{}} {
		decls := make(map[string]*model.Decl)
		typ := fromReflect(reflect.TypeOf(v), decls)
		var list []model.Decl
		for _, d := range decls {
			list = append(list, *d)
		}
		ts := newTypes(list)
		st, _ := ts.w.Under(typ)
		fields := ts.Fields(st)
		name := reflect.TypeOf(v).String()

		full := reflect.New(reflect.TypeOf(v))
		fill(full, 0)
		got := members(t, full.Interface())
		var names []string
		for _, f := range fields {
			names = append(names, f.Name)
			if _, ok := got[f.Name]; !ok && f.Name != "Empty" { // [0]int with omitempty: always empty
				t.Errorf("%s: field %q is not in %s", name, f.Name, keys(got))
			}
		}
		for k := range got {
			if !slices.Contains(names, k) {
				t.Errorf("%s: encoding/json writes %q, which Fields lacks: %q", name, k, names)
			}
		}

		zero := members(t, v)
		for _, f := range fields {
			raw, ok := zero[f.Name]
			switch {
			case !ok && !f.Optional:
				t.Errorf("%s: the zero value lacks %q, which is not optional", name, f.Name)
			case ok && string(raw) == "null" && !strings.Contains(f.Type, "null") && f.Type != "unknown":
				t.Errorf("%s: the zero value's %q is null, but its type is %s", name, f.Name, f.Type)
			}
		}
	}
}

func keys(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestFieldTypes(t *testing.T) {
	decls := make(map[string]*model.Decl)
	typ := fromReflect(reflect.TypeFor[Everything](), decls)
	var list []model.Decl
	for _, d := range decls {
		list = append(list, *d)
	}
	ts := newTypes(list)
	st, _ := ts.w.Under(typ)
	var got []string
	for _, f := range ts.Fields(st) {
		got = append(got, f.property())
	}
	want := []string{
		"X: number",
		"Z: number",
		"By?: string | null",
		"hidden: string",
		"named: Inner",
		"name: string",
		"opt?: string",
		"zero?: Inner",
		"never: Inner",
		"At: string",
		"AtOpt: string",
		"when?: string",
		"Note: string | null",
		`"-": string`,
		"quoted: string",
		"quotedP: string | null",
		"level?: Level",
		"Bytes: Bytes | null",
		"data?: string",
		"Map: Record<string, number> | null",
		"mapOpt?: Record<TextKey, number>",
		"Arr: number[]",
		"Empty?: number[]",
		"Any: unknown",
		"Blob: Blob",
		"Box: BoxInst",
		"Lit: { A: number | null }",
		"Invalid: number",
		`"a-b.c": number`,
		"Y: number",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

func TestSubst(t *testing.T) {
	tp := &model.Type{Kind: model.TypeParam, Name: "T"}
	st := &model.Type{Kind: model.Struct, Fields: []model.Field{{Name: "A", Type: slice(tp)}, {Name: "B", Type: named("Page", tp)}}}
	got := wire.Subst(st, []string{"T"}, []*model.Type{str})
	if got.String() != "struct{A []string; B p.Page[string]}" || st.String() != "struct{A []T; B p.Page[T]}" {
		t.Errorf("subst: got %s, from %s", got, st)
	}
}
