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
