package host_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hubgen/hubgen/runtime/host"
)

func TestQueueDrainsAtShutdown(t *testing.T) {
	ctx := context.Background()
	var ran events
	item := func(name string) func(context.Context) error {
		return func(ctx context.Context) error {
			ran.add(fmt.Sprintf("%s ctx=%v", name, ctx.Err()))
			return nil
		}
	}
	q := host.NewQueue("jobs", 3, 1)
	h, _ := newHost()
	h.Add(q)
	errc := run(ctx, h)

	busy, release := make(chan struct{}), make(chan struct{})
	if err := q.Enqueue(ctx, func(ctx context.Context) error {
		close(busy)
		<-release
		return item("1")(ctx)
	}); err != nil {
		t.Fatal(err)
	}
	<-busy
	for _, name := range []string{"2", "3", "4"} {
		if err := q.Enqueue(ctx, item(name)); err != nil {
			t.Fatal(err)
		}
	}
	blocked := make(chan error, 1)
	go func() { blocked <- q.Enqueue(ctx, item("5")) }() // the queue is full
	h.Shutdown()
	if err := <-blocked; !errors.Is(err, host.ErrQueueClosed) {
		t.Errorf("Enqueue on a full queue at shutdown = %v, want %v", err, host.ErrQueueClosed)
	}
	close(release)

	if err := wait(t, errc); err != nil {
		t.Fatalf("Run: %v", err)
	}
	want := []string{"1 ctx=<nil>", "2 ctx=<nil>", "3 ctx=<nil>", "4 ctx=<nil>"}
	if got := ran.get(); !slices.Equal(got, want) {
		t.Errorf("ran %q, want %q", got, want)
	}
}

func TestQueueDropsAtShutdownTimeout(t *testing.T) {
	ctx := context.Background()
	var ran events
	q := host.NewQueue("jobs", 3, 1)
	h, logs := newHost(host.WithShutdownTimeout(50 * time.Millisecond))
	h.Add(q)
	errc := run(ctx, h)

	busy, cancelled, release := make(chan struct{}), make(chan struct{}), make(chan struct{})
	t.Cleanup(func() { close(release) })
	if err := q.Enqueue(ctx, func(ctx context.Context) error {
		close(busy)
		<-ctx.Done()
		close(cancelled)
		<-release // keeps running after cancellation
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	<-busy
	for range 3 {
		if err := q.Enqueue(ctx, func(context.Context) error { ran.add("item"); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	h.Shutdown()

	err := wait(t, errc)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), `queue "jobs": 3 queued items dropped`) {
		t.Errorf("Run = %v, want 3 dropped items and deadline exceeded", err)
	}
	<-cancelled
	if got := ran.get(); len(got) > 0 {
		t.Errorf("dropped items ran: %q", got)
	}
	logs.waitFor(t, "queue items dropped", "queue=jobs", "dropped=3")
}

func TestQueueEnqueueRespectsContext(t *testing.T) {
	q := host.NewQueue("jobs", 1, 1) // not started: nothing drains it
	nop := func(context.Context) error { return nil }
	if err := q.Enqueue(context.Background(), nop); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := q.Enqueue(ctx, nop); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Enqueue on a full queue = %v, want %v", err, context.DeadlineExceeded)
	}
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	if err := q.Enqueue(ctx, nop); !errors.Is(err, context.Canceled) {
		t.Errorf("Enqueue on a full queue = %v, want %v", err, context.Canceled)
	}
}

func TestQueueClosedAfterShutdown(t *testing.T) {
	q := host.NewQueue("jobs", 1, 1)
	h, _ := newHost()
	h.Add(q)
	h.Shutdown()
	if err := h.Run(context.Background()); err != nil {
		t.Fatalf("Run: %v", err)
	}
	err := q.Enqueue(context.Background(), func(context.Context) error { return nil })
	if !errors.Is(err, host.ErrQueueClosed) {
		t.Errorf("Enqueue = %v, want %v", err, host.ErrQueueClosed)
	}
}

func TestQueueWorkersRunConcurrently(t *testing.T) {
	const workers = 3
	q := host.NewQueue("jobs", workers, workers)
	h, _ := newHost()
	h.Add(q)
	errc := run(context.Background(), h)

	arrived, proceed := make(chan struct{}), make(chan struct{})
	for range workers {
		if err := q.Enqueue(context.Background(), func(context.Context) error {
			arrived <- struct{}{}
			<-proceed
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	for range workers {
		select {
		case <-arrived:
		case <-time.After(10 * time.Second):
			t.Fatal("items did not run concurrently")
		}
	}
	close(proceed)
	h.Shutdown()
	if err := wait(t, errc); err != nil {
		t.Errorf("Run: %v", err)
	}
}
