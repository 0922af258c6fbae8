// Command server serves the lab hub at /hubs/lab on a free port of
// 127.0.0.1, prints "url=http://ADDR" and serves until SIGTERM or SIGINT.
package main

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hubgen/hubgen/runtime/hub"

	"example.com/tse2e/lab"
)

type labHub struct {
	srv     *lab.LabServer
	touches atomic.Int64

	mu    sync.Mutex
	ended map[string]chan struct{} // by Forever's id: closed when its ctx ends
}

// endedChan returns the channel that is closed when the Forever stream id's
// ctx ends.
func (h *labHub) endedChan(id string) chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	c, ok := h.ended[id]
	if !ok {
		c = make(chan struct{})
		h.ended[id] = c
	}
	return c
}

func (h *labHub) Forever(ctx context.Context, id string) iter.Seq2[int, error] {
	return func(yield func(int, error) bool) {
		defer close(h.endedChan(id))
		if !yield(0, nil) {
			return
		}
		<-ctx.Done()
	}
}

func (h *labHub) Ended(ctx context.Context, id string) (bool, error) {
	select {
	case <-h.endedChan(id):
		return true, nil
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

func (*labHub) Echo(ctx context.Context, r lab.Record) (lab.Record, error) { return r, nil }

func (*labHub) Full(ctx context.Context) (lab.Sample, error) {
	at := time.Date(2024, 5, 6, 7, 8, 9, 123000000, time.UTC)
	note := "a note"
	return lab.Sample{
		Base: lab.Base{ID: "s1"}, Audit: &lab.Audit{By: "someone"}, Name: "full", Hidden: "hidden", NoPack: "no pack",
		Tags: []string{"t"}, Labels: []string{"l"}, At: at, When: &at, Data: []byte("hello"), Hash: [4]byte{1, 2, 3, 4},
		Count: 1 << 40, Status: lab.StatusClosed, Priority: lab.PriorityHigh,
		ByStatus: map[lab.Status]int{lab.StatusOpen: 1}, ByID: map[int]string{7: "seven"},
		Code: lab.Code{A: "x", B: "y"}, Points: []lab.Point{{X: 1, Y: 2}}, Note: &note,
	}, nil
}

func (*labHub) Empty(ctx context.Context) (lab.Sample, error) { return lab.Sample{}, nil }

func (*labHub) Mirror(ctx context.Context, s lab.Sample) (lab.Sample, error) { return s, nil }

func (*labHub) Zero(ctx context.Context) (lab.Record, error) { return lab.Record{}, nil }

func (*labHub) Fail(ctx context.Context, message string) error { return hub.Errorf("%s", message) }

func (h *labHub) Touch(ctx context.Context) error {
	h.touches.Add(1)
	return nil
}

func (h *labHub) Touches(ctx context.Context) (int, error) { return int(h.touches.Load()), nil }

func (h *labHub) Broadcast(ctx context.Context, text string) error {
	return h.srv.Clients.All().Notify(ctx, lab.Note{From: "server", Text: text})
}

func (h *labHub) Ask(ctx context.Context, question string) (string, error) {
	reply, err := h.srv.Clients.Caller(ctx).Answer(ctx, question)
	switch {
	case err != nil:
		return "", err
	case reply == nil:
		return "(null)", nil
	case reply.Sure:
		return reply.Text + "!", nil
	}
	return reply.Text, nil
}

func (*labHub) Count(ctx context.Context, n int) iter.Seq2[int, error] {
	return func(yield func(int, error) bool) {
		for i := range n {
			if !yield(i, nil) {
				return
			}
		}
	}
}

func (*labHub) Sum(ctx context.Context, scale float64, nums iter.Seq2[float64, error]) (float64, error) {
	sum := 0.0
	for n, err := range nums {
		if err != nil {
			return 0, err
		}
		sum += n
	}
	return sum * scale, nil
}

func (*labHub) Double(ctx context.Context, in iter.Seq2[lab.Point, error]) iter.Seq2[lab.Point, error] {
	return func(yield func(lab.Point, error) bool) {
		for p, err := range in {
			if err != nil {
				yield(lab.Point{}, err)
				return
			}
			if !yield(lab.Point{X: 2 * p.X, Y: 2 * p.Y}, nil) {
				return
			}
		}
	}
}

func main() {
	impl := &labHub{ended: make(map[string]chan struct{})}
	// Ask waits for a client result from its own caller: two invocations of
	// a connection must run at once.
	impl.srv = lab.NewLabServer(impl, hub.Options{MaxParallelInvocations: 2})
	mux := http.NewServeMux()
	impl.srv.Mount(mux, "/hubs/lab")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("url=http://%s\n", ln.Addr())
	web := &http.Server{Handler: mux}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		impl.srv.Shutdown(shutdown)
		web.Shutdown(shutdown)
	}()
	if err := web.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}
