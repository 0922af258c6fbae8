package hub_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hubgen/hubgen/runtime/client"
	"github.com/hubgen/hubgen/runtime/hub"
	"github.com/hubgen/hubgen/runtime/protocol"
	"github.com/vmihailenco/msgpack/v5"
)

// Values that cannot be encoded, one kind of failure each.
type (
	jsonPanic    struct{} // MarshalJSON panics
	msgpackPanic struct{} // EncodeMsgpack panics
	withChan     struct{ C chan int }
)

func (jsonPanic) MarshalJSON() ([]byte, error)            { panic("MarshalJSON panicked") }
func (msgpackPanic) EncodeMsgpack(*msgpack.Encoder) error { panic("EncodeMsgpack panicked") }
func (msgpackPanic) MarshalJSON() ([]byte, error)         { return []byte(`"fine in JSON"`), nil }
func (jsonPanic) EncodeMsgpack(e *msgpack.Encoder) error {
	return e.EncodeString("fine in MessagePack")
}
func badValueFails(p protocol.Protocol, failure string) bool {
	switch failure {
	case "MarshalJSON panics":
		return p == protocol.JSON
	case "EncodeMsgpack panics":
		return p == protocol.MessagePack
	case "NaN", "+Inf", "-Inf":
		return p == protocol.JSON // MessagePack carries them as floats
	}
	return true // an unsupported type
}

var badValues = []struct {
	name  string
	value any
}{
	{"MarshalJSON panics", jsonPanic{}},
	{"EncodeMsgpack panics", msgpackPanic{}},
	{"NaN", math.NaN()},
	{"+Inf", math.Inf(1)},
	{"-Inf", math.Inf(-1)},
	{"unsupported type", withChan{C: make(chan int)}},
}

// TestUserValuesThatCannotBeEncoded is the matrix of issue 17: every place the
// hub encodes a user's value, every way it can fail, both protocols. The
// caller gets a clear error, the connection goes on answering, and Shutdown
// (in the hub's cleanup) returns in time.
func TestUserValuesThatCannotBeEncoded(t *testing.T) {
	for _, p := range []protocol.Protocol{protocol.JSON, protocol.MessagePack} {
		for _, bad := range badValues {
			t.Run(p.Name()+"/"+bad.name, func(t *testing.T) {
				testBadValue(t, p, bad.name, bad.value)
			})
		}
	}
}

func testBadValue(t *testing.T, p protocol.Protocol, failure string, value any) {
	fails := badValueFails(p, failure)
	methods := []hub.Method{echo,
		{Name: "Result", Call: func(context.Context, hub.Args) (any, error) { return value, nil }},
		{Name: "Items", Stream: func(context.Context, hub.Args) (iter.Seq2[any, error], error) {
			return func(yield func(any, error) bool) { _ = yield(value, nil) && yield("after", nil) }, nil
		}},
	}
	h := newTestHub(t, hub.Options{Logger: quietLogger(), KeepAliveInterval: 100 * time.Millisecond}, methods...)
	asked := make(chan struct{}, 1)
	conn, err := client.Dial(context.Background(), h.url, client.Options{
		Protocol: p, Reconnect: client.NoReconnect, Logger: quietLogger(),
		Handlers: map[string]client.Handler{
			"Ask": func(ctx context.Context, a client.Args) (any, error) {
				asked <- struct{}{}
				return "answer", nil
			},
			"Note": func(context.Context, client.Args) (any, error) { return nil, nil },
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stillAnswers := func(step string) {
		t.Helper()
		var got string
		if err := conn.Invoke(ctx, "Echo", &got, step); err != nil || got != step {
			t.Fatalf("after %s, Echo: %q, %v", step, got, err)
		}
	}
	check := func(step string, err error, wantText string) {
		t.Helper()
		if fails && (err == nil || !strings.Contains(err.Error(), wantText)) {
			t.Errorf("%s: %v, want an error with %q", step, err, wantText)
		}
		if !fails && err != nil {
			t.Errorf("%s: %v, want no error", step, err)
		}
		stillAnswers(step)
	}

	// A hub method's result.
	var result any
	err = conn.Invoke(ctx, "Result", &result)
	check("a result", err, "An unexpected error occurred invoking 'Result' on the server.")

	// A stream's first item.
	err = nil
	for _, ierr := range client.StreamOf[any](ctx, conn, "Items") {
		if ierr != nil {
			err = ierr
			break
		}
	}
	check("a stream item", err, "An error occurred on the server while streaming results.")

	// Send and broadcast arguments, from a worker.
	id := conn.ID()
	check("a broadcast", h.Clients().All().Send(ctx, "Note", value), "")
	check("a send to one connection", h.Clients().Client(id).Send(ctx, "Note", value), "")
	if err := h.Groups().Add(ctx, id, "other"); err != nil {
		t.Fatal(err)
	}
	check("a send to groups", h.Clients().Groups("none", "other").Send(ctx, "Note", value), "")

	// A client result's arguments: the call fails at once, and nothing is
	// asked of the client.
	var answer string
	err = h.Clients().Client(id).Invoke(ctx, "Ask", &answer, value)
	check("client-result arguments", err, "cannot encode the arguments of \"Ask\"")
	if fails {
		select {
		case <-asked:
			t.Error("the client was asked although the arguments could not be encoded")
		default:
		}
	} else {
		<-asked
	}

	// Keep-alive still reaches every connection: the heartbeat was not held.
	waitPing(t, h)
}

// waitPing checks that the heartbeat still pings idle connections, with a
// raw connection that waits for its Ping.
func waitPing(t *testing.T, h *testHub) {
	t.Helper()
	c := connect(t, h.url)
	if r := c.record(); r != `{"type":6}` {
		t.Fatalf("an idle connection got %q, want a Ping", r)
	}
}

// TestClientResultAnswerThatCannotBeDecoded: a client's answer that does not
// decode as the result's type fails the call, not the connection.
func TestClientResultAnswerThatCannotBeDecoded(t *testing.T) {
	for _, p := range []protocol.Protocol{protocol.JSON, protocol.MessagePack} {
		t.Run(p.Name(), func(t *testing.T) {
			h := newTestHub(t, hub.Options{Logger: quietLogger()}, echo)
			conn, err := client.Dial(context.Background(), h.url, client.Options{
				Protocol: p, Reconnect: client.NoReconnect, Logger: quietLogger(),
				Handlers: map[string]client.Handler{"Ask": func(context.Context, client.Args) (any, error) { return "not a number", nil }},
			})
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			var n int
			if err := h.Clients().Client(conn.ID()).Invoke(context.Background(), "Ask", &n); err == nil {
				t.Fatal("a string answer decoded into an int")
			}
			var got string
			if err := conn.Invoke(context.Background(), "Echo", &got, "x"); err != nil || got != "x" {
				t.Fatalf("Echo after a bad answer: %q, %v", got, err)
			}
		})
	}
}

// vanishHub is a hub whose methods wait, and that reports when their ctx
// ends and when connections end.
type vanishHub struct {
	*testHub
	entered      chan string // a method started
	ctxDone      chan string // a method's ctx ended
	disconnected chan string // OnDisconnected ran, with the connection id
}

func newVanishHub(t *testing.T, opts hub.Options) *vanishHub {
	v := &vanishHub{entered: make(chan string, 16), ctxDone: make(chan string, 16), disconnected: make(chan string, 16)}
	wait := func(ctx context.Context, a hub.Args) (any, error) {
		v.entered <- "Wait"
		<-ctx.Done()
		v.ctxDone <- "Wait"
		return nil, ctx.Err()
	}
	ask := func(ctx context.Context, a hub.Args) (any, error) {
		v.entered <- "Ask"
		// The client never answers: the call ends with the connection.
		err := v.Clients().Caller(ctx).Invoke(ctx, "Question", nil)
		v.ctxDone <- "Ask"
		return nil, err
	}
	opts.Logger = quietLogger()
	opts.OnDisconnected = func(ctx context.Context, c *hub.Conn, err error) { v.disconnected <- c.ID() }
	v.testHub = newTestHub(t, opts,
		hub.Method{Name: "Wait", Call: wait},
		hub.Method{Name: "Ask", Call: ask},
	)
	return v
}

func (v *vanishHub) await(t *testing.T, ch chan string, what string) time.Time {
	t.Helper()
	select {
	case <-ch:
		return time.Now()
	case <-time.After(20 * time.Second):
		t.Fatalf("%s: never", what)
		return time.Time{}
	}
}

// TestVanishingClients: a client whose socket closes without a Close frame,
// while its methods wait on ctx or for client results, over each transport:
// the methods' ctx ends and OnDisconnected runs, and nothing is left behind.
func TestVanishingClients(t *testing.T) {
	type scenario struct {
		name  string
		opts  hub.Options
		calls []string // invoked in this order, each awaited as entered but the last when full
	}
	scenarios := []scenario{
		{"waiting on ctx", hub.Options{}, []string{"Wait"}},
		// Two slots, both taken by calls that wait for client results; the
		// third invocation waits for a slot.
		{"client results pending", hub.Options{MaxParallelInvocations: 2}, []string{"Ask", "Ask", "Wait"}},
	}
	for _, transport := range []string{"WebSockets", "ServerSentEvents", "LongPolling"} {
		for _, sc := range scenarios {
			t.Run(transport+"/"+sc.name, func(t *testing.T) {
				opts := sc.opts
				opts.DisconnectTimeout = 200 * time.Millisecond
				v := newVanishHub(t, opts)
				vanish := openVanishing(t, v.testHub, transport)
				for i, call := range sc.calls {
					vanish.send(fmt.Sprintf(`{"type":1,"invocationId":"%d","target":"%s","arguments":[]}`, i, call))
				}
				entered := min(len(sc.calls), max(opts.MaxParallelInvocations, 1))
				for range entered {
					v.await(t, v.entered, "a method started")
				}
				gone := time.Now()
				vanish.vanish()
				var last time.Time
				for range entered {
					last = v.await(t, v.ctxDone, "a method's ctx ended")
				}
				d := v.await(t, v.disconnected, "OnDisconnected ran")
				t.Logf("ctx ended %v and OnDisconnected ran %v after the client vanished", last.Sub(gone), d.Sub(gone))
			})
		}
	}
}

// vanishing is a raw client that can disappear without a word.
type vanishing struct {
	send   func(record string)
	vanish func()
}

func openVanishing(t *testing.T, h *testHub, transport string) vanishing {
	t.Helper()
	handshake := `{"protocol":"json","version":1}`
	switch transport {
	case "WebSockets":
		c := connect(t, h.url)
		return vanishing{
			send:   func(r string) { c.send(r) },
			vanish: func() { c.ws.UnderlyingConn().Close() },
		}
	case "ServerSentEvents":
		token := negotiated(t, h.url)
		url := h.url + "?id=" + token
		events := openEvents(t, url, nil)
		do(t, "POST", url, handshake+rs, nil)
		if got := events.event(); got != "{}"+rs {
			t.Fatalf("handshake response %q", got)
		}
		return vanishing{
			send:   postAsync(t, url),
			vanish: func() { events.resp.Body.Close() },
		}
	default:
		token := negotiated(t, h.url)
		url := h.url + "?id=" + token
		if resp, _ := do(t, "GET", url, "", nil); resp.StatusCode != 200 { // the first poll answers at once
			t.Fatalf("first poll: %d", resp.StatusCode)
		}
		do(t, "POST", url, handshake+rs, nil)
		if _, body := do(t, "GET", url, "", nil); body != "{}"+rs {
			t.Fatalf("handshake response %q", body)
		}
		// The client stops polling: it is gone after the disconnect timeout.
		return vanishing{send: postAsync(t, url), vanish: func() {}}
	}
}

// postAsync returns a send that POSTs each record on a goroutine of its own,
// in order: a POST that carries an invocation answers only when the reader
// has handled it, as the hub runs the invocation on the POST's goroutine.
func postAsync(t *testing.T, url string) func(record string) {
	records := make(chan string, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for r := range records {
			resp, err := http.Post(url, "text/plain", strings.NewReader(r+rs))
			if err == nil {
				resp.Body.Close()
			}
		}
	}()
	t.Cleanup(func() { close(records); <-done })
	return func(r string) { records <- r }
}

// TestQuickCancelIsNeverLost: a CancelInvocation right behind its
// StreamInvocation, in the same frame or the next, always ends the stream.
func TestQuickCancelIsNeverLost(t *testing.T) {
	var running sync.WaitGroup
	endless := hub.Method{Name: "Endless", Stream: func(ctx context.Context, a hub.Args) (iter.Seq2[any, error], error) {
		running.Add(1)
		return func(yield func(any, error) bool) {
			defer running.Done()
			<-ctx.Done()
		}, nil
	}}
	h := newTestHub(t, hub.Options{Logger: quietLogger()}, echo, endless)
	c := connect(t, h.url)
	for i := range 1000 {
		stream := fmt.Sprintf(`{"type":4,"invocationId":"%d","target":"Endless","arguments":[]}`, i)
		cancel := fmt.Sprintf(`{"type":5,"invocationId":"%d"}`, i)
		if i%2 == 0 {
			c.send(stream, cancel) // one frame
		} else {
			c.send(stream) // two frames
			c.send(cancel)
		}
		want := fmt.Sprintf(`{"type":3,"invocationId":"%d"}`, i)
		if got := c.message(); fmt.Sprint(got["invocationId"]) != fmt.Sprint(i) || got["type"] != 3.0 {
			t.Fatalf("cycle %d: got %v, want %s", i, got, want)
		}
	}
	running.Wait() // every stream's producer ended
}

// TestStreamsMayAskTheirCaller: a stream runs on a goroutine of its own, so
// it may wait for a client result from its caller even when invocations run
// one at a time.
func TestStreamsMayAskTheirCaller(t *testing.T) {
	var h *testHub
	asking := hub.Method{Name: "Asking", Stream: func(ctx context.Context, a hub.Args) (iter.Seq2[any, error], error) {
		return func(yield func(any, error) bool) {
			var answer string
			err := h.Clients().Caller(ctx).Invoke(ctx, "Question", &answer)
			yield(answer, err)
		}, nil
	}}
	h = newTestHub(t, hub.Options{Logger: quietLogger()}, asking)
	conn, err := client.Dial(context.Background(), h.url, client.Options{
		Reconnect: client.NoReconnect, Logger: quietLogger(),
		Handlers: map[string]client.Handler{"Question": func(context.Context, client.Args) (any, error) { return "42", nil }},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for item, err := range client.StreamOf[string](context.Background(), conn, "Asking") {
		if err != nil || item != "42" {
			t.Fatalf("item %q, %v; want the caller's answer", item, err)
		}
	}
}

// TestCloseErrorReachesOnDisconnected: a client's Close message with an error
// reaches OnDisconnected as a *hub.Error with its text, as ASP.NET Core passes
// a HubException.
func TestCloseErrorReachesOnDisconnected(t *testing.T) {
	got := make(chan error, 1)
	h := newTestHub(t, hub.Options{Logger: quietLogger(), OnDisconnected: func(ctx context.Context, c *hub.Conn, err error) { got <- err }})
	c := connect(t, h.url)
	c.send(`{"type":7,"error":"the client failed"}`)
	c.closed() // answers the server's close frame
	err := <-got
	var he *hub.Error
	if !errors.As(err, &he) || he.Message != "the client failed" {
		t.Fatalf("OnDisconnected got %v, want a *hub.Error with the client's text", err)
	}
}

// TestArgsDecodeOutOfRange: an index past the arguments is an error, not a
// panic.
func TestArgsDecodeOutOfRange(t *testing.T) {
	a := hub.NewArgs(protocol.JSON, []protocol.Raw{protocol.Raw(`"x"`)})
	var s string
	if err := a.Decode(1, &s); err == nil {
		t.Fatal("Decode(1) of one argument succeeded")
	}
	if _, err := hub.Arg[string](a, -1); err == nil {
		t.Fatal("Arg(-1) succeeded")
	}
}

// TestQuickCancelFromTheGoClient: 1,000 streams of hubgen's client, each
// abandoned after its first item: every stream's ctx ends on the server.
func TestQuickCancelFromTheGoClient(t *testing.T) {
	var running sync.WaitGroup
	ended := make(chan struct{}, 1000)
	endless := hub.Method{Name: "Endless", Stream: func(ctx context.Context, a hub.Args) (iter.Seq2[any, error], error) {
		running.Add(1)
		return func(yield func(any, error) bool) {
			defer running.Done()
			yield(0, nil)
			<-ctx.Done()
			ended <- struct{}{}
		}, nil
	}}
	h := newTestHub(t, hub.Options{Logger: quietLogger()}, endless)
	conn, err := client.Dial(context.Background(), h.url, client.Options{Reconnect: client.NoReconnect, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for i := range 1000 {
		for _, err := range client.StreamOf[int](context.Background(), conn, "Endless") {
			if err != nil {
				t.Fatalf("cycle %d: %v", i, err)
			}
			break // sends the CancelInvocation
		}
		<-ended
	}
	running.Wait()
}

// TestStandbyReaderKeepsOrder: while a hub method holds the reader of a
// WebSocket, a standby reader takes the socket over and queues what arrives
// (more than its inbox holds, so it also waits for room); once the method
// returns, every message is handled in order, and the connection goes on as
// before.
func TestStandbyReaderKeepsOrder(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	slow := hub.Method{Name: "Slow", Call: func(ctx context.Context, a hub.Args) (any, error) {
		close(entered)
		<-release
		return "slow", nil
	}}
	h := newTestHub(t, hub.Options{Logger: quietLogger()}, echo, slow, whoAmI)
	c := connect(t, h.url)
	c.send(`{"type":1,"invocationId":"slow","target":"Slow","arguments":[]}`)
	<-entered
	arg := strings.Repeat("x", 1000)
	const n = 200 // 200 KB: more than the standby's inbox
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range n {
			c.send(fmt.Sprintf(`{"type":1,"invocationId":"%d","target":"Echo","arguments":["%s"]}`, i, arg))
		}
	}()
	<-done // the standby has read it all, or waits for room in its inbox
	close(release)
	if m := c.message(); m["invocationId"] != "slow" || m["result"] != "slow" {
		t.Fatalf("first completion %v, want Slow's", m)
	}
	for i := range n {
		if m := c.message(); m["invocationId"] != fmt.Sprint(i) || m["result"] != arg {
			t.Fatalf("completion %d: %v", i, m["invocationId"])
		}
	}
	if m := c.invoke("after", "Echo", "after"); m["result"] != "after" {
		t.Fatalf("after the standby took over: %v", m)
	}
}

// TestCancelInvocation: a CancelInvocation for an invocation that runs on a
// goroutine of its own cancels its ctx, from a raw client and from the Go
// client's Invoke when its ctx ends.
func TestCancelInvocation(t *testing.T) {
	entered, ended := make(chan struct{}, 1), make(chan error, 1)
	wait := hub.Method{Name: "Wait", Call: func(ctx context.Context, a hub.Args) (any, error) {
		entered <- struct{}{}
		<-ctx.Done()
		ended <- ctx.Err()
		return nil, ctx.Err()
	}}
	h := newTestHub(t, hub.Options{Logger: quietLogger(), MaxParallelInvocations: 2}, echo, wait)

	c := connect(t, h.url)
	c.send(`{"type":1,"invocationId":"1","target":"Wait","arguments":[]}`, `{"type":5,"invocationId":"1"}`)
	if err := <-ended; !errors.Is(err, context.Canceled) {
		t.Fatalf("the method's ctx: %v, want canceled", err)
	}
	<-entered
	if m := c.message(); m["invocationId"] != "1" || m["type"] != 3.0 {
		t.Fatalf("got %v, want the cancelled invocation's Completion", m)
	}
	if m := c.invoke("2", "Echo", "alive"); m["result"] != "alive" {
		t.Fatalf("after a cancel: %v", m)
	}

	conn, err := client.Dial(context.Background(), h.url, client.Options{Reconnect: client.NoReconnect, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-entered; cancel() }()
	if err := conn.Invoke(ctx, "Wait", nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("Invoke: %v, want ctx's error", err)
	}
	if err := <-ended; !errors.Is(err, context.Canceled) {
		t.Fatalf("the method's ctx after the Go client's cancel: %v", err)
	}
}

// TestNilStreamIsEmpty: a stream method that returns neither a sequence nor
// an error streams nothing and completes.
func TestNilStreamIsEmpty(t *testing.T) {
	none := hub.Method{Name: "None", Stream: func(context.Context, hub.Args) (iter.Seq2[any, error], error) { return nil, nil }}
	h := newTestHub(t, hub.Options{Logger: quietLogger()}, none)
	c := connect(t, h.url)
	c.send(`{"type":4,"invocationId":"1","target":"None","arguments":[]}`)
	if m := c.message(); m["type"] != 3.0 || m["error"] != nil {
		t.Fatalf("got %v, want a plain Completion", m)
	}
}
