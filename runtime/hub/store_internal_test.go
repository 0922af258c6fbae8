package hub

import (
	"slices"
	"testing"
)

// TestStoreHooksAndPresence checks that the hooks fire on a group's and a
// user's first and last connection only, and what the Store answers about
// its connections in between.
func TestStoreHooksAndPresence(t *testing.T) {
	var events []string
	hook := func(what string) func(string) {
		return func(key string) { events = append(events, what+" "+key) }
	}
	s := NewStore(StoreHooks{
		FirstInGroup: hook("+group"), LastInGroup: hook("-group"),
		FirstOfUser: hook("+user"), LastOfUser: hook("-user"),
	})
	a := &Conn{id: "a", identity: &Identity{UserID: "ann"}}
	b := &Conn{id: "b", identity: &Identity{UserID: "ann"}}
	c := &Conn{id: "c"}
	for _, conn := range []*Conn{a, b, c} {
		s.Add(conn)
	}
	if !s.Join("a", "g") || !s.Join("b", "g") || !s.Join("a", "g") || !s.Join("a", "h") {
		t.Fatal("Join of a known connection reported false")
	}
	if s.Join("x", "g") || s.Leave("x", "g") {
		t.Fatal("Join or Leave of an unknown connection reported true")
	}
	if got := s.UserConnections("ann"); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("UserConnections(ann) = %v", got)
	}
	if got := s.GroupConnections("g"); !slices.Equal(got, []string{"a", "b"}) || s.GroupLen("g") != 2 {
		t.Errorf("GroupConnections(g) = %v, GroupLen %d", got, s.GroupLen("g"))
	}
	if got, ok := s.ConnectionGroups("a"); !ok || !slices.Equal(got, []string{"g", "h"}) {
		t.Errorf("ConnectionGroups(a) = %v, %v", got, ok)
	}
	if _, ok := s.ConnectionGroups("x"); ok {
		t.Error("ConnectionGroups of an unknown connection reported true")
	}
	if conns, groups, users := s.Len(); conns != 3 || groups != 2 || users != 1 {
		t.Errorf("Len = %d, %d, %d", conns, groups, users)
	}
	s.Leave("b", "g")
	s.Leave("b", "g")
	if s.Remove(&Conn{id: "a"}) {
		t.Error("Remove of another connection with a's id reported true")
	}
	s.Remove(a)
	s.Remove(b)
	s.Remove(c)
	want := []string{"+user ann", "+group g", "+group h", "-group g", "-group h", "-user ann"}
	// a leaves g and h in map order when it goes.
	if len(events) != len(want) || !slices.Equal(events[:3], want[:3]) || events[5] != want[5] ||
		!slices.Contains(events[3:5], "-group g") || !slices.Contains(events[3:5], "-group h") {
		t.Errorf("hooks ran %v, want %v", events, want)
	}
	if conns, groups, users := s.Len(); conns+groups+users != 0 {
		t.Errorf("Len after removing all = %d, %d, %d", conns, groups, users)
	}
}
