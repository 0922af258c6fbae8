package hub_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hubgen/hubgen/runtime/hub"
	"go.uber.org/goleak"
)

// heapInUse returns the heap in use after a full collection; two collections
// empty the sync.Pools too.
func heapInUse() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// TestChurn connects and disconnects a thousand clients, in waves, while
// broadcasts go out: in the end no connection, goroutine or memory is left.
func TestChurn(t *testing.T) {
	waves, perWave := 10, 100
	if testing.Short() {
		waves = 2
	}
	lifetime := hub.NewMemoryLifetime()
	var disconnected atomic.Int64
	h := newTestHub(t, hub.Options{
		Lifetime:       lifetime,
		Logger:         quietLogger(),
		OnDisconnected: func(ctx context.Context, c *hub.Conn, err error) { disconnected.Add(1) },
		OnConnected: func(ctx context.Context, c *hub.Conn) error {
			return lifetime.AddToGroup(ctx, c.ID(), "churn")
		},
	}, echo)
	leaks := goleak.IgnoreCurrent()
	before := heapInUse()
	start := time.Now()

	// Broadcasts, to everyone and to a group, all along.
	stop := make(chan struct{})
	var broadcasts sync.WaitGroup
	var sent atomic.Int64
	broadcasts.Go(func() {
		ctx := context.Background()
		payload := strings.Repeat("b", 512)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			h.Clients().All().Send(ctx, "Tick", i, payload)
			h.Clients().Group("churn").Send(ctx, "Group", i)
			sent.Add(2)
		}
	})

	ws := "ws" + strings.TrimPrefix(h.url, "http")
	var failures atomic.Int64
	for wave := range waves {
		var clients sync.WaitGroup
		for i := range perWave {
			clients.Go(func() {
				if err := churnClient(ws, wave*perWave+i); err != nil {
					if failures.Add(1) <= 5 {
						t.Errorf("client %d: %v", wave*perWave+i, err)
					}
				}
			})
		}
		clients.Wait()
	}
	close(stop)
	broadcasts.Wait()

	total := int64(waves * perWave)
	deadline := time.Now().Add(30 * time.Second)
	for disconnected.Load() != total || hub.OpenConns(h.Server) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d connections ended; the server holds %d", disconnected.Load(), total, hub.OpenConns(h.Server))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if conns, groups, users := lifetime.Len(); conns+groups+users != 0 {
		t.Errorf("the lifetime manager holds %d connections, %d groups, %d users", conns, groups, users)
	}
	// The heartbeat ends at its next tick, with nothing left to watch: the
	// leak check below waits for it.
	goleak.VerifyNone(t, leaks)
	after := heapInUse()
	growth := int64(after) - int64(before)
	t.Logf("%d clients in %d waves, %d broadcasts, in %v; heap in use %.1f MiB before, %.1f MiB after (%+.2f MiB)",
		total, waves, sent.Load(), time.Since(start).Round(time.Millisecond), mib(before), mib(after), float64(growth)/(1<<20))
	if growth > 5<<20 {
		t.Errorf("the heap in use grew by %.1f MiB", float64(growth)/(1<<20))
	}
}

func mib(n uint64) float64 { return float64(n) / (1 << 20) }

// churnClient connects, reads a little of the broadcasts, and leaves: one in
// two cleanly (a Close message, then the close handshake), the others by
// cutting the TCP connection, some in the middle of a message.
func churnClient(url string, n int) error {
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		return err
	}
	defer ws.Close()
	ws.SetReadDeadline(time.Now().Add(20 * time.Second))
	if err := ws.WriteMessage(websocket.TextMessage, []byte(`{"protocol":"json","version":1}`+rs)); err != nil {
		return err
	}
	for read := 0; read < 1+n%5; read++ {
		if _, _, err := ws.ReadMessage(); err != nil {
			return fmt.Errorf("read %d: %w", read, err)
		}
	}
	switch n % 4 {
	case 0, 1:
		ws.WriteMessage(websocket.TextMessage, []byte(`{"type":7}`+rs))
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				if !isCloseCode(err, websocket.CloseNormalClosure) {
					return fmt.Errorf("close: %w", err)
				}
				return nil
			}
		}
	case 2:
		ws.WriteMessage(websocket.TextMessage, []byte(`{"type":1,"target":"Echo","argu`))
	}
	return ws.NetConn().Close()
}

// broadcasts reads, on one connection, the broadcasts to target "T", whose
// arguments are [sequence number, time sent in Unix nanoseconds, payload]: it
// hands on each one's sequence number as it arrives and records how long it
// took.
type broadcasts struct {
	ws   *websocket.Conn
	seqs chan int      // the sequence number of each broadcast, in arrival order
	stop chan struct{} // closed to end the reader
	mu   sync.Mutex
	lat  []time.Duration
	err  error // why the reader ended, once seqs is closed
	got  int   // broadcasts taken from seqs by next
}

// readBroadcasts starts reading ws; stop ends it.
func readBroadcasts(ws *websocket.Conn, stop chan struct{}) *broadcasts {
	ws.SetReadDeadline(time.Time{}) // connect left one
	r := &broadcasts{ws: ws, seqs: make(chan int, 64), stop: stop}
	go r.run()
	return r
}

func (r *broadcasts) run() {
	defer close(r.seqs)
	const prefix = `{"type":1,"target":"T","arguments":[`
	var pending []byte
	for {
		_, data, err := r.ws.ReadMessage()
		if err != nil {
			r.err = err
			return
		}
		now := time.Now()
		pending = append(pending, data...)
		for {
			i := bytes.IndexByte(pending, 0x1e)
			if i < 0 {
				break
			}
			rec := pending[:i]
			pending = pending[i+1:]
			if !bytes.HasPrefix(rec, []byte(prefix)) {
				continue // a ping
			}
			// Only the numbers are parsed, to keep the reader cheap.
			fields := bytes.SplitN(rec[len(prefix):], []byte(","), 3)
			if len(fields) != 3 {
				r.err = fmt.Errorf("broadcast %.60q", rec)
				return
			}
			seq, err1 := strconv.Atoi(string(fields[0]))
			sentAt, err2 := strconv.ParseInt(string(fields[1]), 10, 64)
			if err1 != nil || err2 != nil {
				r.err = fmt.Errorf("broadcast %.60q", rec)
				return
			}
			r.mu.Lock()
			r.lat = append(r.lat, now.Sub(time.Unix(0, sentAt)))
			r.mu.Unlock()
			select {
			case r.seqs <- seq:
			case <-r.stop:
				return
			}
		}
	}
}

// next waits for the next broadcast and checks that it is the one after the
// last.
func (r *broadcasts) next(tb testing.TB) {
	tb.Helper()
	select {
	case seq, ok := <-r.seqs:
		if !ok {
			tb.Fatalf("broadcast %d did not arrive: %v", r.got, r.err)
		}
		if seq != r.got {
			tb.Fatalf("got broadcast %d, want %d", seq, r.got)
		}
		r.got++
	case <-time.After(30 * time.Second):
		tb.Fatalf("broadcast %d did not arrive", r.got)
	}
}

// upTo waits until broadcasts 0 to n-1 have all arrived, in order.
func (r *broadcasts) upTo(tb testing.TB, n int) {
	tb.Helper()
	for r.got < n {
		r.next(tb)
	}
}

// latencies returns how long the broadcasts took to arrive.
func (r *broadcasts) latencies() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.lat)
}

// window is how many broadcasts the loops below may send ahead of the
// slowest healthy client: 3 of 16 KiB stay under the 64 KiB queue the test
// gives each connection.
const window = 3

// TestStalledClientIsDroppedOthersGetEverything broadcasts to healthy
// clients and to one that never reads: its queue fills until the server drops
// it, while every healthy client gets every broadcast, in order, before and
// after.
func TestStalledClientIsDroppedOthersGetEverything(t *testing.T) {
	const healthy, after = 10, 50
	disconnected := make(chan string, healthy+1)
	h := newTestHub(t, hub.Options{
		Logger:       quietLogger(),
		MaxQueueSize: 64 << 10,
		OnDisconnected: func(ctx context.Context, c *hub.Conn, err error) {
			disconnected <- c.ID()
		},
	}, whoAmI)
	stop := make(chan struct{})
	defer close(stop)
	var readers []*broadcasts
	for range healthy {
		readers = append(readers, readBroadcasts(connect(t, h.url).ws, stop))
	}
	// It answers once, and then reads nothing: its kernel buffers fill,
	// then its queue on the server. (Unlike stalledClient, its receive
	// buffer is left as it is: through a shrunk one, the kernel takes
	// minutes to deliver what it holds, before the close can be read.)
	stalled := connect(t, h.url)
	stalledID := stalled.invoke("1", "WhoAmI")["result"].(string)

	// 16 KiB broadcasts, until the stalled client is dropped and then
	// another 50; the healthy clients read them as they come, the loop
	// waits only for the slowest to be within the window.
	payload := strings.Repeat("x", 16<<10)
	ctx := context.Background()
	dropped := -1
	sent := 0
	for ; dropped < 0 || sent < dropped+after; sent++ {
		if sent > 100_000 {
			t.Fatal("the stalled client was never dropped")
		}
		for _, r := range readers {
			if sent-r.got >= window {
				r.next(t)
			}
		}
		if err := h.Clients().All().Send(ctx, "T", sent, time.Now().UnixNano(), payload); err != nil {
			t.Fatal(err)
		}
		select {
		case id := <-disconnected:
			if id != stalledID {
				t.Fatalf("the server dropped %s, a healthy client, not the stalled %s", id, stalledID)
			}
			dropped = sent
		default:
		}
	}
	for _, r := range readers {
		r.upTo(t, sent)
	}
	// The stalled client finds its connection closed once it reads what the
	// kernel holds for it.
	_, err := stalled.closed()
	if isTimeout(err) {
		t.Errorf("the stalled client's connection is still open: %v", err)
	}
	select {
	case id := <-disconnected:
		t.Errorf("the server dropped %s too", id)
	default:
	}
	t.Logf("the stalled client was dropped at broadcast %d of %d", dropped, sent)
}

// isTimeout reports whether err is a read deadline passing.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// percentile returns the p-th percentile of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// BenchmarkStalledClient measures how long broadcasts of 16 KiB take to reach
// 10 healthy clients, alone and with a client that reads nothing and whose
// queue may hold everything (so it stays): its p50 and p99 latency should
// not grow much with the stalled client.
func BenchmarkStalledClient(b *testing.B) {
	for _, withStalled := range []bool{false, true} {
		name := "alone"
		if withStalled {
			name = "with-stalled"
		}
		b.Run(name, func(b *testing.B) {
			const healthy = 10
			srv := hub.New([]hub.Method{whoAmI}, hub.Options{Logger: quietLogger(), MaxQueueSize: 1 << 30})
			mux := http.NewServeMux()
			srv.Mount(mux, "/hub")
			ts := httptest.NewServer(mux)
			defer ts.Close()
			url := "ws" + strings.TrimPrefix(ts.URL, "http") + "/hub"
			stop := make(chan struct{})
			defer close(stop)
			var readers []*broadcasts
			for range healthy {
				readers = append(readers, readBroadcasts(benchConnect(b, url), stop))
			}
			if withStalled {
				ws := benchConnect(b, url)
				if tcp, ok := ws.NetConn().(*net.TCPConn); ok {
					tcp.SetReadBuffer(4096)
				}
				// Closed before Shutdown, which would wait for its write to
				// time out.
				defer srv.Shutdown(context.Background())
				defer ws.Close()
			} else {
				defer srv.Shutdown(context.Background())
			}
			payload := strings.Repeat("x", 16<<10)
			ctx := context.Background()
			b.ResetTimer()
			for i := range b.N {
				for _, r := range readers {
					if i-r.got >= window {
						r.next(b)
					}
				}
				if err := srv.Clients().All().Send(ctx, "T", i, time.Now().UnixNano(), payload); err != nil {
					b.Fatal(err)
				}
			}
			var all []time.Duration
			for _, r := range readers {
				r.upTo(b, b.N)
				all = append(all, r.latencies()...)
			}
			b.StopTimer()
			b.ReportMetric(float64(percentile(all, 0.5).Microseconds()), "p50-µs")
			b.ReportMetric(float64(percentile(all, 0.99).Microseconds()), "p99-µs")
		})
	}
}

// benchConnect opens a WebSocket to the hub and completes the handshake.
func benchConnect(b *testing.B, url string) *websocket.Conn {
	b.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ws.Close() })
	if err := ws.WriteMessage(websocket.TextMessage, []byte(`{"protocol":"json","version":1}`+rs)); err != nil {
		b.Fatal(err)
	}
	if _, data, err := ws.ReadMessage(); err != nil || string(data) != "{}"+rs {
		b.Fatalf("handshake: %q, %v", data, err)
	}
	return ws
}
