package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testLog writes warnings and errors into the test's log.
func testLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// serve serves the example's router for the length of the test and returns
// the ws:// URL of its endpoint at path.
func serve(t *testing.T, path string) string {
	t.Helper()
	srv, mux := newServer(testLog(t))
	ts := httptest.NewServer(mux)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		ts.Close()
	})
	return "ws" + strings.TrimPrefix(ts.URL, "http") + path
}

// dial opens a plain WebSocket to url: no negotiate, no handshake.
func dial(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	ws, resp, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	resp.Body.Close()
	t.Cleanup(func() { ws.Close() })
	// Every read below waits for a frame the server sends; the deadline only
	// turns a server that never does into a failure instead of a hang.
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	return ws
}

// expectEcho sends one message of kind typ and checks that the same bytes
// come back in messages of the same kind: in one, or, for a message larger
// than what the server reads at once, in several, each of them valid UTF-8
// if it is text.
func expectEcho(t *testing.T, ws *websocket.Conn, typ int, msg []byte) {
	t.Helper()
	if err := ws.WriteMessage(typ, msg); err != nil {
		t.Fatalf("write: %v", err)
	}
	var got []byte
	for first := true; first || len(got) < len(msg); first = false {
		gotType, part, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("read the echo: %v", err)
		}
		if gotType != typ {
			t.Fatalf("echo: got a message of type %d, want %d", gotType, typ)
		}
		if typ == websocket.TextMessage && !utf8.Valid(part) {
			t.Fatalf("echo: a text message of %d bytes is not UTF-8: it ends %q", len(part), part[max(0, len(part)-8):])
		}
		got = append(got, part...)
	}
	if string(got) != string(msg) {
		t.Fatalf("echo: got %s, want %s", short(got), short(msg))
	}
}

// short quotes b, or its length and ends when it is long.
func short(b []byte) string {
	if len(b) <= 40 {
		return fmt.Sprintf("%q", b)
	}
	return fmt.Sprintf("%d bytes %q…%q", len(b), b[:16], b[len(b)-16:])
}

// expectClose reads until the server's close frame and checks its code.
func expectClose(t *testing.T, ws *websocket.Conn, code int) {
	t.Helper()
	typ, msg, err := ws.ReadMessage()
	if err == nil {
		t.Fatalf("got message type %d %q, want a close frame", typ, msg)
	}
	var ce *websocket.CloseError
	if !errors.As(err, &ce) {
		t.Fatalf("got %v, want a close frame with %d", err, code)
	}
	if ce.Code != code {
		t.Fatalf("close frame: got code %d (%q), want %d", ce.Code, ce.Text, code)
	}
}

// TestWebSocket is the official client's WebSocketTests.ts, "can be used to
// connect to SignalR": a plain WebSocket echoes one text message, and when the
// client closes (a close frame with no status, as a browser's close() sends),
// the server answers with 1000.
func TestWebSocket(t *testing.T) {
	ws := dial(t, serve(t, "/echo"))
	expectEcho(t, ws, websocket.TextMessage, []byte("message"))
	if err := ws.WriteControl(websocket.CloseMessage, nil, time.Now().Add(5*time.Second)); err != nil {
		t.Fatalf("write the close frame: %v", err)
	}
	expectClose(t, ws, websocket.CloseNormalClosure)
}

// TestWebSocketFormats echoes text as text and binary as binary, several
// messages on one connection, and closes with 1000 when the client closes
// with 1000.
func TestWebSocketFormats(t *testing.T) {
	ws := dial(t, serve(t, "/echo"))
	expectEcho(t, ws, websocket.TextMessage, []byte("héllo wörld ✓ 🚀"))
	expectEcho(t, ws, websocket.BinaryMessage, []byte{0, 1, 0x7f, 0x80, 0xfe, 0xff})
	expectEcho(t, ws, websocket.TextMessage, []byte(strings.Repeat("x", 100_000)))
	expectEcho(t, ws, websocket.TextMessage, []byte(strings.Repeat("ü✓🚀", 20_000)))
	expectEcho(t, ws, websocket.BinaryMessage, bytes.Repeat([]byte{0, 0xff, 0x80}, 50_000))
	expectEcho(t, ws, websocket.BinaryMessage, []byte{})
	bye := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye")
	if err := ws.WriteControl(websocket.CloseMessage, bye, time.Now().Add(5*time.Second)); err != nil {
		t.Fatalf("write the close frame: %v", err)
	}
	expectClose(t, ws, websocket.CloseNormalClosure)
}

// TestCaseInsensitivePath reaches the endpoint at /ECHO, as ASP.NET Core's
// routing would.
func TestCaseInsensitivePath(t *testing.T) {
	ws := dial(t, serve(t, "/ECHO"))
	expectEcho(t, ws, websocket.TextMessage, []byte("upper"))
}

// TestRun runs the program's server and stops it: its WebSockets get a close
// frame with 1000, and run returns nil.
func TestRun(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- run(ctx, ln, testLog(t)) }()

	ws := dial(t, "ws://"+ln.Addr().String()+"/echo")
	expectEcho(t, ws, websocket.TextMessage, []byte("before shutdown"))
	cancel()
	expectClose(t, ws, websocket.CloseNormalClosure)
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	if resp, err := http.Get("http://" + ln.Addr().String() + "/echo"); err == nil {
		resp.Body.Close()
		t.Fatal("the server still answers after run returned")
	}
}
