package client_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hubgen/hubgen/runtime/client"
	"github.com/hubgen/hubgen/runtime/hub"
	"github.com/hubgen/hubgen/runtime/protocol"
)

// streamHub is a hub server with streaming methods, for the stream tests.
type streamHub struct {
	srv       *hub.Server
	url       string
	cancelled chan string   // Forever sends its name here when its ctx ends
	seen      chan error    // what CheckUpload's stream ended with
	recorded  chan []string // what Record received
	produced  atomic.Int64  // items Big has produced
}

func newStreamHub(t testing.TB, opts hub.Options) *streamHub {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	h := &streamHub{cancelled: make(chan string, 16), seen: make(chan error, 16), recorded: make(chan []string, 16)}
	h.srv = hub.New(h.methods(), opts)
	mux := http.NewServeMux()
	h.srv.Mount(mux, "/hub")
	ts := httptest.NewServer(mux)
	h.url = ts.URL + "/hub"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		h.srv.Shutdown(ctx)
		ts.Close()
	})
	return h
}

// seq returns a hub stream method's result from a typed sequence.
func seq[T any](s iter.Seq2[T, error]) (iter.Seq2[any, error], error) {
	return hub.StreamOf(s), nil
}

func (h *streamHub) methods() []hub.Method {
	return []hub.Method{
		{Name: "Echo", Args: 1, Call: func(ctx context.Context, a hub.Args) (any, error) {
			return hub.Arg[string](a, 0)
		}},
		{Name: "Count", Args: 1, Stream: func(ctx context.Context, a hub.Args) (iter.Seq2[any, error], error) {
			// Streams 0 to n-1.
			n, err := hub.Arg[int](a, 0)
			if err != nil {
				return nil, err
			}
			return seq(func(yield func(int, error) bool) {
				for i := range n {
					if !yield(i, nil) {
						return
					}
				}
			})
		}},
		{Name: "FailAfter", Args: 2, Stream: func(ctx context.Context, a hub.Args) (iter.Seq2[any, error], error) {
			// Streams 0 to n-1, then fails with text.
			n, _ := hub.Arg[int](a, 0)
			text, _ := hub.Arg[string](a, 1)
			return seq(func(yield func(int, error) bool) {
				for i := range n {
					if !yield(i, nil) {
						return
					}
				}
				yield(0, hub.Errorf("%s", text))
			})
		}},
		{Name: "Forever", Args: 1, Stream: func(ctx context.Context, a hub.Args) (iter.Seq2[any, error], error) {
			// Streams 0, 1, 2... until ctx ends, then sends name to cancelled.
			name, _ := hub.Arg[string](a, 0)
			go func() {
				<-ctx.Done()
				h.cancelled <- name
			}()
			return seq(func(yield func(int, error) bool) {
				for i := 0; ; i++ {
					if !yield(i, nil) {
						return
					}
					select {
					case <-ctx.Done():
						return
					case <-time.After(time.Millisecond):
					}
				}
			})
		}},
		{Name: "Big", Args: 2, Stream: func(ctx context.Context, a hub.Args) (iter.Seq2[any, error], error) {
			// Streams n strings of size bytes, counting them in produced.
			n, _ := hub.Arg[int](a, 0)
			size, _ := hub.Arg[int](a, 1)
			s := strings.Repeat("x", size)
			return seq(func(yield func(string, error) bool) {
				for range n {
					if !yield(s, nil) {
						return
					}
					h.produced.Add(1)
				}
			})
		}},
		{Name: "Infos", Args: 1, Stream: func(ctx context.Context, a hub.Args) (iter.Seq2[any, error], error) {
			n, _ := hub.Arg[int](a, 0)
			return seq(func(yield func(info, error) bool) {
				for i := range n {
					if !yield(info{Name: fmt.Sprint("item ", i), N: i}, nil) {
						return
					}
				}
			})
		}},
		{Name: "Concat", Args: 1, Uploads: 1, Call: func(ctx context.Context, a hub.Args) (any, error) {
			// Joins its upload's strings with the separator it gets.
			sep, _ := hub.Arg[string](a, 0)
			var parts []string
			for s, err := range hub.Upload[string](a, 0) {
				if err != nil {
					return nil, err
				}
				parts = append(parts, s)
			}
			return strings.Join(parts, sep), nil
		}},
		{Name: "Ignore", Args: 1, Void: true, Call: func(ctx context.Context, a hub.Args) (any, error) {
			// Takes any argument, and does nothing with it.
			return nil, nil
		}},
		{Name: "Drain", Uploads: 1, Void: true, Call: func(ctx context.Context, a hub.Args) (any, error) {
			// Reads its upload, of any items, and fails with its error.
			for _, err := range hub.Upload[any](a, 0) {
				if err != nil {
					return nil, err
				}
			}
			return nil, nil
		}},
		{Name: "CheckUpload", Uploads: 1, Void: true, Call: func(ctx context.Context, a hub.Args) (any, error) {
			// Reads its upload and reports how it ended, then fails with it.
			var err error
			for _, err = range hub.Upload[int](a, 0) {
				if err != nil {
					break
				}
			}
			h.seen <- err
			return nil, err
		}},
		{Name: "Sum2", Uploads: 2, Call: func(ctx context.Context, a hub.Args) (any, error) {
			// Adds up two uploads of ints, reading the second one first.
			sum := 0
			for _, i := range []int{1, 0} {
				for n, err := range hub.Upload[int](a, i) {
					if err != nil {
						return nil, err
					}
					sum = sum*10 + n
				}
			}
			return sum, nil
		}},
		{Name: "Record", Uploads: 1, Void: true, Call: func(ctx context.Context, a hub.Args) (any, error) {
			// Sends what its upload held to recorded.
			var got []string
			for s, err := range hub.Upload[string](a, 0) {
				if err != nil {
					got = append(got, "error: "+err.Error())
					break
				}
				got = append(got, s)
			}
			h.recorded <- got
			return nil, nil
		}},
		{Name: "Scale", Args: 1, Uploads: 1, Stream: func(ctx context.Context, a hub.Args) (iter.Seq2[any, error], error) {
			// Streams each item of its upload times its argument.
			k, _ := hub.Arg[int](a, 0)
			return seq(func(yield func(int, error) bool) {
				for n, err := range hub.Upload[int](a, 0) {
					if !yield(n*k, err) || err != nil {
						return
					}
				}
			})
		}},
	}
}

// collect iterates a stream to its end and returns its items and its error.
func collect[T any](s iter.Seq2[T, error]) ([]T, error) {
	var items []T
	for v, err := range s {
		if err != nil {
			return items, err
		}
		items = append(items, v)
	}
	return items, nil
}

// items returns a sequence of vs.
func items[T any](vs ...T) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for _, v := range vs {
			if !yield(v, nil) {
				return
			}
		}
	}
}

// serverError checks that err is a *client.Error with the text want.
func serverError(t *testing.T, what string, err error, want string) {
	t.Helper()
	var e *client.Error
	if !errors.As(err, &e) || e.Message != want {
		t.Errorf("%s: error %#v\nwant *client.Error %q", what, err, want)
	}
}

func TestStreamOf(t *testing.T) {
	h := newStreamHub(t, hub.Options{})
	c := dial(t, h.url, client.Options{})
	ctx := testCtx(t)

	got, err := collect(client.StreamOf[int](ctx, c, "Count", 100))
	if err != nil || !slices.Equal(got, slices.Collect(func(yield func(int) bool) {
		for i := range 100 {
			yield(i)
		}
	})) {
		t.Errorf("Count(100) = %v, %v", got, err)
	}
	got, err = collect(client.StreamOf[int](ctx, c, "count", 0)) // names ignore case
	if err != nil || len(got) != 0 {
		t.Errorf("Count(0) = %v, %v", got, err)
	}
	infos, err := collect(client.StreamOf[info](ctx, c, "Infos", 3))
	if want := []info{{"item 0", 0}, {"item 1", 1}, {"item 2", 2}}; err != nil || !slices.Equal(infos, want) {
		t.Errorf("Infos(3) = %v, %v", infos, err)
	}
}

func TestStreamErrors(t *testing.T) {
	h := newStreamHub(t, hub.Options{})
	c := dial(t, h.url, client.Options{})
	ctx := testCtx(t)

	got, err := collect(client.StreamOf[int](ctx, c, "FailAfter", 2, "disk on fire"))
	if !slices.Equal(got, []int{0, 1}) {
		t.Errorf("FailAfter: items %v", got)
	}
	serverError(t, "FailAfter", err, "An error occurred on the server while streaming results. HubException: disk on fire")

	// The final error comes once, then the sequence ends.
	n := 0
	for _, err := range client.StreamOf[int](ctx, c, "FailAfter", 0, "x") {
		if n++; err == nil {
			t.Error("FailAfter(0) yielded an item")
		}
	}
	if n != 1 {
		t.Errorf("FailAfter(0) yielded %d times", n)
	}

	_, err = collect(client.StreamOf[string](ctx, c, "Echo", "x"))
	serverError(t, "StreamOf(Echo)", err, "The client attempted to invoke the non-streaming 'Echo' method with a streaming invocation.")
	err = c.Invoke(ctx, "Count", nil, 3)
	serverError(t, "Invoke(Count)", err, "The client attempted to invoke the streaming 'Count' method with a non-streaming invocation.")
	_, err = collect(client.StreamOf[int](ctx, c, "Missing"))
	serverError(t, "StreamOf(Missing)", err, "Failed to invoke 'Missing' due to an error on the server. HubException: Method does not exist.")
	_, err = collect(client.StreamOf[int](ctx, c, "Count", make(chan int)))
	if err == nil || !strings.Contains(err.Error(), `cannot encode the arguments of "Count"`) {
		t.Errorf("Count of a chan: %v", err)
	}

	// A sequence is single-use.
	s := client.StreamOf[int](ctx, c, "Count", 2)
	if got, err := collect(s); err != nil || len(got) != 2 {
		t.Errorf("first iteration: %v, %v", got, err)
	}
	if got, err := collect(s); err == nil || len(got) != 0 || !strings.Contains(err.Error(), "only once") {
		t.Errorf("second iteration: %v, %v", got, err)
	}

	// An item that does not decode ends the stream and cancels it.
	got2, err := collect(client.StreamOf[string](ctx, c, "Forever", "decode"))
	if len(got2) != 0 || err == nil || !strings.Contains(err.Error(), `cannot decode an item of "Forever"`) {
		t.Errorf("Forever into strings: %v, %v", got2, err)
	}
	if name := recv(t, h.cancelled, "the server's cancellation"); name != "decode" {
		t.Errorf("cancelled %q", name)
	}

	// The connection is still fine.
	echoWorks(t, ctx, c, "ok")
}

func TestStreamBreak(t *testing.T) {
	h := newStreamHub(t, hub.Options{})
	c := dial(t, h.url, client.Options{})
	ctx := testCtx(t)

	var got []int
	for v, err := range client.StreamOf[int](ctx, c, "Forever", "break") {
		if err != nil {
			t.Fatal(err)
		}
		if got = append(got, v); len(got) == 3 {
			break
		}
	}
	if !slices.Equal(got, []int{0, 1, 2}) {
		t.Errorf("got %v", got)
	}
	if name := recv(t, h.cancelled, "the server's cancellation"); name != "break" {
		t.Errorf("cancelled %q", name)
	}
	echoWorks(t, ctx, c, "after")
}

func TestStreamContext(t *testing.T) {
	h := newStreamHub(t, hub.Options{})
	c := dial(t, h.url, client.Options{})

	ctx, cancel := context.WithCancel(testCtx(t))
	defer cancel()
	var got []int
	var end error
	for v, err := range client.StreamOf[int](ctx, c, "Forever", "ctx") {
		if err != nil {
			end = err
			continue // the sequence ends after its error
		}
		if got = append(got, v); len(got) == 3 {
			cancel()
		}
	}
	if !slices.Equal(got, []int{0, 1, 2}) || !errors.Is(end, context.Canceled) {
		t.Errorf("got %v, %v; want 0 1 2 and context.Canceled", got, end)
	}
	if name := recv(t, h.cancelled, "the server's cancellation"); name != "ctx" {
		t.Errorf("cancelled %q", name)
	}

	// A context that has ended already: nothing is sent.
	if got, err := collect(client.StreamOf[int](ctx, c, "Forever", "never")); len(got) != 0 || !errors.Is(err, context.Canceled) {
		t.Errorf("with an ended ctx: %v, %v", got, err)
	}
	// A context that ends while the consumer waits for an item.
	short, cancelShort := context.WithTimeout(testCtx(t), 50*time.Millisecond)
	defer cancelShort()
	blocked := make(chan error, 1)
	go func() {
		_, err := collect(client.StreamOf[int](short, c, "Scale", 1, client.UploadOf(func(yield func(int, error) bool) {
			<-short.Done() // an upload that never sends: the stream waits
		})))
		blocked <- err
	}()
	if err := recv(t, blocked, "the stream's end"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("stream waiting when ctx ends: %v", err)
	}
	select {
	case name := <-h.cancelled:
		t.Errorf("unexpected cancellation of %q", name)
	default:
	}
}

func TestStreamsConcurrent(t *testing.T) {
	h := newStreamHub(t, hub.Options{})
	c := dial(t, h.url, client.Options{})
	ctx := testCtx(t)

	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			n := 200 + g
			got, err := collect(client.StreamOf[int](ctx, c, "Count", n))
			if err != nil || len(got) != n {
				t.Errorf("stream %d: %d items, %v", g, len(got), err)
				return
			}
			for i, v := range got {
				if v != i {
					t.Errorf("stream %d: item %d is %d", g, i, v)
					return
				}
			}
		})
		wg.Go(func() {
			want := fmt.Sprint("caller ", g)
			var got string
			if err := c.Invoke(ctx, "Echo", &got, want); err != nil || got != want {
				t.Errorf("Echo = %q, %v", got, err)
			}
		})
	}
	wg.Wait()
}

func TestStreamMessagePack(t *testing.T) {
	h := newStreamHub(t, hub.Options{})
	c := dial(t, h.url, client.Options{Protocol: protocol.MessagePack})
	ctx := testCtx(t)

	got, err := collect(client.StreamOf[int](ctx, c, "Count", 20))
	if err != nil || len(got) != 20 || got[19] != 19 {
		t.Errorf("Count(20) = %v, %v", got, err)
	}
	var s string
	if err := c.Invoke(ctx, "Concat", &s, "+", client.UploadOf(items("a", "b"))); err != nil || s != "a+b" {
		t.Errorf("Concat = %q, %v", s, err)
	}
	_, err = collect(client.StreamOf[int](ctx, c, "FailAfter", 1, "boom"))
	serverError(t, "FailAfter", err, "An error occurred on the server while streaming results. HubException: boom")
}

func TestUploads(t *testing.T) {
	h := newStreamHub(t, hub.Options{})
	c := dial(t, h.url, client.Options{})
	ctx := testCtx(t)

	var s string
	if err := c.Invoke(ctx, "Concat", &s, "-", client.UploadOf(items("a", "b", "c"))); err != nil || s != "a-b-c" {
		t.Errorf("Concat = %q, %v", s, err)
	}
	// The upload may come anywhere among the arguments.
	if err := c.Invoke(ctx, "Concat", &s, client.UploadOf(items("x", "y")), ","); err != nil || s != "x,y" {
		t.Errorf("Concat, upload first = %q, %v", s, err)
	}
	if err := c.Invoke(ctx, "Concat", &s, "-", client.UploadOf(items[string]())); err != nil || s != "" {
		t.Errorf("Concat of nothing = %q, %v", s, err)
	}
	if err := c.Invoke(ctx, "Concat", &s, "-", client.UploadOf[string](nil)); err != nil || s != "" {
		t.Errorf("Concat of a nil sequence = %q, %v", s, err)
	}
	// Many items: more than any buffer on the way.
	many := make([]string, 5000)
	for i := range many {
		many[i] = fmt.Sprint(i)
	}
	if err := c.Invoke(ctx, "Concat", &s, " ", client.UploadOf(items(many...))); err != nil || s != strings.Join(many, " ") {
		t.Errorf("Concat of 5000: %d bytes, %v", len(s), err)
	}

	// Two uploads; the hub reads the second first.
	var sum int
	if err := c.Invoke(ctx, "Sum2", &sum, client.UploadOf(items(1, 2)), client.UploadOf(items(3, 4))); err != nil || sum != 3412 {
		t.Errorf("Sum2 = %d, %v", sum, err)
	}

	// An upload into a stream.
	got, err := collect(client.StreamOf[int](ctx, c, "Scale", 10, client.UploadOf(items(1, 2, 3))))
	if err != nil || !slices.Equal(got, []int{10, 20, 30}) {
		t.Errorf("Scale = %v, %v", got, err)
	}

	// An upload in a Send.
	if err := c.Send(ctx, "Record", client.UploadOf(items("p", "q"))); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, h.recorded, "Record's upload"); !slices.Equal(got, []string{"p", "q"}) {
		t.Errorf("Record got %q", got)
	}
}

func TestUploadError(t *testing.T) {
	h := newStreamHub(t, hub.Options{})
	c := dial(t, h.url, client.Options{})
	ctx := testCtx(t)

	failing := client.UploadOf(func(yield func(int, error) bool) {
		if yield(1, nil) {
			yield(0, errors.New("sensor unplugged"))
		}
	})
	err := c.Invoke(ctx, "CheckUpload", nil, failing)
	serverError(t, "CheckUpload", err, "An unexpected error occurred invoking 'CheckUpload' on the server. HubException: sensor unplugged")
	var he *hub.Error
	if seen := recv(t, h.seen, "the hub's view"); !errors.As(seen, &he) || he.Message != "sensor unplugged" {
		t.Errorf("the hub method saw %#v", seen)
	}

	// An item that cannot be encoded fails the upload too.
	err = c.Invoke(ctx, "Concat", nil, "", client.UploadOf(items[any]("a", make(chan int))))
	if e := (*client.Error)(nil); !errors.As(err, &e) || !strings.Contains(e.Message, "HubException: client: cannot encode an item of upload stream") {
		t.Errorf("Concat of a chan: %v", err)
	}
	// A sequence that panics.
	err = c.Invoke(ctx, "CheckUpload", nil, client.UploadOf(func(yield func(int, error) bool) {
		panic("oops")
	}))
	serverError(t, "CheckUpload of a panic", err, "An unexpected error occurred invoking 'CheckUpload' on the server. HubException: client: the upload sequence panicked: oops")
	recv(t, h.seen, "the hub's view")

	// Invoke's ctx ends: the upload stops, and the hub sees why.
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	err = c.Invoke(short, "CheckUpload", nil, client.UploadOf(func(yield func(int, error) bool) {
		for i := 0; yield(i, nil); i++ {
			time.Sleep(time.Millisecond)
		}
	}))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Invoke with a short ctx = %v", err)
	}
	if seen := recv(t, h.seen, "the hub's view"); !errors.As(seen, &he) || he.Message != "context deadline exceeded" {
		t.Errorf("the hub method saw %#v", seen)
	}

	// A Send's upload stops when its ctx ends.
	sendCtx, cancelSend := context.WithCancel(ctx)
	first, release := make(chan struct{}), make(chan struct{})
	if err := c.Send(sendCtx, "Record", client.UploadOf(func(yield func(string, error) bool) {
		if !yield("first", nil) {
			return
		}
		close(first)
		<-release
		yield("second", nil)
	})); err != nil {
		t.Fatal(err)
	}
	recv(t, first, "the first item")
	cancelSend()
	close(release)
	if got := recv(t, h.recorded, "Record's upload"); !slices.Equal(got, []string{"first", "error: context canceled"}) {
		t.Errorf("Record got %q", got)
	}
}

// TestStreamClose: a stream running at Close ends with ErrConnectionClosed, an
// upload stops, and later streams and uploads fail.
func TestStreamClose(t *testing.T) {
	h := newStreamHub(t, hub.Options{})
	c := dial(t, h.url, client.Options{})
	ctx := testCtx(t)

	started := make(chan struct{})
	ended := make(chan error, 1)
	go func() {
		var end error
		for v, err := range client.StreamOf[int](ctx, c, "Forever", "close") {
			if v == 0 && err == nil {
				close(started)
			}
			end = err
		}
		ended <- end
	}()
	recv(t, started, "the stream")
	// An upload that would go on for ever.
	uploading := make(chan struct{})
	if err := c.Send(ctx, "CheckUpload", client.UploadOf(func(yield func(int, error) bool) {
		for i := 0; yield(i, nil); i++ {
			if i == 100 {
				close(uploading)
			}
		}
	})); err != nil {
		t.Fatal(err)
	}
	recv(t, uploading, "the upload")
	c.Close()
	if err := recv(t, ended, "the stream's end"); !errors.Is(err, client.ErrConnectionClosed) {
		t.Errorf("stream at Close ended with %v", err)
	}
	if _, err := collect(client.StreamOf[int](ctx, c, "Count", 1)); !errors.Is(err, client.ErrConnectionClosed) {
		t.Errorf("stream after Close = %v", err)
	}
	if err := c.Invoke(ctx, "Concat", nil, "", client.UploadOf(items("a"))); !errors.Is(err, client.ErrConnectionClosed) {
		t.Errorf("upload after Close = %v", err)
	}
	checkNoClientGoroutines(t)
}

// TestStreamBackpressure: a consumer that does not keep up holds the hub's
// producer back, through TCP, instead of the client buffering the stream.
func TestStreamBackpressure(t *testing.T) {
	h := newStreamHub(t, hub.Options{})
	c := dial(t, h.url, client.Options{})
	ctx := testCtx(t)

	const n, size = 4000, 16 << 10 // 64 MiB in all
	for _, err := range client.StreamOf[string](ctx, c, "Big", n, size) {
		if err != nil {
			t.Fatal(err)
		}
		// Wait until the producer stops.
		last := int64(-1)
		for p := h.produced.Load(); p != last; p = h.produced.Load() {
			last = p
			time.Sleep(200 * time.Millisecond)
		}
		t.Logf("the producer stopped after %d items (%d KiB)", last, last*size>>10)
		if last > n/2 {
			t.Errorf("the producer made %d items of %d while the consumer took one", last, n)
		}
		break
	}
	echoWorks(t, ctx, c, "after")
}

// TestStreamTransports: streams and uploads over each transport.
func TestStreamTransports(t *testing.T) {
	for name, tr := range map[string]client.Transports{"WebSockets": client.WebSockets, "ServerSentEvents": client.ServerSentEvents, "LongPolling": client.LongPolling} {
		t.Run(name, func(t *testing.T) {
			h := newStreamHub(t, hub.Options{})
			c := dial(t, h.url, client.Options{Transports: tr})
			ctx := testCtx(t)

			got, err := collect(client.StreamOf[int](ctx, c, "Count", 50))
			if err != nil || len(got) != 50 || got[49] != 49 {
				t.Errorf("Count(50) = %v, %v", got, err)
			}
			_, err = collect(client.StreamOf[int](ctx, c, "FailAfter", 1, "boom"))
			serverError(t, "FailAfter", err, "An error occurred on the server while streaming results. HubException: boom")
			for range client.StreamOf[int](ctx, c, "Forever", "break") {
				break
			}
			recv(t, h.cancelled, "the server's cancellation")
			var sum int
			if err := c.Invoke(ctx, "Sum2", &sum, client.UploadOf(items(1, 2)), client.UploadOf(items(3))); err != nil || sum != 312 {
				t.Errorf("Sum2 = %d, %v", sum, err)
			}
			scaled, err := collect(client.StreamOf[int](ctx, c, "Scale", 2, client.UploadOf(items(1, 2))))
			if err != nil || !slices.Equal(scaled, []int{2, 4}) {
				t.Errorf("Scale = %v, %v", scaled, err)
			}
		})
	}
}
