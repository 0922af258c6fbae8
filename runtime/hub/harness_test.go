package hub_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hubgen/hubgen/runtime/hub"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const rs = "\x1e"

// testHub serves a hub on a loopback server for the length of a test.
type testHub struct {
	*hub.Server
	url string // http://127.0.0.1:port/hub
}

func newTestHub(t *testing.T, opts hub.Options, methods ...hub.Method) *testHub {
	t.Helper()
	srv := hub.New(methods, opts)
	mux := http.NewServeMux()
	srv.Mount(mux, "/hub")
	ts := httptest.NewServer(mux)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		ts.Close()
	})
	return &testHub{Server: srv, url: ts.URL + "/hub"}
}

// echo is a method that returns its string argument.
var echo = hub.Method{Name: "Echo", Args: 1, Call: func(ctx context.Context, a hub.Args) (any, error) {
	return hub.Arg[string](a, 0)
}}

// rawClient speaks the protocol by hand over a WebSocket, to see exactly what
// the server writes.
type rawClient struct {
	t       *testing.T
	ws      *websocket.Conn
	pending []byte // received bytes not yet split into records
}

// dial opens a WebSocket to the hub (skipping negotiate) without a handshake.
func dial(t *testing.T, url string, header http.Header) *rawClient {
	t.Helper()
	ws, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(url, "http"), header)
	if err != nil {
		t.Fatalf("dial %s: %v (%v)", url, err, resp)
	}
	c := &rawClient{t: t, ws: ws}
	t.Cleanup(func() { ws.Close() })
	return c
}

// connect dials and completes the JSON handshake.
func connect(t *testing.T, url string) *rawClient {
	t.Helper()
	c := dial(t, url, nil)
	c.send(`{"protocol":"json","version":1}`)
	if got := c.record(); got != "{}" {
		t.Fatalf("handshake response = %q", got)
	}
	return c
}

// send writes records, each followed by the separator, in one frame.
func (c *rawClient) send(records ...string) {
	c.frame(strings.Join(records, rs) + rs)
}

// frame writes data as one text frame.
func (c *rawClient) frame(data string) {
	c.t.Helper()
	if err := c.ws.WriteMessage(websocket.TextMessage, []byte(data)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// record returns the next record from the server, pings included.
func (c *rawClient) record() string {
	c.t.Helper()
	r, err := c.read()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return r
}

func (c *rawClient) read() (string, error) {
	for {
		if i := bytes.IndexByte(c.pending, 0x1e); i >= 0 {
			r := string(c.pending[:i])
			c.pending = c.pending[i+1:]
			return r, nil
		}
		c.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			return "", err
		}
		c.pending = append(c.pending, data...)
	}
}

// message returns the next record other than a Ping, decoded.
func (c *rawClient) message() map[string]any {
	c.t.Helper()
	for {
		r := c.record()
		var m map[string]any
		if err := json.Unmarshal([]byte(r), &m); err != nil {
			c.t.Fatalf("record %q: %v", r, err)
		}
		if m["type"] != 6.0 {
			return m
		}
	}
}

// closed reads until the server closes the socket and returns the close error
// and the records that came before it (pings left out).
func (c *rawClient) closed() ([]string, error) {
	c.t.Helper()
	var records []string
	for {
		r, err := c.read()
		if err != nil {
			return records, err
		}
		if r != `{"type":6}` {
			records = append(records, r)
		}
	}
}

// invoke sends an invocation and returns the completion.
func (c *rawClient) invoke(id, target string, args ...any) map[string]any {
	c.t.Helper()
	b, _ := json.Marshal(map[string]any{"type": 1, "invocationId": id, "target": target, "arguments": append([]any{}, args...)})
	c.send(string(b))
	return c.message()
}

func isCloseCode(err error, code int) bool {
	var ce *websocket.CloseError
	return errors.As(err, &ce) && ce.Code == code
}

// post sends a negotiate request.
func post(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Post(url, "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}
