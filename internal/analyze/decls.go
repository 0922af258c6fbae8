package analyze

import (
	"cmp"
	"go/ast"
	"go/types"
	"slices"

	"github.com/hubgen/hubgen/internal/model"
)

// decls declares the named types and aliases that the signatures of spec's
// interfaces reach, as the codecs see them: through parameters, results,
// stream elements, the fields encoding/json or MessagePack encodes (see
// onWire), type arguments and aliased types. It runs only on a spec without diagnostics, so every type it
// meets can cross the wire.
func (a *analyzer) decls(spec *model.Spec) []model.Decl {
	c := &declCollector{a: a, seen: make(map[*types.TypeName]bool)}
	for _, it := range []*model.Interface{spec.Server, spec.Client} {
		if it == nil {
			continue
		}
		iface, ok := a.p.Types.Scope().Lookup(it.Name).Type().Underlying().(*types.Interface)
		if !ok {
			continue
		}
		for i := range iface.NumMethods() {
			sig := iface.Method(i).Signature()
			for v := range sig.Params().Variables() {
				c.reach(v.Type())
			}
			for v := range sig.Results().Variables() {
				c.reach(v.Type())
			}
		}
	}
	var out []model.Decl
	for len(c.queue) > 0 {
		obj := c.queue[0]
		c.queue = c.queue[1:]
		out = append(out, c.decl(obj))
	}
	slices.SortFunc(out, func(x, y model.Decl) int {
		return cmp.Or(cmp.Compare(x.Path, y.Path), cmp.Compare(x.Name, y.Name))
	})
	return out
}

// declCollector finds the declarations to make, each once.
type declCollector struct {
	a     *analyzer
	seen  map[*types.TypeName]bool
	queue []*types.TypeName
}

// reach queues the named types and aliases in t.
func (c *declCollector) reach(t types.Type) {
	switch t := t.(type) {
	case *types.Alias:
		if t.Obj().Pkg() == nil { // any
			return
		}
		if isStreamType(t) { // an alias of a stream: only its element reaches the wire
			c.reach(types.Unalias(t))
			return
		}
		c.add(t.Origin().Obj())
		for arg := range t.TypeArgs().Types() {
			c.reach(arg)
		}
	case *types.Named:
		if t.Obj().Pkg() == nil || isContext(t) { // error, comparable
			return
		}
		if !isStreamType(t) {
			c.add(t.Origin().Obj())
		}
		for arg := range t.TypeArgs().Types() {
			c.reach(arg)
		}
	case *types.Pointer:
		c.reach(t.Elem())
	case *types.Slice:
		c.reach(t.Elem())
	case *types.Array:
		c.reach(t.Elem())
	case *types.Map:
		c.reach(t.Key())
		c.reach(t.Elem())
	case *types.Struct:
		for i := range t.NumFields() {
			if onWire(t.Field(i), t.Tag(i)) {
				c.reach(t.Field(i).Type())
			}
		}
	}
}

func (c *declCollector) add(obj *types.TypeName) {
	if !c.seen[obj] {
		c.seen[obj] = true
		c.queue = append(c.queue, obj)
	}
}

// decl declares obj, queueing what its declaration reaches.
func (c *declCollector) decl(obj *types.TypeName) model.Decl {
	out := model.Decl{Path: obj.Pkg().Path(), Pkg: obj.Pkg().Name(), Name: obj.Name()}
	var docs []string
	if obj.Pkg() == c.a.p.Types {
		if ts := c.a.p.TypeSpec(obj.Name()); ts != nil {
			if ts.Doc != nil {
				out.Doc = ts.Doc.Text()
			}
			if st, ok := ts.Type.(*ast.StructType); ok {
				docs = fieldDocs(st)
			}
		}
	}
	switch t := obj.Type().(type) {
	case *types.Alias:
		out.Alias = true
		out.Params = paramNames(t.TypeParams())
		out.Kind = kindOf(types.Unalias(t).Underlying())
		out.Type = c.convert(t.Rhs(), nil)
	case *types.Named:
		out.Params = paramNames(t.TypeParams())
		out.Kind = kindOf(t.Underlying())
		out.Marshal = marshalOf(t)
		if out.Marshal == "" {
			out.Type = c.convert(t.Underlying(), docs)
			out.Consts = c.a.consts(t)
		}
	}
	return out
}

// convert returns t as model data, as the analyzer's convert does, but with
// type parameters and only the struct fields a codec sees (onWire); docs, when
// not nil, are the doc comments of a struct's fields by index. It queues the
// named types it meets.
func (c *declCollector) convert(t types.Type, docs []string) *model.Type {
	switch t := t.(type) {
	case *types.TypeParam:
		return &model.Type{Kind: model.TypeParam, Name: t.Obj().Name()}
	case *types.Alias:
		if t.Obj().Pkg() == nil {
			return &model.Type{Kind: model.Any}
		}
		c.reach(t)
		return c.named(t.Obj(), t.TypeArgs())
	case *types.Named:
		c.reach(t)
		return c.named(t.Obj(), t.TypeArgs())
	case *types.Basic:
		return &model.Type{Kind: model.Basic, Name: t.Name()}
	case *types.Pointer:
		return &model.Type{Kind: model.Pointer, Elem: c.convert(t.Elem(), nil)}
	case *types.Slice:
		return &model.Type{Kind: model.Slice, Elem: c.convert(t.Elem(), nil)}
	case *types.Array:
		return &model.Type{Kind: model.Array, Len: t.Len(), Elem: c.convert(t.Elem(), nil)}
	case *types.Map:
		return &model.Type{Kind: model.Map, Key: c.convert(t.Key(), nil), Elem: c.convert(t.Elem(), nil)}
	case *types.Struct:
		out := &model.Type{Kind: model.Struct}
		for i := range t.NumFields() {
			if !onWire(t.Field(i), t.Tag(i)) {
				continue
			}
			f := t.Field(i)
			mf := model.Field{Type: c.convert(f.Type(), nil), Tag: t.Tag(i)}
			if !f.Embedded() {
				mf.Name = f.Name()
			}
			if i < len(docs) {
				mf.Doc = docs[i]
			}
			out.Fields = append(out.Fields, mf)
		}
		return out
	}
	return &model.Type{Kind: model.Any} // an empty interface: anything else cannot cross
}

func (c *declCollector) named(obj *types.TypeName, args *types.TypeList) *model.Type {
	out := &model.Type{Kind: model.Named, Name: obj.Name()}
	if obj.Pkg() != nil {
		out.Path, out.Pkg = obj.Pkg().Path(), obj.Pkg().Name()
	}
	for arg := range args.Types() {
		out.Args = append(out.Args, c.convert(arg, nil))
	}
	return out
}

// fieldDocs returns the doc (or else line) comments of a struct's fields,
// by field index.
func fieldDocs(st *ast.StructType) []string {
	var docs []string
	for _, f := range st.Fields.List {
		doc := ""
		switch {
		case f.Doc != nil:
			doc = f.Doc.Text()
		case f.Comment != nil:
			doc = f.Comment.Text()
		}
		for range max(1, len(f.Names)) {
			docs = append(docs, doc)
		}
	}
	return docs
}

func paramNames(tps *types.TypeParamList) []string {
	var out []string
	for i := range tps.Len() {
		out = append(out, tps.At(i).Obj().Name())
	}
	return out
}

// kindOf returns the model kind of an underlying type.
func kindOf(t types.Type) model.TypeKind {
	switch t.(type) {
	case *types.Basic:
		return model.Basic
	case *types.Pointer:
		return model.Pointer
	case *types.Slice:
		return model.Slice
	case *types.Array:
		return model.Array
	case *types.Map:
		return model.Map
	case *types.Struct:
		return model.Struct
	}
	return model.Any
}

// marshalOf reports how values of t encode themselves, if they do: a JSON
// method (MarshalJSON, or UnmarshalJSON alone) wins over a text one, as
// encoding/json prefers json.Marshaler to encoding.TextMarshaler.
func marshalOf(t types.Type) model.Marshal {
	ms := types.NewMethodSet(types.NewPointer(t))
	has := func(name string) bool { return ms.Lookup(nil, name) != nil }
	switch {
	case has("MarshalJSON"):
		return model.MarshalJSON
	case has("MarshalText"):
		return model.MarshalText
	case has("UnmarshalJSON"):
		return model.MarshalJSON
	case has("UnmarshalText"):
		return model.MarshalText
	}
	return ""
}
