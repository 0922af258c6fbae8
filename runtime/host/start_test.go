package host_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hubgen/hubgen/runtime/host"
)

// blockingStart returns a Start that says it has begun and then waits for
// its ctx to end, as a connect-until-connected loop does.
func blockingStart(begun chan<- struct{}) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		close(begun)
		<-ctx.Done()
		return context.Cause(ctx)
	}
}

// TestShutdownCancelsStart: Shutdown while a service starts ends that
// service's Start context; no further service starts; Start returns nil and
// Wait stops the services that had started.
func TestShutdownCancelsStart(t *testing.T) {
	var ev events
	begun := make(chan struct{})
	h, logs := newHost()
	h.Add(
		&fake{name: "a", events: &ev},
		&fake{name: "slow", events: &ev, start: blockingStart(begun)},
		&fake{name: "c", events: &ev},
	)
	startErr := make(chan error, 1)
	go func() { startErr <- h.Start(context.Background()) }()
	<-begun
	h.Shutdown()
	if err := wait(t, startErr); err != nil {
		t.Fatalf("Start = %v, want nil", err)
	}
	if err := waitErr(t, h); err != nil {
		t.Fatalf("Wait = %v", err)
	}
	if got, want := ev.get(), []string{"start a", "start slow", "stop a"}; !slices.Equal(got, want) {
		t.Errorf("events = %q, want %q", got, want)
	}
	logs.waitFor(t, "service start interrupted by shutdown", "shutdown requested")
	select {
	case <-h.Lifetime().Started():
		t.Error("Started fired for a host stopped while it started")
	default:
	}
}

// TestFailureCancelsStart: a failure under StopHost, from a service already
// started, ends the Start in progress; Start returns the failure.
func TestFailureCancelsStart(t *testing.T) {
	var ev events
	errBoom := errors.New("boom")
	begun := make(chan struct{})
	h, _ := newHost()
	h.Add(
		&fake{name: "a", events: &ev},
		host.Worker("failing", func(ctx context.Context) error {
			<-begun
			return errBoom
		}),
		&fake{name: "slow", events: &ev, start: blockingStart(begun)},
		&fake{name: "d", events: &ev},
	)
	errc := make(chan error, 1)
	go func() { errc <- h.Start(context.Background()) }()
	err := wait(t, errc)
	if !errors.Is(err, errBoom) || !strings.Contains(err.Error(), `worker "failing"`) {
		t.Fatalf("Start = %v, want the worker's failure", err)
	}
	if got, want := ev.get(), []string{"start a", "start slow", "stop a"}; !slices.Equal(got, want) {
		t.Errorf("events = %q, want %q", got, want)
	}
}

// TestStartContextEnds: the end of Start's ctx while services start fails
// Start; the end of Run's ctx is a request to stop.
func TestStartContextEnds(t *testing.T) {
	for _, viaRun := range []bool{false, true} {
		var ev events
		begun := make(chan struct{})
		h, _ := newHost()
		h.Add(&fake{name: "a", events: &ev}, &fake{name: "slow", events: &ev, start: blockingStart(begun)})
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() {
			if viaRun {
				errc <- h.Run(ctx)
			} else {
				errc <- h.Start(ctx)
			}
		}()
		<-begun
		cancel()
		err := wait(t, errc)
		switch {
		case viaRun && err != nil:
			t.Errorf("Run = %v, want nil", err)
		case !viaRun && !errors.Is(err, context.Canceled):
			t.Errorf("Start = %v, want %v", err, context.Canceled)
		}
		if got, want := ev.get(), []string{"start a", "start slow", "stop a"}; !slices.Equal(got, want) {
			t.Errorf("events = %q, want %q", got, want)
		}
	}
}

// TestStartIgnoringCancellation: a Start that ignores its ctx is given up on
// after the shutdown timeout and its grace; the host stops the others and
// names it.
func TestStartIgnoringCancellation(t *testing.T) {
	var ev events
	begun, release := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() { close(release) })
	h, _ := newHost(host.WithShutdownTimeout(10*time.Millisecond), host.WithGrace(10*time.Millisecond))
	h.Add(
		&fake{name: "a", events: &ev},
		&fake{name: "stuck", events: &ev, start: func(ctx context.Context) error {
			close(begun)
			<-release
			return nil
		}},
	)
	errc := run(context.Background(), h)
	<-begun
	h.Shutdown()
	err := wait(t, errc)
	if err == nil || !strings.Contains(err.Error(), "start did not return within the shutdown timeout") || !strings.Contains(err.Error(), "*host_test.fake") {
		t.Errorf("Run = %v, want the stuck service named", err)
	}
	if got, want := ev.get(), []string{"start a", "start stuck", "stop a"}; !slices.Equal(got, want) {
		t.Errorf("events = %q, want %q", got, want)
	}
}

// TestStartPanics: a panic in Start is that Start's error; the services
// started before it are stopped in reverse, the later ones never start.
func TestStartPanics(t *testing.T) {
	var ev events
	h, _ := newHost()
	h.Add(
		&fake{name: "a", events: &ev},
		&fake{name: "b", events: &ev},
		&fake{name: "panicky", events: &ev, start: func(context.Context) error { panic("start kaboom") }},
		&fake{name: "d", events: &ev},
	)
	err := wait(t, run(context.Background(), h))
	for _, want := range []string{"service 3 (*host_test.fake): start: panic: start kaboom", "runtime/debug.Stack"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Run = %v, want it to contain %q", err, want)
		}
	}
	if got, want := ev.get(), []string{"start a", "start b", "start panicky", "stop b", "stop a"}; !slices.Equal(got, want) {
		t.Errorf("events = %q, want %q", got, want)
	}
}

// TestStopPanics: a panic in Stop is that Stop's error, and the services
// before it are still stopped.
func TestStopPanics(t *testing.T) {
	var ev events
	h, _ := newHost()
	h.Add(
		&fake{name: "a", events: &ev},
		&fake{name: "panicky", events: &ev, stop: func(context.Context) error { panic("stop kaboom") }},
		&fake{name: "c", events: &ev},
	)
	start(t, h)
	h.Shutdown()
	err := waitErr(t, h)
	if err == nil || !strings.Contains(err.Error(), "service 2 (*host_test.fake): stop: panic: stop kaboom") {
		t.Errorf("Wait = %v, want the panic", err)
	}
	if got, want := ev.get(), []string{"start a", "start panicky", "start c", "stop c", "stop panicky", "stop a"}; !slices.Equal(got, want) {
		t.Errorf("events = %q, want %q", got, want)
	}
}

// TestStopBlocked: a Stop that ignores its ctx is given up on after the
// shutdown timeout and its grace; it is named, and the services before it
// are still stopped.
func TestStopBlocked(t *testing.T) {
	var ev events
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	h, logs := newHost(host.WithShutdownTimeout(10*time.Millisecond), host.WithGrace(10*time.Millisecond))
	h.Add(
		&fake{name: "a", events: &ev},
		&fake{name: "stuck", events: &ev, stop: func(context.Context) error { <-release; return nil }},
	)
	start(t, h)
	h.Shutdown()
	err := waitErr(t, h)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "service 2 (*host_test.fake): stop did not return within the shutdown timeout") {
		t.Errorf("Wait = %v, want the stuck service named", err)
	}
	if got, want := ev.get(), []string{"start a", "start stuck", "stop stuck", "stop a"}; !slices.Equal(got, want) {
		t.Errorf("events = %q, want %q", got, want)
	}
	logs.waitFor(t, "service stop still running after the shutdown timeout")
}

// TestSlowStopAfterSpentBudget: a service stopped once the timeout is spent
// is still stopped, and its Stop, which returns at once, is no failure.
func TestSlowStopAfterSpentBudget(t *testing.T) {
	var ev events
	running, release := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() { close(release) })
	h, _ := newHost(host.WithShutdownTimeout(10*time.Millisecond), host.WithGrace(10*time.Millisecond))
	h.Add(
		&fake{name: "after", events: &ev, stop: func(ctx context.Context) error {
			if ctx.Err() == nil {
				return errors.New("the budget should be spent")
			}
			return nil // a quick cleanup, whatever the budget
		}},
		host.Worker("stubborn", func(ctx context.Context) error {
			close(running)
			<-release
			return nil
		}),
	)
	start(t, h)
	<-running
	h.Shutdown()
	err := waitErr(t, h)
	if err == nil || strings.Contains(err.Error(), "service 1") || !strings.Contains(err.Error(), `worker "stubborn"`) {
		t.Errorf("Wait = %v, want only the stubborn worker", err)
	}
	if got, want := ev.get(), []string{"start after", "stop after"}; !slices.Equal(got, want) {
		t.Errorf("events = %q, want %q", got, want)
	}
}

// TestSpentBudgetNamesOnlyWhatStillWorks is the case: one service
// uses up the shutdown timeout, and the services stopped after it (a worker
// whose function has returned, an idle timed worker, an idle queue, an idle
// HTTP server) stop cleanly; the error names only the one still working.
func TestSpentBudgetNamesOnlyWhatStillWorks(t *testing.T) {
	for i := range 20 {
		ln := listen(t)
		q := newQueue(t, "jobs", 1, 1)
		returned, ticked, running, release := make(chan struct{}), make(chan struct{}), make(chan struct{}), make(chan struct{})
		h, logs := newHost(host.WithShutdownTimeout(5*time.Millisecond), host.WithGrace(5*time.Millisecond))
		h.Add(
			host.HTTPServerListener(newServer(), ln),
			q,
			host.Worker("done", func(context.Context) error { close(returned); return nil }),
			host.Every("ticker", time.Hour, func(context.Context) error { close(ticked); return nil }),
			host.Worker("stubborn", func(ctx context.Context) error {
				close(running)
				<-release
				return nil
			}),
		)
		start(t, h)
		<-returned
		<-ticked
		<-running
		h.Shutdown()
		err := waitErr(t, h)
		close(release)
		if err == nil || !strings.Contains(err.Error(), `worker "stubborn": still running`) {
			t.Fatalf("run %d: Wait = %v, want the stubborn worker", i, err)
		}
		for _, innocent := range []string{"http server", `queue "jobs"`, `worker "done"`, `worker "ticker"`} {
			if strings.Contains(err.Error(), innocent) {
				t.Fatalf("run %d: Wait = %v, which names %s", i, err, innocent)
			}
		}
		if strings.Contains(logs.String(), "queue stopped before its items finished") {
			t.Fatalf("run %d: the idle queue logged an error:\n%s", i, logs)
		}
	}
}

// newServer returns an HTTP server that answers 404.
func newServer() *http.Server {
	return &http.Server{Handler: http.NotFoundHandler()}
}

// TestSlowStop: a Stop that takes its time, within the shutdown timeout, is
// waited for, and the services before it are stopped after it.
func TestSlowStop(t *testing.T) {
	var ev events
	inStop, release := make(chan struct{}), make(chan struct{})
	h, _ := newHost()
	h.Add(
		&fake{name: "a", events: &ev},
		&fake{name: "slow", events: &ev, stop: func(ctx context.Context) error {
			close(inStop)
			<-release
			return nil
		}},
	)
	start(t, h)
	h.Shutdown()
	<-inStop
	if got, want := ev.get(), []string{"start a", "start slow", "stop slow"}; !slices.Equal(got, want) {
		t.Errorf("events while slow stops = %q, want %q", got, want)
	}
	close(release)
	if err := waitErr(t, h); err != nil {
		t.Errorf("Wait = %v", err)
	}
	if got, want := ev.get(), []string{"start a", "start slow", "stop slow", "stop a"}; !slices.Equal(got, want) {
		t.Errorf("events = %q, want %q", got, want)
	}
}
