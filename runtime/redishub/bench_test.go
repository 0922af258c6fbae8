package redishub_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hubgen/hubgen/runtime/hub"
	"github.com/hubgen/hubgen/runtime/redishub"
	"github.com/redis/go-redis/v9"
)

// BenchmarkBroadcast measures, in one run, broadcasts to benchClients
// WebSocket clients:
//
//   - local: the hub with the in-memory lifetime manager, clients on the same
//     server: the baseline;
//   - local-redis: the same with a redishub.Lifetime, which also publishes
//     each broadcast;
//   - cross-server: sent on one server, received by the clients of another
//     through Redis, from one goroutine and from several;
//   - publish: the floor, go-redis PUBLISH of a payload of the same size to a
//     subscribed channel, one at a time and pipelined by 100;
//   - redis-benchmark: Redis's own tool publishing the same payload, when it
//     is installed and REDIS_ADDR is set.
//
// It reports deliveries (messages received by clients) or publishes per
// second, and logs the ratios at the end. Against miniredis (no REDIS_ADDR)
// the Redis figures say little.
func BenchmarkBroadcast(b *testing.B) {
	r := newRedis(b)
	rates := map[string]float64{}
	record := func(name string, rate float64) { rates[name] = rate } // the last run has the largest b.N

	b.Run("local", func(b *testing.B) {
		s := benchServer(b, hub.NewMemoryLifetime())
		record("local", benchDeliveries(b, s, s, 1))
	})
	b.Run("local-redis", func(b *testing.B) {
		s := benchServer(b, r.lifetime(b, redishub.Options{}))
		record("local-redis", benchDeliveries(b, s, s, 1))
	})
	b.Run("cross-server", func(b *testing.B) {
		from, to := benchServer(b, r.lifetime(b, redishub.Options{})), benchServer(b, r.lifetime(b, redishub.Options{}))
		record("cross-server", benchDeliveries(b, from, to, 1))
	})
	b.Run("cross-server-8-senders", func(b *testing.B) {
		from, to := benchServer(b, r.lifetime(b, redishub.Options{})), benchServer(b, r.lifetime(b, redishub.Options{}))
		record("cross-server-8-senders", benchDeliveries(b, from, to, 8))
	})
	size := benchPayloadSize(b, r)
	payload := bytes.Repeat([]byte("x"), size)
	b.Run("publish", func(b *testing.B) { record("publish", benchPublish(b, r, payload, 1)) })
	b.Run("publish-pipelined", func(b *testing.B) { record("publish-pipelined", benchPublish(b, r, payload, 100)) })
	if tool, err := exec.LookPath("redis-benchmark"); err == nil && realRedis != "" {
		b.Run("redis-benchmark", func(b *testing.B) { record("redis-benchmark", redisBenchmark(b, r, tool, payload, 1)) })
		b.Run("redis-benchmark-pipelined", func(b *testing.B) { record("redis-benchmark-pipelined", redisBenchmark(b, r, tool, payload, 100)) })
	}

	// The summary goes to the output as it is: a benchmark with
	// sub-benchmarks logs only with -v.
	logf := func(format string, args ...any) { fmt.Printf("# "+format+"\n", args...) }
	local, cross := rates["local"], rates["cross-server"]
	perClient := func(name string) float64 { return rates[name] / benchClients }
	logf("payload over Redis: %d bytes; %d clients", size, benchClients)
	logf("deliveries/s: local %.0f, local with redishub %.0f, cross-server %.0f (%.0f with 8 senders)",
		local, rates["local-redis"], cross, rates["cross-server-8-senders"])
	logf("broadcasts/s: local %.0f, local with redishub %.0f, cross-server %.0f (%.0f with 8 senders)",
		perClient("local"), perClient("local-redis"), perClient("cross-server"), perClient("cross-server-8-senders"))
	logf("PUBLISH/s: go-redis %.0f, pipelined %.0f; redis-benchmark %.0f, pipelined %.0f",
		rates["publish"], rates["publish-pipelined"], rates["redis-benchmark"], rates["redis-benchmark-pipelined"])
	if local > 0 && cross > 0 {
		logf("cross-server / local deliveries: %.2f", cross/local)
		logf("cross-server broadcasts / go-redis PUBLISH: %.2f", perClient("cross-server")/rates["publish"])
		if rates["redis-benchmark"] > 0 {
			logf("cross-server broadcasts / redis-benchmark PUBLISH: %.2f", perClient("cross-server")/rates["redis-benchmark"])
		}
	}
}

const benchClients = 20

type benchHub struct {
	*hub.Server
	url       string
	delivered atomic.Int64
}

// benchServer serves a hub with benchClients raw WebSocket clients that count
// the invocations they receive.
func benchServer(b *testing.B, lm hub.LifetimeManager) *benchHub {
	srv := hub.New([]hub.Method{ping}, hub.Options{Lifetime: lm, MaxQueueSize: 64 << 20, Logger: testLogger(b)})
	mux := http.NewServeMux()
	srv.Mount(mux, "/hub")
	ts := httptest.NewServer(mux)
	h := &benchHub{Server: srv, url: "ws" + strings.TrimPrefix(ts.URL, "http") + "/hub"}
	var wg sync.WaitGroup
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		ts.Close()
		wg.Wait()
	})
	for range benchClients {
		ws, _, err := websocket.DefaultDialer.Dial(h.url, nil)
		if err != nil {
			b.Fatal(err)
		}
		ws.WriteMessage(websocket.TextMessage, []byte(`{"protocol":"json","version":1}`+"\x1e"+
			`{"type":1,"invocationId":"1","target":"Ping","arguments":[]}`+"\x1e"))
		// The handshake response, then Ping's completion: the connection is
		// registered.
		var got []byte
		for !bytes.Contains(got, []byte(`"type":3`)) {
			_, data, err := ws.ReadMessage()
			if err != nil {
				b.Fatal(err)
			}
			got = append(got, data...)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer ws.Close()
			for {
				_, data, err := ws.ReadMessage()
				if err != nil {
					return
				}
				h.delivered.Add(int64(bytes.Count(data, []byte(`{"type":1,`))))
			}
		}()
	}
	return h
}

// benchDeliveries broadcasts b.N times from one server, from senders
// goroutines, and waits until the clients of another have received every
// message. It returns the deliveries per second.
func benchDeliveries(b *testing.B, from, to *benchHub, senders int) float64 {
	ctx := context.Background()
	want := to.delivered.Load() + int64(b.N)*benchClients
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	var next atomic.Int64
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				if err := from.Clients().All().Send(ctx, "Tick", "the time is", 42); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	deadline := time.Now().Add(30 * time.Second)
	for to.delivered.Load() < want {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d deliveries after 30 s", to.delivered.Load()-(want-int64(b.N)*benchClients), int64(b.N)*benchClients)
		}
		time.Sleep(100 * time.Microsecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	rate := float64(b.N) * benchClients / elapsed.Seconds()
	b.ReportMetric(rate, "deliveries/s")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "broadcasts/s")
	return rate
}

// benchPayloadSize returns the size of what a broadcast of the benchmark
// publishes.
func benchPayloadSize(b *testing.B, r *testRedis) int {
	ctx := context.Background()
	rdb := r.client(b)
	sub := rdb.Subscribe(ctx, r.prefix+":all")
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil {
		b.Fatal(err)
	}
	lt := r.lifetime(b, redishub.Options{})
	if err := lt.SendAll(ctx, hub.NewInvocation("Tick", "the time is", 42), nil); err != nil {
		b.Fatal(err)
	}
	msg, err := sub.ReceiveMessage(ctx)
	if err != nil {
		b.Fatal(err)
	}
	return len(msg.Payload)
}

// benchPublish publishes b.N payloads to a channel with one subscriber, in
// pipelines of batch, and waits until the subscriber has them all. It returns
// the publishes per second.
func benchPublish(b *testing.B, r *testRedis, payload []byte, batch int) float64 {
	ctx := context.Background()
	rdb := r.client(b)
	channel := r.prefix + ":bench"
	sub := rdb.Subscribe(ctx, channel)
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil {
		b.Fatal(err)
	}
	received := make(chan struct{})
	go func() {
		defer close(received)
		for range b.N {
			if _, err := sub.ReceiveMessage(ctx); err != nil {
				b.Error(err)
				return
			}
		}
	}()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i += batch {
		n := min(batch, b.N-i)
		var err error
		if n == 1 {
			err = rdb.Publish(ctx, channel, payload).Err()
		} else {
			_, err = rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
				for range n {
					p.Publish(ctx, channel, payload)
				}
				return nil
			})
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	<-received
	elapsed := time.Since(start)
	b.StopTimer()
	rate := float64(b.N) / elapsed.Seconds()
	b.ReportMetric(rate, "publishes/s")
	return rate
}

// redisBenchmark runs redis-benchmark's PUBLISH of the payload, b.N times,
// from one connection with pipeline requests in flight, to a channel with
// one subscriber, and returns the rate it reports.
func redisBenchmark(b *testing.B, r *testRedis, tool string, payload []byte, pipeline int) float64 {
	host, port, err := net.SplitHostPort(realRedis)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	channel := r.prefix + ":redis-benchmark"
	sub := r.client(b).Subscribe(ctx, channel)
	if _, err := sub.Receive(ctx); err != nil {
		b.Fatal(err)
	}
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		for {
			if _, err := sub.ReceiveMessage(ctx); err != nil {
				return
			}
		}
	}()
	defer func() { sub.Close(); <-drained }()
	cmd := exec.Command(tool, "-h", host, "-p", port, "-c", "1", "-P", strconv.Itoa(pipeline),
		"-n", strconv.Itoa(max(b.N, pipeline)), "-q", "PUBLISH", channel, string(payload))
	b.ResetTimer()
	out, err := cmd.CombinedOutput()
	b.StopTimer()
	if err != nil {
		b.Fatalf("redis-benchmark: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`([\d.]+|inf) requests per second`).FindSubmatch(out)
	if m == nil {
		b.Fatalf("redis-benchmark said: %s", out)
	}
	rate, _ := strconv.ParseFloat(string(m[1]), 64) // "inf" for too few requests: 0
	b.ReportMetric(rate, "publishes/s")
	return rate
}
