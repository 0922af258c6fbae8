package hub

import (
	"context"
	"errors"
)

// Clients reaches a hub's connections from anywhere: a hub method, a background
// worker, an HTTP handler. It is the hub context of ASP.NET Core; generated code
// wraps it in typed targets.
type Clients struct {
	lm LifetimeManager
}

// Client is a target of exactly one connection: besides sending to it, a hub can
// invoke a method on it and wait for its result.
type Client struct {
	Target
}

// Target is a set of connections to send to.
type Target struct {
	lm     LifetimeManager
	kind   targetKind
	keys   []string // connection ids, groups or users, by kind
	except []string // connection ids left out
	err    error    // why the target cannot be used
}

type targetKind int

const (
	toAll targetKind = iota
	toConnections
	toGroups
	toUsers
)

// All is every connection.
func (c Clients) All() Target { return Target{lm: c.lm, kind: toAll} }

// AllExcept is every connection but those with the given ids.
func (c Clients) AllExcept(ids ...string) Target {
	return Target{lm: c.lm, kind: toAll, except: ids}
}

// Client is the connection with the given id.
func (c Clients) Client(id string) Client {
	return Client{Target{lm: c.lm, kind: toConnections, keys: []string{id}}}
}

// Clients are the connections with the given ids.
func (c Clients) Clients(ids ...string) Target {
	return Target{lm: c.lm, kind: toConnections, keys: ids}
}

// Group is every connection in a group.
func (c Clients) Group(name string) Target {
	return Target{lm: c.lm, kind: toGroups, keys: []string{name}}
}

// Groups is every connection in any of the groups, each reached once.
func (c Clients) Groups(names ...string) Target {
	return Target{lm: c.lm, kind: toGroups, keys: names}
}

// GroupExcept is every connection in a group but those with the given ids.
func (c Clients) GroupExcept(name string, ids ...string) Target {
	return Target{lm: c.lm, kind: toGroups, keys: []string{name}, except: ids}
}

// User is every connection of a user.
func (c Clients) User(id string) Target {
	return Target{lm: c.lm, kind: toUsers, keys: []string{id}}
}

// Users is every connection of the given users.
func (c Clients) Users(ids ...string) Target {
	return Target{lm: c.lm, kind: toUsers, keys: ids}
}

// ErrNoCaller is the error of a Caller, Others or OthersInGroup target used
// outside a hub method, where there is no calling connection.
var ErrNoCaller = errors.New("hub: no calling connection: Caller, Others and OthersInGroup need the ctx of a hub method")

// Caller is the connection whose hub method ctx belongs to.
func (c Clients) Caller(ctx context.Context) Client {
	conn := ConnFromContext(ctx)
	if conn == nil {
		return Client{Target{err: ErrNoCaller}}
	}
	return c.Client(conn.id)
}

// Others is every connection but the caller's.
func (c Clients) Others(ctx context.Context) Target {
	conn := ConnFromContext(ctx)
	if conn == nil {
		return Target{err: ErrNoCaller}
	}
	return c.AllExcept(conn.id)
}

// OthersInGroup is every connection in a group but the caller's.
func (c Clients) OthersInGroup(ctx context.Context, group string) Target {
	conn := ConnFromContext(ctx)
	if conn == nil {
		return Target{err: ErrNoCaller}
	}
	return c.GroupExcept(group, conn.id)
}

// Send calls method on the target's clients with args, without waiting for
// them. It returns once the message is queued for every local connection; an
// error means it could not be encoded or handed to the lifetime manager.
func (t Target) Send(ctx context.Context, method string, args ...any) error {
	if t.err != nil {
		return t.err
	}
	return t.SendMessage(ctx, NewInvocation(method, args...))
}

// SendMessage delivers a message to the target's clients.
func (t Target) SendMessage(ctx context.Context, m *Message) error {
	if t.err != nil {
		return t.err
	}
	switch t.kind {
	case toConnections:
		return t.lm.SendConnections(ctx, t.keys, m)
	case toGroups:
		return t.lm.SendGroups(ctx, t.keys, m, t.except)
	case toUsers:
		return t.lm.SendUsers(ctx, t.keys, m)
	}
	return t.lm.SendAll(ctx, m, t.except)
}

// Invoke calls method on the client and waits for the value its handler
// returns, which it decodes into result (nil to ignore it). ctx bounds the wait.
// A client that answers with an error, or has no handler ("Client didn't
// provide a result."), yields an *Error with the client's text; a connection
// that closes first yields an error that names it.
//
// Invoking the caller of a running hub method needs MaxParallelInvocations of
// at least 2: with one, the caller's invocations run one at a time and its
// answer could never be read.
func (c Client) Invoke(ctx context.Context, method string, result any, args ...any) error {
	if c.err != nil {
		return c.err
	}
	return c.lm.InvokeConnection(ctx, c.keys[0], method, args, result)
}

// Groups adds connections to groups and removes them.
type Groups struct {
	lm LifetimeManager
}

// Add adds the connection to the group.
func (g Groups) Add(ctx context.Context, connID, group string) error {
	return g.lm.AddToGroup(ctx, connID, group)
}

// Remove removes the connection from the group.
func (g Groups) Remove(ctx context.Context, connID, group string) error {
	return g.lm.RemoveFromGroup(ctx, connID, group)
}
