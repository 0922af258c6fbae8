package redishub_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hubgen/hubgen/runtime/hub"
	"github.com/hubgen/hubgen/runtime/protocol"
	"github.com/hubgen/hubgen/runtime/redishub"
	"github.com/redis/go-redis/v9"
)

// awaitCrossServer sends probes from one server to a client of another until
// one arrives, and returns how long that took. It fails after limit.
func awaitCrossServer(t *testing.T, from *testServer, to *testClient, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for i := 0; ; i++ {
		from.Clients().Client(to.ID()).Send(context.Background(), "Recv", fmt.Sprintf("probe %d", i))
		select {
		case s := <-to.got:
			if !strings.HasPrefix(s, "probe ") {
				t.Fatalf("%s received %q while waiting for a probe", to.name, s)
			}
			return time.Since(start)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Since(start) > limit {
			t.Fatalf("no message from %s reached %s within %v", from.name, to.name, limit)
		}
	}
}

// drain returns what a client received that is not a probe, waiting a little
// for stragglers.
func drain(c *testClient) []string {
	var got []string
	for {
		select {
		case s := <-c.got:
			if !strings.HasPrefix(s, "probe ") {
				got = append(got, s)
			}
		case <-time.After(200 * time.Millisecond):
			return got
		}
	}
}

// TestRedisRestart stops Redis under two servers and starts it again: local
// delivery goes on, sends report that publishing failed, what was sent in the
// meantime is lost, and cross-server delivery comes back within seconds
// without any action.
func TestRedisRestart(t *testing.T) {
	r := newRestartable(t)
	tr := &testRedis{addr: r.Addr(), prefix: uniquePrefix(t)}
	a := serverHub(t, "A", tr.lifetime(t, redishub.Options{AckTimeout: 2 * time.Second}))
	b := serverHub(t, "B", tr.lifetime(t, redishub.Options{AckTimeout: 2 * time.Second}))
	a1 := connect(t, a, "a1", "alice", protocol.JSON)
	b1 := connect(t, b, "b1", "alice", protocol.MessagePack)
	ctx := context.Background()
	if err := a.Groups().Add(ctx, a1.ID(), "g"); err != nil {
		t.Fatal(err)
	}
	if err := a.Groups().Add(ctx, b1.ID(), "g"); err != nil {
		t.Fatal(err)
	}
	awaitCrossServer(t, a, b1, 5*time.Second)
	awaitCrossServer(t, b, a1, 5*time.Second)

	r.Stop(t)

	// Local delivery goes on; sends that need Redis say so.
	for what, target := range map[string]hub.Target{
		"All":         a.Clients().All(),
		"Group(g)":    a.Clients().Group("g"),
		"User(alice)": a.Clients().User("alice"),
	} {
		err := target.Send(ctx, "Recv", "during the outage: "+what)
		if err == nil || !strings.Contains(err.Error(), "publishing to the other servers failed") {
			t.Errorf("%s while Redis is down: error = %v, want one that says publishing failed", what, err)
		}
		if got := a1.next(t); got != "during the outage: "+what {
			t.Errorf("%s while Redis is down: the local client received %q", what, got)
		}
	}
	if err := a.Clients().Client(a1.ID()).Send(ctx, "Recv", "local"); err != nil {
		t.Errorf("sending to a local connection while Redis is down: %v", err)
	}
	if got := a1.next(t); got != "local" {
		t.Errorf("local connection received %q", got)
	}
	// What needs the other server fails with an error that says why.
	if err := a.Groups().Add(ctx, b1.ID(), "h"); err == nil || !strings.Contains(err.Error(), "publishing to Redis") {
		t.Errorf("adding a remote connection to a group while Redis is down: %v", err)
	}
	if err := a.Clients().Client(b1.ID()).Invoke(ctx, "Ask", nil, "q"); err == nil {
		t.Error("a client result from a remote connection while Redis is down: no error")
	}
	// Local group changes and new connections work, here at once and across
	// servers once Redis is back.
	if err := b.Groups().Add(ctx, b1.ID(), "late"); err != nil {
		t.Errorf("adding a local connection to a group while Redis is down: %v", err)
	}
	b2 := connect(t, b, "b2", "", protocol.JSON)
	if err := b.Clients().Client(b2.ID()).Send(ctx, "Recv", "hello"); err != nil {
		t.Error(err)
	}
	if got := b2.next(t); got != "hello" {
		t.Errorf("a connection made while Redis is down received %q", got)
	}

	r.Start(t)
	took := awaitCrossServer(t, a, b1, 15*time.Second)
	t.Logf("cross-server delivery came back %v after Redis restarted", took)
	awaitCrossServer(t, b, a1, 15*time.Second)
	awaitCrossServer(t, a, b2, 15*time.Second)
	// Messages sent while Redis was down are lost, not replayed.
	if got := drain(b1); len(got) > 0 {
		t.Errorf("b1 received %q from the outage", got)
	}
	// Everything works again.
	f := &fixture{a: a, b: b, a1: a1, b1: b1, b2: b2, all: []*testClient{a1, b1, b2}}
	f.expect(t, a, "Group(late)", send(a.Clients().Group("late")), b1)
	f.expect(t, a, "Group(g)", send(a.Clients().Group("g")), a1, b1)
	f.expect(t, b, "User(alice)", send(b.Clients().User("alice")), a1, b1)
	f.expect(t, a, "All", send(a.Clients().All()), a1, b1, b2)
	if err := a.Groups().Add(ctx, b2.ID(), "g"); err != nil {
		t.Fatal(err)
	}
	f.expect(t, a, "Group(g)", send(a.Clients().Group("g")), a1, b1, b2)
	var got string
	if err := a.Clients().Client(b1.ID()).Invoke(ctx, "Ask", &got, "q"); err != nil || got != "b1 answers q" {
		t.Errorf("client result after the restart: %q, %v", got, err)
	}
}

// TestServerGone cuts a server off Redis while another waits for a client
// result from one of its connections: the wait ends with ErrServerGone.
func TestServerGone(t *testing.T) {
	defer redishub.SetLivenessInterval(100 * time.Millisecond)()
	r := newRedis(t)
	p := newProxy(t, r.addr)
	a := serverHub(t, "A", r.lifetime(t, redishub.Options{}))
	lost := &testRedis{addr: p.Addr(), prefix: r.prefix}
	b := serverHub(t, "B", lost.lifetime(t, redishub.Options{}))
	b1 := connect(t, b, "b1", "", protocol.JSON)
	awaitCrossServer(t, a, b1, 5*time.Second)

	release := make(chan struct{})
	b1.mu.Lock()
	b1.blocked = release
	b1.mu.Unlock()
	defer close(release)
	done := make(chan error, 1)
	go func() { done <- a.Clients().Client(b1.ID()).Invoke(context.Background(), "Ask", nil, "q") }()
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	p.Close()
	select {
	case err := <-done:
		if !errors.Is(err, redishub.ErrServerGone) {
			t.Errorf("error = %v, want ErrServerGone", err)
		}
		t.Logf("%v after the server lost Redis: %v", time.Since(start), err)
	case <-time.After(10 * time.Second):
		t.Fatal("the client result still waits 10 s after its server lost Redis")
	}
}

// TestTimeouts: a server that has the connection's channel but never
// answers.
func TestTimeouts(t *testing.T) {
	defer redishub.SetLivenessInterval(time.Hour)()
	r := newRedis(t)
	ctx := context.Background()
	// A subscriber that never answers.
	ghost := r.client(t).Subscribe(ctx, r.prefix+":connection:ghost")
	defer ghost.Close()
	if _, err := ghost.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	lt := r.lifetime(t, redishub.Options{AckTimeout: 300 * time.Millisecond, InvokeTimeout: 300 * time.Millisecond})
	start := time.Now()
	err := lt.AddToGroup(ctx, "ghost", "g")
	if !errors.Is(err, redishub.ErrTimeout) || !strings.Contains(err.Error(), "adding connection 'ghost' to group 'g'") {
		t.Errorf("AddToGroup error = %v, want ErrTimeout, naming the connection and group", err)
	}
	if err := lt.RemoveFromGroup(ctx, "ghost", "g"); !errors.Is(err, redishub.ErrTimeout) {
		t.Errorf("RemoveFromGroup error = %v, want ErrTimeout", err)
	}
	err = lt.InvokeConnection(ctx, "ghost", "Ask", []any{"q"}, nil)
	if !errors.Is(err, redishub.ErrTimeout) || !strings.Contains(err.Error(), "'ghost'") {
		t.Errorf("InvokeConnection error = %v, want ErrTimeout, naming the connection", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("three 300 ms timeouts took %v", d)
	}
	// The caller's deadline, when sooner, wins.
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := lt.InvokeConnection(short, "ghost", "Ask", nil, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("InvokeConnection with a 50 ms deadline: %v", err)
	}
	// After Close, calls that wait fail at once.
	lt.Close()
	if err := lt.AddToGroup(ctx, "ghost", "g"); !errors.Is(err, redishub.ErrClosed) {
		t.Errorf("AddToGroup after Close: %v, want ErrClosed", err)
	}
}

// TestChannelPrefix: two apps on one Redis, each with its own prefix, do not
// reach each other's clients.
func TestChannelPrefix(t *testing.T) {
	r := newRedis(t)
	app1 := []*testServer{
		serverHub(t, "app1 A", r.lifetime(t, redishub.Options{ChannelPrefix: r.prefix + ":app1"})),
		serverHub(t, "app1 B", r.lifetime(t, redishub.Options{ChannelPrefix: r.prefix + ":app1"})),
	}
	app2 := []*testServer{
		serverHub(t, "app2 A", r.lifetime(t, redishub.Options{ChannelPrefix: r.prefix + ":app2"})),
		serverHub(t, "app2 B", r.lifetime(t, redishub.Options{ChannelPrefix: r.prefix + ":app2"})),
	}
	c1 := connect(t, app1[1], "c1", "alice", protocol.JSON)
	c2 := connect(t, app2[1], "c2", "alice", protocol.JSON)
	ctx := context.Background()
	for _, c := range []*testClient{c1, c2} {
		if err := app1[0].Groups().Add(ctx, c.ID(), "g"); err != nil && c == c1 {
			t.Fatal(err)
		} else if c == c2 && !errors.Is(err, hub.ErrNoConnection) {
			t.Errorf("app1 adding app2's connection to a group: %v, want hub.ErrNoConnection", err)
		}
	}
	for _, target := range []hub.Target{app1[0].Clients().All(), app1[0].Clients().User("alice"), app1[0].Clients().Group("g"), app1[0].Clients().Client(c2.ID()).Target} {
		target.Send(ctx, "Recv", "app1")
	}
	app1[0].Clients().All().Send(ctx, "Recv", "end")
	if got := c1.until(t, "end"); !slices.Equal(got, []string{"app1", "app1", "app1"}) {
		t.Errorf("app1's client received %q", got)
	}
	// app2's server receives from Redis in order: anything of app1's would
	// come before this.
	app2[0].Clients().All().Send(ctx, "Recv", "end")
	if got := c2.until(t, "end"); len(got) > 0 {
		t.Errorf("app2's client received %q from app1", got)
	}
}

// TestSubscriptionsFollowConnections: a server subscribes to the channels of
// its connections, groups and users, and unsubscribes from them when they
// leave. Unsubscribing does not hold the calls up, so the test asks the
// Lifetime to flush its changes to Redis before it looks.
func TestSubscriptionsFollowConnections(t *testing.T) {
	r := newRedis(t)
	rdb := r.client(t)
	ctx := context.Background()
	var lt *redishub.Lifetime
	channels := func() []string {
		t.Helper()
		if err := lt.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		list, err := rdb.PubSubChannels(ctx, r.prefix+"*").Result()
		if err != nil {
			t.Fatal(err)
		}
		// Barriers are short-lived: see the package documentation.
		list = slices.DeleteFunc(list, func(c string) bool { return strings.HasPrefix(c, r.prefix+":internal:barrier:") })
		for i, c := range list {
			list[i] = strings.TrimPrefix(c, r.prefix)
		}
		slices.Sort(list)
		return list
	}
	lt = r.lifetime(t, redishub.Options{ServerName: "s1"})
	own := []string{":all", ":internal:ack:s1", ":internal:return:s1"}
	s := serverHub(t, "A", lt)
	c1 := connect(t, s, "c1", "alice", protocol.JSON)
	c2 := connect(t, s, "c2", "alice", protocol.JSON)
	for _, c := range []*testClient{c1, c2} {
		if err := s.Groups().Add(ctx, c.ID(), "g*"); err != nil {
			t.Fatal(err)
		}
	}
	want := append(slices.Clone(own), ":connection:"+c1.ID(), ":connection:"+c2.ID(), ":group:g*", ":user:alice")
	slices.Sort(want)
	if got := channels(); !slices.Equal(got, want) {
		t.Errorf("subscribed to %q, want %q", got, want)
	}
	// One connection leaving keeps the channels the other needs.
	id1 := c1.ID()
	c1.Close()
	gone(t, s, id1)
	want = slices.DeleteFunc(want, func(c string) bool { return c == ":connection:"+id1 })
	if got := channels(); !slices.Equal(got, want) {
		t.Errorf("after c1 left: subscribed to %q, want %q", got, want)
	}
	if err := s.Groups().Remove(ctx, c2.ID(), "g*"); err != nil {
		t.Fatal(err)
	}
	id2 := c2.ID()
	c2.Close()
	gone(t, s, id2)
	if got := channels(); !slices.Equal(got, own) {
		t.Errorf("after both left: subscribed to %q, want %q", got, own)
	}
	if conns, groups, users := lt.Len(); conns+groups+users != 0 {
		t.Errorf("Len = %d, %d, %d after every connection left", conns, groups, users)
	}
}

// TestNewWithoutRedis: a Lifetime made while Redis is down works for its own
// server and joins the others when Redis comes.
func TestNewWithoutRedis(t *testing.T) {
	r := newRestartable(t)
	tr := &testRedis{addr: r.Addr(), prefix: uniquePrefix(t)}
	r.Stop(t)
	a := serverHub(t, "A", tr.lifetime(t, redishub.Options{AckTimeout: time.Second}))
	a1 := connect(t, a, "a1", "", protocol.JSON)
	if err := a.Clients().All().Send(context.Background(), "Recv", "local"); err == nil {
		t.Error("broadcast without Redis: no error")
	}
	if got := a1.next(t); got != "local" {
		t.Errorf("received %q", got)
	}
	r.Start(t)
	b := serverHub(t, "B", tr.lifetime(t, redishub.Options{}))
	b1 := connect(t, b, "b1", "", protocol.JSON)
	awaitCrossServer(t, b, a1, 15*time.Second)
	awaitCrossServer(t, a, b1, 15*time.Second)
}

// TestPublishReceivers: PUBLISH to an unknown connection's channel has no
// receiver, which is how a group command fails at once.
func TestUnknownConnectionFailsAtOnce(t *testing.T) {
	r := newRedis(t)
	lt := r.lifetime(t, redishub.Options{})
	start := time.Now()
	err := lt.AddToGroup(context.Background(), "nobody", "g")
	if !errors.Is(err, hub.ErrNoConnection) || !strings.Contains(err.Error(), "'nobody'") {
		t.Errorf("error = %v, want hub.ErrNoConnection naming the connection", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %v", d)
	}
	var _ redis.UniversalClient = r.client(t) // the constructor takes any go-redis client
}
