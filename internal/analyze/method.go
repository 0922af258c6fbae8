package analyze

import (
	"go/ast"
	"go/token"
	"go/types"
	"strconv"

	"github.com/hubgen/hubgen/internal/diag"
	"github.com/hubgen/hubgen/internal/model"
)

// method checks one method of the interface named iface and classifies it. It
// returns where problems with the method are reported, and false if the
// method cannot be generated.
func (a *analyzer) method(iface string, m *types.Func, s side) (model.Method, token.Pos, bool) {
	local := a.p.Local(m.Pos())
	site := m.Pos()
	name := "method " + m.Name()
	if !local {
		site = a.embedSite(iface, m, 0)
		name += " (from " + a.typeString(m.Signature().Recv().Type()) + ")"
	}
	// at is where to report a problem with part of the method: the part's
	// own position when it is in the package, else the method's site.
	at := func(pos token.Pos) token.Pos {
		if local && pos.IsValid() {
			return pos
		}
		return site
	}
	n := len(a.ds)
	out := model.Method{Name: m.Name(), Wire: m.Name(), Params: []model.Param{}}
	if !m.Exported() {
		a.errorf(site, diag.Unexported, "%s is not exported; hub methods must be, as clients call them by name", name)
		return out, site, false
	}
	doc := a.p.MethodDoc(m)
	if doc != nil {
		out.Doc = doc.Text()
	}
	if wire, ok := a.directives(doc, name, local, site); ok {
		out.Wire = wire
	}

	sig := m.Signature()
	params := sig.Params()
	first := 0
	if params.Len() > 0 && isContext(params.At(0).Type()) {
		first = 1
	} else {
		pos := site
		if params.Len() > 0 {
			pos = at(params.At(0).Pos())
		}
		a.errorf(pos, diag.NoContext, "%s: the first parameter must be ctx context.Context", name)
	}
	if sig.Variadic() {
		last := params.At(params.Len() - 1)
		a.errorf(at(last.Pos()), diag.Variadic, "%s: parameter %s is variadic; take a slice instead", name, paramName(last, params.Len()-1-first))
	}
	streams := 0
	for i := first; i < params.Len(); i++ {
		v := params.At(i)
		pname := paramName(v, i-first)
		p := model.Param{Name: v.Name()}
		switch {
		case isContext(v.Type()):
			a.errorf(at(v.Pos()), diag.LateContext, "%s: parameter %s is a second context.Context; take ctx once, as the first parameter", name, pname)
			continue
		case isStreamType(v.Type()):
			elem, ok := a.stream(v.Type(), at(v.Pos()), name, "parameter "+pname)
			if !ok {
				continue
			}
			p.Type, p.Stream = elem, true
			streams++
		default:
			p.Type = a.wire(v.Type(), at(v.Pos()), name, "parameter "+pname)
		}
		out.Params = append(out.Params, p)
	}

	results := sig.Results()
	switch {
	case results.Len() == 0:
		a.errorf(site, diag.NoError, "%s returns nothing; it must return error last", name)
	case results.Len() == 1 && isStreamType(results.At(0).Type()):
		if elem, ok := a.stream(results.At(0).Type(), at(results.At(0).Pos()), name, "the result"); ok {
			out.Stream = elem
		}
	case !isError(results.At(results.Len() - 1).Type()):
		last := results.At(results.Len() - 1)
		a.errorf(at(last.Pos()), diag.NoError, "%s: the last result is %s; it must be error", name, a.typeString(last.Type()))
	case results.Len() > 2:
		a.errorf(at(results.At(1).Pos()), diag.TooManyResults, "%s returns %d values besides error; return one (a struct can hold several)", name, results.Len()-1)
	case results.Len() == 2:
		v := results.At(0)
		if isStreamType(v.Type()) {
			// A stream that can fail before its first item.
			if elem, ok := a.stream(v.Type(), at(v.Pos()), name, "the result"); ok {
				out.Stream, out.StreamErr = elem, true
			}
			break
		}
		out.Result = a.wire(v.Type(), at(v.Pos()), name, "the result")
	}

	switch {
	case out.Stream != nil || streams > 0:
		if s == clientSide {
			a.errorf(site, diag.ClientStream, "%s streams, but the client interface cannot: servers call client methods, they do not stream to them", name)
		}
		// A method that returns a stream is a server stream, whether or not
		// it also takes uploads; one that only takes uploads is a client
		// stream.
		out.Kind = model.ClientStream
		if out.Stream != nil {
			out.Kind = model.ServerStream
		}
	case s == serverSide:
		out.Kind = model.Invoke
	case out.Result != nil:
		out.Kind = model.ClientResult
	default:
		out.Kind = model.Send
	}
	return out, site, len(a.ds) == n
}

// paramName names a parameter in messages: by its name, or by its position
// among the wire arguments when it has none.
func paramName(v *types.Var, i int) string {
	if v.Name() != "" && v.Name() != "_" {
		return v.Name()
	}
	return "#" + strconv.Itoa(i+1)
}

// embedSite finds where method m enters the interface declared as name: the
// line that embeds the interface m comes from, following embedded interfaces
// declared in the package. It is used for methods declared elsewhere.
func (a *analyzer) embedSite(name string, m *types.Func, depth int) token.Pos {
	ts := a.p.TypeSpec(name)
	if ts == nil {
		return token.NoPos
	}
	it, ok := ts.Type.(*ast.InterfaceType)
	if !ok || depth > 50 {
		return ts.Name.Pos()
	}
	iface, ok := a.p.Types.Scope().Lookup(name).Type().Underlying().(*types.Interface)
	if !ok {
		return ts.Name.Pos()
	}
	k := 0
	for _, fl := range it.Methods.List {
		if len(fl.Names) > 0 {
			continue
		}
		if k >= iface.NumEmbeddeds() {
			break
		}
		et := iface.EmbeddedType(k)
		k++
		ei, ok := et.Underlying().(*types.Interface)
		if !ok || !hasMethod(ei, m) {
			continue
		}
		if n := a.localName(et); n != "" {
			if ts := a.p.TypeSpec(n); ts != nil {
				if _, isIface := ts.Type.(*ast.InterfaceType); isIface {
					return a.embedSite(n, m, depth+1)
				}
			}
		}
		return fl.Type.Pos()
	}
	return ts.Name.Pos()
}

// localName returns the name of t if it is a named type or alias declared in
// the package.
func (a *analyzer) localName(t types.Type) string {
	var obj *types.TypeName
	switch t := t.(type) {
	case *types.Named:
		obj = t.Obj()
	case *types.Alias:
		obj = t.Obj()
	}
	if obj == nil || obj.Pkg() != a.p.Types {
		return ""
	}
	return obj.Name()
}

func hasMethod(it *types.Interface, m *types.Func) bool {
	for i := 0; i < it.NumMethods(); i++ {
		if it.Method(i).Id() == m.Id() {
			return true
		}
	}
	return false
}

// stream checks an iter.Seq2[T, error] (or an iter.Seq, which is refused) and
// returns its element type.
func (a *analyzer) stream(t types.Type, pos token.Pos, method, what string) (*model.Type, bool) {
	named := types.Unalias(t).(*types.Named)
	args := named.TypeArgs()
	if named.Obj().Name() == "Seq" {
		a.errorf(pos, diag.BadStream, "%s: %s is %s; a stream is iter.Seq2[T, error], so that it can fail", method, what, a.typeString(t))
		return nil, false
	}
	if !isError(args.At(1)) {
		a.errorf(pos, diag.BadStream, "%s: %s is %s; a stream's second type must be error", method, what, a.typeString(t))
		return nil, false
	}
	elem := a.wire(args.At(0), pos, method, what+"'s element")
	return elem, elem != nil
}

// isContext reports whether t is context.Context.
func isContext(t types.Type) bool {
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "context" && n.Obj().Name() == "Context"
}

var errorType = types.Universe.Lookup("error").Type()

// isError reports whether t is error.
func isError(t types.Type) bool { return types.Identical(t, errorType) }

// isStreamType reports whether t is iter.Seq or iter.Seq2.
func isStreamType(t types.Type) bool {
	n, ok := types.Unalias(t).(*types.Named)
	if !ok || n.Obj().Pkg() == nil || n.Obj().Pkg().Path() != "iter" {
		return false
	}
	return n.Obj().Name() == "Seq" || n.Obj().Name() == "Seq2"
}
