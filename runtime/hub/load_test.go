package hub_test

import (
	"bytes"
	"context"
	"fmt"
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
	// The heartbeat ends at its next tick, with nothing left to watch.
	for hub.Beating(h.Server) {
		if time.Now().After(deadline) {
			t.Fatal("the heartbeat goes on")
		}
		time.Sleep(10 * time.Millisecond)
	}
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

// latencies receives broadcasts on a connection and records how long each
// took to arrive.
type latencies struct {
	mu  sync.Mutex
	got []time.Duration
}

func (l *latencies) record(ws *websocket.Conn, done chan<- struct{}) {
	defer close(done)
	var pending []byte
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			return
		}
		now := time.Now()
		pending = append(pending, data...)
		for {
			i := bytes.IndexByte(pending, 0x1e)
			if i < 0 {
				break
			}
			// {"type":1,"target":"T","arguments":[<sent at>,"xxx…"]}: only the
			// time is read, to keep the reader cheap.
			const prefix = `{"type":1,"target":"T","arguments":[`
			if rec := pending[:i]; bytes.HasPrefix(rec, []byte(prefix)) {
				rec = rec[len(prefix):]
				if sentAt, err := strconv.ParseInt(string(rec[:bytes.IndexByte(rec, ',')]), 10, 64); err == nil {
					l.mu.Lock()
					l.got = append(l.got, now.Sub(time.Unix(0, sentAt)))
					l.mu.Unlock()
				}
			}
			pending = pending[i+1:]
		}
	}
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

// TestStalledClientDoesNotSlowOthers broadcasts to healthy clients, first
// alone, then with one client that stopped reading: the others' p99 latency
// must stay within twice its baseline (with some slack for a shared
// machine).
func TestStalledClientDoesNotSlowOthers(t *testing.T) {
	if testing.Short() {
		t.Skip("measures latencies")
	}
	const healthy, messages = 10, 300
	interval := 5 * time.Millisecond
	if raceEnabled {
		interval = 10 * time.Millisecond // the race detector slows everything down
	}
	disconnected := make(chan string, 1)
	h := newTestHub(t, hub.Options{
		Logger:       quietLogger(),
		MaxQueueSize: 64 << 20, // the stalled client stays for the whole test
		OnDisconnected: func(ctx context.Context, c *hub.Conn, err error) {
			select {
			case disconnected <- c.ID():
			default:
			}
		},
	}, echo, whoAmI)
	var recorders []*latencies
	var done []chan struct{}
	for range healthy {
		c := connect(t, h.url)
		l := &latencies{}
		d := make(chan struct{})
		go l.record(c.ws, d)
		recorders, done = append(recorders, l), append(done, d)
	}
	// 300 messages of 16 KiB: more than the kernel buffers of the stalled
	// client's connection hold, so that its writes do stall.
	payload := strings.Repeat("x", 16<<10)
	phase := func(name string) (p50, p99, max time.Duration) {
		for _, l := range recorders {
			l.mu.Lock()
			l.got = l.got[:0]
			l.mu.Unlock()
		}
		ctx := context.Background()
		for range messages {
			h.Clients().All().Send(ctx, "T", time.Now().UnixNano(), payload)
			time.Sleep(interval)
		}
		// Wait for the last ones to arrive.
		deadline := time.Now().Add(10 * time.Second)
		var all []time.Duration
		for {
			all = all[:0]
			for _, l := range recorders {
				l.mu.Lock()
				all = append(all, l.got...)
				l.mu.Unlock()
			}
			if len(all) >= healthy*messages || time.Now().After(deadline) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if len(all) != healthy*messages {
			var counts []int
			for _, l := range recorders {
				l.mu.Lock()
				counts = append(counts, len(l.got))
				l.mu.Unlock()
			}
			t.Fatalf("%s: the healthy clients received %v messages, want %d each", name, counts, messages)
		}
		return percentile(all, 0.5), percentile(all, 0.99), percentile(all, 1)
	}
	base50, base99, baseMax := phase("alone")

	stalled := stalledClient(t, h.url)
	stalledID := stalled.invoke("1", "WhoAmI")["result"].(string)
	p50, p99, pMax := phase("with a stalled client")
	queued := hub.Queued(h.Server, stalledID)
	dropped := false
	select {
	case id := <-disconnected:
		dropped = id == stalledID
	default:
	}
	// The stalled client goes away (Shutdown would otherwise wait for its write
	// to time out), and the baseline is measured again: the machine is shared.
	stalled.ws.NetConn().Close()
	after50, after99, afterMax := phase("alone again")
	t.Logf("%d healthy clients, %d broadcasts of %d KiB every %v: p50/p99/max %v/%v/%v alone, %v/%v/%v with a stalled client (%d KiB queued for it, dropped: %v), %v/%v/%v alone again",
		healthy, messages, len(payload)>>10, interval, base50, base99, baseMax, p50, p99, pMax, queued>>10, dropped, after50, after99, afterMax)
	if queued <= 0 && !dropped {
		t.Errorf("the stalled client took everything: the test stalled nothing")
	}
	baseline := max(base99, after99)
	if limit := max(2*baseline, baseline+20*time.Millisecond); p99 > limit {
		t.Errorf("p99 latency %v with a stalled client, over %v (baseline %v)", p99, limit, baseline)
	}
	h.Shutdown(context.Background())
	for _, d := range done {
		<-d
	}
}
