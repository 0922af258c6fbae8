package model

import (
	"strconv"
	"strings"
)

// TypeKind is the form of a Type.
type TypeKind string

// The forms a type on the wire may take.
const (
	Basic   TypeKind = "basic"   // a predeclared type: Name
	Named   TypeKind = "named"   // a defined type or alias: Path.Name[Args]
	Pointer TypeKind = "pointer" // *Elem
	Slice   TypeKind = "slice"   // []Elem
	Array   TypeKind = "array"   // [Len]Elem
	Map     TypeKind = "map"     // map[Key]Elem
	Struct  TypeKind = "struct"  // struct{Fields}
	Any     TypeKind = "any"     // any, written interface{} or any
)

// Type is a Go type as written in a hub signature. Named types and aliases
// keep their own names; they are not replaced by what they stand for.
type Type struct {
	Kind TypeKind `json:"kind"`
	// Name is a Basic type's name or a Named type's name.
	Name string `json:"name,omitempty"`
	// Path and Pkg are a Named type's package path and package name.
	Path string `json:"path,omitempty"`
	Pkg  string `json:"pkg,omitempty"`
	// Args are a Named type's type arguments.
	Args []*Type `json:"args,omitempty"`
	// Len is an Array's length.
	Len int64 `json:"len,omitempty"`
	// Key is a Map's key type; Elem the element type of a Pointer, Slice,
	// Array or Map.
	Key  *Type `json:"key,omitempty"`
	Elem *Type `json:"elem,omitempty"`
	// Fields are a Struct's fields.
	Fields []Field `json:"fields,omitempty"`
}

// Field is a field of a struct type literal.
type Field struct {
	// Name is empty for an embedded field.
	Name string `json:"name,omitempty"`
	Type *Type  `json:"type"`
	Tag  string `json:"tag,omitempty"`
	// Doc is the field's doc or line comment; only Decl types carry it.
	Doc string `json:"doc,omitempty"`
}

// String writes t in Go syntax, qualifying named types by package name.
func (t *Type) String() string {
	var b strings.Builder
	t.write(&b)
	return b.String()
}

func (t *Type) write(b *strings.Builder) {
	switch t.Kind {
	case Basic:
		b.WriteString(t.Name)
	case Named:
		if t.Pkg != "" {
			b.WriteString(t.Pkg + ".")
		}
		b.WriteString(t.Name)
		if len(t.Args) > 0 {
			b.WriteByte('[')
			for i, a := range t.Args {
				if i > 0 {
					b.WriteString(", ")
				}
				a.write(b)
			}
			b.WriteByte(']')
		}
	case Pointer:
		b.WriteByte('*')
		t.Elem.write(b)
	case Slice:
		b.WriteString("[]")
		t.Elem.write(b)
	case Array:
		b.WriteString("[" + strconv.FormatInt(t.Len, 10) + "]")
		t.Elem.write(b)
	case Map:
		b.WriteString("map[")
		t.Key.write(b)
		b.WriteByte(']')
		t.Elem.write(b)
	case Struct:
		b.WriteString("struct{")
		for i, f := range t.Fields {
			if i > 0 {
				b.WriteString("; ")
			}
			if f.Name != "" {
				b.WriteString(f.Name + " ")
			}
			f.Type.write(b)
			if f.Tag != "" {
				b.WriteString(" " + strconv.Quote(f.Tag))
			}
		}
		b.WriteByte('}')
	case Any:
		b.WriteString("any")
	case TypeParam:
		b.WriteString(t.Name)
	}
}

// Walk calls f for t and every type inside it, depth first.
func (t *Type) Walk(f func(*Type)) {
	if t == nil {
		return
	}
	f(t)
	for _, a := range t.Args {
		a.Walk(f)
	}
	t.Key.Walk(f)
	t.Elem.Walk(f)
	for _, fl := range t.Fields {
		fl.Type.Walk(f)
	}
}
