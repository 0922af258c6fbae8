package hub

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"

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

// MemoryLifetime is the LifetimeManager for a single server.
type MemoryLifetime struct {
	mu       sync.RWMutex
	conns    map[string]*Conn
	groups   map[string]map[*Conn]struct{}
	users    map[string]map[*Conn]struct{}
	memberOf map[*Conn]map[string]struct{}
}

// NewMemoryLifetime returns an empty in-memory lifetime manager.
func NewMemoryLifetime() *MemoryLifetime {
	return &MemoryLifetime{
		conns:    make(map[string]*Conn),
		groups:   make(map[string]map[*Conn]struct{}),
		users:    make(map[string]map[*Conn]struct{}),
		memberOf: make(map[*Conn]map[string]struct{}),
	}
}

// OnConnected registers c.
func (l *MemoryLifetime) OnConnected(_ context.Context, c *Conn) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.conns[c.ID()] = c
	if u := c.UserID(); u != "" {
		add(l.users, u, c)
	}
	return nil
}

// OnDisconnected forgets c, its groups and its user.
func (l *MemoryLifetime) OnDisconnected(_ context.Context, c *Conn) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.conns, c.ID())
	for g := range l.memberOf[c] {
		remove(l.groups, g, c)
	}
	delete(l.memberOf, c)
	if u := c.UserID(); u != "" {
		remove(l.users, u, c)
	}
	return nil
}

func add(sets map[string]map[*Conn]struct{}, key string, c *Conn) {
	set := sets[key]
	if set == nil {
		set = make(map[*Conn]struct{})
		sets[key] = set
	}
	set[c] = struct{}{}
}

func remove(sets map[string]map[*Conn]struct{}, key string, c *Conn) {
	if set := sets[key]; set != nil {
		delete(set, c)
		if len(set) == 0 {
			delete(sets, key)
		}
	}
}

// SendAll delivers m to every connection but the excepted.
func (l *MemoryLifetime) SendAll(_ context.Context, m *Message, except []string) error {
	to := getTargets()
	l.mu.RLock()
	for id, c := range l.conns {
		if !contains(except, id) {
			to.conns = append(to.conns, c)
		}
	}
	l.mu.RUnlock()
	return to.send(m)
}

// SendConnections delivers m to the connections with the given ids; unknown
// ids are skipped.
func (l *MemoryLifetime) SendConnections(_ context.Context, ids []string, m *Message) error {
	to := getTargets()
	l.mu.RLock()
	for i, id := range ids {
		if c := l.conns[id]; c != nil && !contains(ids[:i], id) {
			to.conns = append(to.conns, c)
		}
	}
	l.mu.RUnlock()
	return to.send(m)
}

// SendGroups delivers m once to each member of the groups but the excepted.
func (l *MemoryLifetime) SendGroups(_ context.Context, groups []string, m *Message, except []string) error {
	to := getTargets()
	l.mu.RLock()
	to.collect(l.groups, groups, except)
	l.mu.RUnlock()
	return to.send(m)
}

// SendUsers delivers m to every connection of the users.
func (l *MemoryLifetime) SendUsers(_ context.Context, users []string, m *Message) error {
	to := getTargets()
	l.mu.RLock()
	to.collect(l.users, users, nil)
	l.mu.RUnlock()
	return to.send(m)
}

// targets are the connections a message goes to, collected under the
// manager's lock and sent to after it: encoding runs user code, which must not
// hold the lock.
type targets struct {
	conns []*Conn
	seen  map[*Conn]struct{} // when sets can overlap
}

var targetPool = sync.Pool{New: func() any { return new(targets) }}

func getTargets() *targets { return targetPool.Get().(*targets) }

// collect adds the union of some sets, but the excepted; the caller holds the
// manager's lock.
func (to *targets) collect(sets map[string]map[*Conn]struct{}, keys []string, except []string) {
	for _, k := range keys {
		for c := range sets[k] {
			if contains(except, c.ID()) {
				continue
			}
			if len(keys) > 1 {
				if to.seen == nil {
					to.seen = make(map[*Conn]struct{})
				}
				if _, dup := to.seen[c]; dup {
					continue
				}
				to.seen[c] = struct{}{}
			}
			to.conns = append(to.conns, c)
		}
	}
}

// send delivers m to the targets and returns them to the pool.
func (to *targets) send(m *Message) error {
	var first error
	for _, c := range to.conns {
		first = cmp.Or(first, c.Send(m))
	}
	clear(to.conns)
	to.conns = to.conns[:0]
	clear(to.seen)
	targetPool.Put(to)
	return first
}

// InvokeConnection calls method on a local connection and waits for its result.
func (l *MemoryLifetime) InvokeConnection(ctx context.Context, connID, method string, args []any, result any) error {
	l.mu.RLock()
	c := l.conns[connID]
	l.mu.RUnlock()
	if c == nil {
		return fmt.Errorf("%w: '%s'", ErrNoConnection, connID)
	}
	return c.Invoke(ctx, method, result, args...)
}

// AddToGroup adds the connection to the group.
func (l *MemoryLifetime) AddToGroup(_ context.Context, connID, group string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.conns[connID]
	if c == nil {
		return ErrNoConnection
	}
	add(l.groups, group, c)
	if l.memberOf[c] == nil {
		l.memberOf[c] = make(map[string]struct{})
	}
	l.memberOf[c][group] = struct{}{}
	return nil
}

// RemoveFromGroup removes the connection from the group.
func (l *MemoryLifetime) RemoveFromGroup(_ context.Context, connID, group string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.conns[connID]
	if c == nil {
		return ErrNoConnection
	}
	remove(l.groups, group, c)
	delete(l.memberOf[c], group)
	return nil
}

// Len returns the number of connections, groups and users it holds.
func (l *MemoryLifetime) Len() (conns, groups, users int) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return len(l.conns), len(l.groups), len(l.users)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
