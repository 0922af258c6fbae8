package host

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"
)

// Worker returns a [Service] that runs fn in its own goroutine from Start
// until fn returns. Stop cancels fn's context and waits for fn to return or
// for the stop context to be done, in which case it returns the context's
// error.
//
// fn returning nil ends the worker without affecting the host, and returning
// [context.Canceled] after Stop is a normal shutdown. Any other error, or a
// panic, is a failure: before Stop it is reported to the host (see
// [FailurePolicy]); after Stop, Stop returns it.
func Worker(name string, fn func(ctx context.Context) error) Service {
	return &worker{name: name, fn: fn}
}

type worker struct {
	name   string
	fn     func(context.Context) error
	cancel context.CancelFunc
	done   chan struct{}
	err    error // failure after Stop; set before done is closed
}

func (w *worker) Start(ctx context.Context) error {
	report := envFrom(ctx).report
	ctx, w.cancel = context.WithCancel(context.WithoutCancel(ctx))
	w.done = make(chan struct{})
	go func() {
		defer close(w.done)
		err := call(ctx, w.fn)
		if err == nil || stopped(ctx, err) {
			return
		}
		err = fmt.Errorf("worker %q: %w", w.name, err)
		if ctx.Err() != nil {
			w.err = err
			return
		}
		report(err)
	}()
	return nil
}

func (w *worker) Stop(ctx context.Context) error {
	w.cancel()
	select {
	case <-w.done:
		return w.err
	case <-ctx.Done():
		return fmt.Errorf("worker %q: stop: %w", w.name, ctx.Err())
	}
}

// Every returns a [Service] that runs fn every interval until Stop. Runs
// never overlap: if a run takes longer than the interval, the next one starts
// as soon as it returns, and the ticks missed meanwhile are dropped.
//
// A run that returns an error (other than the cancellation caused by Stop) or
// panics is a failure reported to the host (see [FailurePolicy]); the timed
// worker keeps running unless the host stops. Every panics if interval is not
// positive.
func Every(name string, interval time.Duration, fn func(ctx context.Context) error) Service {
	if interval <= 0 {
		panic("host: non-positive interval for Every")
	}
	return Worker(name, func(ctx context.Context) error {
		report := envFrom(ctx).report
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
			}
			if err := call(ctx, fn); err != nil && !stopped(ctx, err) {
				report(fmt.Errorf("worker %q: %w", name, err))
			}
		}
	})
}

// Scoped returns a function that, on each call, creates a value with create,
// passes it to fn and then calls the cleanup function returned by create
// (if not nil), even if fn fails or panics. If create fails, fn is not
// called. Scoped suits the fn of [Worker] and [Every] and the items of a
// [Queue], giving each run its own resources, such as a database transaction.
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
