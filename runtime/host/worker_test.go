package host_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hubgen/hubgen/runtime/host"
)

func TestWorkerReturningNilKeepsHostRunning(t *testing.T) {
	done := make(chan struct{})
	h, _ := newHost()
	h.Add(host.Worker("brief", func(ctx context.Context) error {
		defer close(done)
		return nil
	}))

	errc := run(context.Background(), h)
	<-done
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

func TestWorkerFailureDuringStop(t *testing.T) {
	errFlush := errors.New("flush failed")
	w := host.Worker("flusher", func(ctx context.Context) error {
		<-ctx.Done()
		return errFlush
	})
	if err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	err := w.Stop(context.Background())
	if !errors.Is(err, errFlush) || !strings.Contains(err.Error(), `worker "flusher"`) {
		t.Errorf("Stop = %v, want %v naming the worker", err, errFlush)
	}
}

func TestWorkerOutlivesStartContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	started := make(chan error, 1)
	w := host.Worker("w", func(ctx context.Context) error {
		started <- ctx.Err()
		<-ctx.Done()
		return ctx.Err()
	})
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-started; err != nil {
		t.Errorf("worker context done at start: %v", err)
	}
	if err := w.Stop(context.Background()); err != nil {
		t.Errorf("Stop = %v, want nil", err)
	}
}

func TestEveryDoesNotOverlap(t *testing.T) {
	const want = 5
	var inFlight, overlaps, runs atomic.Int32
	done := make(chan struct{})
	h, _ := newHost()
	h.Add(host.Every("slow", time.Millisecond, func(ctx context.Context) error {
		if inFlight.Add(1) > 1 {
			overlaps.Add(1)
		}
		defer inFlight.Add(-1)
		time.Sleep(3 * time.Millisecond) // work that takes longer than the interval
		if runs.Add(1) == want {
			close(done)
		}
		return nil
	}))

	errc := run(context.Background(), h)
	<-done
	h.Shutdown()
	if err := wait(t, errc); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if n := overlaps.Load(); n > 0 {
		t.Errorf("%d runs overlapped", n)
	}
}

func TestEveryStopsAtShutdown(t *testing.T) {
	ticked := make(chan struct{})
	var once sync.Once
	h, _ := newHost()
	h.Add(host.Every("ticker", time.Millisecond, func(ctx context.Context) error {
		once.Do(func() { close(ticked) })
		return nil
	}))

	errc := run(context.Background(), h)
	<-ticked
	h.Shutdown()
	if err := wait(t, errc); err != nil {
		t.Errorf("Run: %v", err)
	}
}

func TestScoped(t *testing.T) {
	errFn := errors.New("fn failed")
	tests := []struct {
		name string
		fn   func(ctx context.Context, v string) error
	}{
		{"success", func(ctx context.Context, v string) error { return nil }},
		{"error", func(ctx context.Context, v string) error { return errFn }},
		{"panic", func(ctx context.Context, v string) error { panic("kaboom") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got, cleaned string
			fn := host.Scoped(
				func(ctx context.Context) (string, func(), error) {
					return "scope", func() { cleaned = "scope" }, nil
				},
				func(ctx context.Context, v string) error {
					got = v
					return tt.fn(ctx, v)
				},
			)

			err := func() (err error) {
				defer func() {
					if r := recover(); r != nil {
						err = errors.New("panicked")
					}
				}()
				return fn(context.Background())
			}()
			if got != "scope" || cleaned != "scope" {
				t.Errorf("fn got %q, cleaned up %q; want both %q", got, cleaned, "scope")
			}
			if tt.name != "success" && err == nil {
				t.Errorf("error was swallowed")
			}
		})
	}

	t.Run("create error", func(t *testing.T) {
		errCreate := errors.New("cannot create")
		called := false
		fn := host.Scoped(
			func(ctx context.Context) (int, func(), error) { return 0, nil, errCreate },
			func(ctx context.Context, v int) error { called = true; return nil },
		)
		if err := fn(context.Background()); !errors.Is(err, errCreate) || called {
			t.Errorf("fn = %v, called = %v; want %v, false", err, called, errCreate)
		}
	})

	t.Run("panic in worker", func(t *testing.T) {
		var cleaned atomic.Bool
		h, _ := newHost()
		h.Add(host.Worker("scoped", host.Scoped(
			func(ctx context.Context) (int, func(), error) { return 1, func() { cleaned.Store(true) }, nil },
			func(ctx context.Context, v int) error { panic("kaboom") },
		)))
		err := wait(t, run(context.Background(), h))
		if err == nil || !strings.Contains(err.Error(), "panic: kaboom") {
			t.Errorf("Run = %v, want the panic", err)
		}
		if !cleaned.Load() {
			t.Error("cleanup did not run")
		}
	})
}

// TestEveryRunsAtOnce: the first run does not wait for the interval.
func TestEveryRunsAtOnce(t *testing.T) {
	ran := make(chan struct{})
	var once sync.Once
	h, _ := newHost()
	h.Add(host.Every("hourly", time.Hour, func(ctx context.Context) error {
		once.Do(func() { close(ran) })
		return nil
	}))
	start(t, h)
	<-ran
	h.Shutdown()
	if err := waitErr(t, h); err != nil {
		t.Errorf("Wait: %v", err)
	}
}

// runs returns a timed-worker function that sends its run number on the
// returned channel.
func runs() (func(context.Context) error, <-chan int32) {
	var n atomic.Int32
	c := make(chan int32, 10)
	return func(context.Context) error {
		c <- n.Add(1)
		return nil
	}, c
}

// expectRun receives a run's number, failing the test if it is not want.
func expectRun(t *testing.T, c <-chan int32, want int32) {
	t.Helper()
	select {
	case got := <-c:
		if got != want {
			t.Fatalf("run %d, want run %d", got, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("run %d did not come", want)
	}
}

// noRun fails the test if a run is waiting on c.
func noRun(t *testing.T, c <-chan int32) {
	t.Helper()
	select {
	case got := <-c:
		t.Fatalf("unexpected run %d", got)
	default:
	}
}

// made receives the announcement of a fake timer, failing the test if it is
// not want.
func made(t *testing.T, clock *host.FakeClock, want string) {
	t.Helper()
	select {
	case got := <-clock.Made:
		if got != want {
			t.Fatalf("timer %q, want %q", got, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no timer %q", want)
	}
}

func TestEveryRunsEachInterval(t *testing.T) {
	clock := host.NewFakeClock()
	fn, c := runs()
	h, _ := newHost()
	h.Add(host.Every("ticker", time.Hour, fn, host.WithClock(clock)))
	start(t, h)
	made(t, clock, "every 1h0m0s")
	expectRun(t, c, 1)
	for n := int32(2); n <= 4; n++ {
		noRun(t, c) // the worker waits for the next tick
		clock.Fire()
		expectRun(t, c, n)
	}
	h.Shutdown()
	if err := waitErr(t, h); err != nil {
		t.Errorf("Wait: %v", err)
	}
}

func TestEveryFirstRunAfter(t *testing.T) {
	clock := host.NewFakeClock()
	fn, c := runs()
	h, _ := newHost()
	h.Add(host.Every("late", time.Hour, fn, host.FirstRunAfter(5*time.Minute), host.WithClock(clock)))
	start(t, h)
	made(t, clock, "after 5m0s") // the worker waits for the first delay...
	noRun(t, c)                  // ...without running
	clock.Fire()
	made(t, clock, "every 1h0m0s")
	expectRun(t, c, 1)
	clock.Fire()
	expectRun(t, c, 2)
	h.Shutdown()
	if err := waitErr(t, h); err != nil {
		t.Errorf("Wait: %v", err)
	}
}

// TestEveryFirstRunAfterStop: stopped during its first delay, a timed
// worker has not run, and stops cleanly.
func TestEveryFirstRunAfterStop(t *testing.T) {
	clock := host.NewFakeClock()
	fn, c := runs()
	w := host.Every("late", time.Hour, fn, host.FirstRunAfter(time.Minute), host.WithClock(clock))
	if err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	made(t, clock, "after 1m0s")
	if err := w.Stop(expired()); err != nil {
		t.Errorf("Stop = %v", err)
	}
	noRun(t, c)
}

// TestEveryDropsMissedTicks: ticks that come during a run are not queued up:
// one is kept, as a time.Ticker keeps one, and the others are dropped.
func TestEveryDropsMissedTicks(t *testing.T) {
	clock := host.NewFakeClock()
	var n atomic.Int32
	c := make(chan int32, 10)
	inSecond, release := make(chan struct{}), make(chan struct{})
	h, _ := newHost()
	h.Add(host.Every("slow", time.Hour, func(context.Context) error {
		k := n.Add(1)
		if k == 2 {
			close(inSecond)
			<-release
		}
		c <- k
		return nil
	}, host.WithClock(clock)))
	start(t, h)
	made(t, clock, "every 1h0m0s")
	expectRun(t, c, 1)
	clock.Fire()
	<-inSecond
	for range 3 { // three intervals pass during the second run
		clock.Fire()
	}
	close(release)
	expectRun(t, c, 2)
	expectRun(t, c, 3) // the tick kept, at once
	h.Shutdown()
	if err := waitErr(t, h); err != nil {
		t.Errorf("Wait: %v", err)
	}
	noRun(t, c)
}

// TestFinishedWorkerStopsCleanly: a worker whose function has returned stops
// cleanly when the shutdown timeout is already spent (the issue saw it fail
// about half the time).
func TestFinishedWorkerStopsCleanly(t *testing.T) {
	for range 100 {
		returned := make(chan struct{})
		w := host.Worker("brief", func(ctx context.Context) error {
			defer close(returned)
			return nil
		})
		if err := w.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		<-returned
		if err := w.Stop(expired()); err != nil {
			t.Fatalf("Stop of a finished worker = %v", err)
		}
	}
}

// TestIdleTimedWorkerStopsCleanly: a timed worker between runs stops
// cleanly when the shutdown timeout is already spent.
func TestIdleTimedWorkerStopsCleanly(t *testing.T) {
	for range 100 {
		fn, c := runs()
		w := host.Every("idle", time.Hour, fn)
		if err := w.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		expectRun(t, c, 1)
		if err := w.Stop(expired()); err != nil {
			t.Fatalf("Stop of an idle timed worker = %v", err)
		}
	}
}

// TestWorkerStillRunning: a worker that ignores its ctx is named, as still
// running, by a Stop that runs out of time; stopped again once it has
// returned, it stops cleanly.
func TestWorkerStillRunning(t *testing.T) {
	running, release := make(chan struct{}), make(chan struct{})
	w := host.Worker("stubborn", func(ctx context.Context) error {
		close(running)
		<-release
		return nil
	})
	h, _ := newHost(host.WithShutdownTimeout(time.Millisecond), host.WithGrace(time.Millisecond))
	h.Add(w)
	start(t, h)
	<-running
	h.Shutdown()
	err := waitErr(t, h)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), `worker "stubborn": still running`) {
		t.Errorf("Wait = %v, want the worker named as still running", err)
	}
	close(release)
	if err := w.Stop(context.Background()); err != nil { // it has returned now
		t.Errorf("second Stop = %v", err)
	}
}

// TestSlowWorkerStopsWithinTimeout: a worker that takes its time to finish
// after cancellation, within the timeout, stops cleanly.
func TestSlowWorkerStopsWithinTimeout(t *testing.T) {
	cancelled, release := make(chan struct{}), make(chan struct{})
	h, _ := newHost()
	h.Add(host.Worker("slow", func(ctx context.Context) error {
		<-ctx.Done()
		close(cancelled)
		<-release // cleanup that takes a while
		return ctx.Err()
	}))
	start(t, h)
	h.Shutdown()
	<-cancelled
	close(release)
	if err := waitErr(t, h); err != nil {
		t.Errorf("Wait: %v", err)
	}
}

// TestEveryPanicsOnBadInterval: a non-positive interval is refused at the
// call.
func TestEveryPanicsOnBadInterval(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Every(0) did not panic")
		}
	}()
	host.Every("bad", 0, func(context.Context) error { return nil })
}

// TestEveryRunBlockedAtShutdown: a run that ignores its ctx is named as
// still running when the shutdown timeout is spent.
func TestEveryRunBlockedAtShutdown(t *testing.T) {
	running, release := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() { close(release) })
	h, _ := newHost(host.WithShutdownTimeout(time.Millisecond), host.WithGrace(time.Millisecond))
	h.Add(host.Every("stuck", time.Hour, func(context.Context) error {
		close(running)
		<-release
		return nil
	}))
	start(t, h)
	<-running
	h.Shutdown()
	if err := waitErr(t, h); !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), `worker "stuck": still running`) {
		t.Errorf("Wait = %v, want the timed worker named as still running", err)
	}
}
