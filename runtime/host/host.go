// Package host runs background services — workers, timed workers, work
// queues and HTTP servers — with ordered startup and graceful, time-bounded
// shutdown. It ports .NET's Generic Host and BackgroundService to Go's idiom;
// the differences are listed below.
//
// A [Host] starts its services in the order they were added. It runs until
// its context is done, SIGINT or SIGTERM arrives, a service fails or
// [Host.Shutdown] is called, and then stops the services in reverse order
// within a single shutdown timeout:
//
//	jobs, err := host.NewQueue("jobs", 100, 4)
//	if err != nil {
//		log.Fatal(err)
//	}
//	h := host.New(host.WithShutdownTimeout(10 * time.Second))
//	h.Add(
//		jobs,
//		host.Every("cleanup", time.Minute, cleanup),
//		host.HTTPServer(&http.Server{Addr: ":8080", Handler: handler(jobs)}),
//	)
//	if err := h.Run(context.Background()); err != nil {
//		log.Fatal(err)
//	}
//
// Because services stop in reverse order, add a service after the services
// it depends on. Above, the HTTP server stops accepting requests first, then
// the cleanup worker stops, and finally the queue finishes the jobs the
// handlers enqueued.
//
// [Host.Run] is [Host.Start] followed by [Host.Wait], as .NET's RunAsync is
// StartAsync followed by WaitForShutdownAsync. Calling them apart runs code
// beside the started services, such as .NET's MonitorLoop, which ends when
// the host's [Lifetime] says it is stopping:
//
//	if err := h.Start(ctx); err != nil {
//		return err
//	}
//	go monitor(h.Lifetime().Stopping(), jobs)
//	return h.Wait()
//
// # Failures
//
// A worker, timed worker or queue item fails when its function returns an
// error other than the cancellation caused by shutdown, or panics; an HTTP
// server fails when it stops serving on its own. These services report
// failures to the Host that started them through the context passed to
// [Service.Start] (a service started outside a Host logs them with
// [slog.Default]). The Host's [FailurePolicy] decides what happens next: by
// default ([StopHost]) a failure stops the host and [Host.Run] returns it;
// with [Ignore] failures are only logged. A [Queue] may have a policy of its
// own ([ItemFailurePolicy]).
//
// A panic in a service's Start or Stop is recovered and reported as that
// call's error, and the other services are still stopped. Stopping reports
// only what went wrong: a worker whose function has returned, or an idle
// queue, stops cleanly even when the shutdown timeout is spent; a service
// still working when it runs out is named in the error.
//
// # Differences from .NET
//
// The samples of .NET's "Background tasks with hosted services in ASP.NET
// Core" port directly (examples/clock/tasks has them all), with these
// differences:
//
//	.NET                                    here
//	--------------------------------------  ------------------------------------------
//	IHostedService: StartAsync, StopAsync   Service: Start, Stop
//	BackgroundService.ExecuteAsync          Worker(name, fn)
//	Timer(DoWork, null, TimeSpan.Zero,      Every(name, interval, fn): the first run at
//	period)                                 once (FirstRunAfter delays it), then every
//	                                        interval; runs never overlap, where the
//	                                        Timer's callbacks may
//	"do the work once now", then a          Every: missed ticks are dropped, as the
//	PeriodicTimer loop                      PeriodicTimer coalesces them
//	IServiceScopeFactory.CreateScope        Scoped(create, fn): a value and its cleanup
//	                                        per call; there is no DI container
//	BackgroundTaskQueue (a bounded          Queue: Enqueue(nil) fails with ErrNilItem
//	Channel) and QueuedHostedService        (the sample throws ArgumentNullException);
//	                                        NewQueue refuses a capacity below 1 (the
//	                                        Channel, a negative one). By default Stop
//	                                        runs what is queued, with live contexts,
//	                                        until the shutdown timeout, and a failing
//	                                        item is a failure; CancelItemsAtShutdown
//	                                        and ItemFailurePolicy(Ignore) give the
//	                                        sample's behaviour (which cancels at its
//	                                        own StopAsync; here, when shutdown begins)
//	BackgroundService.StopAsync returns     Stop waits for fn; still running a second
//	when its token fires, work or not       after its context ends, it is named in the
//	                                        error; a worker whose fn has returned, or
//	                                        a timed worker between runs, stops cleanly
//	BackgroundServiceExceptionBehavior      FailurePolicy: StopHost (default), Ignore;
//	                                        for workers, timed workers, queue items and
//	                                        HTTP servers; Run returns the failure (as
//	                                        in .NET 11)
//	HostOptions.ShutdownTimeout, 30 s       WithShutdownTimeout, 30 s: one budget from
//	                                        the moment shutdown is asked for
//	StartAsync(token), the token linked     Start(ctx): the services' Start context
//	with ApplicationStopping                ends when shutdown is asked for, and no
//	                                        further service starts
//	a StartAsync or StopAsync that never    a Start, Stop or lifetime callback still
//	returns is awaited                      running a second after the shutdown timeout
//	                                        is named (or logged) and left behind
//	a StartAsync that throws: the host      a Start that fails or panics: the services
//	starts no more, stops nothing itself    started before it are stopped in reverse
//	IHostApplicationLifetime tokens         Lifetime: Started, Stopping and Stopped
//	                                        channels
//	ApplicationStarted.Register(callback)   OnStarted, OnStopping, OnStopped: panics
//	and the like                            are logged (as .NET logs exceptions); each
//	                                        gets a context
//	StopApplication runs the Stopping       Shutdown returns at once; the OnStopping
//	callbacks on the caller's thread        callbacks run on the host's goroutine
//	StartAsync, WaitForShutdownAsync        Start, Wait
//	ServicesStartConcurrently,              none: services start and stop one at a
//	ServicesStopConcurrently                time
//	HostOptions.StartupTimeout              none: bound Start with its ctx
//	IHostedLifecycleService                 none: use the Lifetime callbacks
package host

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"sync"
	"syscall"
	"time"
)

// Service is a component whose lifetime is managed by a [Host].
//
// Start starts the service and returns once it is running; long-running work
// belongs in a goroutine. The context passed to Start governs startup only
// (a Host ends it when shutdown is asked for while services start): the
// service must not end its work when that context is cancelled (it may keep
// the context's values with [context.WithoutCancel]).
//
// Stop stops the service, waiting at most until ctx is done. A Host calls
// Stop once, and only if Start succeeded.
type Service interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
}

// FailurePolicy says what a [Host] does when one of its services fails.
type FailurePolicy int

const (
	// StopHost logs the failure and stops the host; Run returns the failure.
	// It is the default.
	StopHost FailurePolicy = iota
	// Ignore logs the failure and keeps the host running.
	Ignore
)

// An Option configures a [Host].
type Option func(*Host)

// WithLogger sets the logger of the host and of the services it starts.
// The default is [slog.Default].
func WithLogger(l *slog.Logger) Option {
	return func(h *Host) { h.logger = l }
}

// WithSignals sets the signals that stop the host. The default is SIGINT
// ([os.Interrupt]) and SIGTERM; with no signals the host does not listen
// for any.
func WithSignals(sig ...os.Signal) Option {
	return func(h *Host) { h.signals = sig }
}

// WithShutdownTimeout sets how long stopping may take in total, from the
// moment shutdown is asked for. The default is 30 seconds.
func WithShutdownTimeout(d time.Duration) Option {
	return func(h *Host) { h.timeout = d }
}

// WithFailurePolicy sets what the host does when a service fails.
// The default is [StopHost].
func WithFailurePolicy(p FailurePolicy) Option {
	return func(h *Host) { h.policy = p }
}

// grace is how long, once the shutdown timeout is spent, the host still
// waits for a Start, a Stop or a lifetime callback before it goes on
// without it.
const grace = time.Second

// errShutdown is the reason of a stop asked for by Shutdown.
var errShutdown = errors.New("shutdown requested")

// A Host runs a set of services. Create one with [New].
type Host struct {
	logger   *slog.Logger
	signals  []os.Signal
	timeout  time.Duration
	grace    time.Duration
	policy   FailurePolicy
	services []Service

	lifetime     *Lifetime
	askStop      context.CancelCauseFunc // ends lifetime.stopping
	done         chan struct{}           // closed when the host has stopped
	shutdownMu   sync.Mutex              // guards the fields below
	begun        bool                    // Start or Run was called
	asked        bool                    // shutdown was asked for
	finished     bool                    // the host has stopped
	reason       error                   // why shutdown was asked for
	reasonFailed bool                    // reason is a failure
	failures     []error                 // failures that stop the host, in order
	budget       context.Context         // the shutdown timeout, from the moment shutdown was asked for
	endBudget    context.CancelFunc
	result       error // Wait's result; set before done is closed
}

// New returns a Host configured by opts.
func New(opts ...Option) *Host {
	h := &Host{
		logger:  slog.Default(),
		signals: []os.Signal{os.Interrupt, syscall.SIGTERM},
		timeout: 30 * time.Second,
		grace:   grace,
		done:    make(chan struct{}),
	}
	for _, opt := range opts {
		opt(h)
	}
	stopping, askStop := context.WithCancelCause(context.Background())
	h.askStop = askStop
	h.lifetime = &Lifetime{
		logger:   h.logger,
		started:  make(chan struct{}),
		stopped:  make(chan struct{}),
		stopping: stopping,
		shutdown: h.Shutdown,
		budget:   h.shutdownBudget,
		grace:    h.grace,
	}
	return h
}

// Add adds services to the host. It must be called before [Host.Start] or
// [Host.Run].
func (h *Host) Add(services ...Service) {
	h.services = append(h.services, services...)
}

// Lifetime returns the host's [Lifetime]: its started, stopping and stopped
// events.
func (h *Host) Lifetime() *Lifetime { return h.lifetime }

// Shutdown asks the host to stop: a Start in progress starts no further
// service, and the started services are stopped in reverse order. Shutdown
// does not wait (see [Host.Wait]), and it may be called more than once, from
// any goroutine, before or after Start. A Host asked to stop before it starts
// starts nothing.
func (h *Host) Shutdown() {
	h.stop(errShutdown, false)
}

// Run starts the services ([Host.Start]), waits until ctx is done, a signal
// arrives, a service fails (see [FailurePolicy]) or [Host.Shutdown] is
// called, and then stops the started services ([Host.Wait]), returning what
// Wait returns. The end of ctx is a request to stop, not an error, whether
// it comes while services start or later; its values reach the services.
// Run or Start must be called at most once.
func (h *Host) Run(ctx context.Context) error {
	if err := h.begin(); err != nil {
		return err
	}
	if ctx.Err() != nil {
		h.stop(context.Cause(ctx), false)
	}
	unwatch := context.AfterFunc(ctx, func() { h.stop(context.Cause(ctx), false) })
	defer unwatch()
	h.start(ctx, false)
	return h.Wait()
}

// Start starts the services in the order they were added, each with a
// context that carries ctx's values and ends when shutdown is asked for, and
// then fires the Started event of the host's [Lifetime]. From Start on,
// signals stop the host.
//
// Start returns nil once the services are running, or once shutdown asked
// for while they started (by [Host.Shutdown] or a signal) has stopped it from
// starting more; in both cases [Host.Wait] stops them. If a service fails to
// start (an error or a panic), if a failure under [StopHost] comes while
// services start, or if ctx ends before they all have, Start stops the
// services that had started, in reverse order, and returns the failure
// (joined with any errors of stopping), as Wait does. Run or Start must be
// called at most once.
func (h *Host) Start(ctx context.Context) error {
	if err := h.begin(); err != nil {
		return err
	}
	return h.start(ctx, true)
}

// Wait waits until shutdown is asked for ([Host.Shutdown], a signal, the end
// of Run's context or a failure under [StopHost]), fires the Stopping event
// of the host's [Lifetime], stops the started services in reverse order,
// fires the Stopped event and returns. All of it shares one shutdown
// timeout, which starts when shutdown is asked for, and every started
// service is stopped even if another fails to; a Stop still running a second
// after the timeout is spent is named in the error and left behind.
//
// Wait returns the failures that stopped the host (a start that failed, or
// a failure under StopHost), joined with the errors of stopping; a stop asked
// for by Shutdown, a signal or Run's context is not an error. It may be
// called from several goroutines, which all get the same result, and returns
// an error at once if the host was never started.
func (h *Host) Wait() error {
	h.shutdownMu.Lock()
	begun := h.begun
	h.shutdownMu.Unlock()
	if !begun {
		return errors.New("host: Wait called before Start")
	}
	<-h.done
	return h.result
}

// begin marks the host as started, once.
func (h *Host) begin() error {
	h.shutdownMu.Lock()
	defer h.shutdownMu.Unlock()
	if h.begun {
		return errors.New("host: Start or Run called more than once")
	}
	h.begun = true
	return nil
}

// started is a service whose Start succeeded, with its place among the
// host's services.
type started struct {
	i int
	s Service
}

// start starts the services and the goroutine that stops them. If ctxFails,
// the end of ctx while services start is a failure; otherwise the caller
// turns it into a request to stop.
func (h *Host) start(ctx context.Context, ctxFails bool) error {
	unlisten := h.listen()
	unwatch := func() bool { return false }
	if ctxFails {
		failStart := func() { h.stop(startEnded{fmt.Errorf("host: start: %w", context.Cause(ctx))}, true) }
		if ctx.Err() != nil {
			failStart()
		}
		unwatch = context.AfterFunc(ctx, failStart)
	}
	stopping := h.lifetime.stopping
	startCtx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	unlink := context.AfterFunc(stopping, func() { cancel(context.Cause(stopping)) })
	startCtx = context.WithValue(startCtx, envKey{}, env{logger: h.logger, policy: h.policy, fail: h.fail, stopping: stopping, grace: h.grace})
	startCtx = context.WithValue(startCtx, lifetimeKey{}, h.lifetime)

	var running []started
	for i, s := range h.services {
		if stopping.Err() != nil {
			break
		}
		if err := h.startOne(startCtx, i, s); err != nil {
			var a abandoned
			if stopping.Err() != nil && !errors.As(err, &a) {
				h.logger.Info("service start interrupted by shutdown", "service", describe(i, s), "err", err)
			} else {
				h.logger.Error("service start failed", "err", err)
				h.stop(err, true)
			}
			break
		}
		running = append(running, started{i, s})
	}
	unwatch()
	unlink()
	cancel(errors.New("host: start is over"))

	if stopping.Err() == nil {
		close(h.lifetime.started)
		h.logger.Info("host started", "services", len(running))
		h.lifetime.fire(stopping, evStarted)
	}
	go h.stopWhenAsked(running, unlisten)

	h.shutdownMu.Lock()
	failed := len(h.failures) > 0
	h.shutdownMu.Unlock()
	if failed {
		return h.Wait()
	}
	return nil
}

// startOne starts s, turning a panic into an error. If shutdown is asked
// for meanwhile, s has until the end of the shutdown timeout (and the grace
// after it) to return.
func (h *Host) startOne(ctx context.Context, i int, s Service) error {
	name := describe(i, s)
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		err = protect(name, "start", func() error { return s.Start(ctx) })
	}()
	select {
	case <-done:
		return err
	case <-ctx.Done():
	}
	if await(done, h.shutdownBudget(), h.grace) {
		return err
	}
	h.logger.Error("service start still running after the shutdown timeout; the service is abandoned, not stopped", "service", name)
	return abandoned{fmt.Errorf("%s: start did not return within the shutdown timeout", name)}
}

// startEnded is the failure of a Start whose context ended.
type startEnded struct{ error }

func (e startEnded) Unwrap() error { return e.error }

// abandoned is the error of a service whose Start the host gave up on.
type abandoned struct{ error }

func (a abandoned) Unwrap() error { return a.error }

// stopWhenAsked waits until shutdown is asked for and stops the services.
func (h *Host) stopWhenAsked(running []started, unlisten func()) {
	<-h.lifetime.stopping.Done()
	budget := h.shutdownBudget()
	h.shutdownMu.Lock()
	reason := h.reason.Error()
	var ended startEnded
	if h.reasonFailed && !errors.As(h.reason, &ended) {
		reason = "service failed"
	}
	h.shutdownMu.Unlock()
	h.logger.Info("host stopping", "reason", reason)

	h.lifetime.fire(budget, evStopping)
	var errs []error
	for k := len(running) - 1; k >= 0; k-- {
		if err := h.stopOne(budget, running[k].i, running[k].s); err != nil {
			errs = append(errs, err)
		}
	}
	close(h.lifetime.stopped)
	h.lifetime.fire(budget, evStopped)
	unlisten()

	h.shutdownMu.Lock()
	h.finished = true
	h.result = errors.Join(append(h.failures, errs...)...)
	h.shutdownMu.Unlock()
	h.endBudget()
	h.logger.Info("host stopped")
	close(h.done)
}

// stopOne stops s, turning a panic into an error. The host waits for a
// service of its own package until Stop returns (they bound their own wait),
// and for another until Stop returns or the grace after ctx is done has
// passed.
func (h *Host) stopOne(ctx context.Context, i int, s Service) error {
	name := describe(i, s)
	stop := func() error { return protect(name, "stop", func() error { return s.Stop(ctx) }) }
	if _, ok := s.(stopsInTime); ok {
		return stop()
	}
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		err = stop()
	}()
	if await(done, ctx, h.grace) {
		return err
	}
	h.logger.Error("service stop still running after the shutdown timeout; the host goes on without it", "service", name)
	return fmt.Errorf("%s: stop did not return within the shutdown timeout: %w", name, context.Cause(ctx))
}

// await waits until done is closed, or until limit is done and grace has
// passed since; it reports whether done was closed.
func await(done <-chan struct{}, limit context.Context, grace time.Duration) bool {
	select {
	case <-done:
		return true
	case <-limit.Done():
	}
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

// stopsInTime marks the services of this package, whose Stop returns at
// most a grace after its context is done.
type stopsInTime interface{ stopsInTime() }

// stop asks the host to stop, for reason; a failure is also kept for Wait's
// result, if the host has not stopped yet.
func (h *Host) stop(reason error, failure bool) {
	h.shutdownMu.Lock()
	if failure && !h.finished {
		h.failures = append(h.failures, reason)
	}
	first := !h.asked
	if first {
		h.asked = true
		h.reason, h.reasonFailed = reason, failure
		h.budget, h.endBudget = context.WithTimeoutCause(context.Background(), h.timeout,
			fmt.Errorf("host: shutdown timeout (%v) spent: %w", h.timeout, context.DeadlineExceeded))
	}
	h.shutdownMu.Unlock()
	if first {
		h.askStop(reason)
	}
}

// shutdownBudget returns the context of the shutdown timeout; shutdown must
// have been asked for.
func (h *Host) shutdownBudget() context.Context {
	h.shutdownMu.Lock()
	defer h.shutdownMu.Unlock()
	return h.budget
}

// fail handles a failure reported by a service, under policy p.
func (h *Host) fail(err error, p FailurePolicy) {
	h.logger.Error("service failed", "err", err)
	if p == StopHost {
		h.stop(err, true)
	}
}

// listen makes the host's signals ask it to stop, until the returned
// function is called.
func (h *Host) listen() (unlisten func()) {
	if len(h.signals) == 0 {
		return func() {}
	}
	ctx, stop := signal.NotifyContext(context.Background(), h.signals...)
	unwatch := context.AfterFunc(ctx, func() { h.stop(context.Cause(ctx), false) })
	return func() {
		unwatch()
		stop()
	}
}

// describe names the i-th service of a host, for errors and logs.
func describe(i int, s Service) string {
	if n, ok := s.(fmt.Stringer); ok {
		return n.String()
	}
	return fmt.Sprintf("service %d (%T)", i+1, s)
}

// protect calls fn, turning a panic into an error that names the service
// and the call, with the panic value and the stack.
func protect(name, call string, fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: %s: panic: %v\n\n%s", name, call, r, debug.Stack())
		}
	}()
	return fn()
}

// env is what a Host passes to its services through the Start context.
type env struct {
	logger   *slog.Logger
	policy   FailurePolicy                    // the host's
	fail     func(err error, p FailurePolicy) // report a failure under p
	stopping context.Context                  // done when shutdown is asked for; nil outside a Host
	grace    time.Duration                    // how long to wait for work still running once the stop context is done
}

type envKey struct{}

// envFrom returns the env of the Host that started the service, or one that
// logs failures with slog.Default if there is none.
func envFrom(ctx context.Context) env {
	if e, ok := ctx.Value(envKey{}).(env); ok {
		return e
	}
	logger := slog.Default()
	return env{logger: logger, policy: Ignore, grace: grace, fail: func(err error, _ FailurePolicy) { logger.Error("service failed", "err", err) }}
}
