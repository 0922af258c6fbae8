package analyze

import (
	"cmp"
	"go/ast"
	"go/types"
	"slices"
)

// declOrder returns the methods of the interface type t in declaration
// order: as its declaration lists them, each embedded interface's methods in
// its place, in turn in their declaration order. Interfaces declared outside
// the package, whose syntax is not loaded, list their own methods in source
// order, then their embedded interfaces'. A method that two embedded
// interfaces share takes the first place.
func (a *analyzer) declOrder(t types.Type) []*types.Func {
	it, ok := t.Underlying().(*types.Interface)
	if !ok {
		return nil
	}
	place := make(map[string]int) // by method Id
	a.listMethods(t, 0, func(m *types.Func) {
		if _, ok := place[m.Id()]; !ok {
			place[m.Id()] = len(place)
		}
	})
	out := slices.Collect(it.Methods())
	// Whatever the walk missed (it should miss nothing) goes last, by name.
	slices.SortStableFunc(out, func(x, y *types.Func) int {
		px, okx := place[x.Id()]
		py, oky := place[y.Id()]
		switch {
		case okx && oky:
			return cmp.Compare(px, py)
		case okx != oky:
			if okx {
				return -1
			}
			return 1
		}
		return cmp.Compare(x.Name(), y.Name())
	})
	return out
}

// listMethods calls add for the methods of interface type t in declaration
// order; depth bounds a broken cycle of embeddings.
func (a *analyzer) listMethods(t types.Type, depth int, add func(*types.Func)) {
	it, ok := t.Underlying().(*types.Interface)
	if !ok || depth > 50 {
		return
	}
	if n := a.localName(t); n != "" {
		if ts := a.p.TypeSpec(n); ts != nil {
			if syn, ok := ts.Type.(*ast.InterfaceType); ok {
				k := 0
				for _, fl := range syn.Methods.List {
					if len(fl.Names) == 0 {
						if k < it.NumEmbeddeds() {
							a.listMethods(it.EmbeddedType(k), depth+1, add)
						}
						k++
						continue
					}
					for _, name := range fl.Names {
						for m := range it.ExplicitMethods() {
							if m.Name() == name.Name {
								add(m)
							}
						}
					}
				}
				return
			}
		}
	}
	explicit := slices.Collect(it.ExplicitMethods())
	slices.SortFunc(explicit, func(x, y *types.Func) int { return cmp.Compare(x.Pos(), y.Pos()) })
	for _, m := range explicit {
		add(m)
	}
	for e := range it.EmbeddedTypes() {
		a.listMethods(e, depth+1, add)
	}
}
