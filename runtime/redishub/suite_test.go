package redishub_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hubgen/hubgen/runtime/hub"
	"github.com/hubgen/hubgen/runtime/protocol"
	"github.com/hubgen/hubgen/runtime/redishub"
)

// The behaviour suite: what every lifetime manager must do for hubs that run
// on two servers, as ASP.NET Core's ScaleoutHubLifetimeManagerTests check
// their backplanes. It runs against two hubs sharing one MemoryLifetime (one
// process is a cluster that needs no backplane) and against two hubs with a
// redishub.Lifetime each on one Redis.

// cluster makes the lifetime managers of the servers of one test.
type cluster struct {
	name string
	// start returns a function that makes the lifetime manager of one more
	// server of the same cluster.
	start func(t *testing.T) func() hub.LifetimeManager
}

var clusters = []cluster{
	{"memory", func(t *testing.T) func() hub.LifetimeManager {
		shared := hub.NewMemoryLifetime()
		return func() hub.LifetimeManager { return shared }
	}},
	{"redis", func(t *testing.T) func() hub.LifetimeManager {
		r := newRedis(t)
		return func() hub.LifetimeManager { return r.lifetime(t, redishub.Options{}) }
	}},
}

// fixture is two servers with two clients each:
//
//	a1: server A, user alice, JSON       b1: server B, user alice, MessagePack
//	a2: server A, user bob, MessagePack  b2: server B, user carol, JSON
type fixture struct {
	a, b           *testServer
	a1, a2, b1, b2 *testClient
	all            []*testClient
	n              atomic.Int64
}

func newFixture(t *testing.T, c cluster) *fixture {
	next := c.start(t)
	f := &fixture{a: serverHub(t, "A", next()), b: serverHub(t, "B", next())}
	f.a1 = connect(t, f.a, "a1", "alice", protocol.JSON)
	f.a2 = connect(t, f.a, "a2", "bob", protocol.MessagePack)
	f.b1 = connect(t, f.b, "b1", "alice", protocol.MessagePack)
	f.b2 = connect(t, f.b, "b2", "carol", protocol.JSON)
	f.all = []*testClient{f.a1, f.a2, f.b1, f.b2}
	return f
}

// sender is a server that a test sends from.
type sender interface {
	label() string
	// broadcast sends msg to every client with Clients().All().
	broadcast(ctx context.Context, msg string) error
}

func (s *testServer) label() string { return s.name }

func (s *testServer) broadcast(ctx context.Context, msg string) error {
	return s.Clients().All().Send(ctx, "Recv", msg)
}

// expect sends a message with send, from server from, and checks that exactly
// want receive it, each once. A broadcast from the same server marks the end
// of what each client receives: a server's messages reach each client in the
// order the server sent them.
func (f *fixture) expect(t *testing.T, from sender, what string, send func(ctx context.Context, msg string) error, want ...*testClient) {
	t.Helper()
	ctx := context.Background()
	n := f.n.Add(1)
	msg, barrier := fmt.Sprintf("msg %d", n), fmt.Sprintf("barrier %d", n)
	if err := send(ctx, msg); err != nil {
		t.Fatalf("%s from %s: %v", what, from.label(), err)
	}
	if err := from.broadcast(ctx, barrier); err != nil {
		t.Fatal(err)
	}
	for _, c := range f.all {
		got := c.until(t, barrier)
		var wanted []string
		if slices.Contains(want, c) {
			wanted = []string{msg}
		}
		if !slices.Equal(got, wanted) {
			t.Errorf("%s from %s: %s received %q, want %q", what, from.label(), c.name, got, wanted)
		}
	}
}

func TestSuite(t *testing.T) {
	for _, c := range clusters {
		t.Run(c.name, func(t *testing.T) {
			t.Run("Targets", func(t *testing.T) { testTargets(t, c) })
			t.Run("GroupsAcrossServers", func(t *testing.T) { testGroups(t, c) })
			t.Run("Disconnected", func(t *testing.T) { testDisconnected(t, c) })
			t.Run("ClientResults", func(t *testing.T) { testClientResults(t, c) })
		})
	}
}

// send returns a send function for a target.
func send(target hub.Target) func(ctx context.Context, msg string) error {
	return func(ctx context.Context, msg string) error { return target.Send(ctx, "Recv", msg) }
}

func testTargets(t *testing.T, c cluster) {
	f := newFixture(t, c)
	ctx := context.Background()
	// Members join through the other server than their own, where that
	// matters.
	for _, j := range []struct {
		via   *testServer
		c     *testClient
		group string
	}{
		{f.b, f.a1, "g1"}, {f.a, f.b1, "g1"},
		{f.a, f.b1, "g2"}, {f.b, f.b2, "g2"},
		{f.a, f.a2, "g*"}, {f.a, f.b2, "[g]"},
	} {
		if err := j.via.Groups().Add(ctx, j.c.ID(), j.group); err != nil {
			t.Fatalf("adding %s to %s through %s: %v", j.c.name, j.group, j.via.name, err)
		}
	}
	for _, from := range []*testServer{f.a, f.b} {
		cl := from.Clients()
		f.expect(t, from, "All", send(cl.All()), f.all...)
		f.expect(t, from, "AllExcept(a1, b2)", send(cl.AllExcept(f.a1.ID(), f.b2.ID())), f.a2, f.b1)
		f.expect(t, from, "Client(a1)", send(cl.Client(f.a1.ID()).Target), f.a1)
		f.expect(t, from, "Client(b1)", send(cl.Client(f.b1.ID()).Target), f.b1)
		f.expect(t, from, "Client(unknown)", send(cl.Client("nobody").Target))
		f.expect(t, from, "Clients(a1, b2, b2)", send(cl.Clients(f.a1.ID(), f.b2.ID(), f.b2.ID())), f.a1, f.b2)
		f.expect(t, from, "Group(g1)", send(cl.Group("g1")), f.a1, f.b1)
		f.expect(t, from, "Groups(g1, g2)", send(cl.Groups("g1", "g2")), f.a1, f.b1, f.b2)
		f.expect(t, from, "Groups(g2, g1, g2)", send(cl.Groups("g2", "g1", "g2")), f.a1, f.b1, f.b2)
		f.expect(t, from, "GroupExcept(g1, b1)", send(cl.GroupExcept("g1", f.b1.ID())), f.a1)
		f.expect(t, from, "GroupExcept(g2, a1)", send(cl.GroupExcept("g2", f.a1.ID())), f.b1, f.b2)
		f.expect(t, from, "Group(empty)", send(cl.Group("empty")))
		f.expect(t, from, "User(alice)", send(cl.User("alice")), f.a1, f.b1)
		f.expect(t, from, "User(carol)", send(cl.User("carol")), f.b2)
		f.expect(t, from, "Users(alice, carol, alice)", send(cl.Users("alice", "carol", "alice")), f.a1, f.b1, f.b2)
		f.expect(t, from, "User(nobody)", send(cl.User("nobody")))
		// Names are literal, not patterns.
		f.expect(t, from, "Group(g*)", send(cl.Group("g*")), f.a2)
		f.expect(t, from, "Group(g?)", send(cl.Group("g?")))
		f.expect(t, from, "Group([g])", send(cl.Group("[g]")), f.b2)
		f.expect(t, from, "Group(g)", send(cl.Group("g")))
		f.expect(t, from, "User(*)", send(cl.User("*")))
		f.expect(t, from, "User(al*)", send(cl.User("al*")))
	}
}

func testGroups(t *testing.T, c cluster) {
	f := newFixture(t, c)
	ctx := context.Background()
	a, b := f.a.Groups(), f.b.Groups()
	// Adding twice, from either server, adds once.
	for _, err := range []error{a.Add(ctx, f.b1.ID(), "g"), a.Add(ctx, f.b1.ID(), "g"), b.Add(ctx, f.b1.ID(), "g"), b.Add(ctx, f.a1.ID(), "g")} {
		if err != nil {
			t.Fatal(err)
		}
	}
	f.expect(t, f.a, "Group(g)", send(f.a.Clients().Group("g")), f.a1, f.b1)
	// Removing from the other server, twice.
	for _, err := range []error{a.Remove(ctx, f.b1.ID(), "g"), a.Remove(ctx, f.b1.ID(), "g")} {
		if err != nil {
			t.Fatal(err)
		}
	}
	f.expect(t, f.a, "Group(g) after removing b1", send(f.a.Clients().Group("g")), f.a1)
	f.expect(t, f.b, "Group(g) after removing b1", send(f.b.Clients().Group("g")), f.a1)
	if err := b.Remove(ctx, f.a1.ID(), "g"); err != nil {
		t.Fatal(err)
	}
	f.expect(t, f.b, "Group(g) after removing a1", send(f.b.Clients().Group("g")))
	// Unknown connections.
	for name, err := range map[string]error{
		"Add":    a.Add(ctx, "nobody", "g"),
		"Remove": b.Remove(ctx, "nobody", "g"),
	} {
		if !errors.Is(err, hub.ErrNoConnection) {
			t.Errorf("%s of an unknown connection: error = %v, want hub.ErrNoConnection", name, err)
		}
	}
}

// gone waits until the cluster no longer knows a connection.
func gone(t *testing.T, s *testServer, id string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := s.Groups().Add(context.Background(), id, "probe")
		if errors.Is(err, hub.ErrNoConnection) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("connection %s is still known: %v", id, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func testDisconnected(t *testing.T, c cluster) {
	f := newFixture(t, c)
	ctx := context.Background()
	for _, cl := range []*testClient{f.a1, f.b1} {
		if err := f.a.Groups().Add(ctx, cl.ID(), "g"); err != nil {
			t.Fatal(err)
		}
	}
	id := f.b1.ID()
	f.b1.Close()
	gone(t, f.a, id)
	f.all = []*testClient{f.a1, f.a2, f.b2}
	for _, from := range []*testServer{f.a, f.b} {
		cl := from.Clients()
		f.expect(t, from, "Group(g)", send(cl.Group("g")), f.a1)
		f.expect(t, from, "User(alice)", send(cl.User("alice")), f.a1)
		f.expect(t, from, "Client(b1)", send(cl.Client(id).Target))
		f.expect(t, from, "All", send(cl.All()), f.all...)
		err := cl.Client(id).Invoke(ctx, "Ask", nil, "q")
		if !errors.Is(err, hub.ErrNoConnection) {
			t.Errorf("invoking a closed connection from %s: %v, want hub.ErrNoConnection", from.name, err)
		}
	}
}

func testClientResults(t *testing.T, c cluster) {
	f := newFixture(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, from := range []*testServer{f.a, f.b} {
		for _, to := range f.all {
			var got string
			if err := from.Clients().Client(to.ID()).Invoke(ctx, "Ask", &got, "q"); err != nil {
				t.Errorf("%s asks %s: %v", from.name, to.name, err)
			} else if want := to.name + " answers q"; got != want {
				t.Errorf("%s asks %s: %q, want %q", from.name, to.name, got, want)
			}
			// An error from the client.
			var he *hub.Error
			err := from.Clients().Client(to.ID()).Invoke(ctx, "Ask", &got, "fail")
			if !errors.As(err, &he) || !strings.Contains(he.Message, to.name+" refuses") {
				t.Errorf("%s asks %s to fail: %v, want a *hub.Error with the client's text", from.name, to.name, err)
			}
			// A result of the wrong type.
			var n int
			if err := from.Clients().Client(to.ID()).Invoke(ctx, "Ask", &n, "q"); err == nil {
				t.Errorf("%s asks %s for an int: no error", from.name, to.name)
			}
			// Ignoring the result.
			if err := from.Clients().Client(to.ID()).Invoke(ctx, "Ask", nil, "q"); err != nil {
				t.Errorf("%s asks %s, ignoring the result: %v", from.name, to.name, err)
			}
		}
		err := from.Clients().Client("nobody").Invoke(ctx, "Ask", nil, "q")
		if !errors.Is(err, hub.ErrNoConnection) {
			t.Errorf("%s asks an unknown connection: %v, want hub.ErrNoConnection", from.name, err)
		}
	}

	// The client disconnects while the server waits for its answer.
	f.b2.mu.Lock()
	f.b2.blocked = make(chan struct{})
	f.b2.mu.Unlock()
	done := make(chan error, 1)
	go func() { done <- f.a.Clients().Client(f.b2.ID()).Invoke(ctx, "Ask", nil, "q") }()
	<-f.b2.asked // the invocation reached the client
	f.b2.Close()
	if err := <-done; err == nil || !strings.Contains(err.Error(), "disconnected") {
		t.Errorf("asking a client that disconnects: %v, want an error that says it disconnected", err)
	}
}
