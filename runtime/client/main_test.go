package client_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hubgen/hubgen/runtime/client"
	"github.com/hubgen/hubgen/runtime/hub"
	"github.com/hubgen/hubgen/runtime/protocol"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// The hub server's heartbeat ends on its own up to a second after its last
	// connection; it is the server's, not the client's.
	goleak.VerifyTestMain(m)
}

var quiet = slog.New(slog.DiscardHandler)

// testMethods are the hub methods the tests call.
func (h *testHub) methods() []hub.Method {
	return []hub.Method{
		{Name: "Echo", Args: 1, Call: func(ctx context.Context, a hub.Args) (any, error) {
			return hub.Arg[string](a, 0)
		}},
		{Name: "Add", Args: 2, Call: func(ctx context.Context, a hub.Args) (any, error) {
			x, err := hub.Arg[int](a, 0)
			if err != nil {
				return nil, err
			}
			y, err := hub.Arg[int](a, 1)
			return x + y, err
		}},
		{Name: "Info", Call: func(ctx context.Context, a hub.Args) (any, error) {
			return info{Name: "hub", N: 7}, nil
		}},
		{Name: "Nothing", Void: true, Call: func(ctx context.Context, a hub.Args) (any, error) {
			return nil, nil
		}},
		{Name: "Fail", Args: 1, Void: true, Call: func(ctx context.Context, a hub.Args) (any, error) {
			text, _ := hub.Arg[string](a, 0)
			return nil, hub.Errorf("%s", text)
		}},
		{Name: "Block", Void: true, Call: func(ctx context.Context, a hub.Args) (any, error) {
			// Runs until the connection ends, and says when it started.
			h.blocked <- struct{}{}
			<-ctx.Done()
			return nil, ctx.Err()
		}},
		{Name: "Callback", Args: 2, Void: true, Call: func(ctx context.Context, a hub.Args) (any, error) {
			// Calls target on the caller with arg.
			target, _ := hub.Arg[string](a, 0)
			arg, _ := hub.Arg[string](a, 1)
			return nil, h.srv.Clients().Caller(ctx).Send(ctx, target, arg)
		}},
		{Name: "CloseMe", Args: 1, Void: true, Call: func(ctx context.Context, a hub.Args) (any, error) {
			text, _ := hub.Arg[string](a, 0)
			hub.ConnFromContext(ctx).Close(hub.Errorf("%s", text))
			return nil, nil
		}},
	}
}

type info struct {
	Name string `json:"name"`
	N    int    `json:"n"`
}

// testHub is a hub server on 127.0.0.1, serving the test methods at /hub.
type testHub struct {
	srv     *hub.Server
	ts      *httptest.Server
	url     string
	blocked chan struct{} // receives when Block starts
}

// newHub starts a hub server with the test methods. Its connections run
// several invocations at once, so that Block does not hold up the others.
func newHub(t testing.TB, opts hub.Options) *testHub {
	t.Helper()
	return newHubAt(t, "127.0.0.1:0", opts)
}

// newHubAt is newHub at the given address.
func newHubAt(t testing.TB, addr string, opts hub.Options) *testHub {
	t.Helper()
	if opts.MaxParallelInvocations == 0 {
		opts.MaxParallelInvocations = 8
	}
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	h := &testHub{blocked: make(chan struct{}, 16)}
	h.srv = hub.New(h.methods(), opts)
	mux := http.NewServeMux()
	h.srv.Mount(mux, "/hub")
	h.ts = httptest.NewUnstartedServer(mux)
	h.ts.Listener.Close()
	h.ts.Listener = l
	h.ts.Start()
	h.url = h.ts.URL + "/hub"
	t.Cleanup(h.close)
	return h
}

// close shuts the server down and stops listening.
func (h *testHub) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h.srv.Shutdown(ctx)
	h.ts.Close()
}

// dial connects to url with quiet logs, and closes the connection at the end of
// the test.
func dial(t testing.TB, url string, opts client.Options) *client.Conn {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, url, opts)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// testCtx returns a context that ends with the test, or after 10 s.
// echoWorks checks that the hub's Echo answers s: the connection works.
func echoWorks(t testing.TB, ctx context.Context, c *client.Conn, s string) {
	t.Helper()
	var got string
	if err := c.Invoke(ctx, "Echo", &got, s); err != nil || got != s {
		t.Errorf("Echo(%q) = %q, %v", s, got, err)
	}
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// recv waits for a value from ch, failing the test after 10 s.
func recv[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// rawServer is a WebSocket server written for a test: it answers negotiate and
// hands each WebSocket, after the handshake, to serve.
type rawServer struct {
	ts  *httptest.Server
	url string
}

func newRawServer(t testing.TB, serve func(ws *websocket.Conn)) *rawServer {
	t.Helper()
	return newRawServerHandshake(t, "{}\x1e", serve)
}

// newRawServerHandshake is newRawServer with the handshake response given.
func newRawServerHandshake(t testing.TB, response string, serve func(ws *websocket.Conn)) *rawServer {
	t.Helper()
	upgrader := websocket.Upgrader{}
	mux := http.NewServeMux()
	mux.HandleFunc("/raw/negotiate", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"negotiateVersion":1,"connectionId":"raw-id","connectionToken":"raw-token","availableTransports":[{"transport":"WebSockets","transferFormats":["Text","Binary"]}]}`))
	})
	mux.HandleFunc("/raw", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("id") != "raw-token" {
			http.Error(w, "No Connection with that ID", http.StatusNotFound)
			return
		}
		ws, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		_, req, err := ws.ReadMessage()
		if err != nil {
			return
		}
		if string(req) != `{"protocol":"json","version":1}`+"\x1e" {
			t.Errorf("handshake request = %q", req)
			return
		}
		if response == "" {
			// No answer: wait for the client to give up.
			ws.ReadMessage()
			return
		}
		if err := ws.WriteMessage(websocket.TextMessage, []byte(response)); err != nil {
			return
		}
		serve(ws)
	})
	s := &rawServer{ts: httptest.NewServer(mux)}
	s.url = s.ts.URL + "/raw"
	t.Cleanup(s.ts.Close)
	return s
}

// readRecords reads one frame and returns the messages in it.
func readRecords(ws *websocket.Conn) ([]protocol.Message, error) {
	_, data, err := ws.ReadMessage()
	if err != nil {
		return nil, err
	}
	var msgs []protocol.Message
	for len(data) > 0 {
		var m protocol.Message
		n, err := protocol.JSON.Parse(data, &m)
		if err != nil {
			return msgs, err
		}
		if n == 0 {
			return msgs, errors.New("partial record in a frame")
		}
		// Keep the payloads: data is not reused, so the Raws stay valid.
		msgs = append(msgs, m)
		data = data[n:]
	}
	return msgs, nil
}

// readMessage reads until a message other than a Ping arrives, and returns the
// first such message in its frame.
func readMessage(ws *websocket.Conn) (protocol.Message, error) {
	for {
		msgs, err := readRecords(ws)
		if err != nil {
			return protocol.Message{}, err
		}
		for _, m := range msgs {
			if m.Type != protocol.Ping {
				return m, nil
			}
		}
	}
}

// checkNoClientGoroutines fails the test if goroutines run the client package's
// code. A goroutine that has signalled its end may still be returning, so it
// looks a few times over a second.
func checkNoClientGoroutines(t testing.TB) {
	t.Helper()
	var found []string
	for range 100 {
		if found = clientGoroutines(); len(found) == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("goroutines still running client code:\n%s", strings.Join(found, "\n\n"))
}

// clientGoroutines returns the stacks of goroutines running the client
// package's code, other than the caller's. A goroutine that the client created
// and that is exiting is not running its code.
func clientGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var found []string
	for i, g := range bytes.Split(buf, []byte("\n\n")) {
		if i == 0 {
			continue // the caller
		}
		for line := range strings.Lines(string(g)) {
			if strings.Contains(line, "hubgen/runtime/client.") && !strings.HasPrefix(line, "created by ") {
				found = append(found, string(g))
				break
			}
		}
	}
	return found
}
