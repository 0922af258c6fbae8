package hub

import (
	"context"
	"errors"
	"fmt"

	"github.com/hubgen/hubgen/runtime/protocol"
)

// LifetimeManager keeps track of a hub's connections, groups and users, and
// delivers messages to them. The in-memory manager serves one server; a
// backplane (such as Redis) implements the same interface to reach the
// connections of every server.
type LifetimeManager interface {
	// OnConnected registers a connection that completed its handshake.
	OnConnected(ctx context.Context, c *Conn) error
	// OnDisconnected forgets a connection and its group memberships.
	OnDisconnected(ctx context.Context, c *Conn) error

	// SendAll delivers m to every connection except those with the given ids.
	SendAll(ctx context.Context, m *Message, except []string) error
	// SendConnections delivers m to the connections with the given ids.
	SendConnections(ctx context.Context, ids []string, m *Message) error
	// SendGroups delivers m once to each connection in any of the groups,
	// except those with the given ids.
	SendGroups(ctx context.Context, groups []string, m *Message, except []string) error
	// SendUsers delivers m to every connection of the given users.
	SendUsers(ctx context.Context, users []string, m *Message) error

	// InvokeConnection calls method on one connection and waits for its result,
	// which it decodes into result (nil to ignore it): a client result.
	InvokeConnection(ctx context.Context, connID, method string, args []any, result any) error

	// AddToGroup adds a connection to a group.
	AddToGroup(ctx context.Context, connID, group string) error
	// RemoveFromGroup removes a connection from a group.
	RemoveFromGroup(ctx context.Context, connID, group string) error
}

// ProtocolUser is a LifetimeManager that needs the hub's protocols, such as a
// backplane that encodes each message once per protocol for the servers that
// receive it. New calls UseProtocols once, before the hub accepts connections,
// with Options.Protocols (the default ones when that is empty).
type ProtocolUser interface {
	UseProtocols(protocols []protocol.Protocol)
}

// ErrNoConnection is returned when a group change names an unknown connection.
var ErrNoConnection = errors.New("hub: no connection with that id")

// MemoryLifetime is the LifetimeManager for a single server: a Store.
type MemoryLifetime struct {
	store *Store
}

// NewMemoryLifetime returns an empty in-memory lifetime manager.
func NewMemoryLifetime() *MemoryLifetime {
	return &MemoryLifetime{store: NewStore(StoreHooks{})}
}

// OnConnected registers c.
func (l *MemoryLifetime) OnConnected(_ context.Context, c *Conn) error {
	l.store.Add(c)
	return nil
}

// OnDisconnected forgets c, its groups and its user.
func (l *MemoryLifetime) OnDisconnected(_ context.Context, c *Conn) error {
	l.store.Remove(c)
	return nil
}

// SendAll delivers m to every connection but the excepted.
func (l *MemoryLifetime) SendAll(_ context.Context, m *Message, except []string) error {
	return l.store.SendAll(m, except)
}

// SendConnections delivers m to the connections with the given ids; unknown
// ids are skipped.
func (l *MemoryLifetime) SendConnections(_ context.Context, ids []string, m *Message) error {
	_, err := l.store.SendConnections(ids, m)
	return err
}

// SendGroups delivers m once to each member of the groups but the excepted.
func (l *MemoryLifetime) SendGroups(_ context.Context, groups []string, m *Message, except []string) error {
	return l.store.SendGroups(groups, m, except, nil)
}

// SendUsers delivers m to every connection of the users.
func (l *MemoryLifetime) SendUsers(_ context.Context, users []string, m *Message) error {
	return l.store.SendUsers(users, m)
}

// InvokeConnection calls method on a local connection and waits for its result.
func (l *MemoryLifetime) InvokeConnection(ctx context.Context, connID, method string, args []any, result any) error {
	c := l.store.Conn(connID)
	if c == nil {
		return fmt.Errorf("%w: '%s'", ErrNoConnection, connID)
	}
	return c.Invoke(ctx, method, result, args...)
}

// AddToGroup adds the connection to the group.
func (l *MemoryLifetime) AddToGroup(_ context.Context, connID, group string) error {
	if !l.store.Join(connID, group) {
		return ErrNoConnection
	}
	return nil
}

// RemoveFromGroup removes the connection from the group.
func (l *MemoryLifetime) RemoveFromGroup(_ context.Context, connID, group string) error {
	if !l.store.Leave(connID, group) {
		return ErrNoConnection
	}
	return nil
}

// Len returns the number of connections, groups and users it holds.
func (l *MemoryLifetime) Len() (conns, groups, users int) { return l.store.Len() }
