package hub_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hubgen/hubgen/runtime/client"
	"github.com/hubgen/hubgen/runtime/hub"
	"github.com/hubgen/hubgen/runtime/protocol"
	"go.uber.org/goleak"
)

// fault is one case of the robustness suite of reliability.md §6: a bad input
// or a fault, and the reference behaviour (ASP.NET Core SignalR's) the hub
// must show.
type fault struct {
	n    int    // the case's number in reliability.md §6
	name string // what goes wrong
	// skip says why the case does not concern the hub, if it does not.
	skip string
	// alone says why the case leaves no connection to watch (Shutdown ends
	// them all); otherwise a bystander connection on the same hub must never
	// notice the fault.
	alone   string
	opts    hub.Options
	methods []hub.Method
	// see names other tests that cover more of the case.
	see string
	run func(t *testing.T, e *faultEnv)
}

// faultEnv is a case's hub, what it reports, and its bystander.
type faultEnv struct {
	h            *testHub
	lifetime     *hub.MemoryLifetime
	disconnected chan disconnect // every OnDisconnected, the bystander's excepted
	bystander    *bystander
}

type disconnect struct {
	id  string
	err error
}

// waitDisconnect returns the next connection that ended, other than the
// bystander.
func (e *faultEnv) waitDisconnect(t *testing.T) disconnect {
	t.Helper()
	select {
	case d := <-e.disconnected:
		return d
	case <-time.After(10 * time.Second):
		t.Fatal("no connection ended")
		return disconnect{}
	}
}

// noDisconnect checks that no connection ended.
func (e *faultEnv) noDisconnect(t *testing.T) {
	t.Helper()
	select {
	case d := <-e.disconnected:
		t.Errorf("connection %s ended: %v", d.id, d.err)
	default:
	}
}

// waitConns waits until the server holds n connections.
func (e *faultEnv) waitConns(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for hub.OpenConns(e.h.Server) != n {
		if time.Now().After(deadline) {
			t.Fatalf("the server holds %d connections, want %d", hub.OpenConns(e.h.Server), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// conns is the number of connections besides the bystander.
func (e *faultEnv) conns() int {
	if e.bystander != nil {
		return 1
	}
	return 0
}

// bystander is a connection of the official kind (hubgen's Go client, with
// keep-alives) that watches a case from the side: it must go on invoking and
// receiving whatever happens to the others.
type bystander struct {
	conn   *client.Conn
	notes  chan string
	closed atomic.Value // the error that closed it
}

func newBystander(t *testing.T, h *testHub) *bystander {
	t.Helper()
	b := &bystander{notes: make(chan string, 64)}
	conn, err := client.Dial(context.Background(), h.url, client.Options{
		KeepAliveInterval: 50 * time.Millisecond,
		Reconnect:         client.NoReconnect,
		Logger:            quietLogger(),
		Handlers: map[string]client.Handler{"Note": func(ctx context.Context, args client.Args) (any, error) {
			s, _ := client.Arg[string](args, 0)
			select {
			case b.notes <- s:
			default:
			}
			return nil, nil
		}},
		OnClosed: func(err error) { b.closed.Store(fmt.Sprint(err)) },
	})
	if err != nil {
		t.Fatalf("bystander: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	b.conn = conn
	return b
}

// check makes sure the bystander still invokes and receives.
func (b *bystander) check(t *testing.T, h *testHub) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got string
	if err := b.conn.Invoke(ctx, "Echo", &got, "bystander"); err != nil || got != "bystander" {
		t.Errorf("the bystander's invocation: %q, %v (closed: %v)", got, err, b.closed.Load())
	}
	if err := h.Clients().All().Send(ctx, "Note", "bystander check"); err != nil {
		t.Fatal(err)
	}
	for {
		select {
		case s := <-b.notes:
			if s == "bystander check" {
				return
			}
		case <-ctx.Done():
			t.Errorf("the bystander received no broadcast (closed: %v)", b.closed.Load())
			return
		}
	}
}

// TestFaults runs the cases of reliability.md §6 that concern the hub, each
// against a hub of its own with a bystander connection, and checks after each
// that no goroutine is left behind.
func TestFaults(t *testing.T) {
	for _, f := range faults {
		t.Run(fmt.Sprintf("%02d_%s", f.n, strings.ReplaceAll(f.name, " ", "_")), func(t *testing.T) {
			if f.skip != "" {
				t.Skip(f.skip)
			}
			leaks := goleak.IgnoreCurrent()
			t.Cleanup(func() { goleak.VerifyNone(t, leaks) }) // runs last
			e := &faultEnv{disconnected: make(chan disconnect, 64)}
			opts := f.opts
			if opts.Logger == nil {
				opts.Logger = quietLogger()
			}
			if opts.Lifetime == nil {
				e.lifetime = hub.NewMemoryLifetime()
				opts.Lifetime = e.lifetime
			}
			opts.OnDisconnected = func(ctx context.Context, c *hub.Conn, err error) {
				if e.bystander != nil && c.ID() == e.bystander.conn.ID() {
					return
				}
				select {
				case e.disconnected <- disconnect{c.ID(), err}:
				default:
				}
			}
			e.h = newTestHub(t, opts, append([]hub.Method{echo, whoAmI}, f.methods...)...)
			if f.alone == "" {
				e.bystander = newBystander(t, e.h)
			}
			f.run(t, e)
			if e.bystander != nil {
				e.bystander.check(t, e.h)
			}
		})
	}
}

// Methods of the cases.
var (
	// forever streams until cancelled.
	forever = hub.Method{Name: "Forever", Stream: func(ctx context.Context, a hub.Args) (iter.Seq2[any, error], error) {
		return func(yield func(any, error) bool) {
			if yield("started", nil) {
				<-ctx.Done()
			}
		}, nil
	}}
	// slowEcho echoes its number after a little work.
	slowEcho = hub.Method{Name: "Slow", Args: 1, Call: func(ctx context.Context, a hub.Args) (any, error) {
		time.Sleep(100 * time.Microsecond)
		return hub.Arg[int](a, 0)
	}}
	// askCaller waits for a result from its own caller.
	askCaller = hub.Method{Name: "AskCaller", Call: func(ctx context.Context, a hub.Args) (any, error) {
		var n int
		err := hub.ConnFromContext(ctx).Invoke(ctx, "GetNumber", &n)
		return n, err
	}}
	// stuck waits until its connection ends.
	stuck = hub.Method{Name: "Stuck", Call: func(ctx context.Context, a hub.Args) (any, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}}
)

// closeRecord is the Close message of a protocol error, with detailed errors.
func closeRecord(kind, detail string) string {
	return fmt.Sprintf(`{"type":7,"error":"Connection closed with an error. %s: %s"}`, kind, detail)
}

// expectClose reads until the server closes the socket, and checks the
// records before it and a normal close.
func expectClose(t *testing.T, c *rawClient, want ...string) {
	t.Helper()
	records, err := c.closed()
	if strings.Join(records, "\n") != strings.Join(want, "\n") {
		t.Errorf("records before the close:\n%s\nwant:\n%s", strings.Join(records, "\n"), strings.Join(want, "\n"))
	}
	if !isCloseCode(err, websocket.CloseNormalClosure) {
		t.Errorf("close: %v, want a normal close", err)
	}
}

// expectRecord checks the next record.
func expectRecord(t *testing.T, c *rawClient, want string) {
	t.Helper()
	if got := c.record(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// stillOpen checks that a connection still invokes.
func stillOpen(t *testing.T, c *rawClient) {
	t.Helper()
	if m := c.invoke("alive", "Echo", "still open"); m["result"] != "still open" {
		t.Errorf("the connection does not answer: %v", m)
	}
}

// MessagePack by hand.

func mpConnect(t *testing.T, url string) *rawClient {
	t.Helper()
	c := dial(t, url, nil)
	c.send(`{"protocol":"messagepack","version":1}`)
	if r := c.record(); r != "{}" {
		t.Fatalf("handshake: %q", r)
	}
	return c
}

func (c *rawClient) mpSend(b []byte) {
	c.t.Helper()
	if err := c.ws.WriteMessage(websocket.BinaryMessage, b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// mpMessage returns the next MessagePack message other than a Ping.
func (c *rawClient) mpMessage() protocol.Message {
	c.t.Helper()
	msgs, err := c.mpRead(1)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return msgs[0]
}

// mpClosed reads MessagePack messages until the server closes the socket.
func (c *rawClient) mpClosed() ([]protocol.Message, error) { return c.mpRead(-1) }

// mpRead reads MessagePack messages, Pings left out, until it has n of them
// (n < 0: until the server closes the socket).
func (c *rawClient) mpRead(n int) ([]protocol.Message, error) {
	var msgs []protocol.Message
	for len(msgs) != n {
		var m protocol.Message
		n, err := protocol.MessagePack.Parse(c.pending, &m)
		if err != nil {
			c.t.Fatalf("parse %x: %v", c.pending, err)
		}
		if n > 0 {
			c.pending = c.pending[n:]
			if m.Type != protocol.Ping {
				msgs = append(msgs, protocol.Message{Type: m.Type, Error: m.Error, InvocationID: m.InvocationID})
			}
			continue
		}
		c.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			return msgs, err
		}
		c.pending = append(c.pending, data...)
	}
	return msgs, nil
}

func mpInvocation(t *testing.T, id, target string, args ...any) []byte {
	b, err := protocol.MessagePack.Append(nil, &protocol.Message{Type: protocol.Invocation, InvocationID: id, Target: target, Arguments: args})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func expectMPClose(t *testing.T, c *rawClient, want string) {
	t.Helper()
	msgs, err := c.mpClosed()
	if len(msgs) != 1 || msgs[0].Type != protocol.Close || msgs[0].Error != want {
		t.Errorf("messages before the close: %+v\nwant a Close with %q", msgs, want)
	}
	if !isCloseCode(err, websocket.CloseNormalClosure) {
		t.Errorf("close: %v", err)
	}
}

// expiringAuth accepts requests without a token as anonymous, and a token
// "until:<unix nanoseconds>" until that time.
func expiringAuth(r *http.Request) (*hub.Identity, error) {
	token := hub.BearerToken(r)
	if token == "" {
		return nil, nil
	}
	var until int64
	if _, err := fmt.Sscanf(token, "until:%d", &until); err != nil || time.Now().UnixNano() > until {
		return nil, errors.New("expired")
	}
	return &hub.Identity{UserID: "u"}, nil
}

var faults = []fault{
	// Handshake.
	{n: 1, name: "no handshake within HandshakeTimeout", opts: hub.Options{HandshakeTimeout: 100 * time.Millisecond},
		see: "TestHandshakeTimeout",
		run: func(t *testing.T, e *faultEnv) {
			// A WebSocket that says nothing, and one that starts and stops.
			for _, start := range []string{"", `{"protocol":"js`} {
				c := dial(t, e.h.url, nil)
				if start != "" {
					c.frame(start)
				}
				expectClose(t, c, `{"error":"Handshake was canceled."}`)
			}
			// An event stream whose POST never comes.
			s := openEvents(t, e.h.url+"?id="+negotiated(t, e.h.url), nil)
			if got := s.event(); got != `{"error":"Handshake was canceled."}`+rs {
				t.Errorf("event stream: %q", got)
			}
			e.waitConns(t, e.conns())
		}},
	{n: 2, name: "unknown protocol", see: "TestHandshake", run: func(t *testing.T, e *faultEnv) {
		c := dial(t, e.h.url, nil)
		c.send(`{"protocol":"xml","version":1}`)
		expectClose(t, c, `{"error":"The protocol 'xml' is not supported."}`)
	}},
	{n: 3, name: "unsupported version", see: "TestHandshake", run: func(t *testing.T, e *faultEnv) {
		for _, p := range []string{"json", "messagepack"} {
			c := dial(t, e.h.url, nil)
			c.send(fmt.Sprintf(`{"protocol":%q,"version":3}`, p))
			expectClose(t, c, fmt.Sprintf(`{"error":"The server does not support version 3 of the '%s' protocol."}`, p))
		}
	}},
	{n: 4, name: "binary protocol on a text transport", see: "TestMessagePackRefusedOnServerSentEvents", run: func(t *testing.T, e *faultEnv) {
		token := negotiated(t, e.h.url)
		s := openEvents(t, e.h.url+"?id="+token, nil)
		do(t, "POST", e.h.url+"?id="+token, `{"protocol":"messagepack","version":1}`+rs, nil)
		if got := s.event(); got != `{"error":"Cannot use the 'messagepack' protocol on the current transport. The transport does not support 'Binary' transfer format."}`+rs {
			t.Errorf("got %q", got)
		}
		e.waitConns(t, e.conns())
	}},
	{n: 5, name: "malformed handshake", opts: hub.Options{DetailedErrors: true}, see: "TestHandshake, TestHandshakeDetailedError",
		run: func(t *testing.T, e *faultEnv) {
			for _, tt := range []struct{ request, detail string }{
				{`{"protocol":"json"}`, `Missing required property 'version'. Message content: {\"protocol\":\"json\"}`},
				{`{"version":1}`, `Missing required property 'protocol'. Message content: {\"version\":1}`},
				{`[]`, `Unexpected JSON Token Type 'Array'. Expected a JSON Object.`},
				{`{"protocol":"json","version":"1"}`, `Expected 'version' to be of type Number.`},
				{`{"protocol":"json","version":null}`, `Missing required property 'version'. Message content: {\"protocol\":\"json\",\"version\":null}`},
			} {
				c := dial(t, e.h.url, nil)
				c.send(tt.request)
				expectClose(t, c, `{"error":"An unexpected error occurred during connection handshake. InvalidDataException: `+tt.detail+`"}`)
			}
			// Without detailed errors, the text alone.
			plain := newTestHub(t, hub.Options{Logger: quietLogger()}, echo)
			c := dial(t, plain.url, nil)
			c.send(`{"protocol":"json"}`)
			expectClose(t, c, `{"error":"An unexpected error occurred during connection handshake."}`)
		}},
	{n: 6, name: "handshake split over frames, or sharing one", see: "TestHandshakeSplitAndSharedFrames", run: func(t *testing.T, e *faultEnv) {
		c := dial(t, e.h.url, nil)
		c.frame(`{"protocol":`)
		c.frame(`"json","vers`)
		c.frame(`ion":1}` + rs)
		expectRecord(t, c, "{}")
		stillOpen(t, c)
		c = dial(t, e.h.url, nil)
		c.send(`{"protocol":"json","version":1}`, invocation("1", "Echo", "a"), invocation("2", "Echo", "b"))
		expectRecord(t, c, "{}")
		expectRecord(t, c, `{"type":3,"invocationId":"1","result":"a"}`)
		expectRecord(t, c, `{"type":3,"invocationId":"2","result":"b"}`)
	}},
	{n: 7, name: "partial handshake then EOF", see: "TestPartialHandshakeThenEOF", run: func(t *testing.T, e *faultEnv) {
		for _, graceful := range []bool{true, false} {
			c := dial(t, e.h.url, nil)
			c.frame(`{"protocol":"json"`)
			if graceful {
				c.ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
			}
			c.ws.Close()
			e.waitConns(t, e.conns()) // the server let go, without a handshake timeout
		}
		e.noDisconnect(t) // never connected, so no OnDisconnected
	}},
	{n: 8, name: "a message before the handshake", run: func(t *testing.T, e *faultEnv) {
		for _, first := range []string{invocation("1", "Echo", "x"), `{"type":6}`} {
			c := dial(t, e.h.url, nil)
			c.send(first)
			expectClose(t, c, `{"error":"An unexpected error occurred during connection handshake."}`)
		}
	}},

	// Framing and parsing.
	{n: 9, name: "JSON without its terminator", opts: hub.Options{DetailedErrors: true}, see: "TestProtocolErrorsCloseWithMessage",
		run: func(t *testing.T, e *faultEnv) {
			c := connect(t, e.h.url)
			id := idOf(t, c)
			c.frame(invocation("1", "Echo", "never ends"))
			// Nothing is dispatched: what the client hears first is a message
			// sent after.
			time.Sleep(50 * time.Millisecond)
			e.h.Clients().Client(id).Send(context.Background(), "Note", "first")
			expectRecord(t, c, `{"type":1,"target":"Note","arguments":["first"]}`)
			// It buffers until the size limit.
			for range 5 {
				c.frame(strings.Repeat(" ", 8000))
			}
			expectClose(t, c, closeRecord("InvalidDataException", "The maximum message size of 32768B was exceeded. The message size can be configured in AddHubOptions."))
		}},
	{n: 10, name: "partial message then EOF", run: func(t *testing.T, e *faultEnv) {
		// A WebSocket that closes in the middle of a message.
		c := connect(t, e.h.url)
		c.frame(`{"type":1,"invocationId":"1",`)
		c.ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
		if d := e.waitDisconnect(t); d.err == nil || d.err.Error() != "Connection terminated while reading a message." {
			t.Errorf("WebSocket: OnDisconnected(%v)", d.err)
		}
		// A long-polling client that sends half a message, then DELETE.
		token := negotiated(t, e.h.url)
		url := e.h.url + "?id=" + token
		do(t, "GET", url, "", nil)
		do(t, "POST", url, `{"protocol":"json","version":1}`+rs+`{"type":1,`, nil)
		do(t, "GET", url, "", nil) // the handshake's answer
		do(t, "DELETE", url, "", nil)
		if d := e.waitDisconnect(t); d.err == nil || d.err.Error() != "Connection terminated while reading a message." {
			t.Errorf("long polling: OnDisconnected(%v)", d.err)
		}
	}},
	{n: 11, name: "message over MaximumReceiveMessageSize", see: "TestProtocolErrorsCloseWithMessage, TestMessageJustUnderTheLimit",
		run: func(t *testing.T, e *faultEnv) {
			// In one frame, and split over frames.
			c := connect(t, e.h.url)
			c.send(invocation("1", "Echo", strings.Repeat("x", 40000)))
			expectClose(t, c, `{"type":7,"error":"Connection closed with an error."}`)
			c = connect(t, e.h.url)
			c.frame(`{"type":1,"target":"Echo","arguments":["`)
			for range 5 {
				c.frame(strings.Repeat("x", 8000))
			}
			expectClose(t, c, `{"type":7,"error":"Connection closed with an error."}`)
			// MessagePack, with the detail.
			detailed := newTestHub(t, hub.Options{DetailedErrors: true, Logger: quietLogger()}, echo)
			m := mpConnect(t, detailed.url)
			m.mpSend(mpInvocation(t, "1", "Echo", strings.Repeat("x", 40000)))
			expectMPClose(t, m, "Connection closed with an error. InvalidDataException: The maximum message size of 32768B was exceeded. The message size can be configured in AddHubOptions.")
			// The limit is an option.
			small := newTestHub(t, hub.Options{MaxMessageSize: 100, DetailedErrors: true, Logger: quietLogger()}, echo)
			c = connect(t, small.url)
			c.send(invocation("1", "Echo", strings.Repeat("x", 100)))
			expectClose(t, c, closeRecord("InvalidDataException", "The maximum message size of 100B was exceeded. The message size can be configured in AddHubOptions."))
		}},
	{n: 12, name: "MessagePack length over 2 GB", opts: hub.Options{DetailedErrors: true}, run: func(t *testing.T, e *faultEnv) {
		for _, prefix := range [][]byte{{0xff, 0xff, 0xff, 0xff, 0x0f}, {0x80, 0x80, 0x80, 0x80, 0x80, 0x01}} {
			c := mpConnect(t, e.h.url)
			c.mpSend(prefix)
			expectMPClose(t, c, "Connection closed with an error. FormatException: Messages over 2GB in size are not supported.")
		}
	}},
	{n: 13, name: "malformed JSON messages", opts: hub.Options{DetailedErrors: true}, see: "TestProtocolErrorsCloseWithMessage; protocol's TestJSONInvalid",
		run: func(t *testing.T, e *faultEnv) {
			// ASP.NET Core's InvalidMessages table, and a truncated message.
			for _, tt := range []struct{ input, detail string }{
				{`{"type":1,`, "Error reading JSON."},
				{`null`, "Unexpected JSON Token Type 'Null'. Expected a JSON Object."},
				{`"foo"`, "Unexpected JSON Token Type 'String'. Expected a JSON Object."},
				{`[42]`, "Unexpected JSON Token Type 'Array'. Expected a JSON Object."},
				{`{}`, "Missing required property 'type'."},
				{`{"type":1,"headers":{"Foo": 42},"target":"test",arguments:[]}`, "Expected header 'Foo' to be of type String."},
				{`{"type":1,"headers":{"Foo": true},"target":"test",arguments:[]}`, "Expected header 'Foo' to be of type String."},
				{`{"type":1,"headers":{"Foo": null},"target":"test",arguments:[]}`, "Expected header 'Foo' to be of type String."},
				{`{"type":1,"headers":{"Foo": []},"target":"test",arguments:[]}`, "Expected header 'Foo' to be of type String."},
				{`{"type":1}`, "Missing required property 'target'."},
				{`{"type":1,"invocationId":42}`, "Expected 'invocationId' to be of type String."},
				{`{"type":1,"invocationId":"42"}`, "Missing required property 'target'."},
				{`{"type":1,"invocationId":"42","target":42}`, "Expected 'target' to be of type String."},
				{`{"type":1,"invocationId":"42","target":"foo"}`, "Missing required property 'arguments'."},
				{`{"type":1,"invocationId":"42","target":"foo","arguments":{}}`, "Expected 'arguments' to be of type Array."},
				{`{"type":2}`, "Missing required property 'invocationId'."},
				{`{"type":2,"invocationId":42}`, "Expected 'invocationId' to be of type String."},
				{`{"type":2,"invocationId":"42"}`, "Missing required property 'item'."},
				{`{"type":3}`, "Missing required property 'invocationId'."},
				{`{"type":3,"invocationId":42}`, "Expected 'invocationId' to be of type String."},
				{`{"type":3,"invocationId":"42","error":[]}`, "Expected 'error' to be of type String."},
				{`{"type":4}`, "Missing required property 'target'."}, // JsonHubProtocol now looks for the target first
				{`{"type":4,"invocationId":42}`, "Expected 'invocationId' to be of type String."},
				{`{"type":4,"invocationId":"42","target":42}`, "Expected 'target' to be of type String."},
				{`{"type":4,"invocationId":"42","target":"foo"}`, "Missing required property 'arguments'."},
				{`{"type":4,"invocationId":"42","target":"foo","arguments":{}}`, "Expected 'arguments' to be of type Array."},
				{`{"type":3,"invocationId":"42","error":"foo","result":true}`, "The 'error' and 'result' properties are mutually exclusive."},
			} {
				c := connect(t, e.h.url)
				c.send(tt.input)
				expectClose(t, c, closeRecord("InvalidDataException", tt.detail))
			}
			// Without detailed errors, the text alone.
			plain := newTestHub(t, hub.Options{Logger: quietLogger()}, echo)
			c := connect(t, plain.url)
			c.send(`{}`)
			expectClose(t, c, `{"type":7,"error":"Connection closed with an error."}`)
		}},
	{n: 14, name: "unknown message types and properties are ignored", see: "TestFraming", run: func(t *testing.T, e *faultEnv) {
		c := connect(t, e.h.url)
		c.send(`{"type":99,"x":1}`, `{"type":6,"unknown":{"a":[1]}}`, `{"type":1,"invocationId":"42","target":"Echo","arguments":["x"],"extraParameter":"1"}`)
		expectRecord(t, c, `{"type":3,"invocationId":"42","result":"x"}`)
		m := mpConnect(t, e.h.url)
		m.mpSend([]byte{2, 0x91, 99}) // a MessagePack message of type 99
		m.mpSend(mpInvocation(t, "1", "Echo", "after"))
		if got := m.mpMessage(); got.Type != protocol.Completion || got.InvocationID != "1" || got.Error != "" {
			t.Errorf("after a message of type 99: %+v", got)
		}
	}},
	{n: 15, name: "deep nesting", opts: hub.Options{DetailedErrors: true}, see: "TestProtocolErrorsCloseWithMessage",
		run: func(t *testing.T, e *faultEnv) {
			deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
			// JSON: System.Text.Json's reader refuses the record, which closes
			// the connection.
			c := connect(t, e.h.url)
			c.send(`{"type":1,"target":"Echo","arguments":[` + deep(1000) + `]}`)
			expectClose(t, c, closeRecord("InvalidDataException", "Error reading JSON."))
			// MessagePack: the arguments do not bind, which fails the
			// invocation alone.
			m := mpConnect(t, e.h.url)
			m.mpSend(mpInvocation(t, "1", "Echo", protocol.Raw(append(bytesOf(0x91, 100), 0xc0))))
			if got := m.mpMessage(); got.Type != protocol.Completion || got.InvocationID != "1" ||
				got.Error != "Failed to invoke 'Echo' due to an error on the server. InvalidDataException: Error binding arguments. Make sure that the types of the provided values match the types of the hub method being invoked." {
				t.Errorf("too deep in MessagePack: %+v", got)
			}
			m.mpSend(mpInvocation(t, "2", "Echo", "after"))
			if got := m.mpMessage(); got.Type != protocol.Completion || got.InvocationID != "2" || got.Error != "" {
				t.Errorf("after: %+v", got)
			}
			// The depth is the protocol's, and configurable: the record's
			// object and the arguments array count.
			shallow := newTestHub(t, hub.Options{DetailedErrors: true, Logger: quietLogger(),
				Protocols: []protocol.Protocol{&protocol.JSONProtocol{MaxDepth: 8}}}, hub.Method{Name: "Any", Args: 1, Void: true,
				Call: func(ctx context.Context, a hub.Args) (any, error) { return nil, nil }})
			c = connect(t, shallow.url)
			if m := c.invoke("1", "Any", json.RawMessage(deep(6))); m["error"] != nil || m["type"] != 3.0 {
				t.Errorf("an argument 6 deep with MaxDepth 8: %v", m)
			}
			c.send(`{"type":1,"target":"Any","arguments":[` + deep(7) + `]}`)
			expectClose(t, c, closeRecord("InvalidDataException", "Error reading JSON."))
		}},
	{n: 16, name: "invalid UTF-8 in a text message", opts: hub.Options{DetailedErrors: true}, run: func(t *testing.T, e *faultEnv) {
		// Decided: a JSON message must be UTF-8, or the connection closes as
		// for any malformed message. Passing it on could make other clients'
		// browsers fail their WebSocket; ASP.NET Core's WebSocket closes with
		// 1007 instead.
		c := connect(t, e.h.url)
		c.frame("{\"type\":1,\"target\":\"Echo\",\"arguments\":[\"a\xffb\"]}" + rs)
		expectClose(t, c, closeRecord("InvalidDataException", "Invalid UTF-8 in a message of a text protocol."))
		// What the server writes is UTF-8 even when a hub sends broken strings.
		c = connect(t, e.h.url)
		e.h.Clients().Client(idOf(t, c)).Send(context.Background(), "Note", "a\xffb")
		expectRecord(t, c, `{"type":1,"target":"Note","arguments":["a\ufffdb"]}`)
	}},
	{n: 17, name: "over-long invocation ids", opts: hub.Options{DetailedErrors: true}, run: func(t *testing.T, e *faultEnv) {
		// As in ASP.NET Core, the message size limit is the cap: an id that
		// fits is echoed whole, and what the server keeps per id is bounded
		// by MaxStreams.
		c := connect(t, e.h.url)
		long := strings.Repeat("i", 30000)
		if m := c.invoke(long, "Echo", "x"); m["invocationId"] != long || m["result"] != "x" {
			t.Errorf("a 30000-byte id: %.80v", m)
		}
		c.send(invocation(strings.Repeat("i", 40000), "Echo", "x"))
		expectClose(t, c, closeRecord("InvalidDataException", "The maximum message size of 32768B was exceeded. The message size can be configured in AddHubOptions."))
	}},

	// Invocation semantics.
	{n: 18, name: "unknown and non-hub methods", see: "TestInvocationResults, TestDuplicateMethodNamesPanic", run: func(t *testing.T, e *faultEnv) {
		c := connect(t, e.h.url)
		for _, target := range []string{"Nope", "OnConnected", "OnDisconnected", "ToString", "Dispose", ""} {
			want := fmt.Sprintf(`{"type":3,"invocationId":"1","error":"Failed to invoke '%s' due to an error on the server. HubException: Method does not exist."}`, target)
			if got := c.sendAndRecord(invocation("1", target)); got != want {
				t.Errorf("%q: %s", target, got)
			}
		}
		if m := c.invoke("2", "eCHO", "any case"); m["result"] != "any case" {
			t.Errorf("case-insensitive: %v", m)
		}
		// Overloads, which Go has not, would be names equal ignoring case:
		// refused when the hub is made.
		func() {
			defer func() {
				if recover() == nil {
					t.Error("New accepted Echo and ECHO")
				}
			}()
			hub.New([]hub.Method{echo, {Name: "ECHO", Call: echo.Call}}, hub.Options{})
		}()
	}},
	{n: 19, name: "wrong argument count", see: "TestInvocationResults, TestDetailedErrors", run: func(t *testing.T, e *faultEnv) {
		c := connect(t, e.h.url)
		if got := c.sendAndRecord(invocation("1", "Echo")); got != `{"type":3,"invocationId":"1","error":"Failed to invoke 'Echo' due to an error on the server."}` {
			t.Errorf("no argument: %s", got)
		}
		if got := c.sendAndRecord(invocation("1", "Echo", "a", "b")); got != `{"type":3,"invocationId":"1","error":"Failed to invoke 'Echo' due to an error on the server."}` {
			t.Errorf("two arguments: %s", got)
		}
		stillOpen(t, c)
		detailed := newTestHub(t, hub.Options{DetailedErrors: true, Logger: quietLogger()}, echo)
		c = connect(t, detailed.url)
		if got := c.sendAndRecord(invocation("1", "Echo")); got != `{"type":3,"invocationId":"1","error":"Failed to invoke 'Echo' due to an error on the server. InvalidDataException: Invocation provides 0 argument(s) but target expects 1."}` {
			t.Errorf("detailed: %s", got)
		}
	}},
	{n: 20, name: "wrong argument type", see: "TestInvocationResults, TestDetailedErrors", run: func(t *testing.T, e *faultEnv) {
		c := connect(t, e.h.url)
		if got := c.sendAndRecord(invocation("1", "Echo", 42)); got != `{"type":3,"invocationId":"1","error":"Failed to invoke 'Echo' due to an error on the server."}` {
			t.Errorf("got %s", got)
		}
		stillOpen(t, c)
		// ASP.NET Core's text, which names neither the argument nor its type.
		detailed := newTestHub(t, hub.Options{DetailedErrors: true, Logger: quietLogger()}, echo)
		c = connect(t, detailed.url)
		if got := c.sendAndRecord(invocation("1", "Echo", 42)); got != `{"type":3,"invocationId":"1","error":"Failed to invoke 'Echo' due to an error on the server. InvalidDataException: Error binding arguments. Make sure that the types of the provided values match the types of the hub method being invoked."}` {
			t.Errorf("detailed: %s", got)
		}
	}},
	{n: 21, name: "failed non-blocking invocations get no answer", methods: []hub.Method{broken, panics},
		see: "TestNonBlockingInvocationsGetNoAnswer", run: func(t *testing.T, e *faultEnv) {
			c := connect(t, e.h.url)
			c.send(invocation("", "Nope"), invocation("", "Echo"), invocation("", "Echo", 1), invocation("", "Broken"), invocation("", "Panic"),
				invocation("9", "Echo", "after"))
			expectRecord(t, c, `{"type":3,"invocationId":"9","result":"after"}`)
		}},
	{n: 22, name: "hub method fails or panics", methods: []hub.Method{broken, panics, fail},
		see: "TestInvocationResults, TestDetailedErrors, TestPanicKeepsConnectionOpen", run: func(t *testing.T, e *faultEnv) {
			c := connect(t, e.h.url)
			for _, tt := range []struct{ call, want string }{
				{invocation("1", "Broken"), "An unexpected error occurred invoking 'Broken' on the server."},
				{invocation("1", "Panic"), "An unexpected error occurred invoking 'Panic' on the server."},
				{invocation("1", "Fail", "Something bad"), "An unexpected error occurred invoking 'Fail' on the server. HubException: Something bad"},
			} {
				if got := c.sendAndRecord(tt.call); got != `{"type":3,"invocationId":"1","error":"`+tt.want+`"}` {
					t.Errorf("got %s, want %s", got, tt.want)
				}
			}
			stillOpen(t, c)
			detailed := newTestHub(t, hub.Options{DetailedErrors: true, Logger: quietLogger()}, echo, broken, panics)
			c = connect(t, detailed.url)
			for _, tt := range []struct{ target, want string }{
				{"Broken", "An unexpected error occurred invoking 'Broken' on the server. Error: database is down"},
				{"Panic", "An unexpected error occurred invoking 'Panic' on the server. Panic: panic: oops"},
			} {
				if m := c.invoke("1", tt.target); m["error"] != tt.want {
					t.Errorf("detailed %s: %v", tt.target, m["error"])
				}
			}
		}},
	{n: 23, name: "OnConnected fails", see: "TestOnConnectedErrorClosesConnection",
		opts: hub.Options{OnConnected: func(ctx context.Context, c *hub.Conn) error {
			switch c.Request().URL.Query().Get("fail") {
			case "hub":
				return hub.Errorf("not today")
			case "plain":
				return errors.New("database is down")
			case "panic":
				panic("oops")
			}
			return nil
		}},
		run: func(t *testing.T, e *faultEnv) {
			for _, tt := range []struct{ fail, want string }{
				{"plain", `{"type":7,"error":"Connection closed with an error."}`},
				{"panic", `{"type":7,"error":"Connection closed with an error."}`},
				{"hub", `{"type":7,"error":"Connection closed with an error. HubException: not today"}`},
			} {
				c := dial(t, e.h.url+"?fail="+tt.fail, nil)
				c.send(`{"protocol":"json","version":1}`)
				expectClose(t, c, "{}", tt.want)
				// OnDisconnected still runs, and the lifetime manager forgets
				// the connection.
				e.waitDisconnect(t)
				if conns, _, _ := e.lifetime.Len(); conns != e.conns() {
					t.Errorf("the lifetime manager holds %d connections", conns)
				}
			}
		}},
	{n: 24, name: "stream fails mid-way, or is cancelled", methods: []hub.Method{failing, forever},
		see: "TestServerStream, TestStreamErrorDetails, TestCancelStream", run: func(t *testing.T, e *faultEnv) {
			c := connect(t, e.h.url)
			for _, tt := range []struct{ kind, want string }{
				{"plain", "An error occurred on the server while streaming results."},
				{"panic", "An error occurred on the server while streaming results."},
				{"hub", "An error occurred on the server while streaming results. HubException: Something bad"},
			} {
				c.send(fmt.Sprintf(`{"type":4,"invocationId":"f","target":"Failing","arguments":[%q]}`, tt.kind))
				expectRecord(t, c, `{"type":2,"invocationId":"f","item":1}`)
				expectRecord(t, c, `{"type":3,"invocationId":"f","error":"`+tt.want+`"}`)
			}
			c.send(`{"type":4,"invocationId":"s","target":"Forever","arguments":[]}`)
			expectRecord(t, c, `{"type":2,"invocationId":"s","item":"started"}`)
			c.send(`{"type":5,"invocationId":"s"}`)
			expectRecord(t, c, `{"type":3,"invocationId":"s"}`)
			stillOpen(t, c)
		}},
	{n: 25, name: "stream item for an unknown stream", opts: hub.Options{DetailedErrors: true}, methods: []hub.Method{concat},
		see: "TestProtocolErrorsCloseWithMessage, TestUploadItemForNoStream", run: func(t *testing.T, e *faultEnv) {
			c := connect(t, e.h.url)
			// A Completion for no stream, and the items of a refused
			// invocation's streams, are dropped.
			c.send(`{"type":3,"invocationId":"nothing"}`,
				`{"type":1,"invocationId":"1","target":"Concat","arguments":["extra"],"streamIds":["u"]}`,
				`{"type":2,"invocationId":"u","item":"a"}`, `{"type":3,"invocationId":"u"}`)
			expectRecord(t, c, `{"type":3,"invocationId":"1","error":"Failed to invoke 'Concat' due to an error on the server. InvalidDataException: Invocation provides 1 argument(s) but target expects 0."}`)
			stillOpen(t, c)
			// An item for a stream never announced closes the connection.
			c.send(`{"type":2,"invocationId":"5","item":1}`)
			expectClose(t, c, closeRecord("KeyNotFoundException", "No stream with id '5' could be found."))
		}},
	{n: 26, name: "result that cannot be encoded", methods: []hub.Method{unencodable}, see: "TestInvocationResults",
		run: func(t *testing.T, e *faultEnv) {
			// ASP.NET Core aborts the connection, its serializer having
			// written half a message. Here encoding fails before anything is
			// written, so the caller gets an error and the connection lives.
			c := connect(t, e.h.url)
			if got := c.sendAndRecord(invocation("2", "Unencodable")); got != `{"type":3,"invocationId":"2","error":"An unexpected error occurred invoking 'Unencodable' on the server."}` {
				t.Errorf("got %s", got)
			}
			stillOpen(t, c)
		}},
	{n: 27, name: "flood of invocations", methods: []hub.Method{slowEcho, askCaller},
		see: "TestInvocationsRunInOrderOneAtATime, TestParallelInvocations, TestClientResults", run: func(t *testing.T, e *faultEnv) {
			c := connect(t, e.h.url)
			var records []string
			for i := range 300 {
				records = append(records, invocation(fmt.Sprint(i), "Slow", i))
			}
			c.send(records...)
			for i := range 300 {
				expectRecord(t, c, fmt.Sprintf(`{"type":3,"invocationId":"%d","result":%d}`, i, i))
			}
			// A client result from the caller, one invocation at a time: an
			// error at once instead of ASP.NET Core's deadlock.
			if got := c.sendAndRecord(invocation("b", "AskCaller")); got != `{"type":3,"invocationId":"b","error":"An unexpected error occurred invoking 'AskCaller' on the server."}` {
				t.Errorf("self invoke: %s", got)
			}
		}},
	{n: 28, name: "unauthorized method, and a filter's veto", methods: []hub.Method{secret},
		opts: hub.Options{
			Authorize: func(ctx context.Context, c *hub.Conn, method string) error {
				if method == "Secret" {
					return errors.New("no")
				}
				return nil
			},
			Filters: []hub.Filter{{Invoke: func(ctx context.Context, inv *hub.Invocation, next func(context.Context) (any, error)) (any, error) {
				if s, _ := hub.Arg[string](inv.Args, 0); s == "veto" {
					return nil, hub.Errorf("vetoed")
				}
				return next(ctx)
			}}},
		},
		see: "TestAuthorize, TestInvokeFilters", run: func(t *testing.T, e *faultEnv) {
			c := connect(t, e.h.url)
			if got := c.sendAndRecord(invocation("1", "secret")); got != `{"type":3,"invocationId":"1","error":"Failed to invoke 'Secret' because user is unauthorized"}` {
				t.Errorf("unauthorized: %s", got)
			}
			if got := c.sendAndRecord(invocation("2", "Echo", "veto")); got != `{"type":3,"invocationId":"2","error":"An unexpected error occurred invoking 'Echo' on the server. HubException: vetoed"}` {
				t.Errorf("veto: %s", got)
			}
			stillOpen(t, c)
		}},

	// Transport and liveness.
	{n: 29, name: "slow consumer", opts: hub.Options{MaxQueueSize: 64 << 10},
		see: "TestSlowConsumerIsDroppedOthersKeepReceiving, TestStalledClientDoesNotSlowOthers", run: func(t *testing.T, e *faultEnv) {
			stalled := stalledClient(t, e.h.url)
			stalledID := stalled.invoke("1", "WhoAmI")["result"].(string)
			healthy := connect(t, e.h.url)
			payload := strings.Repeat("p", 16<<10)
			ctx := context.Background()
			for i := 0; ; i++ {
				if err := e.h.Clients().AllExcept(e.bystander.conn.ID()).Send(ctx, "Data", i, payload); err != nil {
					t.Fatal(err)
				}
				if args := healthy.message()["arguments"].([]any); args[0] != float64(i) {
					t.Fatalf("the healthy client got message %v, want %d", args[0], i)
				}
				select {
				case d := <-e.disconnected:
					if d.id != stalledID {
						t.Fatalf("dropped %s, want the stalled %s", d.id, stalledID)
					}
					return
				default:
				}
				if i > 100000 {
					t.Fatal("the stalled connection was never dropped")
				}
			}
		}},
	{n: 30, name: "abrupt close and half-open peer", opts: hub.Options{ClientTimeout: 300 * time.Millisecond},
		see: "TestClientTimeout, TestClientResults", run: func(t *testing.T, e *faultEnv) {
			// Abrupt: the TCP connection just ends. OnDisconnected runs, groups
			// forget the connection, a pending client result fails.
			c := connect(t, e.h.url)
			id := c.invoke("1", "WhoAmI")["result"].(string)
			ctx := context.Background()
			if err := e.h.Groups().Add(ctx, id, "g"); err != nil {
				t.Fatal(err)
			}
			result := make(chan error, 1)
			go func() { result <- e.h.Clients().Client(id).Invoke(ctx, "GetNumber", nil) }()
			if m := c.message(); m["target"] != "GetNumber" {
				t.Fatalf("got %v", m)
			}
			c.ws.NetConn().Close()
			if err := <-result; err == nil || err.Error() != fmt.Sprintf("hub: connection '%s' disconnected", id) {
				t.Errorf("the pending client result: %v", err)
			}
			if d := e.waitDisconnect(t); d.id != id || d.err == nil {
				t.Errorf("OnDisconnected(%s, %v)", d.id, d.err)
			}
			if conns, groups, _ := e.lifetime.Len(); conns != e.conns() || groups != 0 {
				t.Errorf("the lifetime manager holds %d connections and %d groups", conns, groups)
			}
			// Half-open: the socket stays but nothing comes. The client timeout
			// counts from the handshake, not from a first ping as in 2.2.
			c = connect(t, e.h.url)
			if d := e.waitDisconnect(t); d.err == nil || !strings.Contains(d.err.Error(), "timeout") {
				t.Errorf("half-open: OnDisconnected(%v), want a timeout", d.err)
			}
			c.ws.Close()
		}},
	{n: 31, name: "client that never handshakes or pings", opts: hub.Options{HandshakeTimeout: 200 * time.Millisecond, DisconnectTimeout: 200 * time.Millisecond},
		see: "case 1 (handshake timeout), case 30 (client timeout), TestPendingNegotiationsExpireAndAreCapped", run: func(t *testing.T, e *faultEnv) {
			// SignalR's equivalents of centrifuge's stale-connection closes are
			// the handshake and client timeouts. A long-polling connection
			// that never handshakes, and a negotiation never used, expire too.
			token := negotiated(t, e.h.url)
			url := e.h.url + "?id=" + token
			do(t, "GET", url, "", nil)
			e.waitConns(t, e.conns())
			if resp, _ := do(t, "GET", url, "", nil); resp.StatusCode != 404 {
				t.Errorf("poll after the handshake timeout: %d", resp.StatusCode)
			}
			unused := negotiated(t, e.h.url)
			time.Sleep(600 * time.Millisecond)
			if resp, _ := do(t, "GET", e.h.url+"?id="+unused, "", nil); resp.StatusCode != 404 {
				t.Errorf("a negotiation used after the handshake timeout: %d", resp.StatusCode)
			}
		}},
	{n: 32, name: "cross-origin upgrade", opts: hub.Options{AllowedOrigins: []string{"https://app.example"}},
		see: "TestCrossOriginWebSocketRefused, TestCORS", run: func(t *testing.T, e *faultEnv) {
			ws := "ws" + strings.TrimPrefix(e.h.url, "http")
			_, resp, err := websocket.DefaultDialer.Dial(ws, http.Header{"Origin": {"https://evil.example"}, "Cookie": {"session=s"}})
			if err == nil || resp.StatusCode != http.StatusForbidden {
				t.Errorf("cross-origin upgrade with a cookie: %v %v", err, resp)
			}
			c := dial(t, e.h.url, http.Header{"Origin": {"https://app.example"}, "Cookie": {"session=s"}})
			c.send(`{"protocol":"json","version":1}`)
			expectRecord(t, c, "{}")
		}},
	{n: 33, name: "token expires mid-connection", opts: hub.Options{Authenticate: expiringAuth},
		see: "TestAuthenticateReadsWhatClientsSend", run: func(t *testing.T, e *faultEnv) {
			token := fmt.Sprintf("until:%d", time.Now().Add(300*time.Millisecond).UnixNano())
			auth := http.Header{"Authorization": {"Bearer " + token}}
			c := dial(t, e.h.url, auth)
			c.send(`{"protocol":"json","version":1}`)
			expectRecord(t, c, "{}")
			_, body := do(t, "POST", e.h.url+"/negotiate?negotiateVersion=1", "", auth)
			url := e.h.url + "?id=" + between(body, `"connectionToken":"`, `"`)
			do(t, "GET", url, "", auth)
			time.Sleep(400 * time.Millisecond)
			// A WebSocket stays up: there is no CloseOnAuthenticationExpiration.
			stillOpen(t, c)
			// The HTTP transports authenticate every request.
			if resp, _ := do(t, "POST", url, `{"protocol":"json","version":1}`+rs, auth); resp.StatusCode != 401 {
				t.Errorf("POST with an expired token: %d", resp.StatusCode)
			}
			if resp, _ := do(t, "DELETE", url, "", nil); resp.StatusCode != 202 {
				t.Errorf("DELETE: %d", resp.StatusCode)
			}
		}},

	// Backplane: not the hub's.
	{n: 34, name: "Redis down at first connect", skip: "Redis backplane: out of this suite's scope"},
	{n: 35, name: "Redis restart mid-broadcast", skip: "Redis backplane: out of this suite's scope"},
	{n: 36, name: "remote group change with the owner gone", skip: "Redis backplane: out of this suite's scope"},
	{n: 37, name: "client result on a dead server", skip: "Redis backplane: out of this suite's scope"},
	{n: 38, name: "group names with pattern characters", skip: "Redis backplane: out of this suite's scope"},
	{n: 39, name: "two apps on one Redis", skip: "Redis backplane: out of this suite's scope"},

	// Lifecycle.
	{n: 40, name: "shutdown with invocations in flight", alone: "Shutdown ends every connection",
		methods: []hub.Method{stuck}, see: "TestShutdownClosesWithReconnectAllowed, TestShutdownTimeoutCutsConnectionsOff",
		run: func(t *testing.T, e *faultEnv) {
			c := connect(t, e.h.url)
			c.send(invocation("1", "Stuck"))
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			// The clients are told they may reconnect (to another server); the
			// method in flight has its context cancelled when the time is up.
			if err := e.h.Shutdown(ctx); err != context.DeadlineExceeded {
				t.Errorf("Shutdown = %v, want the deadline: the method ignored the Close", err)
			}
			records, _ := c.closed()
			if len(records) == 0 || records[0] != `{"type":7,"allowReconnect":true}` {
				t.Errorf("records: %q", records)
			}
			e.waitConns(t, 0)
			if resp, _ := post(t, e.h.url+"/negotiate"); resp.StatusCode != 503 {
				t.Errorf("negotiate after Shutdown: %d", resp.StatusCode)
			}
		}},
	{n: 41, name: "background worker fails", skip: "runtime/host: the host's worker policy, not the hub's"},
	{n: 42, name: "start failure of a service", skip: "runtime/host: the host's start order, not the hub's"},

	// Reconnect.
	{n: 43, name: "reconnect storm", skip: "the client's reconnect policy; the hub's side of a storm is TestChurn"},
	{n: 44, name: "stateful reconnect abuse", skip: "stateful reconnect: out of this suite's scope"},
}

// idOf returns the connection id of a raw client.
func idOf(t *testing.T, c *rawClient) string {
	t.Helper()
	id, ok := c.invoke("whoami", "WhoAmI")["result"].(string)
	if !ok {
		t.Fatal("WhoAmI failed")
	}
	return id
}

func bytesOf(b byte, n int) []byte { return []byte(strings.Repeat(string([]byte{b}), n)) }

// TestPostInFlightWhenConnectionEnds ends a long-polling connection while a
// POST is still reading into it: the read buffer must not go back to the pool
// (to serve another connection) while the POST holds it.
func TestPostInFlightWhenConnectionEnds(t *testing.T) {
	disconnected := make(chan error, 1)
	reading := make(chan struct{})
	var once sync.Once
	signal := hub.Method{Name: "Signal", Void: true, Call: func(ctx context.Context, a hub.Args) (any, error) {
		once.Do(func() { close(reading) })
		return nil, nil
	}}
	h := newTestHub(t, hub.Options{Logger: quietLogger(),
		OnDisconnected: func(ctx context.Context, c *hub.Conn, err error) { disconnected <- err }}, echo, signal)
	token := negotiated(t, h.url)
	url := h.url + "?id=" + token
	do(t, "GET", url, "", nil)
	do(t, "POST", url, `{"protocol":"json","version":1}`+rs, nil)
	body, write := io.Pipe()
	posted := make(chan int)
	go func() {
		req, _ := http.NewRequest("POST", url, body)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			posted <- 0
			return
		}
		resp.Body.Close()
		posted <- resp.StatusCode
	}()
	// The POST is being read once Signal runs; then the connection ends.
	write.Write([]byte(`{"type":1,"target":"Signal","arguments":[]}` + rs + `{"type":1,"target":"Echo",`))
	<-reading
	do(t, "DELETE", url, "", nil)
	<-disconnected
	write.Write([]byte(`"arguments":["late"]}` + rs + strings.Repeat(" ", 10000)))
	write.Close()
	// The POST is answered 200, or cut off: the server reads no more of a
	// body whose connection has ended, and may close the TCP connection
	// while the client still writes it.
	if status := <-posted; status != 200 && status != 0 {
		t.Errorf("the POST in flight: %d", status)
	}
	// Another connection reads with the pool's buffers as usual.
	c := connect(t, h.url)
	stillOpen(t, c)
}
