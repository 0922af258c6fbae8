// Package host runs background services — workers, timed workers, work
// queues and HTTP servers — with ordered startup and graceful, time-bounded
// shutdown. It follows the semantics of .NET's Generic Host and
// BackgroundService in Go's idiom.
//
// A [Host] starts its services in the order they were added. It runs until
// its context is done, SIGINT or SIGTERM arrives, a service fails or
// [Host.Shutdown] is called, and then stops the services in reverse order
// within a single shutdown timeout:
//
//	jobs := host.NewQueue("jobs", 100, 4)
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
// # Failures
//
// A worker, timed worker or queue item fails when its function returns an
// error other than the cancellation caused by shutdown, or panics; an HTTP
// server fails when it stops serving on its own. These services report
// failures to the Host that started them through the context passed to
// [Service.Start] (a service started outside a Host logs them with
// [slog.Default]). The Host's [FailurePolicy] decides what happens next: by
// default ([StopHost]) the first failure stops the host and [Host.Run]
// returns it; with [Ignore] failures are only logged.
package host

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"sync"
	"syscall"
	"time"
)

// Service is a component whose lifetime is managed by a [Host].
//
// Start starts the service and returns once it is running; long-running work
// belongs in a goroutine. The context passed to Start governs startup only:
// the service must not end its work when that context is cancelled (it may
// keep the context's values with [context.WithoutCancel]).
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

// WithShutdownTimeout sets how long stopping all services may take in total.
// The default is 30 seconds.
func WithShutdownTimeout(d time.Duration) Option {
	return func(h *Host) { h.timeout = d }
}

// WithFailurePolicy sets what the host does when a service fails.
// The default is [StopHost].
func WithFailurePolicy(p FailurePolicy) Option {
	return func(h *Host) { h.policy = p }
}

// A Host runs a set of services. Create one with [New].
type Host struct {
	logger   *slog.Logger
	signals  []os.Signal
	timeout  time.Duration
	policy   FailurePolicy
	services []Service

	once sync.Once
	done chan struct{} // closed by Shutdown or the first fatal failure
	err  error         // the fatal failure, if any; set before done is closed
}

// New returns a Host configured by opts.
func New(opts ...Option) *Host {
	h := &Host{
		logger:  slog.Default(),
		signals: []os.Signal{os.Interrupt, syscall.SIGTERM},
		timeout: 30 * time.Second,
		done:    make(chan struct{}),
	}
	for _, opt := range opts {
		opt(h)
	}
	return h
}

// Add adds services to the host. It must be called before [Host.Run].
func (h *Host) Add(services ...Service) {
	h.services = append(h.services, services...)
}

// Shutdown asks a running host to stop; [Host.Run] then stops the services
// and returns. Shutdown does not wait, and it may be called more than once
// and from any goroutine.
func (h *Host) Shutdown() {
	h.stop(nil)
}

// Run starts the services in the order they were added, waits until ctx is
// done, a signal arrives, a service fails (see [FailurePolicy]) or
// [Host.Shutdown] is called, and then stops the started services in reverse
// order. All Stop calls share one context that expires after the shutdown
// timeout, and every service is stopped even if an earlier one fails to.
//
// If a service fails to start, the services after it are not started and
// those before it are stopped. Run returns the start error or the fatal
// failure, if any, joined with the Stop errors; a stop caused by ctx, a
// signal or Shutdown is not an error. Run must be called at most once.
func (h *Host) Run(ctx context.Context) error {
	if len(h.signals) > 0 {
		var cancel context.CancelFunc
		ctx, cancel = signal.NotifyContext(ctx, h.signals...)
		defer cancel()
	}

	startCtx := context.WithValue(ctx, envKey{}, env{h.logger, h.report})
	var started []Service
	for _, s := range h.services {
		if err := s.Start(startCtx); err != nil {
			h.logger.Error("service start failed", "err", err)
			return errors.Join(err, h.stopAll(ctx, started))
		}
		started = append(started, s)
	}
	h.logger.Info("host started", "services", len(started))

	var err error
	reason := "shutdown requested"
	select {
	case <-ctx.Done():
		reason = context.Cause(ctx).Error()
	case <-h.done:
		if err = h.err; err != nil {
			reason = "service failed"
		}
	}
	h.logger.Info("host stopping", "reason", reason)
	err = errors.Join(err, h.stopAll(ctx, started))
	h.logger.Info("host stopped")
	return err
}

// stopAll stops services in reverse order within the shutdown timeout.
func (h *Host) stopAll(ctx context.Context, services []Service) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.timeout)
	defer cancel()
	var errs []error
	for _, s := range slices.Backward(services) {
		if err := s.Stop(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// report handles a failure reported by a service.
func (h *Host) report(err error) {
	h.logger.Error("service failed", "err", err)
	if h.policy == StopHost {
		h.stop(err)
	}
}

// stop makes Run stop the services; err is the failure that caused it, if any.
func (h *Host) stop(err error) {
	h.once.Do(func() {
		h.err = err
		close(h.done)
	})
}

// env is what a Host passes to its services through the Start context.
type env struct {
	logger *slog.Logger
	report func(error) // report a failure
}

type envKey struct{}

// envFrom returns the env of the Host that started the service, or one that
// logs failures with slog.Default if there is none.
func envFrom(ctx context.Context) env {
	if e, ok := ctx.Value(envKey{}).(env); ok {
		return e
	}
	logger := slog.Default()
	return env{logger, func(err error) { logger.Error("service failed", "err", err) }}
}
