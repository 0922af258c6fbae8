package golang

import (
	"github.com/dave/jennifer/jen"

	"github.com/hubgen/hubgen/internal/model"
)

// server emits the server type, its constructor and the dispatch table.
func (e *emitter) server() {
	it, n, f := e.spec.Server, e.spec.Names, e.f
	clientsType := jen.Qual(HubPath, "Clients")
	clientsDoc := "Clients sends to the hub's connections."
	if e.spec.Client != nil {
		clientsType = jen.Id(n.Clients)
		clientsDoc = "Clients sends " + e.spec.Client.Name + "'s methods to the hub's connections."
	}

	f.Add(doc("", n.Server+" is the http.Handler of a hub whose clients call "+it.Name+"'s methods:\n"+
		"mount it (srv.Mount(mux, path)), and reach the connections through Clients,\n"+
		"from hub methods and from anywhere else."))
	f.Type().Id(n.Server).Struct(
		jen.Op("*").Qual(HubPath, "Server"),
		doc("", clientsDoc),
		jen.Id("Clients").Add(clientsType),
		doc("", "Groups adds connections to groups and removes them."),
		jen.Id("Groups").Qual(HubPath, "Groups"),
	)

	impl, opts, h, prev, ctx, conn, err, srv := e.id("impl"), e.id("opts"), e.id("h"), e.id("prev"), e.id("ctx"), e.id("conn"), e.id("err"), e.id("srv")
	ctxType := jen.Qual("context", "Context")
	f.Line()
	f.Add(doc("", n.NewServer+" returns the server of a hub whose clients call impl's methods.\n\n"+
		"If impl also has a method OnConnected(ctx context.Context) error, it runs when a\n"+
		"connection has opened, and an error closes the connection; a method\n"+
		"OnDisconnected(ctx context.Context, err error) runs when one has closed. Both run\n"+
		"after the hooks in opts, with the connection's ctx, in which Clients.Caller(ctx)\n"+
		"is the connection."))
	f.Func().Id(n.NewServer).Params(impl.Clone().Id(it.Name), opts.Clone().Qual(HubPath, "Options")).Op("*").Id(n.Server).Block(
		jen.If(
			jen.List(h, e.id("ok")).Op(":=").Add(impl).Assert(jen.Interface(jen.Id("OnConnected").Params(ctxType).Error())),
			e.id("ok"),
		).Block(
			prev.Clone().Op(":=").Add(opts).Dot("OnConnected"),
			opts.Clone().Dot("OnConnected").Op("=").Func().Params(ctx.Clone().Add(ctxType), conn.Clone().Op("*").Qual(HubPath, "Conn")).Error().Block(
				jen.If(prev.Clone().Op("!=").Nil()).Block(
					jen.If(err.Clone().Op(":=").Add(prev).Call(ctx, conn), err.Clone().Op("!=").Nil()).Block(jen.Return(err)),
				),
				jen.Return(h.Clone().Dot("OnConnected").Call(ctx)),
			),
		),
		jen.If(
			jen.List(h, e.id("ok")).Op(":=").Add(impl).Assert(jen.Interface(jen.Id("OnDisconnected").Params(ctxType, jen.Error()))),
			e.id("ok"),
		).Block(
			prev.Clone().Op(":=").Add(opts).Dot("OnDisconnected"),
			opts.Clone().Dot("OnDisconnected").Op("=").Func().Params(ctx.Clone().Add(ctxType), conn.Clone().Op("*").Qual(HubPath, "Conn"), err.Clone().Error()).Block(
				jen.If(prev.Clone().Op("!=").Nil()).Block(prev.Clone().Call(ctx, conn, err)),
				h.Clone().Dot("OnDisconnected").Call(ctx, err),
			),
		),
		srv.Clone().Op(":=").Qual(HubPath, "New").Call(jen.Id(n.Methods).Call(impl), opts),
		jen.Return(jen.Op("&").Id(n.Server).Add(fields(
			"Server", srv,
			"Clients", e.wrapClients(srv.Clone().Dot("Clients").Call()),
			"Groups", srv.Clone().Dot("Groups").Call(),
		))),
	)

	f.Line()
	f.Add(doc("", n.Methods+" returns the dispatch table of "+it.Name+" for hub.New: one\n"+
		"hub.Method per method, which decodes the call's arguments into their Go types\n"+
		"and calls impl's method. "+n.NewServer+" uses it."))
	f.Func().Id(n.Methods).Params(impl.Clone().Id(it.Name)).Index().Qual(HubPath, "Method").Block(
		jen.Return(jen.Index().Qual(HubPath, "Method").ValuesFunc(func(g *jen.Group) {
			for i := range it.Methods {
				g.Add(e.method(&it.Methods[i]))
			}
		})),
	)
}

// wrapClients returns the value of the server type's Clients field.
func (e *emitter) wrapClients(c *jen.Statement) jen.Code {
	if e.spec.Client == nil {
		return c
	}
	return jen.Id(e.spec.Names.NewClients).Call(c)
}

// method emits the hub.Method of m: a Call, or a Stream for a method that
// returns a stream, whose error, if the method returns one besides the
// stream, fails the invocation. Args counts only the parameters that are not uploads, as
// the protocol leaves uploads out of an invocation's arguments; Uploads counts
// the others.
func (e *emitter) method(m *model.Method) jen.Code {
	ctx, args, impl := e.id("ctx"), e.id("args"), e.id("impl")
	kv := []any{"Name", jen.Lit(m.Wire)}
	if n := len(m.Params) - uploads(m); n > 0 {
		kv = append(kv, "Args", jen.Lit(n))
	}
	if m.Void() {
		kv = append(kv, "Void", jen.True())
	}
	if n := uploads(m); n > 0 {
		kv = append(kv, "Uploads", jen.Lit(n))
	}
	params := jen.Params(ctx.Clone().Qual("context", "Context"), args.Clone().Qual(HubPath, "Args"))
	if m.Kind == model.ServerStream {
		stream := jen.Func().Add(params).Params(seq(jen.Any()), jen.Error()).BlockFunc(func(g *jen.Group) {
			call := impl.Clone().Dot(m.Name).Call(append([]jen.Code{ctx}, e.decode(g, m, args)...)...)
			if !m.StreamErr {
				g.Return(jen.Qual(HubPath, "StreamOf").Call(call), jen.Nil())
				return
			}
			// The method's error fails the invocation before the stream
			// starts.
			result, err := e.id("result"), e.id("err")
			g.List(result, err).Op(":=").Add(call)
			g.If(err.Clone().Op("!=").Nil()).Block(jen.Return(jen.Nil(), err))
			g.Return(jen.Qual(HubPath, "StreamOf").Call(result), jen.Nil())
		})
		return fields(append(kv, "Stream", stream)...)
	}
	call := jen.Func().Add(params).Params(jen.Any(), jen.Error()).BlockFunc(func(g *jen.Group) {
		call := impl.Clone().Dot(m.Name).Call(append([]jen.Code{ctx}, e.decode(g, m, args)...)...)
		if m.Void() {
			g.Return(jen.Nil(), call)
		} else {
			g.Return(call)
		}
	})
	return fields(append(kv, "Call", call)...)
}

// decode emits the decoding of m's arguments from args into locals, and
// returns what to pass for each parameter: the local, or for an upload the
// sequence hub.Upload reads. Arguments and uploads are numbered apart, each
// in the order of the parameters.
func (e *emitter) decode(g *jen.Group, m *model.Method, args *jen.Statement) []jen.Code {
	err := e.id("err")
	var out []jen.Code
	arg, upload := 0, 0
	for _, p := range m.Params {
		if p.Stream {
			out = append(out, jen.Qual(HubPath, "Upload").Types(e.typ(p.Type)).Call(args, jen.Lit(upload)))
			upload++
			continue
		}
		a := jen.Id(e.arg(arg))
		g.Var().Add(a).Add(e.typ(p.Type))
		g.If(err.Clone().Op(":=").Add(args).Dot("Decode").Call(jen.Lit(arg), jen.Op("&").Add(a)), err.Clone().Op("!=").Nil()).Block(
			jen.Return(jen.Nil(), err),
		)
		out = append(out, a)
		arg++
	}
	return out
}
