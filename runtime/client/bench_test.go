package client_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hubgen/hubgen/runtime/client"
	"github.com/hubgen/hubgen/runtime/hub"
	"github.com/hubgen/hubgen/runtime/protocol"
)

// callers is the number of goroutines that make round trips at once.
const callers = 64

var payload = strings.Repeat("x", 64)

// BenchmarkInvoke64 measures Invoke round trips per second against the hub
// server (an Echo of a 64-byte string, 64 callers at once), and in the same
// run the round trips of a bare gorilla/websocket echo over 64 connections with
// the same payload. The "ratio" metric is the first over the second. The two
// run in alternate rounds, so that a change in the machine's load affects both.
//
// shared: the 64 callers share one Conn; conns: each has a Conn of its own.
func BenchmarkInvoke64(b *testing.B) {
	for _, conns := range []int{1, callers} {
		name := "shared"
		if conns > 1 {
			name = "conns"
		}
		b.Run(name, func(b *testing.B) {
			invoke := invokeTrip(b, conns, protocol.JSON)
			raw := rawEchoTrip(b)
			const rounds = 10
			var invokeTime, rawTime time.Duration
			for i := range rounds {
				n := b.N / rounds
				if i < b.N%rounds {
					n++
				}
				rawTime += roundTrips(b, n, raw)
				invokeTime += roundTrips(b, n, invoke)
			}
			calls, rawCalls := float64(b.N)/invokeTime.Seconds(), float64(b.N)/rawTime.Seconds()
			b.ReportMetric(calls, "calls/s")
			b.ReportMetric(rawCalls, "raw-calls/s")
			b.ReportMetric(calls/rawCalls, "ratio")
		})
	}
}

// roundTrips runs n round trips over callers goroutines and returns the time
// they took. trip runs one round trip for caller g.
func roundTrips(b *testing.B, n int, trip func(g int) error) time.Duration {
	var left atomic.Int64
	left.Store(int64(n))
	var wg sync.WaitGroup
	start := time.Now()
	for g := range callers {
		wg.Go(func() {
			for left.Add(-1) >= 0 {
				if err := trip(g); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start)
}

// invokeTrip starts a hub server and connects to it with conns Conns that
// speak proto; a trip is an Invoke of Echo.
func invokeTrip(b *testing.B, conns int, proto protocol.Protocol) func(g int) error {
	srv := hub.New([]hub.Method{{Name: "Echo", Args: 1, Call: func(ctx context.Context, a hub.Args) (any, error) {
		return hub.Arg[string](a, 0)
	}}}, hub.Options{Logger: quiet})
	mux := http.NewServeMux()
	srv.Mount(mux, "/hub")
	ts := httptest.NewServer(mux)
	b.Cleanup(func() {
		srv.Shutdown(context.Background())
		ts.Close()
	})
	cs := make([]*client.Conn, conns)
	for i := range cs {
		cs[i] = dial(b, ts.URL+"/hub", client.Options{Protocol: proto})
	}
	ctx := context.Background()
	return func(g int) error {
		var reply string
		return cs[g%conns].Invoke(ctx, "Echo", &reply, payload)
	}
}

// rawWebSocket starts a plain gorilla/websocket server, the baseline of the
// benchmarks: serve answers each message a connection reads. It returns a
// dialer for it whose connections close at the end of the benchmark.
func rawWebSocket(b *testing.B, serve func(ws *websocket.Conn, kind int, p []byte) error) func() *websocket.Conn {
	upgrader := websocket.Upgrader{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		for {
			kind, p, err := ws.ReadMessage()
			if err != nil || serve(ws, kind, p) != nil {
				return
			}
		}
	}))
	b.Cleanup(ts.Close)
	return func() *websocket.Conn {
		ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(ts.URL, "http"), nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { ws.Close() })
		return ws
	}
}

// rawEchoTrip starts a gorilla/websocket echo server and opens a connection
// per caller; a trip is a message there and back.
func rawEchoTrip(b *testing.B) func(g int) error {
	dial := rawWebSocket(b, func(ws *websocket.Conn, kind int, p []byte) error {
		return ws.WriteMessage(kind, p)
	})
	wss := make([]*websocket.Conn, callers)
	for i := range wss {
		wss[i] = dial()
	}
	msg := []byte(payload)
	return func(g int) error {
		ws := wss[g]
		if err := ws.WriteMessage(websocket.TextMessage, msg); err != nil {
			return err
		}
		_, _, err := ws.ReadMessage()
		return err
	}
}
