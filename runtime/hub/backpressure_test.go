package hub

import (
	"context"
	"iter"
	"log/slog"
	"testing"
	"time"
)

// gate is a carrier whose writes wait until the test lets them through.
type gate struct{ open chan struct{} }

func (*gate) Next() ([]byte, error)  { select {} }
func (g *gate) Write(p []byte) error { <-g.open; return nil }
func (*gate) Close() error           { return nil }

// A stream whose items are not written holds its producer back after
// StreamBuffer items instead of queueing without bound.
func TestStreamBackpressure(t *testing.T) {
	yielded := make(chan int, 100)
	produce := Method{Name: "Produce", Stream: func(ctx context.Context, a Args) (iter.Seq2[any, error], error) {
		return func(yield func(any, error) bool) {
			for i := 0; i < 50; i++ {
				if !yield(i, nil) {
					return
				}
				yielded <- i
			}
		}, nil
	}}
	srv := New([]Method{produce}, Options{StreamBuffer: 5, Logger: slog.New(slog.DiscardHandler)})
	g := &gate{open: make(chan struct{})}
	c := testConn(srv, g)
	if err := c.read([]byte(`{"protocol":"json","version":1}` + "\x1e" + `{"type":4,"invocationId":"s","target":"Produce","arguments":[]}` + "\x1e")); err != nil {
		t.Fatal(err)
	}
	// Nothing is written yet: the producer gets five items out and no more.
	for want := range 5 {
		if got := <-yielded; got != want {
			t.Fatalf("yielded %d, want %d", got, want)
		}
	}
	select {
	case i := <-yielded:
		t.Fatalf("item %d was produced while five were unsent", i)
	case <-time.After(100 * time.Millisecond):
	}
	// Let the writes through: the rest flows.
	close(g.open)
	for want := 5; want < 50; want++ {
		if got := <-yielded; got != want {
			t.Fatalf("yielded %d, want %d", got, want)
		}
	}
	c.finish(nil)
}
