package interop

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hubgen/hubgen/runtime/hub"
	"github.com/hubgen/hubgen/runtime/protocol"
	"github.com/hubgen/hubgen/runtime/transport"
	"go.uber.org/goleak"
)

// TestMain checks for leaked goroutines once the hubs are shut down.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestOfficialClient runs the Node suite in node/ against a Go hub served at
// $HUB_URL/hubs/test (and at $HUB_URL/testhub), at $HUB_URL/hubs/keepalive with
// short keep-alives, at $HUB_URL/hubs/parallel, which runs two invocations of a
// connection at once, and at $HUB_URL/hubs/detailed with detailed errors, as
// the ASP.NET Core functional tests' server has them. GET
// $HUB_URL/clientresult/{connectionId} asks a client of /hubs/test for a
// result, as the ASP.NET Core functional tests' server does; so do its raw
// echo endpoint at $HUB_URL/echo and its redirects (mountFunctional).
func TestOfficialClient(t *testing.T) {
	officialClient(t, func(backend string) string { return backend })
}

// TestOfficialClientBehindNginx runs the same suite through a real nginx
// configured with the README's snippet (see nginx_test.go): every transport,
// redirect and keep-alive case behind the reverse proxy that the README tells
// users to put in front of their hubs.
func TestOfficialClientBehindNginx(t *testing.T) {
	officialClient(t, func(backend string) string { return startNginx(t, backend) })
}

// officialClient runs the Node suite against the hubs, at the URL that via
// returns for the hubs' own base URL.
func officialClient(t *testing.T, via func(backend string) string) {
	if testing.Short() {
		t.Skip("-short: runs the official client in Node")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node (v20 or later) is needed to run the official client: %v", err)
	}
	if _, err := os.Stat("node/node_modules/@microsoft/signalr"); err != nil {
		t.Fatalf("interop/node/node_modules is missing: run `npm ci --prefix interop/node` first (%v)", err)
	}

	out := t.Output() // one writer: Node's output and the hubs' logs, streamed into the test log
	log := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{
		Level: slog.LevelWarn,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == "stack" { // the Panic method's stack says nothing
				return slog.Attr{}
			}
			return a
		},
	}))
	main := newTestHub(hub.Options{Logger: log})
	keepAlive := newTestHub(hub.Options{Logger: log, KeepAliveInterval: 100 * time.Millisecond, ClientTimeout: time.Second})
	parallel := newTestHub(hub.Options{Logger: log, MaxParallelInvocations: 2})
	detailed := newTestHub(hub.Options{Logger: log, DetailedErrors: true})
	hubs := []*testHub{main, keepAlive, parallel, detailed}
	mux := transport.NewMux()
	mux.Mount("/hubs/test", main.srv)
	mux.Mount("/hubs/keepalive", keepAlive.srv)
	mux.Mount("/hubs/parallel", parallel.srv)
	mux.Mount("/hubs/detailed", detailed.srv)
	mux.Handle("GET /clientresult/{id}", http.HandlerFunc(main.clientResult))
	rawEcho := mountFunctional(mux, main.srv, log)
	stateful := mountStateful(mux, log)
	ts := httptest.NewServer(mux) // listens on 127.0.0.1
	if stateful.proxy, err = newProxy(ts.Listener.Addr().String()); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec")
	cmd.Dir = "node"
	cmd.Env = append(os.Environ(), "HUB_URL="+via(ts.URL), "PROXY_URL="+stateful.proxy.URL())
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = 5 * time.Second
	runErr := cmd.Run()
	t.Logf("node --test took %v", time.Since(start).Round(time.Millisecond))

	// Every connection the client opened must have been closed cleanly, and
	// the server must have seen it go.
	for _, h := range hubs {
		if open, unclean := h.waitIdle(5 * time.Second); open != 0 || len(unclean) > 0 {
			t.Errorf("after the Node tests: %d connections still open; closed with an error: %q", open, unclean)
		}
	}
	open, served, unclean := rawEcho.waitIdle(5 * time.Second)
	if open != 0 || len(unclean) > 0 {
		t.Errorf("after the Node tests: %d echo connections still open; closed with an error: %q", open, unclean)
	}
	for _, tr := range []transport.Transports{transport.WebSockets, transport.ServerSentEvents, transport.LongPolling} {
		if served[tr] == 0 {
			t.Errorf("the echo endpoint served no connection over %v", tr)
		}
	}
	if n := stateful.maxDisconnects(); n > 1 {
		t.Errorf("OnDisconnected ran %d times for one stateful connection", n)
	}
	shutdown, stop := context.WithTimeout(context.Background(), 5*time.Second)
	defer stop()
	stateful.proxy.close()
	for _, srv := range []*hub.Server{stateful.long, stateful.short} {
		if err := srv.Shutdown(shutdown); err != nil {
			t.Errorf("Shutdown of a stateful hub: %v", err)
		}
	}
	if err := rawEcho.srv.Shutdown(shutdown); err != nil {
		t.Errorf("Shutdown of /echo: %v", err)
	}
	for _, h := range hubs {
		if err := h.srv.Shutdown(shutdown); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	}
	ts.Close()
	if runErr != nil {
		t.Fatalf("node --test failed: %v", runErr)
	}
}

// watchers is the group told of every disconnect.
const watchers = "watchers"

// testHub is the hub the Node tests call, with a count of its connections.
type testHub struct {
	srv *hub.Server

	mu      sync.Mutex
	open    int      // connected and not yet disconnected
	unclean []string // disconnects with an error
}

// item is an object argument, with the camelCase names of ASP.NET Core's JSON.
type item struct {
	Name  string         `json:"name"`
	Count int            `json:"count"`
	Price float64        `json:"price"`
	Tags  []string       `json:"tags"`
	Attrs map[string]int `json:"attrs"`
	Note  *string        `json:"note"`
}

// record is an object argument in MessagePack: a map keyed by the Go field
// names (which match .NET's PascalCase) or by msgpack tags, with time.Time as
// the timestamp extension (JavaScript's Date) and []byte as bin (Uint8Array).
type record struct {
	Name  string
	When  time.Time
	Data  []byte
	Count int64 `msgpack:"count"`
	Tags  []string
	Note  *string
}

// describe says what the hub decoded, in Go's terms.
func (r record) describe() string {
	note := "<nil>"
	if r.Note != nil {
		note = *r.Note
	}
	return fmt.Sprintf("%s|%s|%x|%d|%q|%s", r.Name, r.When.Format(time.RFC3339Nano), r.Data, r.Count, r.Tags, note)
}

func newTestHub(opts hub.Options) *testHub {
	h := &testHub{}
	opts.OnConnected = func(context.Context, *hub.Conn) error {
		h.mu.Lock()
		h.open++
		h.mu.Unlock()
		return nil
	}
	opts.OnDisconnected = func(ctx context.Context, c *hub.Conn, err error) {
		var reason any // null for a clean close
		h.mu.Lock()
		h.open--
		if err != nil {
			reason = err.Error()
			h.unclean = append(h.unclean, fmt.Sprintf("%s: %v", c.ID(), err))
		}
		h.mu.Unlock()
		h.srv.Clients().Group(watchers).Send(ctx, "Disconnected", c.ID(), reason)
	}
	caller := func(ctx context.Context) string { return hub.ConnFromContext(ctx).ID() }
	h.srv = hub.New([]hub.Method{
		{Name: "Echo", Args: 1, Call: echo[string]},
		{Name: "EchoNumber", Args: 1, Call: echo[float64]},
		{Name: "EchoInt", Args: 1, Call: echo[int64]},
		{Name: "EchoItem", Args: 1, Call: echo[item]},
		{Name: "EchoJSON", Args: 1, Call: echo[protocol.Raw]},
		{Name: "Nothing", Void: true, Call: func(context.Context, hub.Args) (any, error) { return "ignored", nil }},
		{Name: "GetConnectionId", Call: func(ctx context.Context, _ hub.Args) (any, error) { return caller(ctx), nil }},
		// The names of the official functional tests' TestHub.
		{Name: "GetCallerConnectionId", Call: func(ctx context.Context, _ hub.Args) (any, error) { return caller(ctx), nil }},
		{Name: "GetNumRedirects", Call: func(ctx context.Context, _ hub.Args) (any, error) {
			return strconv.Atoi(hub.ConnFromContext(ctx).Request().URL.Query().Get("numRedirects"))
		}},
		{Name: "Transport", Call: func(ctx context.Context, _ hub.Args) (any, error) {
			c := hub.ConnFromContext(ctx)
			return c.Transport() + "/" + c.Protocol().Name(), nil
		}},
		{Name: "EchoRecord", Args: 1, Call: echo[record]},
		{Name: "DescribeRecord", Args: 1, Call: func(_ context.Context, a hub.Args) (any, error) {
			r, err := hub.Arg[record](a, 0)
			return r.describe(), err
		}},
		{Name: "CallMeBack", Args: 1, Void: true, Call: func(ctx context.Context, a hub.Args) (any, error) {
			return nil, h.srv.Clients().Caller(ctx).Send(ctx, "Receive", str(a, 0))
		}},
		{Name: "Fail", Args: 1, Void: true, Call: func(_ context.Context, a hub.Args) (any, error) {
			return nil, hub.Errorf("%s", str(a, 0))
		}},
		{Name: "Panic", Void: true, Call: func(context.Context, hub.Args) (any, error) { panic("boom") }},
		{Name: "JoinGroup", Args: 1, Void: true, Call: func(ctx context.Context, a hub.Args) (any, error) {
			return nil, h.srv.Groups().Add(ctx, caller(ctx), str(a, 0))
		}},
		{Name: "LeaveGroup", Args: 1, Void: true, Call: func(ctx context.Context, a hub.Args) (any, error) {
			return nil, h.srv.Groups().Remove(ctx, caller(ctx), str(a, 0))
		}},
		{Name: "SendToGroup", Args: 2, Void: true, Call: func(ctx context.Context, a hub.Args) (any, error) {
			return nil, h.srv.Clients().Group(str(a, 0)).Send(ctx, "GroupMessage", str(a, 1))
		}},
		{Name: "Watch", Void: true, Call: func(ctx context.Context, _ hub.Args) (any, error) {
			return nil, h.srv.Groups().Add(ctx, caller(ctx), watchers)
		}},
		{Name: "CloseMe", Args: 1, Void: true, Call: func(ctx context.Context, a hub.Args) (any, error) {
			hub.ConnFromContext(ctx).Close(hub.Errorf("%s", str(a, 0)))
			return nil, nil
		}},

		// Server-to-client streams.
		{Name: "Counter", Args: 1, Stream: func(_ context.Context, a hub.Args) (iter.Seq2[any, error], error) {
			n, err := hub.Arg[int](a, 0)
			if err != nil {
				return nil, err
			}
			return hub.StreamOf(count(n, nil)), nil
		}},
		{Name: "FailAfter", Args: 2, Stream: failAfter},
		// As the functional tests' TestHub.StreamThrowException: fails
		// before the stream starts.
		{Name: "StreamThrowException", Args: 1, Stream: func(_ context.Context, a hub.Args) (iter.Seq2[any, error], error) {
			return nil, invalidOperation(str(a, 0))
		}},
		{Name: "Items", Args: 1, Stream: func(_ context.Context, a hub.Args) (iter.Seq2[any, error], error) {
			n, err := hub.Arg[int](a, 0)
			if err != nil {
				return nil, err
			}
			return hub.StreamOf(items(n)), nil
		}},
		{Name: "Forever", Stream: func(ctx context.Context, _ hub.Args) (iter.Seq2[any, error], error) {
			return hub.StreamOf(h.forever(ctx)), nil
		}},

		// Client-to-server streams.
		{Name: "Concat", Uploads: 1, Call: func(_ context.Context, a hub.Args) (any, error) { return concat(a, 0) }},
		{Name: "Join", Args: 1, Uploads: 2, Call: func(_ context.Context, a hub.Args) (any, error) {
			first, err := concat(a, 0)
			if err != nil {
				return nil, err
			}
			second, err := concat(a, 1)
			if err != nil {
				return nil, err
			}
			return first + str(a, 0) + second, nil
		}},

		// Client results: the caller's answer to "Result", whatever it is.
		{Name: "AskCaller", Call: func(ctx context.Context, _ hub.Args) (any, error) {
			var answer protocol.Raw
			if err := h.srv.Clients().Caller(ctx).Invoke(ctx, "Result", &answer); err != nil {
				return nil, err
			}
			return answer, nil
		}},
	}, opts)
	return h
}

// count yields 0, 1, ... n-1, then fail if it is not nil.
func count(n int, fail error) iter.Seq2[int, error] {
	return func(yield func(int, error) bool) {
		for i := range n {
			if !yield(i, nil) {
				return
			}
		}
		if fail != nil {
			yield(0, fail)
		}
	}
}

// failAfter streams n numbers and then fails: with a *hub.Error of the given
// text, or, when the text is empty, with an error the client must not see. A
// negative n fails before the stream starts.
func failAfter(_ context.Context, a hub.Args) (iter.Seq2[any, error], error) {
	n, err := hub.Arg[int](a, 0)
	if err != nil {
		return nil, err
	}
	var fail error = hub.Errorf("%s", str(a, 1))
	if str(a, 1) == "" {
		fail = errors.New("secret: disk on fire")
	}
	if n < 0 {
		return nil, fail
	}
	return hub.StreamOf(count(n, fail)), nil
}

// invalidOperation is an error that detailed texts name as .NET's
// InvalidOperationException, which the functional tests' hub throws.
type invalidOperation string

func (e invalidOperation) Error() string { return string(e) }

// Kind names the error in detailed texts.
func (e invalidOperation) Kind() string { return "InvalidOperationException" }

// str is argument i as a string: the Node tests pass strings.
func str(a hub.Args, i int) string { s, _ := hub.Arg[string](a, i); return s }

// items streams n objects.
func items(n int) iter.Seq2[item, error] {
	return func(yield func(item, error) bool) {
		for i := range n {
			it := item{Name: fmt.Sprintf("item %d", i), Count: i, Price: float64(i) + 0.25, Tags: []string{"t", fmt.Sprint(i)}, Attrs: map[string]int{"i": i}}
			if i%2 == 1 {
				odd := "odd"
				it.Note = &odd
			}
			if !yield(it, nil) {
				return
			}
		}
	}
}

// forever streams 0, 1, 2, ... every few milliseconds until the stream's ctx
// ends; when the client cancelled it, it tells the caller "StreamCanceled".
func (h *testHub) forever(ctx context.Context) iter.Seq2[int, error] {
	caller := h.srv.Clients().Caller(ctx)
	return func(yield func(int, error) bool) {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for i := 0; yield(i, nil); i++ {
			select {
			case <-tick.C:
			case <-ctx.Done():
			}
		}
		// The stream is over for the client; the hub can still reach it.
		if ctx.Err() != nil {
			caller.Send(context.WithoutCancel(ctx), "StreamCanceled")
		}
	}
}

// concat joins the strings of upload stream i.
func concat(a hub.Args, i int) (string, error) {
	var b strings.Builder
	for s, err := range hub.Upload[string](a, i) {
		if err != nil {
			return "", err
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

// clientResult answers GET /clientresult/{id}: it invokes "Result" on the
// connection and writes the number it returned, or the error's text.
func (h *testHub) clientResult(w http.ResponseWriter, r *http.Request) {
	var n int
	if err := h.srv.Clients().Client(r.PathValue("id")).Invoke(r.Context(), "Result", &n); err != nil {
		fmt.Fprint(w, err.Error())
		return
	}
	fmt.Fprint(w, n)
}

// echo returns its argument, decoded as a T.
func echo[T any](_ context.Context, a hub.Args) (any, error) { return hub.Arg[T](a, 0) }

// waitIdle waits up to d for every connection to be gone, and reports what is
// left and which disconnects had an error.
func (h *testHub) waitIdle(d time.Duration) (open int, unclean []string) {
	deadline := time.Now().Add(d)
	for {
		h.mu.Lock()
		open, unclean = h.open, h.unclean
		h.mu.Unlock()
		if open == 0 || time.Now().After(deadline) {
			return open, unclean
		}
		time.Sleep(10 * time.Millisecond)
	}
}
