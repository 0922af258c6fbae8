package host_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/hubgen/hubgen/runtime/host"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// logBuffer is a concurrency-safe log sink that can be waited on.
type logBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	written chan struct{}
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case b.written <- struct{}{}:
	default:
	}
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor waits until the log contains all of subs.
func (b *logBuffer) waitFor(t *testing.T, subs ...string) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		s := b.String()
		if !slices.ContainsFunc(subs, func(sub string) bool { return !strings.Contains(s, sub) }) {
			return
		}
		select {
		case <-b.written:
		case <-timeout:
			t.Fatalf("log does not contain %q:\n%s", subs, s)
		}
	}
}

// newLogger returns a logger writing to the returned buffer.
func newLogger() (*slog.Logger, *logBuffer) {
	logs := &logBuffer{written: make(chan struct{}, 1)}
	return slog.New(slog.NewTextHandler(logs, nil)), logs
}

// newHost returns a host that logs to the returned buffer and ignores
// signals; opts may override that.
func newHost(opts ...host.Option) (*host.Host, *logBuffer) {
	logger, logs := newLogger()
	opts = append([]host.Option{host.WithLogger(logger), host.WithSignals()}, opts...)
	return host.New(opts...), logs
}

// run runs h in a goroutine and returns the channel receiving Run's result.
func run(ctx context.Context, h *host.Host) <-chan error {
	errc := make(chan error, 1)
	go func() { errc <- h.Run(ctx) }()
	return errc
}

// wait returns the result of Run, failing the test if it takes too long.
func wait(t *testing.T, errc <-chan error) error {
	t.Helper()
	select {
	case err := <-errc:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
		return nil
	}
}

// events records what services do, in order.
type events struct {
	mu   sync.Mutex
	list []string
}

func (e *events) add(s string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.list = append(e.list, s)
}

func (e *events) get() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.list)
}

// fake is a Service that records its calls and fails as told; start and
// stop, if set, run after the call is recorded and give its result.
type fake struct {
	name              string
	events            *events
	startErr, stopErr error
	start, stop       func(ctx context.Context) error
}

func (f *fake) Start(ctx context.Context) error {
	f.events.add("start " + f.name)
	if f.start != nil {
		return f.start(ctx)
	}
	return f.startErr
}

func (f *fake) Stop(ctx context.Context) error {
	f.events.add("stop " + f.name)
	if f.stop != nil {
		return f.stop(ctx)
	}
	return f.stopErr
}

// start starts h, failing the test if Start fails.
func start(t *testing.T, h *host.Host) {
	t.Helper()
	if err := h.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
}

// waitErr returns the result of h.Wait, failing the test if it takes too long.
func waitErr(t *testing.T, h *host.Host) error {
	t.Helper()
	errc := make(chan error, 1)
	go func() { errc <- h.Wait() }()
	return wait(t, errc)
}

func TestStartsInOrderAndStopsInReverse(t *testing.T) {
	var ev events
	h, _ := newHost()
	h.Add(&fake{name: "a", events: &ev}, &fake{name: "b", events: &ev})
	h.Add(&fake{name: "c", events: &ev})
	start(t, h)
	h.Shutdown()
	if err := waitErr(t, h); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	want := []string{"start a", "start b", "start c", "stop c", "stop b", "stop a"}
	if got := ev.get(); !slices.Equal(got, want) {
		t.Errorf("events = %q, want %q", got, want)
	}
}

func TestShutdownBeforeStartStartsNothing(t *testing.T) {
	var ev events
	h, _ := newHost()
	h.Add(&fake{name: "a", events: &ev})
	h.Shutdown()
	if err := h.Run(context.Background()); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := ev.get(); len(got) > 0 {
		t.Errorf("events = %q, want none", got)
	}
}

func TestStartAndWaitMisuse(t *testing.T) {
	h, _ := newHost()
	if err := h.Wait(); err == nil {
		t.Error("Wait before Start returned nil")
	}
	start(t, h)
	if err := h.Start(context.Background()); err == nil {
		t.Error("a second Start returned nil")
	}
	if err := h.Run(context.Background()); err == nil {
		t.Error("Run after Start returned nil")
	}
	h.Shutdown()
	h.Shutdown()
	// Wait from several goroutines: the same result for all.
	errc := make(chan error, 3)
	for range 3 {
		go func() { errc <- h.Wait() }()
	}
	for range 3 {
		if err := wait(t, errc); err != nil {
			t.Errorf("Wait: %v", err)
		}
	}
}

func TestRunStartFailure(t *testing.T) {
	var ev events
	errStart := errors.New("cannot start")
	h, _ := newHost()
	h.Add(
		&fake{name: "a", events: &ev},
		&fake{name: "b", events: &ev},
		&fake{name: "c", events: &ev, startErr: errStart},
		&fake{name: "d", events: &ev},
	)

	err := wait(t, run(context.Background(), h))
	if !errors.Is(err, errStart) {
		t.Fatalf("Run = %v, want %v", err, errStart)
	}
	want := []string{"start a", "start b", "start c", "stop b", "stop a"}
	if got := ev.get(); !slices.Equal(got, want) {
		t.Errorf("events = %q, want %q", got, want)
	}
	if err := h.Wait(); !errors.Is(err, errStart) {
		t.Errorf("Wait after the failed Run = %v, want %v", err, errStart)
	}
}

func TestStartFailure(t *testing.T) {
	var ev events
	errStart := errors.New("cannot start")
	h, _ := newHost()
	h.Add(&fake{name: "a", events: &ev}, &fake{name: "b", events: &ev, startErr: errStart})
	if err := h.Start(context.Background()); !errors.Is(err, errStart) {
		t.Fatalf("Start = %v, want %v", err, errStart)
	}
	// Start has stopped what it started before it returned.
	if got, want := ev.get(), []string{"start a", "start b", "stop a"}; !slices.Equal(got, want) {
		t.Errorf("events = %q, want %q", got, want)
	}
	select {
	case <-h.Lifetime().Started():
		t.Error("Started fired for a host that failed to start")
	default:
	}
	<-h.Lifetime().Stopped()
}

func TestRunStopsAllAndJoinsErrors(t *testing.T) {
	var ev events
	errA, errB := errors.New("a failed"), errors.New("b failed")
	h, _ := newHost()
	h.Add(
		&fake{name: "a", events: &ev, stopErr: errA},
		&fake{name: "b", events: &ev, stopErr: errB},
		&fake{name: "c", events: &ev},
	)
	start(t, h)
	h.Shutdown()

	err := waitErr(t, h)
	if !errors.Is(err, errA) || !errors.Is(err, errB) {
		t.Errorf("Wait = %v, want both %v and %v", err, errA, errB)
	}
	want := []string{"start a", "start b", "start c", "stop c", "stop b", "stop a"}
	if got := ev.get(); !slices.Equal(got, want) {
		t.Errorf("events = %q, want %q", got, want)
	}
}

func TestRunStopsWhenContextDone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	running := make(chan struct{})
	h, logs := newHost()
	h.Add(host.Worker("w", func(ctx context.Context) error {
		close(running)
		<-ctx.Done()
		return ctx.Err()
	}))

	errc := run(ctx, h)
	<-running
	cancel()
	if err := wait(t, errc); err != nil {
		t.Fatalf("Run: %v", err)
	}
	logs.waitFor(t, "host stopping", "context canceled", "host stopped")
}

func TestRunShutdownTimeout(t *testing.T) {
	var ev events
	running, release := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() { close(release) })
	h, _ := newHost(host.WithShutdownTimeout(50*time.Millisecond), host.WithGrace(10*time.Millisecond))
	h.Add(
		&fake{name: "a", events: &ev},
		host.Worker("stubborn", func(ctx context.Context) error {
			close(running)
			<-release // ignores ctx
			return nil
		}),
	)

	errc := run(context.Background(), h)
	<-running
	h.Shutdown()
	err := wait(t, errc)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), `worker "stubborn"`) {
		t.Errorf("Run = %v, want deadline exceeded naming the worker", err)
	}
	if got, want := ev.get(), []string{"start a", "stop a"}; !slices.Equal(got, want) {
		t.Errorf("events = %q, want %q", got, want)
	}
}

func TestFailurePolicyStopHost(t *testing.T) {
	errBoom := errors.New("boom")
	tests := []struct {
		name    string
		service func() host.Service
		want    []string // in the error
	}{
		{
			name: "worker error",
			service: func() host.Service {
				return host.Worker("failing", func(ctx context.Context) error { return errBoom })
			},
			want: []string{`worker "failing"`, "boom"},
		},
		{
			name: "worker panic",
			service: func() host.Service {
				return host.Worker("failing", func(ctx context.Context) error { panic("kaboom") })
			},
			want: []string{`worker "failing"`, "panic: kaboom", "runtime/debug.Stack"},
		},
		{
			name: "timed worker error",
			service: func() host.Service {
				return host.Every("ticking", time.Millisecond, func(ctx context.Context) error { return errBoom })
			},
			want: []string{`worker "ticking"`, "boom"},
		},
		{
			name: "queue item panic",
			service: func() host.Service {
				q := newQueue(t, "jobs", 1, 1)
				if err := q.Enqueue(context.Background(), func(ctx context.Context) error { panic("kaboom") }); err != nil {
					t.Fatal(err)
				}
				return q
			},
			want: []string{`queue "jobs"`, "panic: kaboom", "runtime/debug.Stack"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ev events
			h, logs := newHost()
			h.Add(&fake{name: "a", events: &ev}, tt.service())

			err := wait(t, run(context.Background(), h))
			if err == nil {
				t.Fatal("Run returned nil, want the failure")
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Run = %v, want it to contain %q", err, want)
				}
			}
			if got, want := ev.get(), []string{"start a", "stop a"}; !slices.Equal(got, want) {
				t.Errorf("events = %q, want %q", got, want)
			}
			logs.waitFor(t, "service failed", "reason=\"service failed\"")
		})
	}
}

func TestFailurePolicyIgnore(t *testing.T) {
	h, logs := newHost(host.WithFailurePolicy(host.Ignore))
	runs := 0
	third := make(chan struct{})
	h.Add(
		host.Worker("failing", func(ctx context.Context) error {
			return errors.New("worker boom")
		}),
		host.Every("flaky", time.Millisecond, func(ctx context.Context) error {
			runs++
			switch runs {
			case 1:
				return errors.New("tick boom")
			case 2:
				panic("tick kaboom")
			case 3:
				close(third)
			}
			return nil
		}),
	)

	errc := run(context.Background(), h)
	<-third // the timed worker carried on after failing twice
	logs.waitFor(t, `worker \"failing\": worker boom`, `worker \"flaky\": tick boom`, "panic: tick kaboom")
	select {
	case err := <-errc:
		t.Fatalf("Run returned %v before Shutdown", err)
	default:
	}
	h.Shutdown()
	if err := wait(t, errc); err != nil {
		t.Errorf("Run: %v", err)
	}
}

// TestFailureWhileStopping: a failure under StopHost that comes after
// shutdown began, before its service is stopped, is still returned.
func TestFailureWhileStopping(t *testing.T) {
	h, _ := newHost()
	errFlush := errors.New("flush failed")
	h.Add(
		host.Worker("flusher", func(ctx context.Context) error {
			<-host.LifetimeFrom(ctx).Stopping()
			return errFlush // before its own Stop: reported to the host
		}),
		&fake{name: "last", events: &events{}, stop: func(context.Context) error {
			return nil
		}},
	)
	start(t, h)
	h.Shutdown()
	if err := waitErr(t, h); !errors.Is(err, errFlush) {
		t.Errorf("Wait = %v, want %v", err, errFlush)
	}
}
