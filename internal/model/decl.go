package model

// TypeParam is a further TypeKind: a type parameter of a generic Decl, Name.
// It appears only inside a Decl's Type (or the Args written there).
const TypeParam TypeKind = "typeParam"

// Decl declares a named type or alias that the interfaces' signatures reach,
// directly or through other declarations (struct fields, type arguments,
// aliased types). Emitters that write the types out, as the TypeScript one
// does, need what each name stands for; the Go emitter refers to them by
// name only.
//
// Only what the codecs see is kept: struct fields that both encoding/json
// and MessagePack skip (unexported ones, except embedded structs, and those
// tagged both `json:"-"` and `msgpack:"-"`) are left out of Type, and so are
// the types only they reach. Emitters apply each codec's own tags.
type Decl struct {
	// Path, Pkg and Name name the type, as in a Named Type.
	Path string `json:"path"`
	Pkg  string `json:"pkg"`
	Name string `json:"name"`
	// Doc is the type's doc comment, when its package's syntax is loaded
	// (the contract package's is).
	Doc string `json:"doc,omitempty"`
	// Alias marks an alias (type A = B) rather than a defined type.
	Alias bool `json:"alias,omitempty"`
	// Params are the type parameters of a generic type or alias; Type
	// refers to them as TypeParam types.
	Params []string `json:"params,omitempty"`
	// Kind is the kind of the underlying type (for an alias, of the type it
	// finally stands for): Basic, Pointer, Slice, Array, Map, Struct or Any.
	Kind TypeKind `json:"kind"`
	// Marshal says how values encode themselves, when they do.
	Marshal Marshal `json:"marshal,omitempty"`
	// Type is what the name stands for: a defined type's underlying type,
	// or an alias's right-hand side. It is nil when Marshal is set.
	Type *Type `json:"type,omitempty"`
	// Consts are the constants of a defined string or integer type that its
	// package declares, in declaration order: its values, as an enum. It is
	// empty when there are none, when the type encodes itself, and when a
	// //hubgen:noenum line in the type's doc opts out.
	Consts []Const `json:"consts,omitempty"`
}

// Const is a constant of an enum Decl.
type Const struct {
	Name string `json:"name"`
	// Value is the constant's value as a JSON literal: a quoted string, or
	// a decimal integer.
	Value string `json:"value"`
	// Doc is the constant's doc or line comment, when its package's syntax
	// is loaded.
	Doc string `json:"doc,omitempty"`
}

// Marshal is how a type encodes itself.
type Marshal string

// The ways a type may encode itself. A MarshalJSON (or UnmarshalJSON) method
// wins over MarshalText (or UnmarshalText), as in encoding/json.
const (
	// MarshalJSON: the type has its own JSON form.
	MarshalJSON Marshal = "json"
	// MarshalText: the type encodes as a JSON string of its text form.
	MarshalText Marshal = "text"
)
