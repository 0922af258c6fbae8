package chat

import (
	"context"
	"errors"
	"iter"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hubgen/hubgen/runtime/client"
	"github.com/hubgen/hubgen/runtime/hub"
)

// chatHub implements ChatHub, and the connection hooks.
type chatHub struct {
	clients      ChatClients
	groups       hub.Groups
	connected    chan string
	disconnected chan string
	stopped      chan error // what an endless Counter saw of its ctx when it stopped
}

func (h *chatHub) Send(ctx context.Context, text string) error {
	return h.clients.All().Receive(ctx, Message{From: hub.ConnFromContext(ctx).ID(), Text: text, At: time.Unix(1700000000, 0).UTC()})
}

func (h *chatHub) Echo(ctx context.Context, s string) (string, error) { return s, nil }

func (h *chatHub) Add(ctx context.Context, a, b int) (int, error) { return a + b, nil }

func (h *chatHub) Poll(ctx context.Context, question string) (string, error) {
	return h.clients.Caller(ctx).Ask(ctx, question)
}

func (h *chatHub) Join(ctx context.Context, group string) error {
	return h.groups.Add(ctx, hub.ConnFromContext(ctx).ID(), group)
}

func (h *chatHub) Fail(ctx context.Context) error { return hub.Errorf("no luck") }

func (h *chatHub) Counter(ctx context.Context, n int) iter.Seq2[int, error] {
	return func(yield func(int, error) bool) {
		if n >= 0 {
			for i := range n {
				if !yield(i, nil) {
					return
				}
			}
			return
		}
		// Endless: stopped only by the client, which cancels ctx.
		defer func() { h.stopped <- ctx.Err() }()
		for i := 0; ; i++ {
			if !yield(i, nil) {
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Millisecond):
			}
		}
	}
}

func (h *chatHub) Concat(ctx context.Context, sep string, parts iter.Seq2[string, error]) (string, error) {
	var all []string
	for p, err := range parts {
		if err != nil {
			return "", err
		}
		all = append(all, p)
	}
	return strings.Join(all, sep), nil
}

func (h *chatHub) Scale(ctx context.Context, factor int, in iter.Seq2[int, error]) iter.Seq2[int, error] {
	return func(yield func(int, error) bool) {
		for v, err := range in {
			if err != nil {
				yield(0, err)
				return
			}
			if !yield(v*factor, nil) {
				return
			}
		}
	}
}

func (h *chatHub) Countdown(ctx context.Context, n int) (iter.Seq2[int, error], error) {
	switch {
	case n < 0:
		return nil, hub.Errorf("n is negative")
	case n > 100:
		return nil, errors.New("n is too large")
	}
	return func(yield func(int, error) bool) {
		for i := n; i > 0; i-- {
			if !yield(i, nil) {
				return
			}
		}
	}, nil
}

func (h *chatHub) ScaleChecked(ctx context.Context, factor int, in iter.Seq2[int, error]) (iter.Seq2[int, error], error) {
	if factor == 0 {
		return nil, hub.Errorf("factor is 0")
	}
	return h.Scale(ctx, factor, in), nil
}

func (h *chatHub) OnConnected(ctx context.Context) error {
	h.connected <- hub.ConnFromContext(ctx).ID()
	return nil
}

func (h *chatHub) OnDisconnected(ctx context.Context, err error) {
	h.disconnected <- hub.ConnFromContext(ctx).ID()
}

// receiver implements Chat.
type receiver struct {
	got chan Message
}

func (r *receiver) Receive(ctx context.Context, m Message) error {
	r.got <- m
	return nil
}

func (r *receiver) Ask(ctx context.Context, question string) (string, error) {
	return "yes: " + question, nil
}

func TestEndToEnd(t *testing.T) {
	impl := &chatHub{connected: make(chan string, 1), disconnected: make(chan string, 1), stopped: make(chan error, 1)}
	srv := NewChatHubServer(impl, hub.Options{MaxParallelInvocations: 4})
	impl.clients, impl.groups = srv.Clients, srv.Groups
	mux := http.NewServeMux()
	srv.Mount(mux, "/chat")
	ts := httptest.NewServer(mux)
	defer ts.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := client.Dial(ctx, ts.URL+"/chat", client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r := &receiver{got: make(chan Message, 4)}
	remove := RegisterChat(conn, r)
	var stub ChatHub = NewChatHubClient(conn)

	if id := <-impl.connected; id != conn.ID() {
		t.Errorf("OnConnected saw %q, want %q", id, conn.ID())
	}

	// Invocations with results.
	if s, err := stub.Echo(ctx, "hello"); err != nil || s != "hello" {
		t.Errorf("Echo: %q, %v", s, err)
	}
	if n, err := stub.Add(ctx, 2, 3); err != nil || n != 5 {
		t.Errorf("Add: %d, %v", n, err)
	}

	// A void invocation whose hub method sends to every connection.
	if err := stub.Send(ctx, "hi"); err != nil {
		t.Fatal(err)
	}
	expect(t, r, Message{From: conn.ID(), Text: "hi", At: time.Unix(1700000000, 0).UTC()})

	// A hub method that waits for a client result from its caller.
	if s, err := stub.Poll(ctx, "ready?"); err != nil || s != "yes: ready?" {
		t.Errorf("Poll: %q, %v", s, err)
	}

	// A hub error reaches the client with its message, under the wire name.
	if err := stub.Fail(ctx); err == nil || !strings.Contains(err.Error(), "no luck") {
		t.Errorf("Fail: %v", err)
	}

	testStreams(t, ctx, conn, stub, impl)

	// Typed targets from outside any hub method, as a worker uses them.
	if err := srv.Clients.All().Receive(ctx, Message{Text: "tick"}); err != nil {
		t.Fatal(err)
	}
	expect(t, r, Message{Text: "tick"})
	if err := stub.Join(ctx, "room"); err != nil {
		t.Fatal(err)
	}
	if err := srv.Clients.Group("room").Receive(ctx, Message{Text: "to the room"}); err != nil {
		t.Fatal(err)
	}
	expect(t, r, Message{Text: "to the room"})
	if err := srv.Clients.GroupExcept("room", conn.ID()).Receive(ctx, Message{Text: "not me"}); err != nil {
		t.Fatal(err)
	}
	if s, err := srv.Clients.Client(conn.ID()).Ask(ctx, "direct?"); err != nil || s != "yes: direct?" {
		t.Errorf("Client(id).Ask: %q, %v", s, err)
	}
	if _, err := srv.Clients.Caller(ctx).Ask(ctx, "who?"); !errors.Is(err, hub.ErrNoCaller) {
		t.Errorf("Caller outside a hub method: %v", err)
	}

	// Wrong argument counts fail on both sides.
	var s string
	if err := conn.Invoke(ctx, "Echo", &s); err == nil {
		t.Error("the server took Echo without its argument")
	}
	if err := srv.Server.Clients().Client(conn.ID()).Invoke(ctx, "Ask", &s); err == nil || !strings.Contains(err.Error(), "Ask takes 1 argument, not 0") {
		t.Errorf("the client took Ask without its argument: %v", err)
	}

	// After remove, the receiver gets nothing more.
	remove()
	if _, err := srv.Clients.Client(conn.ID()).Ask(ctx, "still there?"); err == nil {
		t.Error("Ask answered after remove")
	}
	select {
	case m := <-r.got:
		t.Errorf("unexpected message %+v", m)
	default:
	}

	id := conn.ID()
	conn.Close()
	select {
	case got := <-impl.disconnected:
		if got != id {
			t.Errorf("OnDisconnected saw %q, want %q", got, id)
		}
	case <-ctx.Done():
		t.Error("OnDisconnected did not run")
	}
}

// TestHandlersBeforeOpen: a hub that calls the client as soon as it connects,
// from OnConnected, reaches the handlers that ChatHandlers gives client.Dial
// (registered before the connection opens) on every dial, the client result
// included.
func TestHandlersBeforeOpen(t *testing.T) {
	impl := &chatHub{connected: make(chan string, 100), disconnected: make(chan string, 100)}
	var srv *ChatHubServer
	answers := make(chan string, 100)
	srv = NewChatHubServer(impl, hub.Options{OnConnected: func(ctx context.Context, conn *hub.Conn) error {
		if err := srv.Clients.Caller(ctx).Receive(ctx, Message{Text: "welcome"}); err != nil {
			return err
		}
		go func() { // the hook need not wait for the client's answer
			s, err := srv.Clients.Client(conn.ID()).Ask(context.Background(), "there?")
			if err != nil {
				s = err.Error()
			}
			answers <- s
		}()
		return nil
	}})
	impl.clients, impl.groups = srv.Clients, srv.Groups
	mux := http.NewServeMux()
	srv.Mount(mux, "/chat")
	ts := httptest.NewServer(mux)
	defer ts.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i := range 50 {
		r := &receiver{got: make(chan Message, 1)}
		conn, err := client.Dial(ctx, ts.URL+"/chat", client.Options{Handlers: ChatHandlers(r), Reconnect: client.NoReconnect})
		if err != nil {
			t.Fatal(err)
		}
		select {
		case m := <-r.got:
			if m.Text != "welcome" {
				t.Errorf("dial %d: got %+v, want the welcome", i, m)
			}
		case <-ctx.Done():
			t.Fatalf("dial %d: the welcome sent from OnConnected never arrived", i)
		}
		if got := <-answers; got != "yes: there?" {
			t.Errorf("dial %d: Ask answered %q", i, got)
		}
		conn.Close()
	}
}

// testStreams runs the streaming methods through the generated stub and
// server: a server stream read to its end, stopped by break and by ctx, an
// upload, an upload answered with a stream, and streams that fail before
// their first item.
func testStreams(t *testing.T, ctx context.Context, conn *client.Conn, stub ChatHub, impl *chatHub) {
	t.Run("server stream", func(t *testing.T) {
		got, err := collect(stub.Counter(ctx, 5))
		if err != nil || !slices.Equal(got, []int{0, 1, 2, 3, 4}) {
			t.Errorf("Counter(5): %v, %v", got, err)
		}
		if got, err := collect(stub.Counter(ctx, 0)); err != nil || len(got) != 0 {
			t.Errorf("Counter(0): %v, %v", got, err)
		}
	})

	t.Run("break cancels the server's ctx", func(t *testing.T) {
		n := 0
		for v, err := range stub.Counter(ctx, -1) {
			if err != nil {
				t.Fatal(err)
			}
			if v != n {
				t.Fatalf("item %d is %d", n, v)
			}
			if n++; n == 3 {
				break
			}
		}
		stopped(t, impl)
	})

	t.Run("ctx cancels the server's ctx", func(t *testing.T) {
		sctx, cancel := context.WithCancel(ctx)
		defer cancel()
		n := 0
		for _, err := range stub.Counter(sctx, -1) {
			if err != nil {
				if !errors.Is(err, context.Canceled) {
					t.Errorf("after cancel: %v", err)
				}
				break
			}
			if n++; n == 3 {
				cancel()
			}
		}
		if n < 3 {
			t.Errorf("the stream ended after %d items", n)
		}
		stopped(t, impl)
	})

	t.Run("bad argument", func(t *testing.T) {
		// An argument that does not decode fails the stream, through the
		// sequence.
		got, err := collect(client.StreamOf[int](ctx, conn, "Counter", "three"))
		var serverErr *client.Error
		if !errors.As(err, &serverErr) || len(got) != 0 {
			t.Errorf("Counter(\"three\"): %v, %v", got, err)
		}
	})

	t.Run("upload", func(t *testing.T) {
		if s, err := stub.Concat(ctx, "-", seqOf("a", "b", "c")); err != nil || s != "a-b-c" {
			t.Errorf("Concat: %q, %v", s, err)
		}
		if s, err := stub.Concat(ctx, "-", seqOf[string]()); err != nil || s != "" {
			t.Errorf("Concat of nothing: %q, %v", s, err)
		}
		// A client stream that fails fails the server method reading it, which
		// returns the error it read.
		failing := func(yield func(string, error) bool) {
			if yield("a", nil) {
				yield("", errors.New("the disk is on fire"))
			}
		}
		if s, err := stub.Concat(ctx, "-", failing); err == nil || !strings.Contains(err.Error(), "the disk is on fire") {
			t.Errorf("Concat of a failing upload: %q, %v", s, err)
		}
	})

	t.Run("upload and stream", func(t *testing.T) {
		got, err := collect(stub.Scale(ctx, 10, seqOf(1, 2, 3)))
		if err != nil || !slices.Equal(got, []int{10, 20, 30}) {
			t.Errorf("Scale: %v, %v", got, err)
		}
	})

	// A method that returns (iter.Seq2[T, error], error) fails before its
	// first item with the invocation error text, not the streaming one; the
	// stub's error is nil, and the hub's ends the stream.
	t.Run("stream that fails before it starts", func(t *testing.T) {
		countdown := func(n int) ([]int, error) {
			seq, err := stub.Countdown(ctx, n)
			if err != nil {
				t.Fatalf("Countdown(%d): the stub's error is %v", n, err)
			}
			return collect(seq)
		}
		if got, err := countdown(3); err != nil || !slices.Equal(got, []int{3, 2, 1}) {
			t.Errorf("Countdown(3): %v, %v", got, err)
		}
		if got, err := countdown(0); err != nil || len(got) != 0 {
			t.Errorf("Countdown(0): %v, %v", got, err)
		}
		const invokeFailed = "An unexpected error occurred invoking 'Countdown' on the server."
		for _, tc := range []struct {
			n    int
			want string
		}{
			{-1, invokeFailed + " HubException: n is negative"},
			// Without detailed errors, only a *hub.Error's message reaches
			// the client.
			{101, invokeFailed},
		} {
			got, err := countdown(tc.n)
			var serverErr *client.Error
			if !errors.As(err, &serverErr) || serverErr.Message != tc.want || len(got) != 0 {
				t.Errorf("Countdown(%d): %v, %v; want no items and %q", tc.n, got, err, tc.want)
			}
		}
	})

	t.Run("upload and stream that fails before it starts", func(t *testing.T) {
		seq, err := stub.ScaleChecked(ctx, 10, seqOf(1, 2, 3))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := collect(seq); err != nil || !slices.Equal(got, []int{10, 20, 30}) {
			t.Errorf("ScaleChecked(10): %v, %v", got, err)
		}
		seq, err = stub.ScaleChecked(ctx, 0, seqOf(1, 2, 3))
		if err != nil {
			t.Fatal(err)
		}
		got, err := collect(seq)
		var serverErr *client.Error
		const want = "An unexpected error occurred invoking 'ScaleChecked' on the server. HubException: factor is 0"
		if !errors.As(err, &serverErr) || serverErr.Message != want || len(got) != 0 {
			t.Errorf("ScaleChecked(0): %v, %v; want no items and %q", got, err, want)
		}
		// The connection goes on after the refused upload.
		if s, err := stub.Echo(ctx, "still here"); err != nil || s != "still here" {
			t.Errorf("Echo after ScaleChecked(0): %q, %v", s, err)
		}
	})
}

// seqOf returns a stream of the items.
func seqOf[T any](items ...T) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for _, v := range items {
			if !yield(v, nil) {
				return
			}
		}
	}
}

// collect reads a stream to its end, or to its first error.
func collect[T any](seq iter.Seq2[T, error]) ([]T, error) {
	var out []T
	for v, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
	return out, nil
}

// stopped waits for an endless Counter to stop, and checks that its ctx was
// cancelled.
func stopped(t *testing.T, impl *chatHub) {
	t.Helper()
	select {
	case err := <-impl.stopped:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("the server stream stopped with ctx error %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the server stream did not stop")
	}
}

func expect(t *testing.T, r *receiver, want Message) {
	t.Helper()
	select {
	case m := <-r.got:
		if m != want {
			t.Errorf("received %+v, want %+v", m, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("nothing received, want %+v", want)
	}
}
