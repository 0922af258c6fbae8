package client_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hubgen/hubgen/runtime/client"
	"github.com/hubgen/hubgen/runtime/protocol"
)

// send writes records in one frame; each is followed by the record separator.
func send(ws *websocket.Conn, records ...string) error {
	return ws.WriteMessage(websocket.TextMessage, []byte(strings.Join(records, "\x1e")+"\x1e"))
}

// drain reads until the client closes.
func drain(ws *websocket.Conn) {
	for {
		if _, _, err := ws.ReadMessage(); err != nil {
			return
		}
	}
}

func TestHandshakeErrors(t *testing.T) {
	tests := []struct{ response, want string }{
		{`{"error":"The protocol 'json' is not supported."}` + "\x1e",
			"client: server returned handshake error: The protocol 'json' is not supported."},
		{`{"type":6}` + "\x1e",
			"client: invalid handshake response: Expected a handshake response from the server."},
		{`[]` + "\x1e",
			"client: invalid handshake response: Unexpected JSON Token Type 'Array'. Expected a JSON Object."},
	}
	for _, tt := range tests {
		s := newRawServerHandshake(t, tt.response, drain)
		_, err := client.Dial(testCtx(t), s.url, client.Options{Logger: quiet})
		if err == nil || err.Error() != tt.want {
			t.Errorf("handshake response %q:\n got %v\nwant %s", tt.response, err, tt.want)
		}
	}
}

func TestRecordsWithHandshake(t *testing.T) {
	// The handshake response and the first call share a frame.
	s := newRawServerHandshake(t, "{}\x1e"+`{"type":1,"target":"Hello","arguments":["first"]}`+"\x1e", func(ws *websocket.Conn) {
		// A record split over two frames, then one more.
		ws.WriteMessage(websocket.TextMessage, []byte(`{"type":1,"target":"Hel`))
		ws.WriteMessage(websocket.TextMessage, []byte(`lo","arguments":["second"]}`+"\x1e"+`{"type":1,"target":"Hello","arguments":["third"]}`+"\x1e"))
		drain(ws)
	})
	got := make(chan string, 3)
	dial(t, s.url, client.Options{Handlers: map[string]client.Handler{
		"Hello": func(ctx context.Context, a client.Args) (any, error) {
			s, err := client.Arg[string](a, 0)
			got <- s
			return nil, err
		},
	}})
	for _, want := range []string{"first", "second", "third"} {
		if s := recv(t, got, want); s != want {
			t.Errorf("got %q, want %q", s, want)
		}
	}
}

func TestClientResults(t *testing.T) {
	completions := make(chan protocol.Message, 10)
	ready := make(chan struct{}) // closed once the handler added with On is in place
	s := newRawServer(t, func(ws *websocket.Conn) {
		<-ready
		send(ws,
			`{"type":1,"target":"add","arguments":[1,1]}`,  // no id: no answer
			`{"type":1,"target":"Missing","arguments":[]}`, // no id, no handler: no answer
			`{"type":1,"invocationId":"a","target":"ADD","arguments":[2,3]}`,
			`{"type":1,"invocationId":"b","target":"Fail","arguments":[]}`,
			`{"type":1,"invocationId":"c","target":"Missing","arguments":[]}`,
			`{"type":1,"invocationId":"d","target":"Twice","arguments":[]}`,
			`{"type":1,"invocationId":"e","target":"Panic","arguments":[]}`,
			`{"type":1,"invocationId":"f","target":"Void","arguments":[]}`,
		)
		for {
			msgs, err := readRecords(ws)
			if err != nil {
				return
			}
			for _, m := range msgs {
				if m.Type != protocol.Ping {
					completions <- m
				}
			}
		}
	})
	c := dial(t, s.url, client.Options{Handlers: map[string]client.Handler{
		"Add": func(ctx context.Context, a client.Args) (any, error) {
			x, err := client.Arg[int](a, 0)
			if err != nil {
				return nil, err
			}
			y, err := client.Arg[int](a, 1)
			return x + y, err
		},
		"Fail":  func(context.Context, client.Args) (any, error) { return nil, errors.New("from callback") },
		"Panic": func(context.Context, client.Args) (any, error) { panic("oops") },
		"Void":  func(context.Context, client.Args) (any, error) { return nil, nil },
		"Twice": func(context.Context, client.Args) (any, error) { return 1, nil },
	}})
	c.On("twice", func(context.Context, client.Args) (any, error) { return 2, nil })
	close(ready)

	want := []struct{ id, result, err string }{
		{"a", "5", ""},
		{"b", "", "from callback"},
		{"c", "", "Client didn't provide a result."},
		{"d", "", "Client provided multiple results."},
		{"e", "", `client: handler for "Panic" panicked`},
		{"f", "null", ""},
	}
	for _, w := range want {
		m := recv(t, completions, "a completion")
		if m.Type != protocol.Completion || m.InvocationID != w.id || string(m.RawResult) != w.result || m.Error != w.err {
			t.Errorf("got %v id %q result %q error %q; want id %q result %q error %q",
				m.Type, m.InvocationID, m.RawResult, m.Error, w.id, w.result, w.err)
		}
	}
}

func TestServerTimeout(t *testing.T) {
	s := newRawServer(t, drain) // never sends anything
	closed := make(chan error, 1)
	c := dial(t, s.url, client.Options{
		ServerTimeout:     100 * time.Millisecond,
		KeepAliveInterval: 20 * time.Millisecond,
		Reconnect:         client.NoReconnect,
		OnClosed:          func(err error) { closed <- err },
	})
	pending := make(chan error, 1)
	go func() { pending <- c.Invoke(testCtx(t), "Anything", nil) }()
	err := recv(t, closed, "OnClosed")
	if err == nil || err.Error() != "Server timeout elapsed without receiving a message from the server." || !errors.Is(err, client.ErrServerTimeout) {
		t.Errorf("OnClosed(%v)", err)
	}
	err = recv(t, pending, "the pending call")
	if !errors.Is(err, client.ErrConnectionClosed) && !errors.Is(err, client.ErrServerTimeout) {
		t.Errorf("pending Invoke = %v", err)
	}
}

func TestKeepAlivePings(t *testing.T) {
	pings := make(chan struct{}, 100)
	s := newRawServer(t, func(ws *websocket.Conn) {
		for {
			msgs, err := readRecords(ws)
			if err != nil {
				return
			}
			for _, m := range msgs {
				if m.Type == protocol.Ping {
					pings <- struct{}{}
				}
			}
		}
	})
	dial(t, s.url, client.Options{KeepAliveInterval: 20 * time.Millisecond})
	for range 3 {
		recv(t, pings, "a ping")
	}
}

func TestMalformedMessages(t *testing.T) {
	for _, bad := range []string{
		`{"type":1,"target":5,"arguments":[]}`,
		`not JSON`,
		`{"type":3}`,
	} {
		s := newRawServer(t, func(ws *websocket.Conn) {
			send(ws, bad)
			drain(ws)
		})
		closed := make(chan error, 1)
		dial(t, s.url, client.Options{
			Reconnect: client.NoReconnect,
			OnClosed:  func(err error) { closed <- err },
		})
		err := recv(t, closed, "OnClosed")
		if err == nil || !strings.HasPrefix(err.Error(), "client: invalid message from the server: ") {
			t.Errorf("%s: OnClosed(%v)", bad, err)
		}
	}
}

func TestIgnoredMessages(t *testing.T) {
	s := newRawServer(t, func(ws *websocket.Conn) {
		m, err := readMessage(ws)
		if err != nil || m.Type != protocol.Invocation || m.Target != "Echo" {
			t.Errorf("got %+v, %v", m, err)
			return
		}
		send(ws,
			`{"type":3,"invocationId":"nothing pending","result":1}`,
			`{"type":42,"what":"a future message type"}`,
			`{"type":6}`,
			`{"type":2,"invocationId":"no stream","item":1}`,
			`{"type":8,"sequenceId":1}`,
			`{"type":3,"invocationId":"`+m.InvocationID+`","result":"ok"}`,
			`{"type":3,"invocationId":"`+m.InvocationID+`","result":"twice"}`,
		)
		drain(ws)
	})
	c := dial(t, s.url, client.Options{})
	var got string
	if err := c.Invoke(testCtx(t), "Echo", &got, "x"); err != nil || got != "ok" {
		t.Errorf("Invoke = %q, %v", got, err)
	}
	if c.State() != client.Connected {
		t.Errorf("State = %v", c.State())
	}
}

func TestCloseSendsClose(t *testing.T) {
	got := make(chan string, 2)
	s := newRawServer(t, func(ws *websocket.Conn) {
		m, err := readMessage(ws)
		if err != nil {
			t.Error(err)
			return
		}
		got <- m.Type.String()
		_, _, err = ws.ReadMessage()
		if websocket.IsCloseError(err, websocket.CloseNormalClosure) {
			got <- "close frame"
		} else {
			got <- err.Error()
		}
	})
	c := dial(t, s.url, client.Options{})
	c.Close()
	if m := recv(t, got, "a message"); m != "Close" {
		t.Errorf("got %s, want Close", m)
	}
	if m := recv(t, got, "a close frame"); m != "close frame" {
		t.Errorf("got %s, want close frame", m)
	}
}

func TestServerCloseAllowsReconnect(t *testing.T) {
	var conns atomic.Int32
	s := newRawServer(t, func(ws *websocket.Conn) {
		if conns.Add(1) == 1 {
			send(ws, `{"type":7,"error":"going away","allowReconnect":true}`)
		}
		drain(ws)
	})
	reconnecting := make(chan error, 1)
	reconnected := make(chan string, 1)
	dial(t, s.url, client.Options{
		Reconnect:      fastReconnect,
		OnReconnecting: func(err error) { reconnecting <- err },
		OnReconnected:  func(id string) { reconnected <- id },
	})
	err := recv(t, reconnecting, "OnReconnecting")
	if err == nil || err.Error() != "Server returned an error on close: going away" {
		t.Errorf("OnReconnecting(%v)", err)
	}
	if id := recv(t, reconnected, "OnReconnected"); id != "raw-id" {
		t.Errorf("OnReconnected(%q)", id)
	}
}
