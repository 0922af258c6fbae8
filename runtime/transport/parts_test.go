package transport

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
)

func TestRuneTailCut(t *testing.T) {
	for _, tc := range []struct {
		in, kept, held string
	}{
		{"", "", ""},
		{"abc", "abc", ""},
		{"abü", "abü", ""},
		{"ab\xc3", "ab", "\xc3"},
		{"ab\xe2\x9c", "ab", "\xe2\x9c"},
		{"ab\xf0\x9f\x9a", "ab", "\xf0\x9f\x9a"},
		{"\xf0\x9f\x9a", "", "\xf0\x9f\x9a"},
		{"ab🚀", "ab🚀", ""},
		{"ab\x80\x80\x80", "ab\x80\x80\x80", ""}, // not UTF-8: nothing to keep whole
		{"ab\xff", "ab\xff", ""},
	} {
		var tail runeTail
		kept := tail.cut([]byte(tc.in))
		held := tail.take(nil)
		if string(kept) != tc.kept || string(held) != tc.held {
			t.Errorf("cut(%q) = %q, holding %q; want %q, holding %q", tc.in, kept, held, tc.kept, tc.held)
		}
	}
}

// The events of Server-Sent Events are formatted as ASP.NET Core's
// ServerSentEventsMessageFormatter writes them (its tests' cases), but for a
// line that holds only a CR.
func TestEventFormat(t *testing.T) {
	srv := New(HandlerFunc(func(*Conn) {}), Options{Logger: slog.New(slog.DiscardHandler)})
	for _, tc := range []struct{ payload, event string }{
		{"", "\r\n"},
		{"Hello, World", "data: Hello, World\r\n\r\n"},
		{"Hello\r\nWorld", "data: Hello\r\ndata: World\r\n\r\n"},
		{"Hello\nWorld", "data: Hello\r\ndata: World\r\n\r\n"},
		{"Hello\n", "data: Hello\r\ndata: \r\n\r\n"},
		{"Hello\r\n", "data: Hello\r\ndata: \r\n\r\n"},
		{"\n", "data: \r\ndata: \r\n\r\n"},
		{"a\n\r\nb", "data: a\r\ndata: \r\ndata: b\r\n\r\n"}, // ASP.NET Core writes "data: \r\r\n"
		{"a\rb", "data: a\rb\r\n\r\n"},                       // a CR alone: no event can carry it
	} {
		w := httptest.NewRecorder()
		c := newConn(srv, ServerSentEvents, "id", "", httptest.NewRequest("GET", "/", nil), nil)
		sse := &sseTransport{postInput: newPostInput(c), w: w, rc: http.NewResponseController(w)}
		c.t = sse
		if err := sse.write([]byte(tc.payload)); err != nil {
			t.Fatalf("write(%q): %v", tc.payload, err)
		}
		if got := w.Body.String(); got != tc.event {
			t.Errorf("write(%q) sent %q, want %q", tc.payload, got, tc.event)
		}
	}
}

// parts serves an endpoint whose handler collects what Next returns, and
// returns its URL and the parts of each connection once it ends.
func parts(t *testing.T) (url string, conns <-chan [][]byte) {
	t.Helper()
	ch := make(chan [][]byte, 1)
	srv := New(HandlerFunc(func(c *Conn) {
		var got [][]byte
		for {
			p, err := c.Next()
			if err != nil {
				ch <- got
				return
			}
			got = append(got, bytes.Clone(p))
			if bytes.HasSuffix(p, []byte("END")) {
				c.Close()
			}
		}
	}), Options{Logger: slog.New(slog.DiscardHandler)})
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		ts.Close()
	})
	return ts.URL + "/endpoint", ch
}

// checkParts checks that parts join into want and that each of them is UTF-8
// on its own.
func checkParts(t *testing.T, parts [][]byte, want []byte) {
	t.Helper()
	if len(parts) < 2 {
		t.Errorf("the message came in %d part: the test needs it in several", len(parts))
	}
	for i, p := range parts {
		if !utf8.Valid(p) {
			t.Errorf("part %d of %d (%d bytes) is not UTF-8: it ends %q", i, len(parts), len(p), p[max(0, len(p)-6):])
		}
	}
	if got := bytes.Join(parts, nil); !bytes.Equal(got, want) {
		t.Errorf("the parts join into %d bytes, want %d", len(got), len(want))
	}
}

// A text message larger than one part comes in parts that are UTF-8 each: a
// handler that writes them on (an echo) sends valid text frames.
func TestWebSocketTextPartsAreUTF8(t *testing.T) {
	url, conns := parts(t)
	ws, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(url, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	defer ws.Close()
	msg := []byte(strings.Repeat("ü✓🚀", 3*readAhead/9) + "END")
	if err := ws.WriteMessage(websocket.TextMessage, msg); err != nil {
		t.Fatal(err)
	}
	// The handler closes at the end: read until the server's close frame,
	// which the dialer answers.
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, _, err := ws.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
		t.Errorf("after the message: %v, want a close frame with 1000", err)
	}
	checkParts(t, <-conns, msg)
}

// So do the parts of a POST, over Long Polling and Server-Sent Events, whose
// format the server does not know.
func TestPostPartsAreUTF8(t *testing.T) {
	url, conns := parts(t)
	resp, err := http.Post(url+"/negotiate?negotiateVersion=1", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	var n struct{ ConnectionToken string }
	err = json.NewDecoder(resp.Body).Decode(&n)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	connURL := url + "?id=" + n.ConnectionToken
	poll, err := http.Get(connURL) // the first poll opens the connection
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, poll.Body)
	poll.Body.Close()
	msg := []byte(strings.Repeat("ü✓🚀", 20_000) + "END")
	resp, err = http.Post(connURL, "application/octet-stream", bytes.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST: %s", resp.Status)
	}
	checkParts(t, <-conns, msg)
}

// A client that closes without a status code, as a browser's close() does,
// is answered with 1000, as ASP.NET Core answers: not with the 1005 that
// says no status was sent, which the official clients take for an unclean
// close.
func TestWebSocketCloseWithoutStatusIsAnsweredWith1000(t *testing.T) {
	url, conns := parts(t)
	ws, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(url, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	defer ws.Close()
	if err := ws.WriteControl(websocket.CloseMessage, nil, time.Now().Add(5*time.Second)); err != nil {
		t.Fatal(err)
	}
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, _, err = ws.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseNormalClosure {
		t.Fatalf("after the client's close: %v, want a close frame with 1000", err)
	}
	<-conns
}
