package host_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hubgen/hubgen/runtime/host"
)

// closed reports whether c is closed.
func closed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// TestLifetimeOrder: the events come in .NET's order, each channel closed
// before its callbacks run: started after every service started; stopping
// when shutdown is asked for, before any service stops; stopped after every
// service stopped, before Wait returns.
func TestLifetimeOrder(t *testing.T) {
	var ev events
	h, _ := newHost()
	lt := h.Lifetime()
	state := func() string {
		return strings.Join([]string{
			map[bool]string{true: "started", false: "-"}[closed(lt.Started())],
			map[bool]string{true: "stopping", false: "-"}[closed(lt.Stopping())],
			map[bool]string{true: "stopped", false: "-"}[closed(lt.Stopped())],
		}, "/")
	}
	lt.OnStarted(func(context.Context) { ev.add("OnStarted " + state()) })
	lt.OnStopping(func(context.Context) { ev.add("OnStopping " + state()) })
	lt.OnStopped(func(context.Context) { ev.add("OnStopped " + state()) })
	h.Add(&fake{name: "a", events: &ev,
		start: func(context.Context) error { ev.add("in start: " + state()); return nil },
		stop:  func(context.Context) error { ev.add("in stop: " + state()); return nil },
	})
	start(t, h)
	ev.add("Start returned: " + state())
	h.Shutdown()
	if !closed(lt.Stopping()) {
		t.Error("Stopping is not closed when Shutdown returns")
	}
	if err := waitErr(t, h); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	want := []string{
		"start a", "in start: -/-/-",
		"OnStarted started/-/-",
		"Start returned: started/-/-",
		"OnStopping started/stopping/-",
		"stop a", "in stop: started/stopping/-",
		"OnStopped started/stopping/stopped",
	}
	if got := ev.get(); !slices.Equal(got, want) {
		t.Errorf("events:\n%q\nwant\n%q", got, want)
	}
}

// TestLifetimeFrom: a service reaches its host's Lifetime through its Start
// context, and a worker through its function's.
func TestLifetimeFrom(t *testing.T) {
	if lt := host.LifetimeFrom(context.Background()); lt != nil {
		t.Errorf("LifetimeFrom outside a host = %v, want nil", lt)
	}
	var fromStart, fromWorker *host.Lifetime
	ran := make(chan struct{})
	h, _ := newHost()
	h.Add(
		&fake{name: "a", events: &events{}, start: func(ctx context.Context) error {
			fromStart = host.LifetimeFrom(ctx)
			return nil
		}},
		host.Worker("w", func(ctx context.Context) error {
			fromWorker = host.LifetimeFrom(ctx)
			close(ran)
			return nil
		}),
	)
	start(t, h)
	<-ran
	h.Shutdown()
	if err := waitErr(t, h); err != nil {
		t.Fatal(err)
	}
	if fromStart != h.Lifetime() || fromWorker != h.Lifetime() {
		t.Errorf("LifetimeFrom: %p from Start, %p from the worker; want %p", fromStart, fromWorker, h.Lifetime())
	}
}

// TestLifetimeShutdown: a service stops the host through its Lifetime, as
// with .NET's StopApplication.
func TestLifetimeShutdown(t *testing.T) {
	h, logs := newHost()
	h.Add(host.Worker("quitter", func(ctx context.Context) error {
		host.LifetimeFrom(ctx).Shutdown()
		<-ctx.Done()
		return ctx.Err()
	}))
	if err := wait(t, run(context.Background(), h)); err != nil {
		t.Errorf("Run: %v", err)
	}
	logs.waitFor(t, "shutdown requested")
}

// TestLifetimeCallbackPanics: a panicking callback is logged, never fails
// the host, and the callbacks after it still run.
func TestLifetimeCallbackPanics(t *testing.T) {
	var ev events
	h, logs := newHost()
	lt := h.Lifetime()
	lt.OnStarted(func(context.Context) { panic("started kaboom") })
	lt.OnStarted(func(context.Context) { ev.add("started") })
	lt.OnStopping(func(context.Context) { panic("stopping kaboom") })
	lt.OnStopping(func(context.Context) { ev.add("stopping") })
	lt.OnStopped(func(context.Context) { panic("stopped kaboom") })
	lt.OnStopped(func(context.Context) { ev.add("stopped") })
	h.Add(&fake{name: "a", events: &ev})
	start(t, h)
	h.Shutdown()
	if err := waitErr(t, h); err != nil {
		t.Errorf("Wait = %v, want nil: callbacks never fail the host", err)
	}
	if got, want := ev.get(), []string{"start a", "started", "stopping", "stop a", "stopped"}; !slices.Equal(got, want) {
		t.Errorf("events = %q, want %q", got, want)
	}
	logs.waitFor(t, "lifetime callback panicked", "started kaboom", "stopping kaboom", "stopped kaboom")
}

// TestLifetimeCallbackBlocked: the host stops waiting for a callback that
// ignores its ctx once the shutdown timeout and its grace are over, logs it,
// and still stops the services; a slow one that returns in time is waited
// for.
func TestLifetimeCallbackBlocked(t *testing.T) {
	for _, event := range []string{"started", "stopping", "stopped"} {
		t.Run(event, func(t *testing.T) {
			var ev events
			release := make(chan struct{})
			t.Cleanup(func() { close(release) })
			h, logs := newHost(host.WithShutdownTimeout(10*time.Millisecond), host.WithGrace(10*time.Millisecond))
			lt := h.Lifetime()
			blocked := func(context.Context) {
				if event == "started" {
					h.Shutdown() // else Start would wait forever, as .NET's does
				}
				<-release
			}
			map[string]func(func(context.Context)){"started": lt.OnStarted, "stopping": lt.OnStopping, "stopped": lt.OnStopped}[event](blocked)
			h.Add(&fake{name: "a", events: &ev})
			errc := run(context.Background(), h)
			if event != "started" {
				<-lt.Started()
				h.Shutdown()
			}
			if err := wait(t, errc); err != nil {
				t.Errorf("Run = %v, want nil", err)
			}
			if got, want := ev.get(), []string{"start a", "stop a"}; !slices.Equal(got, want) {
				t.Errorf("events = %q, want %q", got, want)
			}
			logs.waitFor(t, "lifetime callback still running after the shutdown timeout", "event="+event)
		})
	}

	t.Run("slow", func(t *testing.T) {
		h, _ := newHost()
		in, release := make(chan struct{}), make(chan struct{})
		finished := false
		h.Lifetime().OnStopping(func(context.Context) {
			close(in)
			<-release
			finished = true
		})
		start(t, h)
		h.Shutdown()
		<-in
		close(release)
		if err := waitErr(t, h); err != nil {
			t.Fatal(err)
		}
		if !finished {
			t.Error("Wait returned before the OnStopping callback")
		}
	})
}

// TestLifetimeLateCallbacks: a callback registered after its event runs at
// once; the channels stay closed.
func TestLifetimeLateCallbacks(t *testing.T) {
	h, _ := newHost()
	start(t, h)
	h.Shutdown()
	if err := waitErr(t, h); err != nil {
		t.Fatal(err)
	}
	lt := h.Lifetime()
	var got []string
	lt.OnStarted(func(context.Context) { got = append(got, "started") })
	lt.OnStopping(func(context.Context) { got = append(got, "stopping") })
	lt.OnStopped(func(context.Context) { got = append(got, "stopped") })
	if want := []string{"started", "stopping", "stopped"}; !slices.Equal(got, want) {
		t.Errorf("late callbacks ran %q, want %q", got, want)
	}
	if !closed(lt.Started()) || !closed(lt.Stopping()) || !closed(lt.Stopped()) {
		t.Error("a channel is not closed after the host stopped")
	}
}

// TestMonitorLoop ports the hosted-services document's MonitorLoop: after
// Start, a loop outside the host enqueues a work item for each "w" read,
// until the host is stopping; it does not hold the shutdown, even while it
// waits for input.
func TestMonitorLoop(t *testing.T) {
	q := newQueue(t, "tasks", 10, 1)
	h, _ := newHost()
	h.Add(q)
	start(t, h)

	keys := make(chan rune) // the console; never closed: the loop still ends
	ran := make(chan rune, 10)
	loopDone := make(chan struct{})
	go func() {
		defer close(loopDone)
		for {
			select {
			case <-h.Lifetime().Stopping():
				return
			case k := <-keys:
				if k == 'w' {
					q.Enqueue(context.Background(), func(context.Context) error { ran <- k; return nil })
				}
			}
		}
	}()
	keys <- 'w'
	keys <- 'x'
	keys <- 'w'
	for range 2 {
		<-ran
	}
	h.Shutdown()
	<-loopDone
	if err := waitErr(t, h); err != nil {
		t.Errorf("Wait: %v", err)
	}
}
