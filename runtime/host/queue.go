package host

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// ErrQueueClosed is returned by [Queue.Enqueue] once the queue has begun to
// shut down.
var ErrQueueClosed = errors.New("host: queue closed")

// ErrNilItem is returned by [Queue.Enqueue] for a nil item.
var ErrNilItem = errors.New("host: nil queue item")

// A Queue is a bounded work queue drained by a fixed number of workers, as
// the task queue and QueuedHostedService of .NET's hosted-services samples.
// It is a [Service]: Start starts the workers, and Stop stops accepting items
// and waits for the queued ones to finish. Items may be enqueued before
// Start.
//
// By default items run with a context that is cancelled when the stop
// context is done; items still queued then are dropped, and Stop logs and
// returns how many, with how many were still running. [CancelItemsAtShutdown]
// cancels the items and drops the queued ones as soon as the host begins to
// shut down instead, as the .NET sample does at its service's stop.
//
// An item that returns an error (other than the cancellation caused by
// shutdown) or panics is a failure reported to the host under the host's
// [FailurePolicy], or the queue's ([ItemFailurePolicy]); its worker carries
// on with the next item.
type Queue struct {
	name     string
	workers  int
	cancelAt bool           // CancelItemsAtShutdown
	policy   *FailurePolicy // ItemFailurePolicy, if set
	items    chan func(context.Context) error

	closing   chan struct{} // closed when the queue stops taking items
	closeOnce sync.Once
	mu        sync.RWMutex // read-held by Enqueue while it may send on items

	st        sync.Mutex // guards the fields below
	idle      *sync.Cond // signalled when live or running falls
	live      int        // workers that have not returned
	running   int        // items running
	abandoned bool       // the queued items are dropped
	dropped   int        // items dropped, in all
	told      int        // of them, those Stop or the shutdown log has counted

	logger  *slog.Logger
	grace   time.Duration // how long Stop waits for the items it cancelled
	cancel  context.CancelFunc
	done    chan struct{} // closed when all workers have returned
	unwatch func() bool   // stops waiting for the host's shutdown
}

// A QueueOption configures a [Queue].
type QueueOption func(*Queue)

// CancelItemsAtShutdown makes the queue stop when the host that started it
// begins to shut down (when its [Lifetime] is Stopping), not when the host
// stops the queue: the running items' context is cancelled, the queued items
// are dropped (and logged, with their count, which is not an error) and
// Enqueue returns [ErrQueueClosed]. Stop then waits for the running items
// to return. A queue started outside a Host does this at Stop.
func CancelItemsAtShutdown() QueueOption {
	return func(q *Queue) { q.cancelAt = true }
}

// ItemFailurePolicy sets what a failing item does, whatever the host's
// policy: with [Ignore] it is logged and the queue carries on, as in .NET's
// sample; with [StopHost] it stops the host.
func ItemFailurePolicy(p FailurePolicy) QueueOption {
	return func(q *Queue) { q.policy = &p }
}

// NewQueue returns a queue that holds up to capacity items and runs them on
// the given number of workers. Both must be at least 1.
func NewQueue(name string, capacity, workers int, opts ...QueueOption) (*Queue, error) {
	if capacity < 1 {
		return nil, fmt.Errorf("host: queue %q: capacity %d, want at least 1", name, capacity)
	}
	if workers < 1 {
		return nil, fmt.Errorf("host: queue %q: %d workers, want at least 1", name, workers)
	}
	q := &Queue{
		name:    name,
		workers: workers,
		items:   make(chan func(context.Context) error, capacity),
		closing: make(chan struct{}),
	}
	q.idle = sync.NewCond(&q.st)
	for _, opt := range opts {
		opt(q)
	}
	return q, nil
}

// String names the queue, as its errors do.
func (q *Queue) String() string { return fmt.Sprintf("queue %q", q.name) }

func (q *Queue) stopsInTime() {}

// Enqueue adds fn to the queue, waiting while the queue is full. It returns
// [ErrNilItem] for a nil fn, ctx's error if ctx is done first, and
// [ErrQueueClosed] once the queue has begun to stop.
func (q *Queue) Enqueue(ctx context.Context, fn func(ctx context.Context) error) error {
	if fn == nil {
		return ErrNilItem
	}
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
	q.logger, q.grace = e.logger, e.grace
	policy := e.policy
	if q.policy != nil {
		policy = *q.policy
	}
	ctx, q.cancel = context.WithCancel(context.WithoutCancel(ctx))
	q.done = make(chan struct{})
	q.live = q.workers
	var wg sync.WaitGroup
	for range q.workers {
		wg.Go(func() { q.work(ctx, func(err error) { e.fail(err, policy) }) })
	}
	go func() {
		wg.Wait()
		close(q.done)
	}()
	q.unwatch = func() bool { return false }
	if q.cancelAt && e.stopping != nil {
		q.unwatch = context.AfterFunc(e.stopping, func() {
			if dropped, _ := q.abandon(); dropped > 0 {
				q.logger.Info("queue items dropped at shutdown", "queue", q.name, "dropped", dropped)
			}
		})
	}
	return nil
}

// Stop stops accepting items and waits until the queued items have run or
// ctx is done. In the latter case, it cancels the running items, drops the
// queued ones and waits a second for the running ones to return; it then
// returns an error saying how many items were dropped and how many were
// still running, if any. A queue with nothing queued or running stops
// cleanly, whatever is left of the shutdown timeout.
func (q *Queue) Stop(ctx context.Context) error {
	q.closeIntake()
	if q.done == nil { // never started
		if dropped, _ := q.abandon(); dropped > 0 {
			return fmt.Errorf("%s: stopped before it started: %s dropped from the queue", q, items(dropped))
		}
		return nil
	}
	defer q.unwatch()
	if q.cancelAt {
		if dropped, _ := q.abandon(); dropped > 0 {
			q.logger.Info("queue items dropped at shutdown", "queue", q.name, "dropped", dropped)
		}
	}
	select {
	case <-q.done:
		return nil
	case <-ctx.Done():
	}
	dropped, _ := q.abandon()
	finished := await(q.done, ctx, q.grace) // the cancelled items have a grace to return
	q.st.Lock()
	running := q.running
	q.st.Unlock()
	if finished && dropped == 0 {
		return nil
	}
	var what []string
	if running > 0 {
		what = append(what, items(running)+" still running")
	}
	if dropped > 0 {
		what = append(what, items(dropped)+" dropped from the queue")
	}
	q.logger.Error("queue stopped before its items finished", "queue", q.name, "running", running, "dropped", dropped)
	return fmt.Errorf("%s: %s: %w", q, strings.Join(what, ", "), context.Cause(ctx))
}

// closeIntake makes Enqueue refuse items and closes items once no Enqueue
// may send on it.
func (q *Queue) closeIntake() {
	q.closeOnce.Do(func() {
		close(q.closing)
		q.mu.Lock() // wait for Enqueue calls in flight
		close(q.items)
		q.mu.Unlock()
	})
}

// abandon cancels the running items and drops the queued ones. It waits for
// the workers that run no item to return, and then returns how many items
// it dropped that no earlier call counted, and how many are still running.
func (q *Queue) abandon() (dropped, running int) {
	q.closeIntake()
	q.st.Lock()
	q.abandoned = true
	q.st.Unlock()
	if q.cancel != nil {
		q.cancel()
	}
	n := 0
	for range q.items {
		n++
	}
	q.st.Lock()
	defer q.st.Unlock()
	q.dropped += n
	for q.live > q.running {
		q.idle.Wait()
	}
	dropped, q.told = q.dropped-q.told, q.dropped
	return dropped, q.running
}

// work runs items until the queue is drained or abandoned.
func (q *Queue) work(ctx context.Context, fail func(error)) {
	defer func() {
		q.st.Lock()
		q.live--
		q.st.Unlock()
		q.idle.Broadcast()
	}()
	for {
		var fn func(context.Context) error
		var ok bool
		select {
		case fn, ok = <-q.items:
		case <-ctx.Done():
			return
		}
		if !ok {
			return
		}
		q.st.Lock()
		if q.abandoned {
			q.dropped++
			q.st.Unlock()
			continue
		}
		q.running++
		q.st.Unlock()

		err := call(ctx, fn)

		q.st.Lock()
		q.running--
		q.st.Unlock()
		q.idle.Broadcast()
		if err != nil && !stopped(ctx, err) {
			fail(fmt.Errorf("%s: %w", q, err))
		}
	}
}

// items says how many items n is.
func items(n int) string {
	if n == 1 {
		return "1 item"
	}
	return fmt.Sprintf("%d items", n)
}
