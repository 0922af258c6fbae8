package transport_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hubgen/hubgen/runtime/transport"
)

func TestStatefulNegotiate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		allow bool
		query string
		want  bool
	}{
		{"a client that did not ask", true, "", false},
		{"a client that asked for false", true, "&useStatefulReconnect=false", false},
		{"a server that does not allow it", false, "&useStatefulReconnect=true", false},
		{"both", true, "&useStatefulReconnect=true", true},
		{"the key ignores case, as ASP.NET Core's", true, "&UseStatefulReconnect=true", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, url := endpoint(t, transport.HandlerFunc(echo), transport.Options{AllowStatefulReconnects: tc.allow})
			resp, err := http.Post(url+"/negotiate?negotiateVersion=1"+tc.query, "text/plain", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body map[string]any
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			got, present := body["useStatefulReconnect"]
			if tc.want && got != true || !tc.want && present {
				t.Fatalf("useStatefulReconnect = %v (present %v), want %v", got, present, tc.want)
			}
		})
	}
}

func TestStatefulOnlyOverWebSockets(t *testing.T) {
	for _, tr := range []transport.Transports{transport.WebSockets, transport.ServerSentEvents, transport.LongPolling} {
		t.Run(tr.String(), func(t *testing.T) {
			stateful := make(chan bool, 1)
			_, url := endpoint(t, transport.HandlerFunc(func(c *transport.Conn) {
				stateful <- c.Stateful()
				echo(c)
			}), transport.Options{AllowStatefulReconnects: true})
			cc, err := transport.Dial(t.Context(), url, transport.DialOptions{Transports: tr, StatefulReconnect: true})
			if err != nil {
				t.Fatal(err)
			}
			defer cc.Abort()
			if got := <-stateful; got != (tr == transport.WebSockets) {
				t.Fatalf("Stateful() = %v over %v", got, tr)
			}
			if cc.Stateful() != (tr == transport.WebSockets) {
				t.Fatalf("the client's Stateful() = %v over %v", cc.Stateful(), tr)
			}
		})
	}
}

// statefulEcho is an echo that survives reattaches, and tells of them.
type statefulEcho struct {
	conns      chan *transport.Conn // each connection, as it starts
	drops      chan struct{}
	reattaches chan struct{}
	resumed    chan struct{} // Next returned ErrReattached
	ended      chan error
}

func newStatefulEcho() *statefulEcho {
	return &statefulEcho{
		conns: make(chan *transport.Conn, 4), drops: make(chan struct{}, 4), reattaches: make(chan struct{}, 4),
		resumed: make(chan struct{}, 4), ended: make(chan error, 4),
	}
}

func (e *statefulEcho) ServeConn(c *transport.Conn) {
	c.OnDrop(func() { e.drops <- struct{}{} })
	c.OnReattach(func() { e.reattaches <- struct{}{} })
	e.conns <- c
	defer func() { e.ended <- c.Err() }()
	for {
		p, err := c.Next()
		if errors.Is(err, transport.ErrReattached) {
			e.resumed <- struct{}{}
			continue
		}
		if err != nil {
			return
		}
		if c.Write(p) != nil {
			// The socket is gone: the client sends it again after it
			// reattaches (a hub's queue keeps it; this echo does not).
			continue
		}
	}
}

// statefulDial negotiates a stateful connection and opens its WebSocket.
func statefulDial(t *testing.T, url string) (token string, ws *websocket.Conn) {
	t.Helper()
	resp, err := http.Post(url+"/negotiate?negotiateVersion=1&useStatefulReconnect=true", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var n struct{ ConnectionToken string }
	json.NewDecoder(resp.Body).Decode(&n)
	return n.ConnectionToken, attach(t, url, n.ConnectionToken, http.StatusSwitchingProtocols)
}

// attach opens a WebSocket with token, and checks the answer's status.
func attach(t *testing.T, url, token string, status int) *websocket.Conn {
	t.Helper()
	ws, resp, err := websocket.DefaultDialer.Dial(wsURL(url)+"?id="+token, nil)
	if resp == nil || resp.StatusCode != status {
		t.Fatalf("WebSocket with the token: %v, %v; want status %d", resp, err, status)
	}
	if ws != nil {
		t.Cleanup(func() { ws.Close() })
	}
	return ws
}

func roundTrip(t *testing.T, ws *websocket.Conn, msg string) {
	t.Helper()
	if err := ws.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	_, p, err := ws.ReadMessage()
	if err != nil || string(p) != msg {
		t.Fatalf("echo of %q: %q, %v", msg, p, err)
	}
}

func TestStatefulReattach(t *testing.T) {
	e := newStatefulEcho()
	_, url := endpoint(t, e, transport.Options{AllowStatefulReconnects: true})
	token, ws := statefulDial(t, url)
	c := <-e.conns
	roundTrip(t, ws, "a")

	ws.UnderlyingConn().Close() // no Close frame
	<-e.drops
	ws = attach(t, url, token, http.StatusSwitchingProtocols)
	<-e.reattaches
	roundTrip(t, ws, "b")
	<-e.resumed
	if c.Context().Err() != nil {
		t.Fatal("the connection ended with its socket")
	}

	// A second socket while the first looks open replaces it.
	old := ws
	ws = attach(t, url, token, http.StatusSwitchingProtocols)
	<-e.drops
	<-e.reattaches
	if _, _, err := old.ReadMessage(); err == nil {
		t.Fatal("the replaced socket is still open")
	}
	roundTrip(t, ws, "c")

	// A clean close ends it at once: the token is worthless.
	ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
	if err := <-e.ended; err != nil {
		t.Fatalf("ended with %v after a clean close", err)
	}
	attach(t, url, token, http.StatusNotFound)
	select {
	case <-e.drops:
		t.Fatal("a clean close was taken for a drop")
	default:
	}
}

func TestStatefulWindow(t *testing.T) {
	e := newStatefulEcho()
	_, url := endpoint(t, e, transport.Options{AllowStatefulReconnects: true, DisconnectTimeout: 50 * time.Millisecond})
	token, ws := statefulDial(t, url)
	<-e.conns
	ws.UnderlyingConn().Close()
	<-e.drops
	if err := <-e.ended; err == nil {
		t.Fatal("a connection whose client did not come back ended cleanly")
	}
	// The server no longer knows the token: the client reconnects afresh.
	attach(t, url, token, http.StatusNotFound)
}

func TestStatefulReattachOfAnotherUser(t *testing.T) {
	e := newStatefulEcho()
	_, url := endpoint(t, e, transport.Options{
		AllowStatefulReconnects: true,
		Authenticate: func(r *http.Request) (*transport.Identity, error) {
			return &transport.Identity{UserID: r.URL.Query().Get("user")}, nil
		},
	})
	resp, err := http.Post(url+"/negotiate?negotiateVersion=1&useStatefulReconnect=true&user=ann", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	var n struct{ ConnectionToken string }
	json.NewDecoder(resp.Body).Decode(&n)
	resp.Body.Close()
	ws, _, err := websocket.DefaultDialer.Dial(wsURL(url)+"?user=ann&id="+n.ConnectionToken, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	<-e.conns
	ws.UnderlyingConn().Close()
	<-e.drops
	_, resp, _ = websocket.DefaultDialer.Dial(wsURL(url)+"?user=bob&id="+n.ConnectionToken, nil)
	if resp == nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("another user's reattach: %v, want 404", resp)
	}
}

func TestWithoutStatefulADropEnds(t *testing.T) {
	e := newStatefulEcho()
	_, url := endpoint(t, e, transport.Options{AllowStatefulReconnects: true})
	_, token := negotiate(t, url) // did not ask
	ws := attach(t, url, token, http.StatusSwitchingProtocols)
	c := <-e.conns
	if c.Stateful() {
		t.Fatal("stateful without asking")
	}
	attach(t, url, token, http.StatusConflict)
	ws.UnderlyingConn().Close()
	if err := <-e.ended; err == nil {
		t.Fatal("an unclean drop ended cleanly")
	}
}

// A client that did not ask refuses a server that says yes, as the official
// clients do.
func TestDialRefusesUnaskedStateful(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/hub/negotiate", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte(`{"negotiateVersion":1,"connectionId":"a","connectionToken":"b","availableTransports":[{"transport":"WebSockets","transferFormats":["Text"]}],"useStatefulReconnect":true}`))
	})
	ts := httptest.NewServer(mux)
	defer ts.Close()
	_, err := transport.Dial(t.Context(), ts.URL+"/hub", transport.DialOptions{})
	if err == nil || !strings.Contains(err.Error(), "Client didn't negotiate Stateful Reconnect but the server did.") {
		t.Fatalf("Dial: %v", err)
	}
}

// A reattach that reaches a server that does not know the token (another
// server behind a load balancer without sticky sessions) is refused with
// 404, as ASP.NET Core refuses it: the client reconnects afresh.
func TestStatefulReattachToAnotherServer(t *testing.T) {
	e := newStatefulEcho()
	_, url := endpoint(t, e, transport.Options{AllowStatefulReconnects: true})
	_, other := endpoint(t, newStatefulEcho(), transport.Options{AllowStatefulReconnects: true})
	token, ws := statefulDial(t, url)
	<-e.conns
	ws.UnderlyingConn().Close()
	<-e.drops
	attach(t, other, token, http.StatusNotFound)
	attach(t, url, token, http.StatusSwitchingProtocols)
	<-e.reattaches
}
