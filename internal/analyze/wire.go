package analyze

import (
	"go/token"
	"go/types"
	"reflect"

	"github.com/hubgen/hubgen/internal/diag"
	"github.com/hubgen/hubgen/internal/model"
)

// wire checks that values of t can cross the wire and returns t as model
// data; what names the parameter or result in messages. It reports HG020 and
// returns nil when t cannot cross.
func (a *analyzer) wire(t types.Type, pos token.Pos, method, what string) *model.Type {
	if p := a.wireProblem(t, make(map[types.Type]bool)); p != nil {
		if p.field == "" {
			if _, ok := p.typ.Underlying().(*types.Chan); ok {
				p.why += "; to stream values, take or return iter.Seq2[T, error] (as the whole parameter, or the whole result)"
			}
			a.errorf(pos, diag.NotWire, "%s: %s has type %s; %s", method, what, a.typeString(t), p.why)
		} else {
			field := p.field
			if p.owner != "" {
				field = p.owner + "." + field
			}
			a.errorf(pos, diag.NotWire, "%s: %s has type %s, whose field %s has type %s; %s; keep the field off the wire (unexported, or tagged `json:\"-\" msgpack:\"-\"`: each protocol has its tag) or change its type",
				method, what, a.typeString(t), field, a.typeString(p.typ), p.why)
		}
		return nil
	}
	return a.convert(t)
}

// problem is why a type cannot cross the wire: typ, reached through field (a
// path of field names such as Inner.Done, empty at the top) of the named type
// owner, cannot because of why.
type problem struct {
	owner string
	field string
	typ   types.Type
	why   string
}

// wireProblem returns why values of t cannot cross the wire, or nil. seen
// holds the named types being checked, to stop at cycles.
func (a *analyzer) wireProblem(t types.Type, seen map[types.Type]bool) *problem {
	bad := func(why string) *problem { return &problem{typ: t, why: why} }
	switch t := t.(type) {
	case *types.Alias:
		return a.wireProblem(types.Unalias(t), seen)
	case *types.Named:
		switch {
		case isError(t):
			return bad("errors cannot cross the wire: a method reports failure through its error result")
		case isContext(t):
			return bad("a context cannot cross the wire")
		case isStreamType(t):
			return bad("a stream can only be a whole parameter or the whole result")
		case seen[t] || customEncoding(t):
			return nil
		}
		seen[t] = true
		p := a.wireProblem(t.Underlying(), seen)
		if p != nil && p.field != "" && p.owner == "" {
			p.owner = t.Obj().Name()
		}
		return p
	case *types.Basic:
		switch {
		case t.Info()&types.IsComplex != 0:
			return bad("complex numbers have no JSON form; send two floats")
		case t.Kind() == types.UnsafePointer || t.Kind() == types.Uintptr:
			return bad("a memory address means nothing to another process")
		case t.Kind() == types.Invalid:
			return bad("the type does not type-check")
		}
		return nil
	case *types.Pointer:
		return a.wireProblem(t.Elem(), seen)
	case *types.Slice:
		return a.wireProblem(t.Elem(), seen)
	case *types.Array:
		return a.wireProblem(t.Elem(), seen)
	case *types.Map:
		if !wireKey(t.Key()) {
			return bad("map keys on the wire must be strings, integers or types with MarshalText and UnmarshalText, as encoding/json's are: JSON object keys are strings")
		}
		return a.wireProblem(t.Elem(), seen)
	case *types.Chan:
		return bad("channels cannot cross the wire")
	case *types.Signature:
		return bad("functions cannot cross the wire")
	case *types.Interface:
		if t.Empty() {
			return nil
		}
		return bad("an interface with methods cannot be decoded; only any can hold a value of unknown type, so use a concrete type")
	case *types.Struct:
		crossing := 0
		for i := 0; i < t.NumFields(); i++ {
			f := t.Field(i)
			if !onWire(f, t.Tag(i)) {
				continue
			}
			crossing++
			if p := a.wireProblem(f.Type(), seen); p != nil {
				if p.field == "" {
					p.field = f.Name()
				} else {
					p.field = f.Name() + "." + p.field
				}
				p.owner = ""
				return p
			}
		}
		if crossing == 0 && t.NumFields() > 0 {
			return bad("none of its fields crosses the wire (they are unexported, or tagged to stay off it), so it would arrive empty; export the fields that should cross, or give the type MarshalJSON and UnmarshalJSON")
		}
		return nil
	case *types.TypeParam:
		return bad("type parameters cannot cross the wire")
	}
	return bad("it cannot cross the wire")
}

// wireKey reports whether encoding/json writes and reads map keys of type t:
// strings, integers (written as decimal strings), and types whose values
// have MarshalText and whose pointers have UnmarshalText.
func wireKey(t types.Type) bool {
	if b, ok := t.Underlying().(*types.Basic); ok {
		if b.Info()&types.IsString != 0 || b.Info()&types.IsInteger != 0 && b.Kind() != types.Uintptr {
			return true
		}
	}
	has := func(t types.Type, name string) bool { return types.NewMethodSet(t).Lookup(nil, name) != nil }
	return has(t, "MarshalText") && has(types.NewPointer(t), "UnmarshalText")
}

// customEncoding reports whether t encodes itself, as time.Time does.
func customEncoding(t types.Type) bool {
	ms := types.NewMethodSet(types.NewPointer(t))
	for _, name := range []string{"MarshalJSON", "UnmarshalJSON", "MarshalText", "UnmarshalText"} {
		if ms.Lookup(nil, name) != nil {
			return true
		}
	}
	return false
}

func isStruct(t types.Type) bool {
	if p, ok := t.Underlying().(*types.Pointer); ok {
		t = p.Elem()
	}
	_, ok := t.Underlying().(*types.Struct)
	return ok
}

// convert returns t as model data. Named types and aliases keep their names.
func (a *analyzer) convert(t types.Type) *model.Type {
	switch t := t.(type) {
	case *types.Alias:
		obj := t.Obj()
		if obj.Pkg() == nil { // any
			return &model.Type{Kind: model.Any}
		}
		return a.named(obj, t.TypeArgs())
	case *types.Named:
		return a.named(t.Obj(), t.TypeArgs())
	case *types.Basic:
		return &model.Type{Kind: model.Basic, Name: t.Name()}
	case *types.Pointer:
		return &model.Type{Kind: model.Pointer, Elem: a.convert(t.Elem())}
	case *types.Slice:
		return &model.Type{Kind: model.Slice, Elem: a.convert(t.Elem())}
	case *types.Array:
		return &model.Type{Kind: model.Array, Len: t.Len(), Elem: a.convert(t.Elem())}
	case *types.Map:
		return &model.Type{Kind: model.Map, Key: a.convert(t.Key()), Elem: a.convert(t.Elem())}
	case *types.Struct:
		out := &model.Type{Kind: model.Struct}
		for i := 0; i < t.NumFields(); i++ {
			f := t.Field(i)
			mf := model.Field{Type: a.convert(f.Type()), Tag: t.Tag(i)}
			if !f.Embedded() {
				mf.Name = f.Name()
			}
			out.Fields = append(out.Fields, mf)
		}
		return out
	case *types.Interface:
		return &model.Type{Kind: model.Any}
	}
	return nil
}

func (a *analyzer) named(obj *types.TypeName, args *types.TypeList) *model.Type {
	out := &model.Type{Kind: model.Named, Name: obj.Name()}
	if obj.Pkg() != nil {
		out.Path, out.Pkg = obj.Pkg().Path(), obj.Pkg().Name()
	}
	for i := 0; i < args.Len(); i++ {
		out.Args = append(out.Args, a.convert(args.At(i)))
	}
	return out
}

// onWire reports whether both codecs encode the struct field f with the given
// tag: encoding/json leaves out unexported fields (but for embedded
// structs, whose fields it promotes) and `json:"-"`, and MessagePack
// (github.com/vmihailenco/msgpack) the same fields with `msgpack:"-"`, so a
// field stays off the wire only when it is unexported or tagged for both.
func onWire(f *types.Var, tag string) bool {
	if !f.Exported() {
		return f.Embedded() && isStruct(f.Type())
	}
	st := reflect.StructTag(tag)
	return st.Get("json") != "-" || st.Get("msgpack") != "-"
}
