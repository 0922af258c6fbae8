package host

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"
)

// A Lifetime tells where a [Host] is in its life, as .NET's
// IHostApplicationLifetime does: started, stopping, stopped. Each event has
// a channel, closed when it happens, and callbacks, run when it happens, in
// the order they were registered, on a goroutine of the host's.
//
// A Host's Lifetime is [Host.Lifetime]; a service reaches the Lifetime of
// the Host that started it with [LifetimeFrom] on the context of its Start.
type Lifetime struct {
	logger   *slog.Logger
	started  chan struct{}
	stopped  chan struct{}
	stopping context.Context        // done when shutdown begins
	shutdown func()                 // asks the host to stop
	budget   func() context.Context // the shutdown timeout, once shutdown has begun
	grace    time.Duration          // the host's grace after the timeout

	mu        sync.Mutex
	callbacks [3][]func(context.Context)
	fired     [3]context.Context // the callbacks' context, once the event has fired
}

// The events of a Lifetime, which index its callbacks.
const (
	evStarted = iota
	evStopping
	evStopped
)

var eventNames = [3]string{"started", "stopping", "stopped"}

// Started returns a channel closed once every service has started, before
// the OnStarted callbacks run. It is never closed if the host fails to
// start or is stopped while starting.
func (l *Lifetime) Started() <-chan struct{} { return l.started }

// Stopping returns a channel closed the moment shutdown is asked for: by
// [Lifetime.Shutdown] or [Host.Shutdown], a signal, the end of [Host.Run]'s
// context, or a failure under [StopHost]. Services still run then: a loop
// outside the host, such as .NET's MonitorLoop, ends on it.
func (l *Lifetime) Stopping() <-chan struct{} { return l.stopping.Done() }

// Stopped returns a channel closed once every started service has stopped,
// before the OnStopped callbacks run.
func (l *Lifetime) Stopped() <-chan struct{} { return l.stopped }

// Shutdown asks the host to stop, as [Host.Shutdown] does.
func (l *Lifetime) Shutdown() { l.shutdown() }

// OnStarted registers fn to run once every service has started, before
// [Host.Start] returns. Its ctx ends when shutdown begins, and Start waits
// for fn until it returns, or until the shutdown timeout is spent.
//
// For every On method: fn registered after its event has happened runs at
// once, on the caller's goroutine; a panic in fn is recovered and logged,
// and never fails the host (as in .NET); the host stops waiting for an fn
// still running a second after the end of the shutdown timeout, and logs
// that.
func (l *Lifetime) OnStarted(fn func(ctx context.Context)) { l.on(evStarted, fn) }

// OnStopping registers fn to run when shutdown begins, before any service is
// stopped. Its ctx ends with the shutdown timeout, which fn shares with the
// services' Stop.
func (l *Lifetime) OnStopping(fn func(ctx context.Context)) { l.on(evStopping, fn) }

// OnStopped registers fn to run once every started service has stopped,
// before [Host.Wait] returns. Its ctx ends with the shutdown timeout.
func (l *Lifetime) OnStopped(fn func(ctx context.Context)) { l.on(evStopped, fn) }

func (l *Lifetime) on(ev int, fn func(context.Context)) {
	l.mu.Lock()
	ctx := l.fired[ev]
	if ctx == nil {
		l.callbacks[ev] = append(l.callbacks[ev], fn)
	}
	l.mu.Unlock()
	if ctx != nil {
		l.run(ctx, ev, fn)
	}
}

// fire runs the callbacks of ev with ctx, one after the other; callbacks
// registered from now on run at once.
func (l *Lifetime) fire(ctx context.Context, ev int) {
	l.mu.Lock()
	l.fired[ev] = ctx
	fns := l.callbacks[ev]
	l.callbacks[ev] = nil
	l.mu.Unlock()
	for _, fn := range fns {
		l.run(ctx, ev, fn)
	}
}

// run calls fn in a goroutine and waits for it to return or for ctx to end.
func (l *Lifetime) run(ctx context.Context, ev int, fn func(context.Context)) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if r := recover(); r != nil {
				l.logger.Error("lifetime callback panicked", "event", eventNames[ev],
					"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			}
		}()
		fn(ctx)
	}()
	limit := ctx
	if ev == evStarted { // ctx says shutdown has begun: fn has the shutdown timeout
		select {
		case <-done:
			return
		case <-ctx.Done():
		}
		limit = l.budget()
	}
	if !await(done, limit, l.grace) {
		l.logger.Error("lifetime callback still running after the shutdown timeout; the host goes on without it",
			"event", eventNames[ev], "err", context.Cause(limit))
	}
}

type lifetimeKey struct{}

// LifetimeFrom returns the Lifetime of the Host whose [Service.Start] got
// ctx (or a context derived from it, such as a worker's), or nil if no Host
// did.
func LifetimeFrom(ctx context.Context) *Lifetime {
	l, _ := ctx.Value(lifetimeKey{}).(*Lifetime)
	return l
}
