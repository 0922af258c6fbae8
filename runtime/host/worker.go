package host

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"
)

// Worker returns a [Service] that runs fn in its own goroutine from Start
// until fn returns, as .NET's BackgroundService runs ExecuteAsync. Stop
// cancels fn's context and waits for fn to return; if fn is still running a
// second after the stop context is done, Stop returns an error that says the
// worker is still running. A worker whose fn has already returned stops at
// once and cleanly, whatever is left of the shutdown timeout.
//
// fn returning nil ends the worker without affecting the host, and returning
// [context.Canceled] after Stop is a normal shutdown. Any other error, or a
// panic, is a failure: before Stop it is reported to the host (see
// [FailurePolicy]); after Stop, Stop returns it.
func Worker(name string, fn func(ctx context.Context) error) Service {
	w := &worker{name: name, startsBusy: true}
	w.run = func(ctx context.Context) error {
		defer w.exit()
		return call(ctx, fn)
	}
	return w
}

// worker runs a function in a goroutine, in one or more runs of user code;
// Stop knows whether user code is running.
type worker struct {
	name       string
	run        func(ctx context.Context) error // calls enter (unless it starts busy) and exit around user code
	startsBusy bool                            // run begins in user code
	cancel     context.CancelFunc
	grace      time.Duration // how long Stop waits for user code once its ctx is done
	done       chan struct{}
	err        error // failure after Stop; set before done is closed

	mu       sync.Mutex
	stopping bool // Stop has been called: no more runs begin
	busy     bool // user code is running
}

func (w *worker) String() string { return fmt.Sprintf("worker %q", w.name) }

func (w *worker) stopsInTime() {}

// enter marks the start of a run of user code, unless Stop has been called.
func (w *worker) enter() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopping {
		return false
	}
	w.busy = true
	return true
}

// exit marks the end of a run of user code.
func (w *worker) exit() {
	w.mu.Lock()
	w.busy = false
	w.mu.Unlock()
}

func (w *worker) Start(ctx context.Context) error {
	e := envFrom(ctx)
	w.grace = e.grace
	ctx, w.cancel = context.WithCancel(context.WithoutCancel(ctx))
	w.done = make(chan struct{})
	w.busy = w.startsBusy // before Stop can look: user code runs even if Stop comes at once
	go func() {
		defer close(w.done)
		err := w.run(ctx)
		if err == nil || stopped(ctx, err) {
			return
		}
		err = fmt.Errorf("%s: %w", w, err)
		if ctx.Err() != nil {
			w.err = err
			return
		}
		e.fail(err, e.policy)
	}()
	return nil
}

func (w *worker) Stop(ctx context.Context) error {
	if w.done == nil {
		return nil // never started
	}
	w.mu.Lock()
	w.stopping = true
	busy := w.busy
	w.mu.Unlock()
	w.cancel()
	if !busy {
		// No user code runs, nor will: the goroutine returns at once.
		<-w.done
		return w.err
	}
	if await(w.done, ctx, w.grace) {
		return w.err
	}
	return fmt.Errorf("%s: still running when stopping ran out of time: %w", w, context.Cause(ctx))
}

// An EveryOption configures a timed worker made by [Every].
type EveryOption func(*timed)

// FirstRunAfter makes the first run wait d after Start, instead of running at
// once; a d of zero or less runs at once.
func FirstRunAfter(d time.Duration) EveryOption {
	return func(t *timed) { t.delay = d }
}

// timed is the configuration of a timed worker.
type timed struct {
	delay time.Duration
	clock clock
}

// Every returns a [Service] that runs fn at once and then every interval
// until Stop, as .NET's timed hosted service (a Timer due at once) and its
// PeriodicTimer loop do; [FirstRunAfter] delays the first run. The runs keep
// to the interval from the first one, and never overlap: if a run takes
// longer than the interval, the next one starts as soon as it returns, and
// the ticks missed meanwhile are dropped.
//
// A run that returns an error (other than the cancellation caused by Stop) or
// panics is a failure reported to the host (see [FailurePolicy]); the timed
// worker keeps running unless the host stops. Stop is as for [Worker]: a
// timed worker between runs stops at once. Every panics if interval is not
// positive.
func Every(name string, interval time.Duration, fn func(ctx context.Context) error, opts ...EveryOption) Service {
	if interval <= 0 {
		panic("host: non-positive interval for Every")
	}
	cfg := timed{clock: realClock{}}
	for _, opt := range opts {
		opt(&cfg)
	}
	w := &worker{name: name, startsBusy: cfg.delay <= 0}
	w.run = func(ctx context.Context) error {
		e := envFrom(ctx)
		if cfg.delay > 0 {
			first, stop := cfg.clock.after(cfg.delay)
			select {
			case <-ctx.Done():
				stop()
				return ctx.Err()
			case <-first:
			}
			if !w.enter() {
				return ctx.Err()
			}
		}
		ticks, stop := cfg.clock.every(interval)
		defer stop()
		for {
			err := call(ctx, fn)
			w.exit()
			if err != nil && !stopped(ctx, err) {
				e.fail(fmt.Errorf("%s: %w", w, err), e.policy)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-ticks:
			}
			if !w.enter() {
				return ctx.Err()
			}
		}
	}
	return w
}

// clock makes the timers of a timed worker; tests replace it.
type clock interface {
	// after returns a channel that receives once, after d.
	after(d time.Duration) (<-chan time.Time, func())
	// every returns a channel that receives every d, dropping ticks for a
	// slow receiver, as a time.Ticker does.
	every(d time.Duration) (<-chan time.Time, func())
}

type realClock struct{}

func (realClock) after(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTimer(d)
	return t.C, func() { t.Stop() }
}

func (realClock) every(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTicker(d)
	return t.C, t.Stop
}

// Scoped returns a function that, on each call, creates a value with create,
// passes it to fn and then calls the cleanup function returned by create
// (if not nil), even if fn fails or panics. If create fails, fn is not
// called. Scoped suits the fn of [Worker] and [Every] and the items of a
// [Queue], giving each run its own resources, such as a database
// transaction, as a .NET hosted service creates a scope for its scoped
// services.
func Scoped[T any](create func(ctx context.Context) (T, func(), error), fn func(ctx context.Context, v T) error) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		v, cleanup, err := create(ctx)
		if err != nil {
			return err
		}
		if cleanup != nil {
			defer cleanup()
		}
		return fn(ctx, v)
	}
}

// call calls fn, turning a panic into an error that holds the panic value
// and the stack.
func call(ctx context.Context, fn func(context.Context) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n\n%s", r, debug.Stack())
		}
	}()
	return fn(ctx)
}

// stopped reports whether err is the cancellation of ctx by shutdown.
func stopped(ctx context.Context, err error) bool {
	return ctx.Err() != nil && errors.Is(err, context.Canceled)
}
