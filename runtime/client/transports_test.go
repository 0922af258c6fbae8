package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hubgen/hubgen/runtime/client"
	"github.com/hubgen/hubgen/runtime/hub"
	"github.com/hubgen/hubgen/runtime/protocol"
)

// pair is a transport and a hub protocol it carries.
type pair struct {
	transport client.Transports
	proto     protocol.Protocol
}

var transportNames = map[client.Transports]string{
	client.WebSockets:       "WebSockets",
	client.ServerSentEvents: "ServerSentEvents",
	client.LongPolling:      "LongPolling",
}

// name is the pair as a pairHub reports it, such as "LongPolling/messagepack".
func (p pair) name() string { return transportNames[p.transport] + "/" + p.proto.Name() }

// String names the pair's tests, such as "messagepack over LongPolling".
func (p pair) String() string { return p.proto.Name() + " over " + transportNames[p.transport] }

// pairs are the pairs the client allows: every transport with JSON, and
// MessagePack on all but Server-Sent Events, which carry text only.
var pairs = []pair{
	{client.WebSockets, protocol.JSON},
	{client.ServerSentEvents, protocol.JSON},
	{client.LongPolling, protocol.JSON},
	{client.WebSockets, protocol.MessagePack},
	{client.LongPolling, protocol.MessagePack},
}

// pairHub is a test hub that reports the transport and protocol of each
// connection, and why each one ended.
type pairHub struct {
	*testHub
	connected    chan string // "transport/protocol" of each new connection
	disconnected chan error  // nil for a clean close
}

func newPairHub(t *testing.T, addr string, opts hub.Options) *pairHub {
	t.Helper()
	h := &pairHub{connected: make(chan string, 16), disconnected: make(chan error, 16)}
	opts.OnConnected = func(_ context.Context, c *hub.Conn) error {
		h.connected <- c.Transport() + "/" + c.Protocol().Name()
		return nil
	}
	opts.OnDisconnected = func(_ context.Context, _ *hub.Conn, err error) { h.disconnected <- err }
	h.testHub = newHubAt(t, addr, opts)
	return h
}

// dialPair connects to h over p.
func dialPair(t *testing.T, h *pairHub, p pair, opts client.Options) *client.Conn {
	t.Helper()
	opts.Transports, opts.Protocol = p.transport, p.proto
	c := dial(t, h.url, opts)
	if got := recv(t, h.connected, "OnConnected"); got != p.name() {
		t.Fatalf("connected over %s, want %s", got, p.name())
	}
	return c
}

// TestTransportPairs runs invocations, sends, calls from the server, a close by
// the client and by the server, and a reconnect over every pair.
func TestTransportPairs(t *testing.T) {
	for _, p := range pairs {
		t.Run(p.String(), func(t *testing.T) {
			t.Run("invoke", func(t *testing.T) { testPairInvoke(t, p) })
			t.Run("send and receive", func(t *testing.T) { testPairCalls(t, p) })
			t.Run("close", func(t *testing.T) { testPairClose(t, p) })
			t.Run("server close", func(t *testing.T) { testPairServerClose(t, p) })
			t.Run("reconnect", func(t *testing.T) { testPairReconnect(t, p) })
		})
	}
}

func testPairInvoke(t *testing.T, p pair) {
	h := newPairHub(t, "127.0.0.1:0", hub.Options{})
	c := dialPair(t, h, p, client.Options{})
	ctx := testCtx(t)

	var s string
	if err := c.Invoke(ctx, "Echo", &s, "héllo \"world\"\n\x1e"); err != nil || s != "héllo \"world\"\n\x1e" {
		t.Errorf("Echo = %q, %v", s, err)
	}
	var n int
	if err := c.Invoke(ctx, "Add", &n, 2, 3); err != nil || n != 5 {
		t.Errorf("Add = %d, %v", n, err)
	}
	var in info
	if err := c.Invoke(ctx, "Info", &in); err != nil || in != (info{"hub", 7}) {
		t.Errorf("Info = %+v, %v", in, err)
	}
	if err := c.Invoke(ctx, "Nothing", nil); err != nil {
		t.Errorf("Nothing: %v", err)
	}
	var e *client.Error
	if err := c.Invoke(ctx, "Fail", nil, "no such room"); !errors.As(err, &e) || !strings.HasSuffix(e.Message, "HubException: no such room") {
		t.Errorf("Fail = %v", err)
	}
	big := strings.Repeat("0123456789abcdef", 1<<10) // 16 KiB: many TCP segments, one message
	if err := c.Invoke(ctx, "Echo", &s, big); err != nil || s != big {
		t.Errorf("Echo of 16 KiB = %d bytes, %v", len(s), err)
	}

	// Concurrent calls share sends and polls.
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			var got string
			want := fmt.Sprint("call ", i)
			if err := c.Invoke(ctx, "Echo", &got, want); err != nil || got != want {
				t.Errorf("Echo = %q, %v; want %q", got, err, want)
			}
		})
	}
	wg.Wait()
}

func testPairCalls(t *testing.T, p pair) {
	h := newPairHub(t, "127.0.0.1:0", hub.Options{})
	got := make(chan string, 4)
	c := dialPair(t, h, p, client.Options{Handlers: map[string]client.Handler{
		"Said": func(ctx context.Context, a client.Args) (any, error) {
			s, err := client.Arg[string](a, 0)
			got <- s
			return nil, err
		},
		"Result": func(ctx context.Context, a client.Args) (any, error) {
			n, err := client.Arg[int](a, 0)
			return n * 2, err
		},
	}})
	ctx := testCtx(t)

	// Send: the server calls back the handler.
	if err := c.Send(ctx, "Callback", "Said", "sent"); err != nil {
		t.Fatal(err)
	}
	if s := recv(t, got, "Said"); s != "sent" {
		t.Errorf("Said got %q", s)
	}
	// A call from the server, not prompted by the client.
	if err := h.srv.Clients().Client(c.ID()).Send(ctx, "said", "pushed"); err != nil {
		t.Fatal(err)
	}
	if s := recv(t, got, "Said"); s != "pushed" {
		t.Errorf("Said got %q", s)
	}
	// A client result: the handler's answer goes back in a send.
	var n int
	if err := h.srv.Clients().Client(c.ID()).Invoke(ctx, "Result", &n, 21); err != nil || n != 42 {
		t.Errorf("client result = %d, %v", n, err)
	}
}

func testPairClose(t *testing.T, p pair) {
	h := newPairHub(t, "127.0.0.1:0", hub.Options{})
	closed := make(chan error, 1)
	c := dialPair(t, h, p, client.Options{OnClosed: func(err error) { closed <- err }})
	pending := make(chan error, 1)
	go func() { pending <- c.Invoke(testCtx(t), "Block", nil) }()
	recv(t, h.blocked, "Block to start")

	c.Close()
	if err := recv(t, closed, "OnClosed"); err != nil {
		t.Errorf("OnClosed(%v), want nil", err)
	}
	if err := recv(t, pending, "Block"); !errors.Is(err, client.ErrConnectionClosed) {
		t.Errorf("Block = %v, want ErrConnectionClosed", err)
	}
	if err := recv(t, h.disconnected, "OnDisconnected"); err != nil {
		t.Errorf("the server saw the connection end with %v, want a clean close", err)
	}
	checkNoClientGoroutines(t)
}

func testPairServerClose(t *testing.T, p pair) {
	h := newPairHub(t, "127.0.0.1:0", hub.Options{})
	closed := make(chan error, 1)
	c := dialPair(t, h, p, client.Options{
		Reconnect: fastReconnect,
		OnClosed:  func(err error) { closed <- err },
	})
	c.Invoke(testCtx(t), "CloseMe", nil, "bye")
	err := recv(t, closed, "OnClosed")
	want := "Server returned an error on close: Connection closed with an error. HubException: bye"
	if err == nil || err.Error() != want {
		t.Errorf("OnClosed(%v), want %q", err, want)
	}
}

func testPairReconnect(t *testing.T, p pair) {
	h1 := newPairHub(t, "127.0.0.1:0", hub.Options{})
	reconnecting := make(chan error, 1)
	reconnected := make(chan string, 1)
	got := make(chan string, 1)
	c := dialPair(t, h1, p, client.Options{
		Reconnect:      fastReconnect,
		OnReconnecting: func(err error) { reconnecting <- err },
		OnReconnected:  func(id string) { reconnected <- id },
		Handlers: map[string]client.Handler{"Notify": func(ctx context.Context, a client.Args) (any, error) {
			s, err := client.Arg[string](a, 0)
			got <- s
			return nil, err
		}},
	})
	ctx := testCtx(t)
	pending := make(chan error, 1)
	go func() { pending <- c.Invoke(ctx, "Block", nil) }()
	recv(t, h1.blocked, "Block to start")

	// Stop the server, then serve a new one at the same address.
	addr := h1.ts.Listener.Addr().String()
	h1.close()
	if err := recv(t, pending, "the pending call to fail"); !errors.Is(err, client.ErrConnectionClosed) {
		t.Errorf("pending Block = %v, want ErrConnectionClosed", err)
	}
	if err := recv(t, reconnecting, "OnReconnecting"); err == nil || strings.Contains(err.Error(), "id=") {
		t.Errorf("OnReconnecting(%v), want why, without the connection token", err)
	}
	h2 := newPairHub(t, addr, hub.Options{})
	id := recv(t, reconnected, "OnReconnected")
	if got := recv(t, h2.connected, "OnConnected"); got != p.name() {
		t.Errorf("reconnected over %s, want %s", got, p.name())
	}
	if err := h2.srv.Clients().Client(id).Send(ctx, "Notify", "after restart"); err != nil {
		t.Fatal(err)
	}
	if s := recv(t, got, "Notify"); s != "after restart" {
		t.Errorf("Notify got %q", s)
	}
	echoWorks(t, ctx, c, "again")
}

// TestHTTPTransportKeepAlive checks that Server-Sent Events have pings and a
// server timeout, and that Long Polling has neither. It waits for the
// connection to be idle past both sides' timeouts by counting pings or
// polls, not for a time.
func TestHTTPTransportKeepAlive(t *testing.T) {
	const (
		keepAlive   = 50 * time.Millisecond
		timeout     = time.Second // 20 keep-alive intervals: room for a slow machine
		pollTimeout = 100 * time.Millisecond
	)
	for _, p := range []pair{{client.ServerSentEvents, protocol.JSON}, {client.LongPolling, protocol.JSON}} {
		t.Run(p.String(), func(t *testing.T) {
			// Both sides would time out within a second without the
			// other's pings, and polls end after 100 ms without data.
			h := newPairHub(t, "127.0.0.1:0", hub.Options{
				KeepAliveInterval: keepAlive,
				ClientTimeout:     timeout,
				PollTimeout:       pollTimeout,
			})
			// Timers fire no earlier than set: this many pings (Server-Sent
			// Events) or polls (Long Polling), each at least an interval
			// after the one before, span more than the timeouts.
			wait, need := http.MethodPost, int32(timeout/keepAlive)+2
			if p.transport == client.LongPolling {
				wait, need = http.MethodGet, int32(timeout/pollTimeout)+2
			}
			var counting atomic.Bool
			var posts, requests atomic.Int32
			idleEnough := make(chan struct{})
			var once sync.Once
			hc := &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
				if counting.Load() && !strings.HasSuffix(r.URL.Path, "/negotiate") {
					n := requests.Add(1)
					if r.Method == http.MethodPost {
						n = posts.Add(1)
					}
					if r.Method == wait && n >= need {
						once.Do(func() { close(idleEnough) })
					}
				}
				return http.DefaultTransport.RoundTrip(r)
			})}
			closed := make(chan error, 1)
			c := dialPair(t, h, p, client.Options{
				HTTPClient:        hc,
				KeepAliveInterval: keepAlive,
				ServerTimeout:     timeout,
				Reconnect:         client.NoReconnect,
				OnClosed:          func(err error) { closed <- err },
			})
			counting.Store(true)
			select {
			case err := <-closed:
				t.Fatalf("closed while idle: %v", err)
			case <-idleEnough:
			case <-time.After(30 * time.Second):
				t.Fatalf("after 30 s idle: %d pings, %d requests; want %d %ss", posts.Load(), requests.Load(), need, wait)
			}
			if n := posts.Load(); p.transport == client.LongPolling && n != 0 {
				t.Errorf("%d sends while idle on Long Polling, want none", n)
			}
			var s string
			if err := c.Invoke(testCtx(t), "Echo", &s, "still here"); err != nil || s != "still here" {
				t.Errorf("Echo = %q, %v", s, err)
			}
		})
	}
}

// TestHTTPTransportRequests checks that every request of Server-Sent Events
// and Long Polling goes through Options.HTTPClient with the access token and
// Options.Header, and carries the connection token but never shows it.
func TestHTTPTransportRequests(t *testing.T) {
	for _, p := range []pair{{client.ServerSentEvents, protocol.JSON}, {client.LongPolling, protocol.MessagePack}} {
		t.Run(p.String(), func(t *testing.T) {
			var mu sync.Mutex
			var seen []string // method and kind of each request the client sent
			hc := &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
				kind := r.Method
				switch {
				case strings.HasSuffix(r.URL.Path, "/negotiate"):
					kind += " negotiate"
				case r.URL.Query().Get("id") == "":
					t.Errorf("%s %s without the connection token", r.Method, r.URL.Path)
				case r.Header.Get("Accept") == "text/event-stream":
					kind += " events"
				}
				if r.Method == http.MethodPost && kind == "POST" {
					want := "text/plain;charset=UTF-8"
					if p.proto == protocol.MessagePack {
						want = "application/octet-stream"
					}
					if ct := r.Header.Get("Content-Type"); ct != want {
						t.Errorf("POST with Content-Type %q, want %q", ct, want)
					}
				}
				if r.Header.Get("Authorization") != "Bearer secret" || r.Header.Get("X-Tenant") != "blue" {
					t.Errorf("%s without the access token or the header: %v", kind, r.Header)
				}
				mu.Lock()
				if !slices.Contains(seen, kind) {
					seen = append(seen, kind)
				}
				mu.Unlock()
				return http.DefaultTransport.RoundTrip(r)
			})}
			h := newPairHub(t, "127.0.0.1:0", hub.Options{Authenticate: bearer("secret")})
			c := dialPair(t, h, p, client.Options{
				HTTPClient:  hc,
				Header:      http.Header{"X-Tenant": {"blue"}},
				AccessToken: func(context.Context) (string, error) { return "secret", nil },
			})
			var s string
			if err := c.Invoke(testCtx(t), "Echo", &s, "authorized"); err != nil || s != "authorized" {
				t.Errorf("Echo = %q, %v", s, err)
			}
			c.Close()
			want := []string{"POST negotiate", "GET events", "POST"}
			if p.transport == client.LongPolling {
				want = []string{"POST negotiate", "GET", "POST"}
			}
			mu.Lock()
			defer mu.Unlock()
			// Long Polling sends a DELETE unless the server answered a poll
			// with 204 before, as the Close message asked (see
			// TestLongPollingRequests).
			seen = slices.DeleteFunc(seen, func(s string) bool { return s == "DELETE" })
			slices.Sort(seen)
			slices.Sort(want)
			if !slices.Equal(seen, want) {
				t.Errorf("requests %q, want %q", seen, want)
			}
		})
	}
}

// gate serves h's hub, refusing the requests that refuse says to refuse with
// 403, and counts negotiate requests.
type gate struct {
	url        string
	negotiates atomic.Int32
}

func newGate(t *testing.T, h *pairHub, refuse func(r *http.Request) bool) *gate {
	g := &gate{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/negotiate") {
			g.negotiates.Add(1)
		} else if refuse(r) {
			http.Error(w, "refused", http.StatusForbidden)
			return
		}
		h.ts.Config.Handler.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	g.url = ts.URL + "/hub"
	return g
}

func isUpgrade(r *http.Request) bool { return websocket.IsWebSocketUpgrade(r) }
func isEvents(r *http.Request) bool  { return r.Header.Get("Accept") == "text/event-stream" }

func TestTransportFallback(t *testing.T) {
	t.Run("the server's transports", func(t *testing.T) {
		h := newPairHub(t, "127.0.0.1:0", hub.Options{Transports: hub.LongPolling})
		dial(t, h.url, client.Options{})
		if got := recv(t, h.connected, "OnConnected"); got != "LongPolling/json" {
			t.Errorf("connected over %s", got)
		}
	})
	tests := []struct {
		name       string
		refuse     func(r *http.Request) bool
		opts       client.Options
		want       string // the pair connected over
		negotiates int32
	}{
		{"WebSockets fail", isUpgrade, client.Options{}, "ServerSentEvents/json", 2},
		{"WebSockets fail, Server-Sent Events disallowed", isUpgrade,
			client.Options{Transports: client.WebSockets | client.LongPolling}, "LongPolling/json", 2},
		{"WebSockets fail, MessagePack", isUpgrade, client.Options{Protocol: protocol.MessagePack}, "LongPolling/messagepack", 2},
		{"WebSockets and Server-Sent Events fail", func(r *http.Request) bool { return isUpgrade(r) || isEvents(r) },
			client.Options{}, "LongPolling/json", 3},
		{"only Long Polling allowed", isUpgrade, client.Options{Transports: client.LongPolling}, "LongPolling/json", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newPairHub(t, "127.0.0.1:0", hub.Options{})
			g := newGate(t, h, tt.refuse)
			c := dial(t, g.url, tt.opts)
			if got := recv(t, h.connected, "OnConnected"); got != tt.want {
				t.Errorf("connected over %s, want %s", got, tt.want)
			}
			if n := g.negotiates.Load(); n != tt.negotiates {
				t.Errorf("%d negotiate requests, want %d", n, tt.negotiates)
			}
			var s string
			if err := c.Invoke(testCtx(t), "Echo", &s, "fell back"); err != nil || s != "fell back" {
				t.Errorf("Echo = %q, %v", s, err)
			}
		})
	}
	t.Run("all fail", func(t *testing.T) {
		h := newPairHub(t, "127.0.0.1:0", hub.Options{})
		g := newGate(t, h, func(*http.Request) bool { return true })
		_, err := client.Dial(testCtx(t), g.url, client.Options{Logger: quiet})
		want := "client: unable to connect to the server with any of the available transports: " +
			"WebSockets failed: WebSocket connection failed: refused: Status code '403'; " +
			"ServerSentEvents failed: EventSource failed to connect: refused: Status code '403'; " +
			"LongPolling failed: long polling failed to connect: refused: Status code '403'"
		if err == nil || err.Error() != want {
			t.Errorf("Dial:\n got %v\nwant %s", err, want)
		}
		var he *client.HTTPError
		if !errors.As(err, &he) || he.StatusCode != http.StatusForbidden {
			t.Errorf("Dial: %#v, want an *HTTPError", err)
		}
		if n := g.negotiates.Load(); n != 3 {
			t.Errorf("%d negotiate requests, want 3", n)
		}
	})
	t.Run("disabled by the client", func(t *testing.T) {
		h := newPairHub(t, "127.0.0.1:0", hub.Options{Transports: hub.WebSockets | hub.LongPolling})
		_, err := client.Dial(testCtx(t), h.url, client.Options{Logger: quiet, Transports: client.ServerSentEvents})
		want := "client: unable to connect to the server with any of the available transports: " +
			"'WebSockets' is disabled by the client; 'LongPolling' is disabled by the client"
		if err == nil || err.Error() != want {
			t.Errorf("Dial:\n got %v\nwant %s", err, want)
		}
	})
}

// TestMessagePackNotOverEvents checks that the client never opens an event
// stream for MessagePack, even when the server says it may.
func TestMessagePackNotOverEvents(t *testing.T) {
	h := newPairHub(t, "127.0.0.1:0", hub.Options{Transports: hub.ServerSentEvents | hub.LongPolling})
	dial(t, h.url, client.Options{Protocol: protocol.MessagePack})
	if got := recv(t, h.connected, "OnConnected"); got != "LongPolling/messagepack" {
		t.Errorf("connected over %s", got)
	}

	var others atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/negotiate") {
			others.Add(1)
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(`{"negotiateVersion":1,"connectionId":"a","connectionToken":"b","availableTransports":[{"transport":"ServerSentEvents","transferFormats":["Text","Binary"]}]}`))
	}))
	defer ts.Close()
	_, err := client.Dial(testCtx(t), ts.URL+"/hub", client.Options{Logger: quiet, Protocol: protocol.MessagePack})
	want := "client: unable to connect to the server with any of the available transports: 'ServerSentEvents' does not support Binary"
	if err == nil || err.Error() != want {
		t.Errorf("Dial:\n got %v\nwant %s", err, want)
	}
	if n := others.Load(); n != 0 {
		t.Errorf("%d requests besides negotiate", n)
	}
}

func TestSkipNegotiationTransports(t *testing.T) {
	h := newHub(t, hub.Options{})
	dial(t, h.url, client.Options{SkipNegotiation: true, Transports: client.WebSockets})
	for _, ts := range []client.Transports{client.LongPolling, client.WebSockets | client.ServerSentEvents} {
		_, err := client.Dial(testCtx(t), h.url, client.Options{Logger: quiet, SkipNegotiation: true, Transports: ts})
		if err == nil || err.Error() != "client: negotiation can only be skipped when using the WebSocket transport directly" {
			t.Errorf("Transports %d: Dial = %v", ts, err)
		}
	}
}
