package transport_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hubgen/hubgen/runtime/transport"
)

// echo writes back every message it receives.
func echo(c *transport.Conn) {
	for {
		p, err := c.Next()
		if err != nil {
			return
		}
		if err := c.Write(p); err != nil {
			return
		}
	}
}

// endpoint serves h at /echo on a Mux, for the test's life.
func endpoint(t *testing.T, h transport.Handler, opts transport.Options) (*transport.Server, string) {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	s := transport.New(h, opts)
	mux := transport.NewMux()
	s.Mount(mux, "/echo")
	ts := httptest.NewServer(mux)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		ts.Close()
	})
	return s, ts.URL + "/echo"
}

func negotiate(t *testing.T, url string) (id, token string) {
	t.Helper()
	resp, err := http.Post(url+"/negotiate?negotiateVersion=1", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var n struct{ ConnectionID, ConnectionToken string }
	if err := json.NewDecoder(resp.Body).Decode(&n); err != nil || n.ConnectionToken == "" {
		t.Fatalf("negotiate: %v %+v", err, n)
	}
	return n.ConnectionID, n.ConnectionToken
}

func do(t *testing.T, method, url, body string, header http.Header) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func wsURL(url string) string { return "ws" + strings.TrimPrefix(url, "http") }

// A raw handler echoes over WebSockets, in the format of what it received,
// with and without negotiate; ending the handler closes with 1000.
func TestWebSocketEcho(t *testing.T) {
	_, url := endpoint(t, transport.HandlerFunc(echo), transport.Options{})
	_, token := negotiate(t, url)
	for name, u := range map[string]string{"negotiated": wsURL(url) + "?id=" + token, "plain": wsURL(url)} {
		t.Run(name, func(t *testing.T) {
			ws, _, err := websocket.DefaultDialer.Dial(u, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer ws.Close()
			for _, m := range []struct {
				kind int
				data string
			}{{websocket.TextMessage, "hello"}, {websocket.BinaryMessage, "\x00\xff"}, {websocket.TextMessage, strings.Repeat("x", 200<<10)}} {
				ws.WriteMessage(m.kind, []byte(m.data))
				var got []byte
				for len(got) < len(m.data) {
					kind, p, err := ws.ReadMessage()
					if err != nil || kind != m.kind {
						t.Fatalf("read: %v, kind %d, want %d", err, kind, m.kind)
					}
					got = append(got, p...)
				}
				if string(got) != m.data {
					t.Fatalf("echoed %d bytes, want %d", len(got), len(m.data))
				}
			}
			ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
			if _, _, err := ws.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
				t.Errorf("close: %v, want 1000", err)
			}
		})
	}
}

// A handler that returns closes the WebSocket with 1000.
func TestHandlerReturnCloses(t *testing.T) {
	_, url := endpoint(t, transport.HandlerFunc(func(c *transport.Conn) {
		c.Next()
		c.Write([]byte("bye"))
	}), transport.Options{})
	ws, _, err := websocket.DefaultDialer.Dial(wsURL(url), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	ws.WriteMessage(websocket.TextMessage, []byte("hi"))
	if _, p, err := ws.ReadMessage(); err != nil || string(p) != "bye" {
		t.Fatalf("%q %v", p, err)
	}
	if _, _, err := ws.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
		t.Errorf("close: %v, want 1000", err)
	}
}

// Server-Sent Events and Long Polling: bytes POSTed come back as an event or
// in a poll's answer; DELETE ends a long-polling connection.
func TestHTTPTransportsEcho(t *testing.T) {
	ended := make(chan error, 1)
	_, url := endpoint(t, transport.HandlerFunc(func(c *transport.Conn) {
		echo(c)
		ended <- c.Err()
	}), transport.Options{})

	_, token := negotiate(t, url)
	req, _ := http.NewRequest("GET", url+"?id="+token, nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	events := bufio.NewReader(resp.Body)
	if line, _ := events.ReadString('\n'); line != ":\r\n" {
		t.Fatalf("first line %q", line)
	}
	if status, _ := do(t, "POST", url+"?id="+token, "a\nb", nil); status != 200 {
		t.Fatalf("POST: %d", status)
	}
	var event []string
	for {
		line, err := events.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if line == "\r\n" {
			break
		}
		event = append(event, line)
	}
	if got := strings.Join(event, ""); got != "data: a\r\ndata: b\r\n" {
		t.Errorf("event %q", got)
	}
	resp.Body.Close() // the client goes away: a clean end
	if err := <-ended; err != nil {
		t.Errorf("Err after the event stream closed: %v", err)
	}

	_, token = negotiate(t, url)
	lp := url + "?id=" + token
	if status, body := do(t, "GET", lp, "", nil); status != 200 || body != "" {
		t.Fatalf("open: %d %q", status, body)
	}
	do(t, "POST", lp, "\x01\x02", nil)
	if status, body := do(t, "GET", lp, "", nil); status != 200 || body != "\x01\x02" {
		t.Fatalf("poll: %d %q", status, body)
	}
	if status, _ := do(t, "DELETE", lp, "", nil); status != http.StatusAccepted {
		t.Fatalf("DELETE: %d", status)
	}
	if err := <-ended; err != nil {
		t.Errorf("Err after DELETE: %v", err)
	}
	if status, _ := do(t, "POST", lp, "late", nil); status != http.StatusNotFound {
		t.Errorf("POST after the end: %d, want 404", status)
	}
}

// Paths match ignoring case on a Mux; a redirect to /ECHO reaches /echo.
func TestMuxIgnoresCase(t *testing.T) {
	_, url := endpoint(t, transport.HandlerFunc(echo), transport.Options{})
	upper := strings.TrimSuffix(url, "/echo") + "/EcHo"
	if status, body := do(t, "POST", upper+"/NEGOTIATE?negotiateVersion=1", "", nil); status != 200 || !strings.Contains(body, "connectionToken") {
		t.Fatalf("negotiate at a mixed-case path: %d %s", status, body)
	}
	ws, _, err := websocket.DefaultDialer.Dial(wsURL(upper), nil)
	if err != nil {
		t.Fatal(err)
	}
	ws.Close()
	if status, _ := do(t, "POST", strings.TrimSuffix(url, "/echo")+"/other/negotiate", "", nil); status != 404 {
		t.Errorf("another path: %d", status)
	}
}

// A POST over MaxPostSize is refused with 413 and ends the connection; one
// whose connection ends while it is being read is not read further.
func TestPostLimits(t *testing.T) {
	ended := make(chan error, 1)
	read := make(chan struct{}, 10)
	_, url := endpoint(t, transport.HandlerFunc(func(c *transport.Conn) {
		for {
			if _, err := c.Next(); err != nil {
				break
			}
			read <- struct{}{}
		}
		ended <- c.Err()
	}), transport.Options{MaxPostSize: 1000})
	_, token := negotiate(t, url)
	lp := url + "?id=" + token
	do(t, "GET", lp, "", nil)
	if status, _ := do(t, "POST", lp, strings.Repeat("x", 1001), nil); status != http.StatusRequestEntityTooLarge {
		t.Errorf("a POST over the cap: %d, want 413", status)
	}
	if err := <-ended; !errors.Is(err, transport.ErrPostTooLarge) {
		t.Errorf("Err: %v, want ErrPostTooLarge", err)
	}

	// A chunked body without end: the connection ends (DELETE) while it is
	// being read; the POST is answered and the rest is not read.
	_, token = negotiate(t, url)
	lp = url + "?id=" + token
	do(t, "GET", lp, "", nil)
	body, w := io.Pipe()
	answered := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("POST", lp, body)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			answered <- 0
			return
		}
		resp.Body.Close()
		answered <- resp.StatusCode
	}()
	w.Write([]byte("first"))
	<-read // the handler has taken the body
	do(t, "DELETE", lp, "", nil)
	<-ended
	status := <-answered
	if status != 200 && status != 0 {
		t.Errorf("the POST in flight: %d", status)
	}
	// The server stopped reading: writes to the body fail, or block forever.
	wrote := make(chan error, 1)
	go func() {
		_, err := w.Write(make([]byte, 1<<20))
		wrote <- err
	}()
	select {
	case err := <-wrote:
		if err == nil {
			t.Error("the server read a megabyte of a POST whose connection had ended")
		}
	default:
	}
	w.CloseWithError(errors.New("test over"))
}

// When a handler holds a message for long, a standby reader watches the
// socket: a client that goes away ends the connection's context at once,
// and what arrives meanwhile is handed over in order.
func TestStandbyReader(t *testing.T) {
	hold := make(chan struct{})
	got := make(chan string, 100)
	gone := make(chan struct{})
	_, url := endpoint(t, transport.HandlerFunc(func(c *transport.Conn) {
		for {
			p, err := c.Next()
			if err != nil {
				return
			}
			switch string(p) {
			case "hold":
				<-hold
				continue
			case "wait":
				<-c.Context().Done()
				close(gone)
				return
			}
			got <- string(p)
		}
	}), transport.Options{Heartbeat: 5 * time.Millisecond})

	ws, _, err := websocket.DefaultDialer.Dial(wsURL(url), nil)
	if err != nil {
		t.Fatal(err)
	}
	ws.WriteMessage(websocket.TextMessage, []byte("hold"))
	const n = 100
	big := strings.Repeat("y", 1000) // 100 KB: more than the standby's inbox
	for i := range n {
		ws.WriteMessage(websocket.TextMessage, []byte(big+string(rune('0'+i%10))))
	}
	close(hold)
	for i := range n {
		if m := <-got; m != big+string(rune('0'+i%10)) {
			t.Fatalf("message %d out of order", i)
		}
	}
	ws.WriteMessage(websocket.TextMessage, []byte("wait"))
	ws.Close() // gone without a close frame, while the handler waits
	<-gone
}

// A panicking handler closes its connection; the server goes on.
func TestHandlerPanic(t *testing.T) {
	_, url := endpoint(t, transport.HandlerFunc(func(c *transport.Conn) {
		if p, _ := c.Next(); string(p) == "panic" {
			panic("boom")
		}
		echo(c)
	}), transport.Options{})
	for _, msg := range []string{"panic", "ok"} {
		ws, _, err := websocket.DefaultDialer.Dial(wsURL(url), nil)
		if err != nil {
			t.Fatal(err)
		}
		ws.WriteMessage(websocket.TextMessage, []byte(msg))
		if msg == "ok" {
			ws.WriteMessage(websocket.TextMessage, []byte("again"))
			if _, p, err := ws.ReadMessage(); err != nil || string(p) != "again" {
				t.Errorf("after a panic: %q %v", p, err)
			}
		} else if _, _, err := ws.ReadMessage(); err == nil {
			t.Error("the panicking handler's connection stays open")
		}
		ws.Close()
	}
}

// Without a close hook, an identity that expires under
// CloseOnAuthenticationExpiration closes the connection; a Shutdown asks
// the hook, which decides.
func TestExpiryAndShutdownRequests(t *testing.T) {
	var mu sync.Mutex
	var reasons []error
	hooked := make(chan struct{}, 1)
	s, url := endpoint(t, transport.HandlerFunc(func(c *transport.Conn) {
		if c.Request().URL.Query().Get("hook") != "" {
			c.OnCloseRequest(func(reason error) {
				mu.Lock()
				reasons = append(reasons, reason)
				mu.Unlock()
				c.Close()
			})
			hooked <- struct{}{}
		}
		echo(c)
	}), transport.Options{
		Heartbeat:                       5 * time.Millisecond,
		CloseOnAuthenticationExpiration: true,
		Authenticate: func(r *http.Request) (*transport.Identity, error) {
			return &transport.Identity{UserID: "u", Expires: time.Now().Add(100 * time.Millisecond)}, nil
		},
	})
	ws, _, err := websocket.DefaultDialer.Dial(wsURL(url), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := ws.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
		t.Errorf("after the identity expired: %v, want a close with 1000", err)
	}
	ws.Close()
	ws, _, err = websocket.DefaultDialer.Dial(wsURL(url)+"?hook=1", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	<-hooked
	if _, _, err := ws.ReadMessage(); err == nil {
		t.Fatal("open after expiry")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(reasons) != 1 || !errors.Is(reasons[0], transport.ErrAuthenticationExpired) {
		t.Errorf("close requests %v, want one for the expiry", reasons)
	}
	_ = s
}
