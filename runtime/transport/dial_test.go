package transport_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hubgen/hubgen/runtime/transport"
)

var quiet = slog.New(slog.DiscardHandler)

// testCtx bounds what a test waits for, so that a hang fails the test rather
// than the run.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// dialCase is a transport and a format it carries.
type dialCase struct {
	kind   transport.Transports
	format transport.Format
}

func (c dialCase) String() string { return c.format.String() + " over " + c.kind.String() }

var dialCases = []dialCase{
	{transport.WebSockets, transport.Text},
	{transport.WebSockets, transport.Binary},
	{transport.ServerSentEvents, transport.Text},
	{transport.LongPolling, transport.Text},
	{transport.LongPolling, transport.Binary},
}

// dial dials s with opts, failing the test on an error, and aborts the
// connection when the test ends.
func dial(t *testing.T, url string, opts transport.DialOptions) *transport.ClientConn {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	c, err := transport.Dial(testCtx(t), url, opts)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(c.Abort)
	return c
}

// readN reads from c until it has n bytes.
func readN(t *testing.T, c *transport.ClientConn, n int) []byte {
	t.Helper()
	var got []byte
	for len(got) < n {
		var err error
		if got, err = c.Read(got); err != nil {
			t.Fatalf("Read after %q: %v", got, err)
		}
	}
	return got
}

// readEnd reads from c until Read fails, and returns the error.
func readEnd(t *testing.T, c *transport.ClientConn) error {
	t.Helper()
	var buf []byte
	for {
		var err error
		if buf, err = c.Read(buf[:0]); err != nil {
			return err
		}
		t.Logf("read %q before the end", buf)
	}
}

// TestDialEcho dials the echo server over each transport, in each format it
// carries, and echoes messages.
func TestDialEcho(t *testing.T) {
	messages := map[transport.Format][]string{
		transport.Text:   {"hello", `{"protocol":"json","version":1}` + "\x1e", "two\nlines", "ünïcode ✓", strings.Repeat("x", 100_000)},
		transport.Binary: {"\x00\x01\x1e\xff", "\n\r\n", string(bytes.Repeat([]byte{0, 0xff}, 50_000))},
	}
	for _, tc := range dialCases {
		t.Run(tc.String(), func(t *testing.T) {
			s := newEchoServer(t, transport.AllTransports)
			c := dial(t, s.url, transport.DialOptions{Transports: tc.kind, Format: tc.format})
			if c.Transport() != tc.kind || c.Format() != tc.format || !strings.HasPrefix(c.ID(), "id-") {
				t.Errorf("Transport, Format, ID = %v, %v, %q", c.Transport(), c.Format(), c.ID())
			}
			if c.InherentKeepAlive() != (tc.kind == transport.LongPolling) {
				t.Errorf("InherentKeepAlive = %v", c.InherentKeepAlive())
			}
			for _, m := range messages[tc.format] {
				if err := c.Write([]byte(m)); err != nil {
					t.Fatalf("Write: %v", err)
				}
				if got := readN(t, c, len(m)); string(got) != m {
					t.Errorf("echo of %.20q... is %.20q... (%d bytes, want %d)", m, got, len(got), len(m))
				}
			}
		})
	}
}

// TestDialAppends: Read appends to what dst holds, and reuses its room.
func TestDialAppends(t *testing.T) {
	for _, tc := range dialCases {
		t.Run(tc.String(), func(t *testing.T) {
			s := newEchoServer(t, transport.AllTransports)
			c := dial(t, s.url, transport.DialOptions{Transports: tc.kind, Format: tc.format})
			buf := make([]byte, 0, 64)
			buf = append(buf, "kept|"...)
			if err := c.Write([]byte("new")); err != nil {
				t.Fatal(err)
			}
			got, err := c.Read(buf)
			if err != nil || string(got) != "kept|new" || &got[0] != &buf[:1][0] {
				t.Errorf("Read = %q, %v; the same array: %v", got, err, err == nil && &got[0] == &buf[:1][0])
			}
		})
	}
}

// TestDialServerEnds: when the server ends the connection, Read's error is
// io.EOF, whatever the transport.
func TestDialServerEnds(t *testing.T) {
	for _, tc := range dialCases {
		t.Run(tc.String(), func(t *testing.T) {
			s := newEchoServer(t, transport.AllTransports)
			c := dial(t, s.url, transport.DialOptions{Transports: tc.kind, Format: tc.format})
			if err := c.Write([]byte("end")); err != nil {
				t.Fatal(err)
			}
			err := readEnd(t, c)
			if !errors.Is(err, io.EOF) {
				t.Errorf("Read at the end = %v, want io.EOF", err)
			}
			want := map[transport.Transports]error{transport.ServerSentEvents: transport.ErrEventStreamEnded, transport.LongPolling: transport.ErrPollingEnded}[tc.kind]
			var ce *websocket.CloseError
			switch {
			case want != nil && err != want:
				t.Errorf("Read at the end = %v, want %v", err, want)
			case want == nil && (!errors.As(err, &ce) || ce.Code != websocket.CloseNormalClosure):
				t.Errorf("Read at the end = %v, want a normal closure", err)
			}
		})
	}
}

// TestDialCloseWrite: after CloseWrite, the server ends its side (WebSockets
// answer the close frame, Long Polling the DELETE) and Read returns io.EOF.
// Server-Sent Events have nothing to tell the server: the connection closes
// after the close timeout.
func TestDialCloseWrite(t *testing.T) {
	for _, tc := range dialCases {
		t.Run(tc.String(), func(t *testing.T) {
			s := newEchoServer(t, transport.AllTransports)
			opts := transport.DialOptions{Transports: tc.kind, Format: tc.format}
			if tc.kind == transport.ServerSentEvents {
				opts.CloseTimeout = time.Millisecond
			}
			c := dial(t, s.url, opts)
			if err := c.Write([]byte("last")); err != nil {
				t.Fatal(err)
			}
			if got := readN(t, c, 4); string(got) != "last" {
				t.Errorf("echo %q", got)
			}
			c.CloseWrite()
			err := readEnd(t, c)
			if eof := errors.Is(err, io.EOF); eof != (tc.kind != transport.ServerSentEvents) {
				t.Errorf("Read after CloseWrite = %v", err)
			}
		})
	}
}

// TestDialAbort: Abort ends a pending Read.
func TestDialAbort(t *testing.T) {
	for _, tc := range dialCases {
		t.Run(tc.String(), func(t *testing.T) {
			s := newEchoServer(t, transport.AllTransports)
			c := dial(t, s.url, transport.DialOptions{Transports: tc.kind, Format: tc.format})
			done := make(chan error, 1)
			go func() {
				_, err := c.Read(nil)
				done <- err
			}()
			c.Abort()
			if err := <-done; err == nil || errors.Is(err, io.EOF) {
				t.Errorf("Read after Abort = %v, want an error other than io.EOF", err)
			}
			if err := c.Write([]byte("late")); err == nil {
				t.Error("Write after Abort succeeded")
			}
			c.Abort() // again: nothing happens
		})
	}
}

// TestDialOrder: Dial takes the first transport the server offers that the
// options allow and that carries the format.
func TestDialOrder(t *testing.T) {
	tests := []struct {
		offered, allowed transport.Transports
		format           transport.Format
		want             transport.Transports
	}{
		{transport.AllTransports, 0, transport.Text, transport.WebSockets},
		{transport.AllTransports, transport.ServerSentEvents | transport.LongPolling, transport.Text, transport.ServerSentEvents},
		{transport.ServerSentEvents | transport.LongPolling, 0, transport.Binary, transport.LongPolling},
		{transport.LongPolling, transport.AllTransports, transport.Binary, transport.LongPolling},
	}
	for _, tt := range tests {
		s := newEchoServer(t, tt.offered)
		c := dial(t, s.url, transport.DialOptions{Transports: tt.allowed, Format: tt.format})
		if c.Transport() != tt.want {
			t.Errorf("offered %v, allowed %v, %v: Transport = %v, want %v", tt.offered, tt.allowed, tt.format, c.Transport(), tt.want)
		}
	}
}

// TestDialFallback: a transport that fails to start is skipped, after a new
// negotiate, with the reasons of each failure in the error when none starts.
func TestDialFallback(t *testing.T) {
	isUpgrade := func(r *http.Request) bool { return websocket.IsWebSocketUpgrade(r) }
	isEvents := func(r *http.Request) bool { return r.Header.Get("Accept") == "text/event-stream" }
	t.Run("WebSockets refused", func(t *testing.T) {
		s := newEchoServerWith(t, transport.AllTransports, echoOptions{refuse: isUpgrade})
		c := dial(t, s.url, transport.DialOptions{})
		if c.Transport() != transport.ServerSentEvents || c.ID() != "id-2" || s.negotiates.Load() != 2 {
			t.Errorf("Transport %v, ID %q after %d negotiates", c.Transport(), c.ID(), s.negotiates.Load())
		}
	})
	t.Run("WebSockets and Server-Sent Events refused", func(t *testing.T) {
		s := newEchoServerWith(t, transport.AllTransports, echoOptions{refuse: func(r *http.Request) bool { return isUpgrade(r) || isEvents(r) }})
		c := dial(t, s.url, transport.DialOptions{})
		if c.Transport() != transport.LongPolling || s.negotiates.Load() != 3 {
			t.Errorf("Transport %v after %d negotiates", c.Transport(), s.negotiates.Load())
		}
	})
	t.Run("all refused", func(t *testing.T) {
		s := newEchoServerWith(t, transport.AllTransports, echoOptions{refuse: func(r *http.Request) bool { return true }})
		_, err := transport.Dial(testCtx(t), s.url, transport.DialOptions{Logger: quiet})
		want := "unable to connect to the server with any of the available transports: " +
			"WebSockets failed: WebSocket connection failed: refused: Status code '403'; " +
			"ServerSentEvents failed: EventSource failed to connect: refused: Status code '403'; " +
			"LongPolling failed: long polling failed to connect: refused: Status code '403'"
		var he *transport.HTTPError
		if err == nil || err.Error() != want || !errors.As(err, &he) || he.StatusCode != http.StatusForbidden {
			t.Errorf("Dial = %v\nwant %s", err, want)
		}
	})
	t.Run("none fits", func(t *testing.T) {
		s := newEchoServer(t, transport.WebSockets|transport.ServerSentEvents)
		_, err := transport.Dial(testCtx(t), s.url, transport.DialOptions{Transports: transport.ServerSentEvents | transport.LongPolling, Format: transport.Binary})
		want := "unable to connect to the server with any of the available transports: 'WebSockets' is disabled by the client; 'ServerSentEvents' does not support Binary"
		if err == nil || err.Error() != want || s.negotiates.Load() != 1 {
			t.Errorf("Dial = %v after %d negotiates\nwant %s", err, s.negotiates.Load(), want)
		}
	})
}

// TestDialSkipNegotiation: a WebSocket straight to the URL, with no id.
func TestDialSkipNegotiation(t *testing.T) {
	s := newEchoServer(t, transport.AllTransports)
	for _, u := range []string{s.url, "ws" + strings.TrimPrefix(s.url, "http")} {
		c := dial(t, u, transport.DialOptions{SkipNegotiation: true, Format: transport.Binary})
		if c.ID() != "" || c.Transport() != transport.WebSockets {
			t.Errorf("%s: ID %q, Transport %v", u, c.ID(), c.Transport())
		}
		if err := c.Write([]byte{0, 1}); err != nil {
			t.Fatal(err)
		}
		if got := readN(t, c, 2); !bytes.Equal(got, []byte{0, 1}) {
			t.Errorf("echo %q", got)
		}
	}
	if n := s.negotiates.Load(); n != 0 {
		t.Errorf("%d negotiates", n)
	}
}

// TestDialNegotiate: the answers to negotiate that fail a Dial, and their
// texts, which are the JavaScript client's.
func TestDialNegotiate(t *testing.T) {
	tests := []struct {
		name   string
		answer func(w http.ResponseWriter, r *http.Request)
		want   string
	}{
		{"status with a body", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "the hub is resting", http.StatusServiceUnavailable)
		}, "failed to complete negotiation with the server: the hub is resting: Status code '503'"},
		{"status without a body", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusUnauthorized)
		}, "failed to complete negotiation with the server: Unauthorized: Status code '401'"},
		{"error", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"error":"Negotiate version 0 is not supported."}`))
		}, "failed to complete negotiation with the server: Negotiate version 0 is not supported."},
		{"not JSON", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`<html>`))
		}, "failed to complete negotiation with the server: invalid negotiate response: invalid character '<' looking for beginning of value"},
		{"old ASP.NET SignalR", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"Url":"/signalr","ConnectionToken":"x","ConnectionId":"y","ProtocolVersion":"1.5"}`))
		}, "failed to complete negotiation with the server: detected a connection attempt to an ASP.NET SignalR server: this client only supports connecting to an ASP.NET Core SignalR server"},
		{"no token", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"negotiateVersion":1,"connectionId":"a"}`))
		}, "failed to complete negotiation with the server: the response has no connection token"},
		{"no transports", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"negotiateVersion":1,"connectionId":"a","connectionToken":"b","availableTransports":[]}`))
		}, "none of the transports supported by the client are supported by the server"},
		{"unknown transport", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"negotiateVersion":1,"connectionId":"a","connectionToken":"b","availableTransports":[{"transport":"WebTransport","transferFormats":["Text"]}]}`))
		}, "unable to connect to the server with any of the available transports: skipping transport 'WebTransport' because it is not supported by this client"},
		{"redirected forever", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"url":"http://` + r.Host + `/again"}`))
		}, "negotiate redirection limit exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := httptest.NewServer(http.HandlerFunc(tt.answer))
			defer ts.Close()
			_, err := transport.Dial(testCtx(t), ts.URL+"/hub", transport.DialOptions{Logger: quiet})
			if err == nil || err.Error() != tt.want {
				t.Errorf("Dial = %v\nwant %s", err, tt.want)
			}
		})
	}
}

// TestDialOptionErrors: a URL or options that Dial refuses before it sends
// anything.
func TestDialOptionErrors(t *testing.T) {
	tests := []struct {
		url  string
		opts transport.DialOptions
		want string
	}{
		{"ftp://example.com/hub", transport.DialOptions{}, `invalid hub URL "ftp://example.com/hub": the scheme must be http or https`},
		{"http://[::1", transport.DialOptions{}, `invalid hub URL: parse "http://[::1": missing ']' in host`},
		{"ws://example.com/hub", transport.DialOptions{}, "a ws URL needs SkipNegotiation; negotiate is over http or https"},
		{"http://example.com/hub", transport.DialOptions{SkipNegotiation: true, Transports: transport.LongPolling},
			"negotiation can only be skipped when using the WebSocket transport directly"},
	}
	for _, tt := range tests {
		called := false
		tt.opts.AccessToken = func(context.Context) (string, error) { called = true; return "", nil }
		if _, err := transport.Dial(testCtx(t), tt.url, tt.opts); err == nil || err.Error() != tt.want || called {
			t.Errorf("Dial(%q) = %v (AccessToken called: %v)\nwant %s", tt.url, err, called, tt.want)
		}
	}
}

// TestDialTokens: the access token goes with every request of the
// connection; a negotiate redirect's token replaces it; the connection token
// is sent as id, and Header with everything.
func TestDialTokens(t *testing.T) {
	for _, tc := range dialCases {
		t.Run(tc.String(), func(t *testing.T) {
			var requests, wrong atomic.Int32
			s := newEchoServerWith(t, transport.AllTransports, echoOptions{wrap: func(echo http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Path == "/first/negotiate" {
						if r.Header.Get("Authorization") != "Bearer first" {
							wrong.Add(1)
						}
						w.Write([]byte(`{"url":"http://` + r.Host + `/echo?hub=1","accessToken":"second"}`))
						return
					}
					requests.Add(1)
					if r.Header.Get("Authorization") != "Bearer second" || r.Header.Get("X-Test") != "yes" || r.URL.Query().Get("hub") != "1" {
						wrong.Add(1)
					}
					echo.ServeHTTP(w, r)
				})
			}})
			c := dial(t, s.ts.URL+"/first", transport.DialOptions{
				Transports:  tc.kind,
				Format:      tc.format,
				Header:      http.Header{"X-Test": {"yes"}},
				AccessToken: func(context.Context) (string, error) { return "first", nil },
			})
			if err := c.Write([]byte("x")); err != nil {
				t.Fatal(err)
			}
			readN(t, c, 1)
			c.Write([]byte("end"))
			readEnd(t, c)
			if n := wrong.Load(); n != 0 || requests.Load() < 2 {
				t.Errorf("%d of %d requests without the right token, header or query", n, requests.Load())
			}
		})
	}
	t.Run("AccessToken fails", func(t *testing.T) {
		_, err := transport.Dial(testCtx(t), "http://example.invalid/hub", transport.DialOptions{
			AccessToken: func(context.Context) (string, error) { return "", errors.New("no token today") },
		})
		if err == nil || err.Error() != "cannot get an access token: no token today" {
			t.Errorf("Dial = %v", err)
		}
	})
}

// TestDialCanceled: a ctx that ends while a transport starts fails Dial
// without a try of the next transport; Server-Sent Events and Long Polling
// report ctx's error (a WebSocket upgrade, the server's answer).
func TestDialCanceled(t *testing.T) {
	for _, kind := range []transport.Transports{transport.WebSockets, transport.ServerSentEvents, transport.LongPolling} {
		t.Run(kind.String(), func(t *testing.T) {
			ctx, cancel := context.WithCancel(testCtx(t))
			s := newEchoServerWith(t, transport.AllTransports, echoOptions{refuse: func(r *http.Request) bool {
				cancel() // while the transport starts
				return true
			}})
			allowed := transport.AllTransports &^ (kind - 1) // kind and those after it
			_, err := transport.Dial(ctx, s.url, transport.DialOptions{Transports: allowed, Logger: quiet})
			if err == nil || kind != transport.WebSockets && !errors.Is(err, context.Canceled) {
				t.Errorf("Dial = %v, want context.Canceled", err)
			}
			if n := s.negotiates.Load(); n != 1 {
				t.Errorf("%d negotiates", n)
			}
		})
	}
}
