package golang

import (
	"fmt"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/hubgen/hubgen/internal/model"
)

// stub emits the client stub: the server interface implemented by invoking
// the server over a client connection.
func (e *emitter) stub() {
	it, n, f := e.spec.Server, e.spec.Names, e.f
	c, conn, ctx, result, err := e.id("c"), e.id("conn"), e.id("ctx"), e.id("result"), e.id("err")

	f.Line()
	f.Add(doc("", n.Stub+" is a "+it.Name+" that calls a hub's methods over a client connection."))
	f.Type().Id(n.Stub).Struct(jen.Id("conn").Op("*").Qual(ClientPath, "Conn"))
	f.Line()
	f.Var().Id("_").Id(it.Name).Op("=").Parens(jen.Op("*").Id(n.Stub)).Parens(jen.Nil())
	f.Line()
	f.Add(doc("", n.NewStub+" returns a "+it.Name+" whose methods invoke the hub's over conn."))
	f.Func().Id(n.NewStub).Params(conn.Clone().Op("*").Qual(ClientPath, "Conn")).Op("*").Id(n.Stub).Block(
		jen.Return(jen.Op("&").Id(n.Stub).Values(jen.Id("conn").Op(":").Add(conn))),
	)
	for i := range it.Methods {
		m := &it.Methods[i]
		names := e.paramNames(m, "c", "ctx", "result", "err")
		f.Line()
		f.Add(doc(m.Doc, stubDoc(m, names)))
		f.Func().Params(c.Clone().Op("*").Id(n.Stub)).Id(m.Name).Add(e.signature(m, names)).BlockFunc(func(g *jen.Group) {
			args := stubArgs(m, names)
			if m.Kind == model.ServerStream {
				// The hub's error, whenever it comes, ends the stream; a
				// stub of a method that returns an error besides never
				// fails before the stream starts.
				stream := jen.Qual(ClientPath, "StreamOf").Types(e.typ(m.Stream)).Call(append([]jen.Code{ctx, c.Clone().Dot("conn"), jen.Lit(m.Wire)}, args...)...)
				if m.StreamErr {
					g.Return(stream, jen.Nil())
				} else {
					g.Return(stream)
				}
				return
			}
			invoke := c.Clone().Dot("conn").Dot("Invoke")
			if m.Void() {
				g.Return(invoke.Call(append([]jen.Code{ctx, jen.Lit(m.Wire), jen.Nil()}, args...)...))
				return
			}
			g.Var().Add(result).Add(e.typ(m.Result))
			g.Add(err).Op(":=").Add(invoke.Call(append([]jen.Code{ctx, jen.Lit(m.Wire), jen.Op("&").Add(result)}, args...)...))
			g.Return(result, err)
		})
	}
}

// stubDoc is the doc comment of a stub method whose contract method has none;
// names are the stub's parameter names.
func stubDoc(m *model.Method, names []string) string {
	if m.StreamErr {
		plain := *m
		plain.StreamErr = false
		return stubDoc(&plain, names) +
			"\nThe error is always nil: the hub's, even before the first item, ends the stream."
	}
	switch {
	case m.Kind == model.ServerStream && uploads(m) > 0:
		return fmt.Sprintf("%s calls %s on the hub, uploading %s, and returns the hub's stream.\n"+
			"Breaking out of the loop over it, or ending ctx, cancels the stream.", m.Name, m.Wire, uploadNames(m, names))
	case m.Kind == model.ServerStream:
		return fmt.Sprintf("%s calls %s on the hub and returns the hub's stream.\n"+
			"Breaking out of the loop over it, or ending ctx, cancels the stream.", m.Name, m.Wire)
	case uploads(m) > 0:
		return fmt.Sprintf("%s invokes %s on the hub, uploading %s, and waits for it to complete.", m.Name, m.Wire, uploadNames(m, names))
	}
	return fmt.Sprintf("%s invokes %s on the hub and waits for it to complete.", m.Name, m.Wire)
}

// uploads returns the number of m's upload parameters.
func uploads(m *model.Method) int {
	n := 0
	for _, p := range m.Params {
		if p.Stream {
			n++
		}
	}
	return n
}

// uploadNames lists m's upload parameters, named as in names.
func uploadNames(m *model.Method, names []string) string {
	var out []string
	for i, p := range m.Params {
		if p.Stream {
			out = append(out, names[i])
		}
	}
	if len(out) == 1 {
		return out[0]
	}
	return strings.Join(out[:len(out)-1], ", ") + " and " + out[len(out)-1]
}

// stubArgs returns the arguments of a stub's call after the wire name: the
// parameters in their order, uploads wrapped by client.UploadOf.
func stubArgs(m *model.Method, names []string) []jen.Code {
	out := make([]jen.Code, len(names))
	for i, n := range names {
		if m.Params[i].Stream {
			out[i] = jen.Qual(ClientPath, "UploadOf").Call(jen.Id(n))
		} else {
			out[i] = jen.Id(n)
		}
	}
	return out
}

// signature renders m's parameters (ctx first) and results.
func (e *emitter) signature(m *model.Method, names []string) *jen.Statement {
	params := []jen.Code{e.id("ctx").Qual("context", "Context")}
	for i, p := range m.Params {
		typ := e.typ(p.Type)
		if p.Stream {
			typ = seq(typ)
		}
		params = append(params, jen.Id(names[i]).Add(typ))
	}
	s := jen.Params(params...)
	switch {
	case m.Stream != nil && m.StreamErr:
		return s.Params(seq(e.typ(m.Stream)), jen.Error())
	case m.Stream != nil:
		return s.Add(seq(e.typ(m.Stream)))
	case m.Result == nil:
		return s.Error()
	}
	return s.Params(e.typ(m.Result), jen.Error())
}

// seq renders iter.Seq2[elem, error].
func seq(elem jen.Code) *jen.Statement {
	return jen.Qual("iter", "Seq2").Types(elem, jen.Error())
}

// callArgs returns ctx, the wire name, an optional result pointer and the
// parameters, as Invoke and Send take them.
func (e *emitter) callArgs(ctx jen.Code, wire string, result jen.Code, names []string) []jen.Code {
	out := []jen.Code{ctx, jen.Lit(wire)}
	if result != nil {
		out = append(out, result)
	}
	for _, n := range names {
		out = append(out, jen.Id(n))
	}
	return out
}

// handlers emits the receiver's handlers: the client interface's methods as
// client.Handlers keyed by wire name, the value of client.Options.Handlers.
func (e *emitter) handlers() {
	it, n, f := e.spec.Client, e.spec.Names, e.f
	impl, ctx, args, cnt := e.id("impl"), e.id("ctx"), e.id("args"), e.id("n")
	handlerMap := func() *jen.Statement { return jen.Map(jen.String()).Qual(ClientPath, "Handler") }

	f.Line()
	f.Add(doc("", n.Handlers+" returns impl's methods as the handlers of a client connection, keyed by\n"+
		"wire name, for client.Options.Handlers: client.Dial registers them before the\n"+
		"connection opens, so that no call the hub makes right after the handshake is\n"+
		"missed. Each call's arguments are decoded into their Go types; a call with the\n"+
		"wrong number of arguments fails without reaching impl. A method with a result\n"+
		"answers the hub with it."))
	f.Func().Id(n.Handlers).Params(impl.Clone().Id(it.Name)).Add(handlerMap()).Block(
		jen.Return(handlerMap().ValuesFunc(func(g *jen.Group) {
			for i := range it.Methods {
				m := &it.Methods[i]
				g.Line().Lit(m.Wire).Op(":").Func().Params(ctx.Clone().Qual("context", "Context"), args.Clone().Qual(ClientPath, "Args")).Params(jen.Any(), jen.Error()).BlockFunc(func(g *jen.Group) {
					g.If(cnt.Clone().Op(":=").Add(args).Dot("Len").Call(), cnt.Clone().Op("!=").Lit(len(m.Params))).Block(
						jen.Return(jen.Nil(), jen.Qual("fmt", "Errorf").Call(jen.Lit(m.Wire+" takes "+plural(len(m.Params), "argument")+", not %d"), cnt)),
					)
					call := impl.Clone().Dot(m.Name).Call(append([]jen.Code{ctx}, e.decode(g, m, args)...)...)
					if m.Void() {
						g.Return(jen.Nil(), call)
					} else {
						g.Return(call)
					}
				})
			}
			g.Line()
		})),
	)
}

// register emits the receiver registration: the receiver's handlers
// registered on a client connection that is already open.
func (e *emitter) register() {
	it, n, f := e.spec.Client, e.spec.Names, e.f
	conn, impl, remove, removes, r, name, h := e.id("conn"), e.id("impl"), e.id("remove"), e.id("removes"), e.id("r"), e.id("name"), e.id("h")

	f.Line()
	f.Add(doc("", n.Register+" routes the hub's calls of "+it.Name+"'s methods on conn to impl, as\n"+
		n.Handlers+" does, until remove is called. A call that arrives before\n"+
		n.Register+" is called finds no handler: to miss none, give "+n.Handlers+"(impl)\n"+
		"to client.Dial in client.Options.Handlers instead."))
	f.Func().Id(n.Register).Params(conn.Clone().Op("*").Qual(ClientPath, "Conn"), impl.Clone().Id(it.Name)).Params(remove.Clone().Func().Params()).Block(
		jen.Var().Add(removes).Index().Func().Params(),
		jen.For(jen.List(name, h).Op(":=").Range().Id(n.Handlers).Call(impl)).Block(
			removes.Clone().Op("=").Append(removes, conn.Clone().Dot("On").Call(name, h)),
		),
		jen.Return(jen.Func().Params().Block(
			jen.For(jen.List(jen.Id("_"), r).Op(":=").Range().Add(removes)).Block(r.Clone().Call()),
		)),
	)
}
