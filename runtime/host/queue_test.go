package host_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hubgen/hubgen/runtime/host"
)

// newQueue returns a new queue, failing the test if NewQueue fails.
func newQueue(t *testing.T, name string, capacity, workers int, opts ...host.QueueOption) *host.Queue {
	t.Helper()
	q, err := host.NewQueue(name, capacity, workers, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// expired returns a context that is already done, as the stop context of a
// service stopped after the shutdown timeout was spent.
func expired() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), -1)
	cancel()
	return ctx
}

func TestQueueDrainsAtShutdown(t *testing.T) {
	ctx := context.Background()
	var ran events
	item := func(name string) func(context.Context) error {
		return func(ctx context.Context) error {
			ran.add(fmt.Sprintf("%s ctx=%v", name, ctx.Err()))
			return nil
		}
	}
	q := newQueue(t, "jobs", 3, 1)
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
	q := newQueue(t, "jobs", 3, 1)
	h, logs := newHost(host.WithShutdownTimeout(50*time.Millisecond), host.WithGrace(10*time.Millisecond))
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
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), `queue "jobs": 1 item still running, 3 items dropped from the queue`) {
		t.Errorf("Run = %v, want 1 running and 3 dropped items, and deadline exceeded", err)
	}
	<-cancelled
	if got := ran.get(); len(got) > 0 {
		t.Errorf("dropped items ran: %q", got)
	}
	logs.waitFor(t, "queue stopped before its items finished", "queue=jobs", "running=1", "dropped=3")
}

func TestQueueEnqueueRespectsContext(t *testing.T) {
	q := newQueue(t, "jobs", 1, 1) // not started: nothing drains it
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
	q := newQueue(t, "jobs", 1, 1)
	h, _ := newHost()
	h.Add(q)
	start(t, h)
	h.Shutdown()
	if err := waitErr(t, h); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	err := q.Enqueue(context.Background(), func(context.Context) error { return nil })
	if !errors.Is(err, host.ErrQueueClosed) {
		t.Errorf("Enqueue = %v, want %v", err, host.ErrQueueClosed)
	}
}

func TestQueueWorkersRunConcurrently(t *testing.T) {
	const workers = 3
	q := newQueue(t, "jobs", workers, workers)
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

func TestNewQueueRefusesBadSizes(t *testing.T) {
	for _, tc := range []struct{ capacity, workers int }{{0, 1}, {-1, 1}, {1, 0}, {1, -3}} {
		if q, err := host.NewQueue("jobs", tc.capacity, tc.workers); err == nil || q != nil {
			t.Errorf("NewQueue(capacity %d, workers %d) = %v, %v; want an error", tc.capacity, tc.workers, q, err)
		}
	}
}

func TestEnqueueNil(t *testing.T) {
	q := newQueue(t, "jobs", 1, 1)
	if err := q.Enqueue(context.Background(), nil); !errors.Is(err, host.ErrNilItem) {
		t.Errorf("Enqueue(nil) = %v, want %v", err, host.ErrNilItem)
	}
	// The refused item took no room: one more fits before Start.
	if err := q.Enqueue(context.Background(), func(context.Context) error { return nil }); err != nil {
		t.Errorf("Enqueue before Start = %v", err)
	}
}

// TestQueueIdleStopsCleanly: a queue with nothing queued or running stops
// cleanly even when the shutdown timeout is spent (the issue saw it fail
// every time).
func TestQueueIdleStopsCleanly(t *testing.T) {
	for range 50 {
		q := newQueue(t, "jobs", 2, 2)
		if err := q.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		ran := make(chan struct{})
		if err := q.Enqueue(context.Background(), func(context.Context) error { close(ran); return nil }); err != nil {
			t.Fatal(err)
		}
		<-ran
		if err := q.Stop(expired()); err != nil {
			t.Fatalf("Stop of an idle queue with the budget spent = %v", err)
		}
	}
}

func TestQueueNotStarted(t *testing.T) {
	q := newQueue(t, "jobs", 2, 1)
	nop := func(context.Context) error { return nil }
	if err := q.Stop(context.Background()); err != nil {
		t.Errorf("Stop of an empty queue never started = %v", err)
	}
	q = newQueue(t, "jobs", 2, 1)
	for range 2 {
		if err := q.Enqueue(context.Background(), nop); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.Stop(context.Background()); err == nil || !strings.Contains(err.Error(), "2 items dropped") {
		t.Errorf("Stop of a queue never started = %v, want 2 items dropped", err)
	}
}

// TestQueueCancelItemsAtShutdown: with CancelItemsAtShutdown, the running
// item's context ends when shutdown begins, before the host stops the queue
// (a service added after it, stopped before it, waits for that), the queued
// items are dropped and logged, and the queue stops cleanly.
func TestQueueCancelItemsAtShutdown(t *testing.T) {
	ctx := context.Background()
	q := newQueue(t, "jobs", 3, 1, host.CancelItemsAtShutdown())
	var ran atomic.Int32
	busy, cancelled := make(chan struct{}), make(chan struct{})
	if err := q.Enqueue(ctx, func(ctx context.Context) error {
		close(busy)
		<-ctx.Done()
		close(cancelled)
		return ctx.Err()
	}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := q.Enqueue(ctx, func(context.Context) error { ran.Add(1); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	var ev events
	h, logs := newHost()
	h.Add(q, &fake{name: "after", events: &ev, stop: func(context.Context) error {
		<-cancelled // the item was cancelled before the queue's Stop
		return nil
	}})
	start(t, h)
	<-busy
	h.Shutdown()
	if err := waitErr(t, h); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if n := ran.Load(); n > 0 {
		t.Errorf("%d dropped items ran", n)
	}
	if err := q.Enqueue(ctx, func(context.Context) error { return nil }); !errors.Is(err, host.ErrQueueClosed) {
		t.Errorf("Enqueue after shutdown = %v, want %v", err, host.ErrQueueClosed)
	}
	logs.waitFor(t, "queue items dropped at shutdown", "queue=jobs", "dropped=2")
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("errors logged:\n%s", logs)
	}
}

// TestQueueCancelItemsAtShutdownOutsideHost: started without a Host, the
// queue cancels and drops at Stop.
func TestQueueCancelItemsAtShutdownOutsideHost(t *testing.T) {
	q := newQueue(t, "jobs", 2, 1, host.CancelItemsAtShutdown())
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	busy := make(chan struct{})
	if err := q.Enqueue(context.Background(), func(ctx context.Context) error {
		close(busy)
		<-ctx.Done()
		return ctx.Err()
	}); err != nil {
		t.Fatal(err)
	}
	<-busy
	if err := q.Stop(context.Background()); err != nil {
		t.Errorf("Stop = %v", err)
	}
}

// TestQueueItemFailurePolicy: a queue's own policy wins over the host's.
func TestQueueItemFailurePolicy(t *testing.T) {
	t.Run("ignore under a stop-host host", func(t *testing.T) {
		q := newQueue(t, "jobs", 4, 1, host.ItemFailurePolicy(host.Ignore))
		h, logs := newHost() // StopHost
		h.Add(q)
		start(t, h)
		ctx := context.Background()
		last := make(chan struct{})
		for _, fn := range []func(context.Context) error{
			func(context.Context) error { return errors.New("item boom") },
			func(context.Context) error { panic("item kaboom") },
			func(context.Context) error { close(last); return nil },
		} {
			if err := q.Enqueue(ctx, fn); err != nil {
				t.Fatal(err)
			}
		}
		<-last // the queue carried on after the failures
		logs.waitFor(t, `queue \"jobs\": item boom`, "panic: item kaboom")
		select {
		case <-h.Lifetime().Stopping():
			t.Fatal("a failing item stopped the host")
		default:
		}
		h.Shutdown()
		if err := waitErr(t, h); err != nil {
			t.Errorf("Wait: %v", err)
		}
	})
	t.Run("stop host under an ignoring host", func(t *testing.T) {
		q := newQueue(t, "jobs", 1, 1, host.ItemFailurePolicy(host.StopHost))
		h, _ := newHost(host.WithFailurePolicy(host.Ignore))
		h.Add(q)
		start(t, h)
		if err := q.Enqueue(context.Background(), func(context.Context) error { return errors.New("item boom") }); err != nil {
			t.Fatal(err)
		}
		if err := waitErr(t, h); err == nil || !strings.Contains(err.Error(), `queue "jobs": item boom`) {
			t.Errorf("Wait = %v, want the item's failure", err)
		}
	})
}

// TestQueueSlowItemFinishesAtShutdown: an item that takes its time, within
// the shutdown timeout, finishes, and so does what is queued behind it.
func TestQueueSlowItemFinishesAtShutdown(t *testing.T) {
	q := newQueue(t, "jobs", 2, 1)
	h, _ := newHost()
	h.Add(q)
	start(t, h)
	busy, release := make(chan struct{}), make(chan struct{})
	var ran atomic.Int32
	ctx := context.Background()
	if err := q.Enqueue(ctx, func(context.Context) error { close(busy); <-release; ran.Add(1); return nil }); err != nil {
		t.Fatal(err)
	}
	if err := q.Enqueue(ctx, func(context.Context) error { ran.Add(1); return nil }); err != nil {
		t.Fatal(err)
	}
	<-busy
	h.Shutdown()
	<-h.Lifetime().Stopping()
	close(release)
	if err := waitErr(t, h); err != nil {
		t.Errorf("Wait: %v", err)
	}
	if n := ran.Load(); n != 2 {
		t.Errorf("%d items ran, want 2", n)
	}
}
