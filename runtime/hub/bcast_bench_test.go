package hub

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/hubgen/hubgen/runtime/transport"
)

// BenchmarkBroadcast measures a broadcast to 10,000 connections whose
// transports take every write at once: the server's own cost per delivery.
func BenchmarkBroadcast(b *testing.B) {
	srv := New([]Method{{Name: "X", Call: func(context.Context, Args) (any, error) { return nil, nil }}}, Options{Logger: slog.New(slog.DiscardHandler)})
	for i := range 10000 {
		lc := transport.NewConn(transport.WebSockets, fmt.Sprint(i), httptest.NewRequest("GET", "/", nil), nil, &discard{})
		c := newConn(srv, lc)
		if err := c.read([]byte(`{"protocol":"json","version":1}` + "\x1e")); err != nil {
			b.Fatal(err)
		}
	}
	all := srv.Clients().All()
	payload := make([]byte, 100)
	for i := range payload {
		payload[i] = 'x'
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		all.Send(context.Background(), "Data", i, string(payload))
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*10000), "ns/delivery")
}
