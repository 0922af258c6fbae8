package hub_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hubgen/hubgen/runtime/hub"
)

func TestNegotiate(t *testing.T) {
	h := newTestHub(t, hub.Options{}, echo)
	for _, tt := range []struct {
		query     string
		version   int
		withToken bool
	}{
		{"", 0, false},
		{"?negotiateVersion=1", 1, true},
		{"?NegotiateVersion=5", 1, true},
		{"?negotiateVersion=0&unknown=x", 0, false},
	} {
		resp, body := post(t, h.url+"/negotiate"+tt.query)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("negotiate%s: %d %s", tt.query, resp.StatusCode, body)
		}
		var n struct {
			NegotiateVersion    int
			ConnectionID        string
			ConnectionToken     *string
			AvailableTransports []struct {
				Transport       string
				TransferFormats []string
			}
		}
		if err := json.Unmarshal([]byte(body), &n); err != nil {
			t.Fatal(err)
		}
		if n.NegotiateVersion != tt.version || len(n.ConnectionID) != 22 {
			t.Errorf("negotiate%s = %s", tt.query, body)
		}
		if tt.withToken != (n.ConnectionToken != nil) || n.ConnectionToken != nil && (*n.ConnectionToken == n.ConnectionID || len(*n.ConnectionToken) != 22) {
			t.Errorf("negotiate%s token: %s", tt.query, body)
		}
		var transports []string
		for _, a := range n.AvailableTransports {
			transports = append(transports, a.Transport+":"+strings.Join(a.TransferFormats, ","))
		}
		if got := strings.Join(transports, " "); got != "WebSockets:Text,Binary ServerSentEvents:Text LongPolling:Text,Binary" {
			t.Errorf("negotiate%s transports: %s", tt.query, got)
		}
	}
	resp, err := http.Get(h.url + "/negotiate")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET negotiate: %d, want 405", resp.StatusCode)
	}
}

// TestNegotiateInvalidVersion checks that a version ASP.NET Core refuses gets
// its answer: 200 with a JSON body holding only the error.
func TestNegotiateInvalidVersion(t *testing.T) {
	h := newTestHub(t, hub.Options{}, echo)
	for _, tt := range []struct{ query, want string }{
		{"?negotiateVersion=Invalid", `{"error":"The client requested a non-integer protocol version."}`},
		{"?NegotiateVersion=1.5", `{"error":"The client requested a non-integer protocol version."}`},
		{"?negotiateVersion=99999999999", `{"error":"The client requested a non-integer protocol version."}`},
		{"?negotiateVersion=-1", `{"error":"The client requested version '-1', but the server does not support this version."}`},
		{"?negotiateVersion=-2147483648", `{"error":"The client requested version '-2147483648', but the server does not support this version."}`},
	} {
		resp, body := post(t, h.url+"/negotiate"+tt.query)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" || body != tt.want {
			t.Errorf("negotiate%s: %d %q %s, want 200 application/json %s", tt.query, resp.StatusCode, resp.Header.Get("Content-Type"), body, tt.want)
		}
	}
	// .NET's int.TryParse takes surrounding space and a sign.
	for _, q := range []string{"?negotiateVersion=%201%20", "?negotiateVersion=%2B1"} {
		resp, body := post(t, h.url+"/negotiate"+q)
		if resp.StatusCode != 200 || !strings.Contains(body, `"negotiateVersion":1`) || !strings.Contains(body, `"connectionToken"`) {
			t.Errorf("negotiate%s: %d %s", q, resp.StatusCode, body)
		}
	}
}

// TestHandshakeWire checks the handshake's null protocol, escaped names and
// trailing data against ASP.NET Core, and that trailing data after a message in
// its record leaves the connection open.
func TestHandshakeWire(t *testing.T) {
	h := newTestHub(t, hub.Options{DetailedErrors: true}, echo)
	for _, tt := range []struct{ request, response string }{
		{`{"protocol":null,"version":1}`, `{"error":"An unexpected error occurred during connection handshake. InvalidDataException: Expected 'protocol' to be of type String."}`},
		{`{"protocol":1,"version":1}`, `{"error":"An unexpected error occurred during connection handshake. InvalidDataException: Expected 'protocol' to be of type String."}`},
		{`{"\u0070rotocol":"json","version":1}`, `{}`},
		{`{"protocol":"json","version":1}{"protocol":"xml","version":1}`, `{}`},
		{`{"protocol":"json","version":1} trailing`, `{}`},
	} {
		c := dial(t, h.url, nil)
		c.send(tt.request)
		if got := c.record(); got != tt.response {
			t.Errorf("handshake %s: got %s, want %s", tt.request, got, tt.response)
			continue
		}
		if tt.response != "{}" {
			if _, err := c.closed(); !isCloseCode(err, websocket.CloseNormalClosure) {
				t.Errorf("after a refused handshake: %v, want a normal close", err)
			}
			continue
		}
		stillOpen(t, c)
	}
	plain := newTestHub(t, hub.Options{Logger: quietLogger()}, echo)
	c := dial(t, plain.url, nil)
	c.send(`{"protocol":null,"version":1}`)
	expectClose(t, c, `{"error":"An unexpected error occurred during connection handshake."}`)

	c = connect(t, h.url)
	c.send(`{"type":6}{"type":6}`, `{"type":6} trailing`, invocation("1", "Echo", "a")+`{"type":7}`, `{"\u0074ype":1,"invocationId":"2","target":"Echo","\u0061rguments":["b"]}`)
	expectRecord(t, c, `{"type":3,"invocationId":"1","result":"a"}`)
	expectRecord(t, c, `{"type":3,"invocationId":"2","result":"b"}`)
	stillOpen(t, c)
}

func TestConnectWithToken(t *testing.T) {
	var ids = make(chan string, 1)
	getID := hub.Method{Name: "ID", Call: func(ctx context.Context, a hub.Args) (any, error) {
		return hub.ConnFromContext(ctx).ID(), nil
	}}
	h := newTestHub(t, hub.Options{OnConnected: func(ctx context.Context, c *hub.Conn) error {
		ids <- c.ID()
		return nil
	}}, getID)
	_, body := post(t, h.url+"/negotiate?negotiateVersion=1")
	var n struct{ ConnectionID, ConnectionToken string }
	json.Unmarshal([]byte(body), &n)

	c := dial(t, h.url+"?id="+n.ConnectionToken, nil)
	c.send(`{"protocol":"json","version":1}`)
	if r := c.record(); r != "{}" {
		t.Fatalf("handshake: %q", r)
	}
	if id := <-ids; id != n.ConnectionID {
		t.Errorf("connection id %q, negotiated %q", id, n.ConnectionID)
	}
	if m := c.invoke("1", "ID"); m["result"] != n.ConnectionID {
		t.Errorf("ID() = %v", m)
	}

	// A token is good for one transport at a time.
	_, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(h.url, "http")+"?id="+n.ConnectionToken, nil)
	if err == nil || resp.StatusCode != http.StatusConflict {
		t.Errorf("second use of a token: %v %v", err, resp)
	}
	// The id is not the token.
	_, resp, err = websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(h.url, "http")+"?id="+n.ConnectionID, nil)
	if err == nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("the connection id used as a token: %v %v", err, resp)
	}
}

func TestUnknownTokenIs404WithASPNETText(t *testing.T) {
	h := newTestHub(t, hub.Options{}, echo)
	req, _ := http.NewRequest("GET", h.url+"?id=nope", nil)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Sec-WebSocket-Version", "13")
	req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body := make([]byte, 100)
	n, _ := resp.Body.Read(body)
	if resp.StatusCode != 404 || strings.TrimSpace(string(body[:n])) != "No Connection with that ID" {
		t.Errorf("got %d %q", resp.StatusCode, body[:n])
	}
}

func TestHandshake(t *testing.T) {
	h := newTestHub(t, hub.Options{}, echo)
	tests := []struct{ request, response string }{
		{`{"protocol":"json","version":1}`, `{}`},
		{`{"protocol":"json","version":2}`, `{}`},
		{`{"protocol":"xml","version":1}`, `{"error":"The protocol 'xml' is not supported."}`},
		{`{"protocol":"json","version":3}`, `{"error":"The server does not support version 3 of the 'json' protocol."}`},
		{`{"protocol":"json"}`, `{"error":"An unexpected error occurred during connection handshake."}`},
		{`[]`, `{"error":"An unexpected error occurred during connection handshake."}`},
	}
	for _, tt := range tests {
		c := dial(t, h.url, nil)
		c.send(tt.request)
		if got := c.record(); got != tt.response {
			t.Errorf("handshake %s: got %s, want %s", tt.request, got, tt.response)
		}
		if tt.response != "{}" {
			if _, err := c.closed(); !isCloseCode(err, websocket.CloseNormalClosure) {
				t.Errorf("after a refused handshake: %v, want a normal close", err)
			}
		}
	}
}

func TestHandshakeDetailedError(t *testing.T) {
	h := newTestHub(t, hub.Options{DetailedErrors: true}, echo)
	c := dial(t, h.url, nil)
	c.send(`{"protocol":"json"}`)
	want := `{"error":"An unexpected error occurred during connection handshake. InvalidDataException: Missing required property 'version'. Message content: {\"protocol\":\"json\"}"}`
	if got := c.record(); got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
}

func TestHandshakeSplitAndSharedFrames(t *testing.T) {
	h := newTestHub(t, hub.Options{}, echo)
	// Split over three frames.
	c := dial(t, h.url, nil)
	c.frame(`{"protocol":`)
	c.frame(`"json","vers`)
	c.frame(`ion":1}` + rs)
	if got := c.record(); got != "{}" {
		t.Fatalf("split handshake: %q", got)
	}
	// Handshake and invocations in one frame.
	c = dial(t, h.url, nil)
	c.send(`{"protocol":"json","version":1}`, `{"type":1,"invocationId":"1","target":"Echo","arguments":["a"]}`, `{"type":1,"invocationId":"2","target":"Echo","arguments":["b"]}`)
	if got := c.record(); got != "{}" {
		t.Fatalf("handshake: %q", got)
	}
	if m := c.message(); m["result"] != "a" {
		t.Errorf("first: %v", m)
	}
	if m := c.message(); m["result"] != "b" {
		t.Errorf("second: %v", m)
	}
}

func TestHandshakeTimeout(t *testing.T) {
	h := newTestHub(t, hub.Options{HandshakeTimeout: 100 * time.Millisecond}, echo)
	c := dial(t, h.url, nil)
	c.frame(`{"protocol":"js`) // never finished
	records, err := c.closed()
	if len(records) != 1 || records[0] != `{"error":"Handshake was canceled."}` {
		t.Errorf("records before close: %q (%v)", records, err)
	}
}

func TestPartialHandshakeThenEOF(t *testing.T) {
	disconnected := make(chan error, 1)
	h := newTestHub(t, hub.Options{OnDisconnected: func(ctx context.Context, c *hub.Conn, err error) { disconnected <- err }}, echo)
	c := dial(t, h.url, nil)
	c.frame(`{"protocol":"json"`)
	c.ws.Close()
	// The connection never connected, so OnDisconnected must not run; the
	// goroutine leak check at the end of the tests proves the server let go.
	c2 := connect(t, h.url)
	if m := c2.invoke("1", "Echo", "x"); m["result"] != "x" {
		t.Errorf("another connection: %v", m)
	}
	select {
	case err := <-disconnected:
		t.Errorf("OnDisconnected ran for a connection that never connected: %v", err)
	default:
	}
}

func TestCrossOriginWebSocketRefused(t *testing.T) {
	h := newTestHub(t, hub.Options{}, echo)
	_, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(h.url, "http"), http.Header{"Origin": {"https://evil.example"}})
	if err == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin upgrade: %v %v", err, resp)
	}
	// Same origin is fine.
	c := dial(t, h.url, http.Header{"Origin": {h.url[:strings.LastIndex(h.url, "/")]}})
	c.send(`{"protocol":"json","version":1}`)
	if got := c.record(); got != "{}" {
		t.Errorf("same origin: %q", got)
	}

	allowed := newTestHub(t, hub.Options{AllowedOrigins: []string{"https://app.example"}}, echo)
	c = dial(t, allowed.url, http.Header{"Origin": {"https://app.example"}})
	c.send(`{"protocol":"json","version":1}`)
	if got := c.record(); got != "{}" {
		t.Errorf("allowed origin: %q", got)
	}
}

func TestAuthenticate(t *testing.T) {
	h := newTestHub(t, hub.Options{Authenticate: func(r *http.Request) (*hub.Identity, error) {
		if r.Header.Get("Authorization") != "Bearer good" {
			return nil, errors.New("bad token")
		}
		return &hub.Identity{UserID: "u1"}, nil
	}}, hub.Method{Name: "Who", Call: func(ctx context.Context, a hub.Args) (any, error) {
		return hub.ConnFromContext(ctx).UserID(), nil
	}})
	resp, body := post(t, h.url+"/negotiate?negotiateVersion=1")
	if resp.StatusCode != 401 || body != "" {
		t.Errorf("negotiate without a token: %d %q, want 401 and no body", resp.StatusCode, body)
	}
	if _, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(h.url, "http"), nil); err == nil || resp.StatusCode != 401 {
		t.Errorf("WebSocket without a token: %v %v", err, resp)
	}
	c := dial(t, h.url, http.Header{"Authorization": {"Bearer good"}})
	c.send(`{"protocol":"json","version":1}`)
	c.record()
	if m := c.invoke("1", "Who"); m["result"] != "u1" {
		t.Errorf("Who() = %v", m)
	}
}
