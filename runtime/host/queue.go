package host

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
)

// ErrQueueClosed is returned by [Queue.Enqueue] once the queue has begun to
// shut down.
var ErrQueueClosed = errors.New("host: queue closed")

// A Queue is a bounded work queue drained by a fixed number of workers.
// It is a [Service]: Start starts the workers, and Stop stops accepting items
// and waits for the queued ones to finish. Items may be enqueued before Start.
//
// Items run with a context that is cancelled when the stop context is done;
// items still queued then are dropped, and Stop logs and returns how many.
// An item that returns an error (other than that cancellation) or panics is a
// failure reported to the host (see [FailurePolicy]); its worker carries on
// with the next item.
type Queue struct {
	name    string
	workers int
	items   chan func(context.Context) error

	closing chan struct{} // closed when Stop begins
	once    sync.Once
	mu      sync.RWMutex // read-held by Enqueue while it may send on items
	take    sync.Mutex   // serialises workers taking items with Stop dropping them

	logger *slog.Logger
	cancel context.CancelFunc
	done   chan struct{} // closed when all workers have returned
}

// NewQueue returns a queue that holds up to capacity items and runs them on
// the given number of workers (at least one).
func NewQueue(name string, capacity, workers int) *Queue {
	return &Queue{
		name:    name,
		workers: max(workers, 1),
		items:   make(chan func(context.Context) error, max(capacity, 0)),
		closing: make(chan struct{}),
		done:    make(chan struct{}),
	}
}

// Enqueue adds fn to the queue, waiting while the queue is full. It returns
// ctx's error if ctx is done first, and [ErrQueueClosed] once Stop has been
// called.
func (q *Queue) Enqueue(ctx context.Context, fn func(ctx context.Context) error) error {
	q.mu.RLock()
	defer q.mu.RUnlock()
	select {
	case <-q.closing:
		return ErrQueueClosed
	default:
	}
	select {
	case q.items <- fn:
		return nil
	case <-q.closing:
		return ErrQueueClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Start starts the workers.
func (q *Queue) Start(ctx context.Context) error {
	e := envFrom(ctx)
	q.logger = e.logger
	ctx, q.cancel = context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	for range q.workers {
		wg.Go(func() { q.work(ctx, e.report) })
	}
	go func() {
		wg.Wait()
		close(q.done)
	}()
	return nil
}

// Stop stops accepting items and waits until the queued items have run or
// ctx is done. In the latter case, it cancels the running items, drops the
// queued ones and returns an error saying how many were dropped.
func (q *Queue) Stop(ctx context.Context) error {
	q.once.Do(func() {
		close(q.closing)
		q.mu.Lock() // wait for Enqueue calls in flight
		close(q.items)
		q.mu.Unlock()
	})
	defer q.cancel()
	select {
	case <-q.done:
		return nil
	case <-ctx.Done():
	}

	q.cancel()
	q.take.Lock()
	dropped := 0
	for range q.items {
		dropped++
	}
	q.take.Unlock()
	q.logger.Error("queue items dropped", "queue", q.name, "dropped", dropped)
	return fmt.Errorf("queue %q: %d queued items dropped: %w", q.name, dropped, ctx.Err())
}

// work runs items until the queue is drained or abandoned.
func (q *Queue) work(ctx context.Context, report func(error)) {
	for {
		fn, ok := q.next(ctx)
		if !ok {
			return
		}
		if err := call(ctx, fn); err != nil && !stopped(ctx, err) {
			report(fmt.Errorf("queue %q: %w", q.name, err))
		}
	}
}

// next returns the next item, or false if the queue is closed and empty or
// ctx is done.
func (q *Queue) next(ctx context.Context) (func(context.Context) error, bool) {
	q.take.Lock()
	defer q.take.Unlock()
	if ctx.Err() != nil {
		return nil, false
	}
	fn, ok := <-q.items
	return fn, ok
}
