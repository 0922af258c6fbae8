package hub

import (
	"cmp"
	"slices"
	"sync"
)

// Store holds one server's connections, by id, group and user, and delivers
// messages to sets of them. MemoryLifetime is a Store; a backplane keeps its
// server's connections in one, and learns from StoreHooks when it must start
// or stop listening for a group or a user.
//
// A Store never runs user code under its lock: it collects the connections a
// message goes to under a read lock and sends to them after.
type Store struct {
	hooks    StoreHooks
	mu       sync.RWMutex
	conns    map[string]*Conn
	groups   map[string]map[*Conn]struct{}
	users    map[string]map[*Conn]struct{}
	memberOf map[*Conn]map[string]struct{}
}

// StoreHooks are told when a group or a user gets its first connection in a
// Store, and when it loses its last. They run under the Store's lock, in the
// order of the changes, so they must be quick, must not block and must not
// call the Store. Any of them may be nil.
type StoreHooks struct {
	FirstInGroup, LastInGroup func(group string)
	FirstOfUser, LastOfUser   func(user string)
}

// NewStore returns an empty Store.
func NewStore(hooks StoreHooks) *Store {
	return &Store{
		hooks:    hooks,
		conns:    make(map[string]*Conn),
		groups:   make(map[string]map[*Conn]struct{}),
		users:    make(map[string]map[*Conn]struct{}),
		memberOf: make(map[*Conn]map[string]struct{}),
	}
}

// Add registers c, and its user.
func (s *Store) Add(c *Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conns[c.ID()] = c
	if u := c.UserID(); u != "" {
		addTo(s.users, u, c, s.hooks.FirstOfUser)
	}
}

// Remove forgets c, its groups and its user. It reports false, and does
// nothing, when c is not the Store's connection of its id.
func (s *Store) Remove(c *Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conns[c.ID()] != c {
		return false
	}
	delete(s.conns, c.ID())
	for g := range s.memberOf[c] {
		removeFrom(s.groups, g, c, s.hooks.LastInGroup)
	}
	delete(s.memberOf, c)
	if u := c.UserID(); u != "" {
		removeFrom(s.users, u, c, s.hooks.LastOfUser)
	}
	return true
}

// Join adds the connection with the given id to a group. It reports whether
// the Store has the connection.
func (s *Store) Join(connID, group string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.conns[connID]
	if c == nil {
		return false
	}
	if s.memberOf[c] == nil {
		s.memberOf[c] = make(map[string]struct{})
	}
	s.memberOf[c][group] = struct{}{}
	addTo(s.groups, group, c, s.hooks.FirstInGroup)
	return true
}

// Leave removes the connection with the given id from a group. It reports
// whether the Store has the connection.
func (s *Store) Leave(connID, group string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.conns[connID]
	if c == nil {
		return false
	}
	if _, in := s.memberOf[c][group]; in {
		delete(s.memberOf[c], group)
		removeFrom(s.groups, group, c, s.hooks.LastInGroup)
	}
	return true
}

func addTo(sets map[string]map[*Conn]struct{}, key string, c *Conn, first func(string)) {
	set := sets[key]
	if set == nil {
		set = make(map[*Conn]struct{})
		sets[key] = set
		if first != nil {
			first(key)
		}
	}
	set[c] = struct{}{}
}

func removeFrom(sets map[string]map[*Conn]struct{}, key string, c *Conn, last func(string)) {
	set := sets[key]
	if _, in := set[c]; !in {
		return
	}
	delete(set, c)
	if len(set) == 0 {
		delete(sets, key)
		if last != nil {
			last(key)
		}
	}
}

// Conn returns the connection with the given id, or nil.
func (s *Store) Conn(id string) *Conn {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.conns[id]
}

// SendAll delivers m to every connection but those with the given ids. It
// returns the first error of a connection's Send.
func (s *Store) SendAll(m *Message, except []string) error {
	to := getTargets()
	s.mu.RLock()
	for id, c := range s.conns {
		if !slices.Contains(except, id) {
			to.conns = append(to.conns, c)
		}
	}
	s.mu.RUnlock()
	return to.send(m)
}

// SendConnections delivers m once to each connection with one of the ids, and
// returns the ids, each once, that the Store does not have.
func (s *Store) SendConnections(ids []string, m *Message) (missing []string, err error) {
	to := getTargets()
	s.mu.RLock()
	for i, id := range ids {
		if slices.Contains(ids[:i], id) {
			continue
		}
		if c := s.conns[id]; c != nil {
			to.conns = append(to.conns, c)
		} else {
			missing = append(missing, id)
		}
	}
	s.mu.RUnlock()
	return missing, to.send(m)
}

// SendGroups delivers m once to each connection in any of the groups, but
// those with the excepted ids and the members of the skipped groups.
func (s *Store) SendGroups(groups []string, m *Message, except, skip []string) error {
	to := getTargets()
	s.mu.RLock()
	to.collect(s.groups, groups, except, skip)
	s.mu.RUnlock()
	return to.send(m)
}

// SendUsers delivers m once to each connection of any of the users.
func (s *Store) SendUsers(users []string, m *Message) error {
	to := getTargets()
	s.mu.RLock()
	to.collect(s.users, users, nil, nil)
	s.mu.RUnlock()
	return to.send(m)
}

// targets are the connections a message goes to, collected under the
// Store's lock and sent to after it: encoding runs user code, which must not
// hold the lock.
type targets struct {
	conns []*Conn
	seen  map[*Conn]struct{} // when sets can overlap
}

var targetPool = sync.Pool{New: func() any { return new(targets) }}

func getTargets() *targets { return targetPool.Get().(*targets) }

// collect adds the union of some sets, but the excepted ids and the members
// of the skipped sets; the caller holds the Store's lock.
func (to *targets) collect(sets map[string]map[*Conn]struct{}, keys, except, skip []string) {
	for _, k := range keys {
	members:
		for c := range sets[k] {
			if slices.Contains(except, c.ID()) {
				continue
			}
			for _, sk := range skip {
				if _, in := sets[sk][c]; in {
					continue members
				}
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

// Len returns the number of connections, of groups with a member and of
// users with a connection.
func (s *Store) Len() (conns, groups, users int) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.conns), len(s.groups), len(s.users)
}

// UserConnections returns the ids of a user's connections, sorted.
func (s *Store) UserConnections(user string) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return sortedIDs(s.users[user])
}

// GroupConnections returns the ids of a group's members, sorted.
func (s *Store) GroupConnections(group string) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return sortedIDs(s.groups[group])
}

// GroupLen returns the number of a group's members.
func (s *Store) GroupLen(group string) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.groups[group])
}

// ConnectionGroups returns the groups of a connection, sorted, and whether the
// Store has the connection.
func (s *Store) ConnectionGroups(connID string) ([]string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := s.conns[connID]
	if c == nil {
		return nil, false
	}
	groups := make([]string, 0, len(s.memberOf[c]))
	for g := range s.memberOf[c] {
		groups = append(groups, g)
	}
	slices.Sort(groups)
	return groups, true
}

func sortedIDs(set map[*Conn]struct{}) []string {
	ids := make([]string, 0, len(set))
	for c := range set {
		ids = append(ids, c.ID())
	}
	slices.Sort(ids)
	return ids
}
