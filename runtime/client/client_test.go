package client_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hubgen/hubgen/runtime/client"
	"github.com/hubgen/hubgen/runtime/hub"
	"github.com/hubgen/hubgen/runtime/protocol"
)

func TestInvoke(t *testing.T) {
	h := newHub(t, hub.Options{})
	c := dial(t, h.url, client.Options{})
	ctx := testCtx(t)

	if c.State() != client.Connected || c.ID() == "" {
		t.Fatalf("State, ID = %v, %q; want Connected and an id", c.State(), c.ID())
	}
	var s string
	if err := c.Invoke(ctx, "Echo", &s, "héllo \"world\""); err != nil || s != "héllo \"world\"" {
		t.Errorf("Echo = %q, %v", s, err)
	}
	var n int
	if err := c.Invoke(ctx, "add", &n, 2, 3); err != nil || n != 5 { // method names ignore case
		t.Errorf("Add = %d, %v", n, err)
	}
	var in info
	if err := c.Invoke(ctx, "Info", &in); err != nil || in != (info{"hub", 7}) {
		t.Errorf("Info = %+v, %v", in, err)
	}
	if err := c.Invoke(ctx, "Nothing", nil); err != nil {
		t.Errorf("Nothing: %v", err)
	}
	if err := c.Invoke(ctx, "Echo", nil, "ignored"); err != nil {
		t.Errorf("Echo with a nil result: %v", err)
	}
}

func TestInvokeErrors(t *testing.T) {
	h := newHub(t, hub.Options{})
	c := dial(t, h.url, client.Options{})
	ctx := testCtx(t)

	err := c.Invoke(ctx, "Fail", nil, "no such room")
	var e *client.Error
	if !errors.As(err, &e) || e.Message != "An unexpected error occurred invoking 'Fail' on the server. HubException: no such room" {
		t.Errorf("Fail: %#v", err)
	}
	err = c.Invoke(ctx, "Missing", nil)
	if !errors.As(err, &e) || e.Message != "Failed to invoke 'Missing' due to an error on the server. HubException: Method does not exist." {
		t.Errorf("Missing: %#v", err)
	}
	var n int
	if err := c.Invoke(ctx, "Echo", &n, "not a number"); err == nil || !strings.Contains(err.Error(), `cannot decode the result of "Echo"`) {
		t.Errorf("Echo into an int: %v", err)
	}
	if err := c.Invoke(ctx, "Echo", nil, make(chan int)); err == nil || !strings.Contains(err.Error(), `cannot encode the arguments of "Echo"`) {
		t.Errorf("Echo of a chan: %v", err)
	}
	// The connection is still fine.
	echoWorks(t, ctx, c, "ok")
}

func TestInvokeContext(t *testing.T) {
	h := newHub(t, hub.Options{})
	c := dial(t, h.url, client.Options{})

	ctx, cancel := context.WithTimeout(testCtx(t), 50*time.Millisecond)
	defer cancel()
	if err := c.Invoke(ctx, "Block", nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Block = %v, want DeadlineExceeded", err)
	}
	if err := c.Invoke(ctx, "Echo", nil, "x"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Invoke with an ended context = %v", err)
	}
	if err := c.Send(ctx, "Echo", "x"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Send with an ended context = %v", err)
	}
	var s string
	if err := c.Invoke(testCtx(t), "Echo", &s, "after"); err != nil || s != "after" {
		t.Errorf("Echo = %q, %v", s, err)
	}
}

func TestInvokeConcurrent(t *testing.T) {
	h := newHub(t, hub.Options{})
	c := dial(t, h.url, client.Options{})
	ctx := testCtx(t)

	var wg sync.WaitGroup
	for g := range 64 {
		wg.Go(func() {
			for i := range 50 {
				want := fmt.Sprintf("caller %d call %d", g, i)
				var got string
				if err := c.Invoke(ctx, "Echo", &got, want); err != nil || got != want {
					t.Errorf("Echo(%q) = %q, %v", want, got, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestSend(t *testing.T) {
	h := newHub(t, hub.Options{MaxParallelInvocations: 1}) // in order
	got := make(chan string, 10)
	c := dial(t, h.url, client.Options{})
	c.On("Said", func(ctx context.Context, a client.Args) (any, error) {
		s, err := client.Arg[string](a, 0)
		got <- s
		return nil, err
	})
	ctx := testCtx(t)
	// Send runs Callback without waiting, and the server does not answer it.
	if err := c.Send(ctx, "Callback", "Said", "one"); err != nil {
		t.Fatal(err)
	}
	if err := c.Send(ctx, "Missing"); err != nil {
		t.Fatal(err)
	}
	if err := c.Send(ctx, "Callback", "Said", "two"); err != nil {
		t.Fatal(err)
	}
	if s := recv(t, got, "one"); s != "one" {
		t.Errorf("got %q, want one", s)
	}
	if s := recv(t, got, "two"); s != "two" {
		t.Errorf("got %q, want two", s)
	}
}

func TestOn(t *testing.T) {
	h := newHub(t, hub.Options{})
	c := dial(t, h.url, client.Options{})
	ctx := testCtx(t)

	type event struct{ handler, arg string }
	events := make(chan event, 10)
	handler := func(name string) client.Handler {
		return func(ctx context.Context, a client.Args) (any, error) {
			if a.Len() != 1 {
				t.Errorf("%s: %d arguments", name, a.Len())
			}
			var s string
			err := a.Decode(0, &s)
			events <- event{name, s}
			return nil, err
		}
	}
	removeFirst := c.On("showtime", handler("first")) // the server calls ShowTime
	c.On("SHOWTIME", handler("second"))
	c.On("Done", handler("done"))

	if err := c.Invoke(ctx, "Callback", nil, "ShowTime", "1"); err != nil {
		t.Fatal(err)
	}
	if e := recv(t, events, "first"); e != (event{"first", "1"}) {
		t.Errorf("got %+v", e)
	}
	if e := recv(t, events, "second"); e != (event{"second", "1"}) {
		t.Errorf("got %+v", e)
	}

	removeFirst()
	removeFirst() // a second call does nothing
	if err := c.Invoke(ctx, "Callback", nil, "ShowTime", "2"); err != nil {
		t.Fatal(err)
	}
	if err := c.Invoke(ctx, "Callback", nil, "Done", "3"); err != nil {
		t.Fatal(err)
	}
	// Handlers run in order: once Done ran, ShowTime's second call has run.
	if e := recv(t, events, "second"); e != (event{"second", "2"}) {
		t.Errorf("got %+v", e)
	}
	if e := recv(t, events, "done"); e != (event{"done", "3"}) {
		t.Errorf("got %+v, want done (the removed handler ran?)", e)
	}
}

func TestHandlerInvokes(t *testing.T) {
	h := newHub(t, hub.Options{})
	c := dial(t, h.url, client.Options{})
	ctx := testCtx(t)
	result := make(chan string, 1)
	c.On("Ask", func(ctx context.Context, a client.Args) (any, error) {
		// A handler may call the server; the reader keeps reading meanwhile.
		var s string
		err := c.Invoke(ctx, "Echo", &s, "from a handler")
		result <- s
		return nil, err
	})
	if err := c.Invoke(ctx, "Callback", nil, "Ask", ""); err != nil {
		t.Fatal(err)
	}
	if s := recv(t, result, "the handler's result"); s != "from a handler" {
		t.Errorf("got %q", s)
	}
}

func TestHandlersOption(t *testing.T) {
	h := newHub(t, hub.Options{
		OnConnected: func(ctx context.Context, c *hub.Conn) error {
			// Sent right after the handshake, possibly in the same frame.
			return c.Send(hub.NewInvocation("Welcome", "hello"))
		},
	})
	welcome := make(chan string, 1)
	dial(t, h.url, client.Options{Handlers: map[string]client.Handler{
		"welcome": func(ctx context.Context, a client.Args) (any, error) {
			s, err := client.Arg[string](a, 0)
			welcome <- s
			return nil, err
		},
	}})
	if s := recv(t, welcome, "Welcome"); s != "hello" {
		t.Errorf("got %q", s)
	}
}

func TestClose(t *testing.T) {
	h := newHub(t, hub.Options{})
	closed := make(chan error, 2)
	c := dial(t, h.url, client.Options{OnClosed: func(err error) { closed <- err }})
	ctx := testCtx(t)

	pending := make(chan error, 1)
	go func() { pending <- c.Invoke(ctx, "Block", nil) }()
	recv(t, h.blocked, "Block to start")

	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := recv(t, closed, "OnClosed"); err != nil {
		t.Errorf("OnClosed(%v), want nil", err)
	}
	err := recv(t, pending, "Block")
	checkNoClientGoroutines(t)
	if !errors.Is(err, client.ErrConnectionClosed) || err.Error() != "client: invocation canceled: the connection was closed" {
		t.Errorf("Block = %v, want ErrConnectionClosed", err)
	}
	if c.State() != client.Disconnected || c.ID() != "" {
		t.Errorf("State, ID = %v, %q", c.State(), c.ID())
	}
	if err := c.Invoke(ctx, "Echo", nil, "x"); !errors.Is(err, client.ErrConnectionClosed) {
		t.Errorf("Invoke after Close = %v", err)
	}
	if err := c.Send(ctx, "Echo", "x"); !errors.Is(err, client.ErrConnectionClosed) {
		t.Errorf("Send after Close = %v", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	select {
	case err := <-closed:
		t.Errorf("OnClosed called twice, with %v", err)
	default:
	}
}

func TestCloseFromCallbacks(t *testing.T) {
	h := newHub(t, hub.Options{})
	closed := make(chan error, 1)
	var c *client.Conn
	c = dial(t, h.url, client.Options{
		OnClosed: func(err error) {
			c.Close() // does not deadlock
			closed <- err
		},
	})
	c.On("Bye", func(context.Context, client.Args) (any, error) {
		return nil, c.Close() // nor here
	})
	// A Send, not an Invoke: Close may come before Callback's completion.
	if err := c.Send(testCtx(t), "Callback", "Bye", ""); err != nil {
		t.Fatal(err)
	}
	if err := recv(t, closed, "OnClosed"); err != nil {
		t.Errorf("OnClosed(%v)", err)
	}

	closed2 := make(chan error, 1)
	var c2 *client.Conn
	c2 = dial(t, h.url, client.Options{
		OnReconnecting: func(error) { c2.Close() }, // nor here
		OnClosed:       func(err error) { closed2 <- err },
	})
	h.close()
	if err := recv(t, closed2, "OnClosed"); err != nil {
		t.Errorf("OnClosed(%v)", err)
	}
}

func TestServerCloseWithError(t *testing.T) {
	h := newHub(t, hub.Options{})
	var policyCalls atomic.Int32
	closed := make(chan error, 1)
	c := dial(t, h.url, client.Options{
		Reconnect: func(retries int, elapsed time.Duration, reason error) (time.Duration, bool) {
			policyCalls.Add(1)
			return 0, true
		},
		OnReconnecting: func(err error) { t.Errorf("OnReconnecting(%v)", err) },
		OnClosed:       func(err error) { closed <- err },
	})
	c.Invoke(testCtx(t), "CloseMe", nil, "bye")
	err := recv(t, closed, "OnClosed")
	want := "Server returned an error on close: Connection closed with an error. HubException: bye"
	if err == nil || err.Error() != want {
		t.Errorf("OnClosed(%v), want %q", err, want)
	}
	if n := policyCalls.Load(); n != 0 {
		t.Errorf("the policy was asked %d times; a Close without allowReconnect ends the connection", n)
	}
	if c.State() != client.Disconnected {
		t.Errorf("State = %v", c.State())
	}
}

func TestNoReconnect(t *testing.T) {
	h := newHub(t, hub.Options{})
	closed := make(chan error, 1)
	dial(t, h.url, client.Options{
		Reconnect:      client.NoReconnect,
		OnReconnecting: func(err error) { t.Errorf("OnReconnecting(%v)", err) },
		OnClosed:       func(err error) { closed <- err },
	})
	h.close() // a Close message that allows reconnecting
	if err := recv(t, closed, "OnClosed"); err == nil {
		t.Error("OnClosed(nil), want why")
	}
}

// fastReconnect tries every 10 ms for 10 s.
func fastReconnect(retries int, elapsed time.Duration, reason error) (time.Duration, bool) {
	return 10 * time.Millisecond, elapsed < 10*time.Second
}

func TestReconnectAfterServerRestart(t *testing.T) {
	h1 := newHub(t, hub.Options{})
	reconnecting := make(chan error, 1)
	reconnected := make(chan string, 1)
	var c *client.Conn
	c = dial(t, h1.url, client.Options{
		Reconnect: fastReconnect,
		OnReconnecting: func(err error) {
			if c.State() != client.Reconnecting {
				t.Errorf("State in OnReconnecting = %v", c.State())
			}
			if err := c.Invoke(context.Background(), "Echo", nil, "x"); !errors.Is(err, client.ErrReconnecting) {
				t.Errorf("Invoke while reconnecting = %v, want ErrReconnecting", err)
			}
			reconnecting <- err
		},
		OnReconnected: func(id string) { reconnected <- id },
		OnClosed: func(err error) {
			if err != nil {
				t.Errorf("OnClosed(%v)", err)
			}
		},
	})
	ctx := testCtx(t)
	oldID := c.ID()
	got := make(chan string, 1)
	c.On("Notify", func(ctx context.Context, a client.Args) (any, error) {
		s, err := client.Arg[string](a, 0)
		got <- s
		return nil, err
	})
	pending := make(chan error, 1)
	go func() { pending <- c.Invoke(ctx, "Block", nil) }()
	recv(t, h1.blocked, "Block to start")

	// Stop the server, then serve a new one at the same address.
	addr := h1.ts.Listener.Addr().String()
	h1.close()
	err := recv(t, pending, "the pending call to fail")
	if !errors.Is(err, client.ErrConnectionClosed) || !strings.Contains(err.Error(), "the connection was lost") {
		t.Errorf("pending Block = %v, want the connection lost", err)
	}
	if err := recv(t, reconnecting, "OnReconnecting"); err == nil {
		t.Error("OnReconnecting(nil), want why")
	}
	h2 := newHubAt(t, addr, hub.Options{})

	newID := recv(t, reconnected, "OnReconnected")
	if newID == "" || newID == oldID || c.ID() != newID {
		t.Errorf("ids: old %q, OnReconnected %q, ID() %q", oldID, newID, c.ID())
	}
	if c.State() != client.Connected {
		t.Errorf("State = %v", c.State())
	}
	// The handler is still bound, and calls go to the new server.
	if err := h2.srv.Clients().Client(newID).Send(ctx, "notify", "after restart"); err != nil {
		t.Fatal(err)
	}
	if s := recv(t, got, "Notify"); s != "after restart" {
		t.Errorf("Notify got %q", s)
	}
	echoWorks(t, ctx, c, "again")
}

func TestReconnectGivesUp(t *testing.T) {
	h := newHub(t, hub.Options{})
	var retries []int
	closed := make(chan error, 1)
	c := dial(t, h.url, client.Options{
		Reconnect: func(n int, elapsed time.Duration, reason error) (time.Duration, bool) {
			retries = append(retries, n)
			if reason == nil {
				t.Errorf("policy called with no reason")
			}
			return time.Millisecond, n < 2
		},
		OnClosed: func(err error) { closed <- err },
	})
	h.close()
	err := recv(t, closed, "OnClosed")
	if err == nil || !strings.Contains(err.Error(), "reconnecting failed after 2 attempts") {
		t.Errorf("OnClosed(%v)", err)
	}
	if fmt.Sprint(retries) != "[0 1 2]" {
		t.Errorf("policy called with retries %v, want [0 1 2]", retries)
	}
	if c.State() != client.Disconnected {
		t.Errorf("State = %v", c.State())
	}
}

func TestCloseWhileReconnecting(t *testing.T) {
	h := newHub(t, hub.Options{})
	reconnecting := make(chan struct{})
	closed := make(chan error, 1)
	c := dial(t, h.url, client.Options{
		Reconnect: func(int, time.Duration, error) (time.Duration, bool) {
			return time.Hour, true
		},
		OnReconnecting: func(error) { close(reconnecting) },
		OnClosed:       func(err error) { closed <- err },
	})
	h.close()
	recv(t, reconnecting, "OnReconnecting")
	c.Close() // returns at once, though the next attempt is an hour away
	if err := recv(t, closed, "OnClosed"); err != nil {
		t.Errorf("OnClosed(%v), want nil", err)
	}
	if c.State() != client.Disconnected {
		t.Errorf("State = %v", c.State())
	}
}

func TestKeepAlive(t *testing.T) {
	// Both sides would time out within 300 ms without the other's pings.
	h := newHub(t, hub.Options{KeepAliveInterval: 50 * time.Millisecond, ClientTimeout: 300 * time.Millisecond})
	closed := make(chan error, 1)
	c := dial(t, h.url, client.Options{
		KeepAliveInterval: 50 * time.Millisecond,
		ServerTimeout:     300 * time.Millisecond,
		Reconnect:         client.NoReconnect,
		OnClosed:          func(err error) { closed <- err },
	})
	select {
	case err := <-closed:
		t.Fatalf("closed while idle: %v", err)
	case <-time.After(700 * time.Millisecond): // a wait for nothing to happen
	}
	var s string
	if err := c.Invoke(testCtx(t), "Echo", &s, "still here"); err != nil || s != "still here" {
		t.Errorf("Echo = %q, %v", s, err)
	}
}

func TestMessagePack(t *testing.T) {
	h := newHub(t, hub.Options{Protocols: []protocol.Protocol{protocol.JSON, protocol.MessagePack}})
	c := dial(t, h.url, client.Options{Protocol: protocol.MessagePack})
	ctx := testCtx(t)

	echoWorks(t, ctx, c, "binary")
	var n int
	if err := c.Invoke(ctx, "Add", &n, 2, 3); err != nil || n != 5 {
		t.Errorf("Add = %d, %v", n, err)
	}
	var e *client.Error
	if err := c.Invoke(ctx, "Fail", nil, "packed"); !errors.As(err, &e) || !strings.HasSuffix(e.Message, "HubException: packed") {
		t.Errorf("Fail = %v", err)
	}
	got := make(chan string, 1)
	c.On("said", func(ctx context.Context, a client.Args) (any, error) {
		s, err := client.Arg[string](a, 0)
		got <- s
		return nil, err
	})
	if err := c.Invoke(ctx, "Callback", nil, "Said", "packed too"); err != nil {
		t.Fatal(err)
	}
	if s := recv(t, got, "Said"); s != "packed too" {
		t.Errorf("Said got %q", s)
	}
}

// TestCloseWaitsForHandler: Close ends a running handler's ctx and returns
// only once the handler has returned.
func TestCloseWaitsForHandler(t *testing.T) {
	h := newHub(t, hub.Options{})
	c := dial(t, h.url, client.Options{})
	started, ctxDone, release := make(chan struct{}), make(chan error, 1), make(chan struct{})
	var returned atomic.Bool
	c.On("Hold", func(ctx context.Context, a client.Args) (any, error) {
		close(started)
		<-ctx.Done()
		ctxDone <- ctx.Err()
		<-release
		returned.Store(true)
		return nil, nil
	})
	if err := c.Invoke(testCtx(t), "Callback", nil, "Hold", ""); err != nil {
		t.Fatal(err)
	}
	recv(t, started, "the handler to start")
	closed := make(chan struct{})
	go func() {
		c.Close()
		close(closed)
	}()
	if err := recv(t, ctxDone, "the handler's ctx to end"); !errors.Is(err, context.Canceled) {
		t.Errorf("the handler's ctx ended with %v", err)
	}
	select {
	case <-closed:
		t.Fatal("Close returned while a handler runs")
	default:
	}
	close(release)
	recv(t, closed, "Close")
	if !returned.Load() {
		t.Error("Close returned before the handler")
	}
	checkNoClientGoroutines(t)
}

// TestCallbackPanics: a callback that panics is logged; Close still returns
// and the process goes on.
func TestCallbackPanics(t *testing.T) {
	h := newHub(t, hub.Options{})
	called := make(chan struct{}, 1)
	c := dial(t, h.url, client.Options{OnClosed: func(error) {
		called <- struct{}{}
		panic("OnClosed panicked")
	}})
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	recv(t, called, "OnClosed")
}
