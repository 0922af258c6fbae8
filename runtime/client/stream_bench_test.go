package client_test

import (
	"context"
	"io"
	"iter"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hubgen/hubgen/runtime/client"
	"github.com/hubgen/hubgen/runtime/hub"
)

// BenchmarkStream measures the items per second that a hub streams to the Go
// client (StreamOf of a 64-byte string, each item decoded), and in the same run
// the items per second of a bare gorilla/websocket server that writes the same
// records, one text frame each, to a bare client that reads them. The "ratio"
// metric is the first over the second. The two run in alternate rounds, so that
// a change in the machine's load affects both.
func BenchmarkStream(b *testing.B) {
	stream := hubStreamRound(b)
	raw := rawStreamRound(b)
	const rounds = 10
	var streamTime, rawTime time.Duration
	for i := range rounds {
		n := b.N / rounds
		if i < b.N%rounds {
			n++
		}
		if n == 0 {
			continue
		}
		rawTime += raw(n)
		streamTime += stream(n)
	}
	items, rawItems := float64(b.N)/streamTime.Seconds(), float64(b.N)/rawTime.Seconds()
	b.ReportMetric(items, "items/s")
	b.ReportMetric(rawItems, "raw-items/s")
	b.ReportMetric(items/rawItems, "ratio")
}

// hubStreamRound starts a hub whose Items method streams n copies of payload,
// and connects to it; a round is a StreamOf of n items, read to the end.
func hubStreamRound(b *testing.B) func(n int) time.Duration {
	srv := hub.New([]hub.Method{{Name: "Items", Args: 1, Stream: func(ctx context.Context, a hub.Args) (iter.Seq2[any, error], error) {
		n, err := hub.Arg[int](a, 0)
		if err != nil {
			return nil, err
		}
		return hub.StreamOf(func(yield func(string, error) bool) {
			for range n {
				if !yield(payload, nil) {
					return
				}
			}
		}), nil
	}}}, hub.Options{Logger: quiet})
	mux := http.NewServeMux()
	srv.Mount(mux, "/hub")
	ts := httptest.NewServer(mux)
	b.Cleanup(func() {
		srv.Shutdown(context.Background())
		ts.Close()
	})
	c := dial(b, ts.URL+"/hub", client.Options{})
	ctx := context.Background()
	return func(n int) time.Duration {
		start := time.Now()
		got := 0
		for s, err := range client.StreamOf[string](ctx, c, "Items", n) {
			if err != nil || len(s) != len(payload) {
				b.Fatalf("item %d: %q, %v", got, s, err)
			}
			got++
		}
		if got != n {
			b.Fatalf("got %d items, want %d", got, n)
		}
		return time.Since(start)
	}
}

// rawStreamRound starts a gorilla/websocket server that, asked for n, writes n
// StreamItem records of payload, one text frame each; a round reads them.
func rawStreamRound(b *testing.B) func(n int) time.Duration {
	record := []byte(`{"type":2,"invocationId":"0","item":"` + payload + `"}` + "\x1e")
	ws := rawWebSocket(b, func(ws *websocket.Conn, _ int, p []byte) error {
		n, _ := strconv.Atoi(string(p))
		for range n {
			if err := ws.WriteMessage(websocket.TextMessage, record); err != nil {
				return err
			}
		}
		return nil
	})()
	buf := make([]byte, 4096)
	return func(n int) time.Duration {
		start := time.Now()
		if err := ws.WriteMessage(websocket.TextMessage, []byte(strconv.Itoa(n))); err != nil {
			b.Fatal(err)
		}
		for i := range n {
			_, r, err := ws.NextReader()
			if err != nil {
				b.Fatal(err)
			}
			size := 0
			for {
				k, err := r.Read(buf)
				size += k
				if err == io.EOF {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			if size != len(record) {
				b.Fatalf("frame %d: %d bytes, want %d", i, size, len(record))
			}
		}
		return time.Since(start)
	}
}
