package golang

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/hubgen/hubgen/internal/model"
)

// targetMethod is a method of hub.Clients that picks connections.
type targetMethod struct {
	name   string
	params []string // base local names; a trailing "ids" or "names" is variadic
	single bool     // returns a hub.Client rather than a hub.Target
	doc    string
}

// targetMethods are hub.Clients' methods, in the order of their names.
var targetMethods = []targetMethod{
	{"All", nil, false, "All is every connection."},
	{"AllExcept", []string{"ids"}, false, "AllExcept is every connection but those with the given ids."},
	{"Caller", []string{"ctx"}, true, "Caller is the connection whose hub method ctx belongs to."},
	{"Client", []string{"id"}, true, "Client is the connection with the given id."},
	{"Clients", []string{"ids"}, false, "Clients are the connections with the given ids."},
	{"Group", []string{"name"}, false, "Group is every connection in a group."},
	{"GroupExcept", []string{"name", "ids"}, false, "GroupExcept is every connection in a group but those with the given ids."},
	{"Groups", []string{"names"}, false, "Groups is every connection in any of the groups, each reached once."},
	{"Others", []string{"ctx"}, false, "Others is every connection but the caller's, whose hub method ctx belongs to."},
	{"OthersInGroup", []string{"ctx", "group"}, false, "OthersInGroup is every connection in a group but the caller's."},
	{"User", []string{"id"}, false, "User is every connection of a user."},
	{"Users", []string{"ids"}, false, "Users is every connection of the given users."},
}

// clients emits the typed hub.Clients and its constructor.
func (e *emitter) clients() {
	it, n, f := e.spec.Client, e.spec.Names, e.f
	c := e.id("c")

	f.Line()
	f.Add(doc("", n.Clients+" reaches a hub's connections through typed "+it.Name+" targets: a\n"+
		n.Target+" for any set of connections, a "+n.Client+" for one."))
	f.Type().Id(n.Clients).Struct(jen.Id("clients").Qual(HubPath, "Clients"))
	f.Line()
	f.Add(doc("", n.NewClients+" returns typed targets over a hub's clients, as hub.Server.Clients\n"+
		"returns them."))
	f.Func().Id(n.NewClients).Params(c.Clone().Qual(HubPath, "Clients")).Id(n.Clients).Block(
		jen.Return(jen.Id(n.Clients).Values(jen.Id("clients").Op(":").Add(c))),
	)
	for _, tm := range targetMethods {
		var params, args []jen.Code
		for i, p := range tm.params {
			id := e.id(p)
			args = append(args, id)
			switch {
			case p == "ctx":
				params = append(params, id.Clone().Qual("context", "Context"))
			case i == len(tm.params)-1 && (p == "ids" || p == "names"):
				params = append(params, id.Clone().Op("...").String())
				args[i] = id.Clone().Op("...")
			default:
				params = append(params, id.Clone().String())
			}
		}
		typ, field := n.Target, "target"
		if tm.single {
			typ, field = n.Client, "client"
		}
		f.Line()
		f.Add(doc("", tm.doc))
		f.Func().Params(c.Clone().Id(n.Clients)).Id(tm.name).Params(params...).Id(typ).Block(
			jen.Return(jen.Id(typ).Values(jen.Id(field).Op(":").Add(c).Dot("clients").Dot(tm.name).Call(args...))),
		)
	}
}

// targets emits the many-connection and the single-client target types.
func (e *emitter) targets() {
	it, n, f := e.spec.Client, e.spec.Names, e.f

	f.Line()
	f.Add(doc("", n.Target+" is a set of connections. It has "+it.Name+"'s methods that return\n"+
		"only an error, which it sends without waiting for the clients; methods with a\n"+
		"result need a single client ("+n.Client+")."))
	f.Type().Id(n.Target).Struct(jen.Id("target").Qual(HubPath, "Target"))
	for i := range it.Methods {
		if m := &it.Methods[i]; m.Kind == model.Send {
			e.targetMethod(n.Target, "t", "target", m)
		}
	}

	f.Line()
	f.Add(doc("", n.Client+" is one connection. It has all of "+it.Name+"'s methods: those that\n"+
		"return only an error are sent without waiting for the client, those with a\n"+
		"result wait for the client's answer."))
	f.Type().Id(n.Client).Struct(jen.Id("client").Qual(HubPath, "Client"))
	f.Line()
	f.Var().Id("_").Id(it.Name).Op("=").Id(n.Client).Values()
	for i := range it.Methods {
		e.targetMethod(n.Client, "c", "client", &it.Methods[i])
	}
}

// targetMethod emits method m on a target type whose receiver is recv and
// whose hub.Target or hub.Client is in field.
func (e *emitter) targetMethod(typ, recv, field string, m *model.Method) {
	rv, ctx, result, err := e.id(recv), e.id("ctx"), e.id("result"), e.id("err")
	names := e.paramNames(m, recv, "ctx", "result", "err")
	var fallback string
	switch {
	case m.Kind == model.Send && field == "target":
		fallback = fmt.Sprintf("%s calls %s on the connections without waiting for them.", m.Name, m.Wire)
	case m.Kind == model.Send:
		fallback = fmt.Sprintf("%s calls %s on the client without waiting for it.", m.Name, m.Wire)
	default:
		fallback = fmt.Sprintf("%s calls %s on the client and waits for its result.", m.Name, m.Wire)
	}
	e.f.Line()
	e.f.Add(doc(m.Doc, fallback))
	e.f.Func().Params(rv.Clone().Id(typ)).Id(m.Name).Add(e.signature(m, names)).BlockFunc(func(g *jen.Group) {
		target := rv.Clone().Dot(field)
		if m.Kind == model.Send {
			g.Return(target.Dot("Send").Call(e.callArgs(ctx, m.Wire, nil, names)...))
			return
		}
		g.Var().Add(result).Add(e.typ(m.Result))
		g.Add(err).Op(":=").Add(target.Dot("Invoke").Call(e.callArgs(ctx, m.Wire, jen.Op("&").Add(result), names)...))
		g.Return(result, err)
	})
}
