package hub_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hubgen/hubgen/runtime/hub"
	"github.com/hubgen/hubgen/runtime/protocol"
)

// negotiated returns a new connection token.
func negotiated(t *testing.T, url string) string {
	t.Helper()
	_, body := post(t, url+"/negotiate?negotiateVersion=1")
	var n struct{ ConnectionToken string }
	if err := json.Unmarshal([]byte(body), &n); err != nil || n.ConnectionToken == "" {
		t.Fatalf("negotiate: %s", body)
	}
	return n.ConnectionToken
}

func do(t *testing.T, method, url, body string, header http.Header) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// eventStream is a Server-Sent Events client.
type eventStream struct {
	t    *testing.T
	resp *http.Response
	r    *bufio.Reader
}

func openEvents(t *testing.T, url string, header http.Header) *eventStream {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Accept", "text/event-stream")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("event stream: %d %v", resp.StatusCode, resp.Header)
	}
	s := &eventStream{t: t, resp: resp, r: bufio.NewReader(resp.Body)}
	if line, _ := s.r.ReadString('\n'); line != ":\r\n" {
		t.Fatalf("first line %q, want the comment", line)
	}
	return s
}

// event returns the data of the next event.
func (s *eventStream) event() string {
	s.t.Helper()
	var data []string
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			s.t.Fatalf("event stream: %v", err)
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			return strings.Join(data, "\n")
		}
		data = append(data, strings.TrimPrefix(line, "data: "))
	}
}

func TestServerSentEvents(t *testing.T) {
	transport := hub.Method{Name: "Transport", Call: func(ctx context.Context, a hub.Args) (any, error) {
		c := hub.ConnFromContext(ctx)
		return c.Transport() + " " + c.Request().Header.Get("X-Test"), nil
	}}
	h := newTestHub(t, hub.Options{}, echo, transport)
	token := negotiated(t, h.url)
	s := openEvents(t, h.url+"?id="+token, http.Header{"X-Test": {"sse"}})
	send := func(records ...string) {
		if resp, _ := do(t, "POST", h.url+"?id="+token, strings.Join(records, rs)+rs, nil); resp.StatusCode != 200 {
			t.Fatalf("POST: %d", resp.StatusCode)
		}
	}
	send(`{"protocol":"json","version":1}`)
	if got := s.event(); got != "{}"+rs {
		t.Fatalf("handshake: %q", got)
	}
	send(invocation("1", "Echo", "hi"), invocation("2", "Transport"))
	got := s.event()
	if !strings.HasPrefix(got, `{"type":3,"invocationId":"1","result":"hi"}`+rs) {
		t.Fatalf("echo: %q", got)
	}
	if !strings.Contains(got, `"invocationId":"2"`) {
		got += s.event() // the second completion came in an event of its own
	}
	if !strings.Contains(got, `"result":"ServerSentEvents sse"`) {
		t.Errorf("the hub does not see the event stream's request: %q", got)
	}
	// Wrong uses of the endpoints.
	if resp, body := do(t, "POST", h.url+"?id=nope", "", nil); resp.StatusCode != 404 || strings.TrimSpace(body) != "No Connection with that ID" {
		t.Errorf("POST to an unknown id: %d %q", resp.StatusCode, body)
	}
	if resp, _ := do(t, "POST", h.url, "", nil); resp.StatusCode != 400 {
		t.Errorf("POST without an id: %d", resp.StatusCode)
	}
	if resp, _ := do(t, "DELETE", h.url+"?id="+token, "", nil); resp.StatusCode != 400 {
		t.Errorf("DELETE of an event stream: %d", resp.StatusCode)
	}
	if resp, _ := do(t, "GET", h.url, "", http.Header{"Accept": {"text/event-stream"}}); resp.StatusCode != 400 {
		t.Errorf("event stream without an id: %d", resp.StatusCode)
	}
}

// TestCloseDuringPost checks that a connection that closes while a POST is
// still being read ends cleanly, the POST included.
func TestCloseDuringPost(t *testing.T) {
	closeMe := hub.Method{Name: "CloseMe", Void: true, Call: func(ctx context.Context, a hub.Args) (any, error) {
		hub.ConnFromContext(ctx).Close(nil)
		return nil, nil
	}}
	disconnected := make(chan error, 1)
	h := newTestHub(t, hub.Options{MaxParallelInvocations: 2, // CloseMe runs beside the POST's reading
		OnDisconnected: func(ctx context.Context, c *hub.Conn, err error) { disconnected <- err }}, closeMe)
	pings := strings.Repeat(`{"type":6}`+rs, 20000)
	for range 5 {
		token := negotiated(t, h.url)
		s := openEvents(t, h.url+"?id="+token, nil)
		do(t, "POST", h.url+"?id="+token, `{"protocol":"json","version":1}`+rs, nil)
		s.event()
		// The connection closes while the rest of the POST is read.
		do(t, "POST", h.url+"?id="+token, invocation("", "CloseMe")+rs+pings, nil)
		if err := <-disconnected; err != nil {
			t.Errorf("OnDisconnected(%v), want a clean close", err)
		}
	}
}

func TestMessagePackRefusedOnServerSentEvents(t *testing.T) {
	h := newTestHub(t, hub.Options{}, echo)
	token := negotiated(t, h.url)
	s := openEvents(t, h.url+"?id="+token, nil)
	do(t, "POST", h.url+"?id="+token, `{"protocol":"messagepack","version":1}`+rs, nil)
	want := `{"error":"Cannot use the 'messagepack' protocol on the current transport. The transport does not support 'Binary' transfer format."}` + rs
	if got := s.event(); got != want {
		t.Errorf("got %q", got)
	}
}

func TestServerSentEventsClientTimeout(t *testing.T) {
	disconnected := make(chan error, 1)
	h := newTestHub(t, hub.Options{ClientTimeout: 100 * time.Millisecond,
		OnDisconnected: func(ctx context.Context, c *hub.Conn, err error) { disconnected <- err }}, echo)
	token := negotiated(t, h.url)
	s := openEvents(t, h.url+"?id="+token, nil)
	do(t, "POST", h.url+"?id="+token, `{"protocol":"json","version":1}`+rs, nil)
	s.event()
	if err := <-disconnected; err == nil || !strings.Contains(err.Error(), "timeout") {
		t.Errorf("OnDisconnected(%v), want a timeout", err)
	}
	if _, err := s.r.ReadString('\n'); err != io.EOF {
		t.Errorf("the event stream stayed open: %v", err)
	}
}

func TestLongPolling(t *testing.T) {
	transport := hub.Method{Name: "Transport", Call: func(ctx context.Context, a hub.Args) (any, error) {
		c := hub.ConnFromContext(ctx)
		return c.Transport() + " " + c.Request().URL.Query().Get("first"), nil
	}}
	disconnected := make(chan error, 1)
	h := newTestHub(t, hub.Options{OnDisconnected: func(ctx context.Context, c *hub.Conn, err error) { disconnected <- err }}, echo, transport)
	token := negotiated(t, h.url)
	url := h.url + "?id=" + token
	// The first poll answers at once and opens the connection.
	resp, body := do(t, "GET", url+"&first=yes", "", nil)
	if resp.StatusCode != 200 || body != "" || resp.Header.Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("first poll: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	do(t, "POST", url, `{"protocol":"json","version":1}`+rs+invocation("1", "Echo", "hi")+rs+invocation("2", "Transport")+rs, nil)
	var got string
	for !strings.Contains(got, `"invocationId":"2"`) {
		resp, body := do(t, "GET", url, "", nil)
		if resp.StatusCode != 200 {
			t.Fatalf("poll: %d", resp.StatusCode)
		}
		got += body
	}
	want := "{}" + rs + `{"type":3,"invocationId":"1","result":"hi"}` + rs + `{"type":3,"invocationId":"2","result":"LongPolling yes"}` + rs
	if got != want {
		t.Errorf("polled %q\nwant %q", got, want)
	}
	// DELETE ends the connection: the pending poll gets 204.
	polled := make(chan int)
	go func() {
		resp, _ := do(t, "GET", url, "", nil)
		polled <- resp.StatusCode
	}()
	if resp, _ := do(t, "DELETE", url, "", nil); resp.StatusCode != 202 {
		t.Errorf("DELETE: %d", resp.StatusCode)
	}
	if status := <-polled; status != 204 && status != 404 {
		t.Errorf("poll after DELETE: %d", status)
	}
	if err := <-disconnected; err != nil {
		t.Errorf("OnDisconnected(%v), want a clean close", err)
	}
	if resp, _ := do(t, "GET", url, "", nil); resp.StatusCode != 404 {
		t.Errorf("poll of a finished connection: %d", resp.StatusCode)
	}
}

// TestLongPollingCloseBetweenPolls checks that the Close message of a
// connection the server closes while no poll is waiting goes out in the next
// poll.
func TestLongPollingCloseBetweenPolls(t *testing.T) {
	closeMe := hub.Method{Name: "CloseMe", Void: true, Call: func(ctx context.Context, a hub.Args) (any, error) {
		hub.ConnFromContext(ctx).Close(hub.Errorf("bye"))
		return nil, nil
	}}
	h := newTestHub(t, hub.Options{}, closeMe)
	token := negotiated(t, h.url)
	url := h.url + "?id=" + token
	do(t, "GET", url, "", nil)
	do(t, "POST", url, `{"protocol":"json","version":1}`+rs, nil)
	if _, body := do(t, "GET", url, "", nil); body != "{}"+rs {
		t.Fatalf("handshake: %q", body)
	}
	// The connection closes while the client polls no more.
	do(t, "POST", url, invocation("", "CloseMe")+rs, nil)
	time.Sleep(50 * time.Millisecond)
	resp, body := do(t, "GET", url, "", nil)
	if want := `{"type":7,"error":"Connection closed with an error. HubException: bye"}` + rs; resp.StatusCode != 200 || body != want {
		t.Errorf("poll after the close: %d %q, want 200 %q", resp.StatusCode, body, want)
	}
	if resp, _ := do(t, "GET", url, "", nil); resp.StatusCode != 204 && resp.StatusCode != 404 {
		t.Errorf("poll of a closed connection: %d", resp.StatusCode)
	}
}

func TestLongPollTimeoutAndBinary(t *testing.T) {
	h := newTestHub(t, hub.Options{PollTimeout: 50 * time.Millisecond}, echo)
	token := negotiated(t, h.url)
	url := h.url + "?id=" + token
	do(t, "GET", url, "", nil)
	do(t, "POST", url, `{"protocol":"messagepack","version":1}`+rs, nil)
	if _, body := do(t, "GET", url, "", nil); body != "{}"+rs {
		t.Fatalf("handshake: %q", body)
	}
	// Nothing to send: the poll ends empty after the poll timeout.
	if resp, body := do(t, "GET", url, "", nil); resp.StatusCode != 200 || body != "" {
		t.Errorf("idle poll: %d %q", resp.StatusCode, body)
	}
	inv, _ := protocol.MessagePack.Append(nil, &protocol.Message{Type: protocol.Invocation, InvocationID: "1", Target: "Echo", Arguments: []any{"bin"}})
	do(t, "POST", url, string(inv), nil)
	_, body := do(t, "GET", url, "", nil)
	var m protocol.Message
	if _, err := protocol.MessagePack.Parse([]byte(body), &m); err != nil || m.Type != protocol.Completion {
		t.Fatalf("completion: %v %+v", err, m)
	}
	var s string
	if err := protocol.MessagePack.Decode(m.RawResult, &s); err != nil || s != "bin" {
		t.Errorf("result %q %v", s, err)
	}
}

func TestLongPollingClientGone(t *testing.T) {
	disconnected := make(chan error, 1)
	h := newTestHub(t, hub.Options{DisconnectTimeout: 100 * time.Millisecond,
		OnDisconnected: func(ctx context.Context, c *hub.Conn, err error) { disconnected <- err }}, echo)
	token := negotiated(t, h.url)
	do(t, "GET", h.url+"?id="+token, "", nil)
	do(t, "POST", h.url+"?id="+token, `{"protocol":"json","version":1}`+rs, nil)
	// The client never polls again.
	if err := <-disconnected; err == nil || !strings.Contains(err.Error(), "timeout") {
		t.Errorf("OnDisconnected(%v), want a timeout", err)
	}
}

func TestTransportChecks(t *testing.T) {
	h := newTestHub(t, hub.Options{Transports: hub.LongPolling}, echo)
	_, body := post(t, h.url+"/negotiate?negotiateVersion=1")
	if !strings.Contains(body, `"availableTransports":[{"transport":"LongPolling","transferFormats":["Text","Binary"]}]`) {
		t.Errorf("negotiate: %s", body)
	}
	token := negotiated(t, h.url)
	if _, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(h.url, "http")+"?id="+token, nil); err == nil || resp.StatusCode != 404 {
		t.Errorf("WebSocket on a hub without it: %v %v", err, resp)
	}

	ws := newTestHub(t, hub.Options{}, echo)
	token = negotiated(t, ws.url)
	c := dial(t, ws.url+"?id="+token, nil)
	c.send(`{"protocol":"json","version":1}`)
	c.record()
	if resp, _ := do(t, "POST", ws.url+"?id="+token, "{}", nil); resp.StatusCode != 405 {
		t.Errorf("POST to a WebSocket connection: %d", resp.StatusCode)
	}
	if resp, _ := do(t, "GET", ws.url+"?id="+token, "", nil); resp.StatusCode != 409 {
		t.Errorf("poll of a WebSocket connection: %d", resp.StatusCode)
	}
}
