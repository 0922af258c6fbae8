package redishub_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hubgen/hubgen/runtime/hub"
	"github.com/hubgen/hubgen/runtime/protocol"
	"github.com/hubgen/hubgen/runtime/redishub"
	"github.com/redis/go-redis/v9"
)

// failSafe bounds the waits of these tests for events that must come; no
// test passes or fails by how long something took.
const failSafe = 20 * time.Second

// watched is a Lifetime that reports its connects and disconnects.
type watched struct {
	*redishub.Lifetime
	events chan string // "connecting <id>", "connected <id>", "disconnected <id>"
}

func (w *watched) OnConnected(ctx context.Context, c *hub.Conn) error {
	w.events <- "connecting " + c.ID()
	err := w.Lifetime.OnConnected(ctx, c)
	w.events <- "connected " + c.ID()
	return err
}

func (w *watched) OnDisconnected(ctx context.Context, c *hub.Conn) error {
	err := w.Lifetime.OnDisconnected(ctx, c)
	w.events <- "disconnected " + c.ID()
	return err
}

// next returns the rest of the next event that starts with prefix, skipping
// the others.
func (w *watched) next(t *testing.T, prefix string) string {
	t.Helper()
	deadline := time.After(failSafe)
	for {
		select {
		case e := <-w.events:
			if rest, ok := strings.CutPrefix(e, prefix); ok {
				return rest
			}
		case <-deadline:
			t.Fatalf("no %q event", prefix)
		}
	}
}

// returns runs f and fails the test if it does not return.
func returns(t *testing.T, what string, f func() error) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("%s: %v", what, err)
		}
	case <-time.After(failSafe):
		t.Fatalf("%s did not return while another connection's connect waited for Redis", what)
	}
}

// TestRedisStopsAnswering: Redis stops answering while a connection
// connects. That connect waits for Redis to confirm its subscription (its
// context and AckTimeout allow it); the calls of other connections do not
// wait behind it. When Redis answers again, the connect returns and other
// servers reach the connection.
func TestRedisStopsAnswering(t *testing.T) {
	r := newRedis(t)
	p := newProxy(t, r.addr)
	// Without a read timeout go-redis waits for the blackholed Redis until
	// the test restores it, so that nothing here depends on timing.
	rdb := redis.NewClient(&redis.Options{Addr: p.Addr(), ReadTimeout: -1})
	t.Cleanup(func() { rdb.Close() })
	lt := redishub.New(rdb, redishub.Options{ChannelPrefix: r.prefix, Logger: testLogger(t), AckTimeout: time.Hour})
	t.Cleanup(func() { lt.Close() })
	w := &watched{Lifetime: lt, events: make(chan string, 100)}
	a := serverHub(t, "A", w)
	b := serverHub(t, "B", r.lifetime(t, redishub.Options{}))
	y := connect(t, a, "y", "bob", protocol.JSON)
	v := connect(t, a, "v", "", protocol.JSON)
	ctx := context.Background()
	for _, c := range []*testClient{y, v} {
		if err := a.Groups().Add(ctx, c.ID(), "g"); err != nil {
			t.Fatal(err)
		}
	}

	for len(w.events) > 0 {
		<-w.events // those of y and v
	}

	p.Blackhole()
	defer p.Restore()
	// go-redis noticed, and waits for a new connection that never answers.
	select {
	case <-p.holed:
	case <-time.After(failSafe):
		t.Fatal("go-redis did not reconnect")
	}
	type dialed struct {
		c   *testClient
		err error
	}
	xdone := make(chan dialed, 1)
	go func() {
		c, err := dial(ctx, a.url, "x", "", protocol.JSON, testLogger(t))
		xdone <- dialed{c, err}
	}()
	xid := w.next(t, "connecting ")

	// While x's connect waits, other connections' calls return.
	returns(t, "removing a connection from a group", func() error { return a.Groups().Remove(ctx, y.ID(), "g") })
	returns(t, "adding a connection to a subscribed group", func() error { return a.Groups().Add(ctx, y.ID(), "g") })
	joined, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Groups().Add(joined, v.ID(), "h") }()
	cancel()
	returns(t, "adding a connection to a new group, until its context ends", func() error { return <-done })
	returns(t, "sending to a connection of the server", func() error {
		return a.Clients().Client(v.ID()).Send(ctx, "Recv", "local")
	})
	if got := v.next(t); got != "local" {
		t.Errorf("v received %q", got)
	}
	yid := y.ID()
	y.Close()
	if got := w.next(t, "disconnected "); got != yid {
		t.Errorf("disconnected %s, want %s", got, yid)
	}
	select {
	case d := <-xdone:
		t.Fatalf("x connected while Redis did not answer: %v", d.err)
	default:
	}

	p.Restore()
	var x *testClient
	select {
	case d := <-xdone:
		if d.err != nil {
			t.Fatal(d.err)
		}
		x = d.c
		defer x.Close()
	case <-time.After(failSafe):
		t.Fatal("x did not connect once Redis answered again")
	}
	if x.ID() != xid {
		t.Fatalf("connected %s, want %s", x.ID(), xid)
	}
	// x's channel was subscribed when its connect returned.
	if err := b.Clients().Client(x.ID()).Send(ctx, "Recv", "across"); err != nil {
		t.Fatal(err)
	}
	if got := x.next(t); got != "across" {
		t.Errorf("x received %q", got)
	}
}

// TestDuplicateAnswers: duplicate acknowledgements and client results are
// dropped, and the server goes on receiving from Redis.
func TestDuplicateAnswers(t *testing.T) {
	r := newRedis(t)
	rdb := r.client(t)
	ctx := context.Background()
	// A connection's channel, served by the test.
	ghost := rdb.Subscribe(ctx, r.prefix+":connection:ghost")
	defer ghost.Close()
	if _, err := ghost.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	a := serverHub(t, "A", r.lifetime(t, redishub.Options{}))
	b := serverHub(t, "B", r.lifetime(t, redishub.Options{}))
	b1 := connect(t, b, "b1", "", protocol.JSON)
	for _, tc := range []struct {
		what string
		call func() error
	}{
		{"a group command", func() error { return b.Groups().Add(ctx, "ghost", "g") }},
		{"a client result", func() error { return b.Clients().Client("ghost").Invoke(ctx, "Ask", nil, "q") }},
	} {
		done := make(chan error, 1)
		go func() { done <- tc.call() }()
		msg, err := ghost.ReceiveMessage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		channel, answer := redishub.Answer(r.prefix, []byte(msg.Payload))
		// One answer for the waiter, and two duplicates.
		if _, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for range 3 {
				p.Publish(ctx, channel, answer)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%s: %v", tc.what, err)
			}
		case <-time.After(failSafe):
			t.Fatalf("%s: no answer", tc.what)
		}
		// What follows the duplicates on Redis still reaches B.
		if err := a.Clients().Client(b1.ID()).Send(ctx, "Recv", "after "+tc.what); err != nil {
			t.Fatal(err)
		}
		if got := b1.next(t); got != "after "+tc.what {
			t.Errorf("b1 received %q", got)
		}
	}
}
