package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hubgen/hubgen/runtime/host"
)

// logBuffer is a log sink that can be waited on.
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

// waitFor waits until one line of the log contains all of subs.
func (b *logBuffer) waitFor(t *testing.T, subs ...string) {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		for line := range strings.Lines(b.String()) {
			if !slices.ContainsFunc(subs, func(sub string) bool { return !strings.Contains(line, sub) }) {
				return
			}
		}
		select {
		case <-b.written:
		case <-timeout:
			t.Fatalf("no log line contains %q:\n%s", subs, b)
		}
	}
}

func newLogger() (*slog.Logger, *logBuffer) {
	logs := &logBuffer{written: make(chan struct{}, 1)}
	return slog.New(slog.NewTextHandler(logs, nil)), logs
}

// runHost runs services in a host that ignores signals, until the returned
// function is called; it returns the host's error.
func runHost(t *testing.T, logger *slog.Logger, services ...host.Service) (stop func() error) {
	t.Helper()
	h := host.New(host.WithLogger(logger), host.WithSignals())
	h.Add(services...)
	if err := h.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return func() error {
		h.Shutdown()
		return h.Wait()
	}
}

// TestTimedHostedService: the timed service works at once, not a period
// later (its period here is an hour), and says when it stops.
func TestTimedHostedService(t *testing.T) {
	logger, logs := newLogger()
	stop := runHost(t, logger, timedHostedService(time.Hour, logger))
	logs.waitFor(t, "Timed Hosted Service running.")
	logs.waitFor(t, "Timed Hosted Service is working.", "count=1")
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	logs.waitFor(t, "Timed Hosted Service is stopping.")

	// With a short period, it counts on.
	logger, logs = newLogger()
	stop = runHost(t, logger, timedHostedService(time.Millisecond, logger))
	logs.waitFor(t, "Timed Hosted Service is working.", "count=3")
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// TestPeriodicHostedService: the asynchronous timed task does its work once
// at once; stopped in the middle of its work, it stops cleanly.
func TestPeriodicHostedService(t *testing.T) {
	logger, logs := newLogger()
	stop := runHost(t, logger, periodicHostedService(time.Hour, time.Millisecond, logger))
	logs.waitFor(t, "Periodic Hosted Service is working.", "count=1")
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	logger, logs = newLogger()
	stop = runHost(t, logger, periodicHostedService(time.Hour, time.Hour, logger))
	logs.waitFor(t, "Periodic Hosted Service running.")
	if err := stop(); err != nil { // while the first run's work goes on
		t.Errorf("stopped during its work: %v", err)
	}
	logs.waitFor(t, "Periodic Hosted Service is stopping.")
}

// TestConsumeScopedService: the hosted service runs the scoped service in a
// scope of its own, which it disposes when it stops.
func TestConsumeScopedService(t *testing.T) {
	logger, logs := newLogger()
	stop := runHost(t, logger, consumeScopedServiceHostedService(time.Millisecond, logger))
	logs.waitFor(t, "Consume Scoped Service Hosted Service running.")
	logs.waitFor(t, "Consume Scoped Service Hosted Service is working.")
	logs.waitFor(t, "Scoped Processing Service is working.", "count=3")
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	logs.waitFor(t, "Consume Scoped Service Hosted Service is stopping.")
	logs.waitFor(t, "Scope disposed.")
}

// startRun runs run with cfg in a goroutine, reading the returned writer;
// cancel stops it, and the channel receives run's result.
func startRun(t *testing.T, cfg config) (io.Writer, *logBuffer, context.CancelFunc, <-chan error) {
	t.Helper()
	logger, logs := newLogger()
	r, w := io.Pipe()
	t.Cleanup(func() { w.Close() }) // the console stays open until the test ends
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	errc := make(chan error, 1)
	go func() { errc <- run(ctx, cfg, r, logger, host.WithSignals()) }()
	logs.waitFor(t, "MonitorAsync Loop is starting")
	return w, logs, cancel, errc
}

// quiet is a config whose timed services stay out of the way.
func quiet() config {
	return config{timed: time.Hour, periodic: time.Hour, work: time.Millisecond, scoped: time.Hour, capacity: 10, step: time.Millisecond}
}

// wait returns run's result, failing the test if it takes too long.
func wait(t *testing.T, errc <-chan error) error {
	t.Helper()
	select {
	case err := <-errc:
		return err
	case <-time.After(20 * time.Second):
		t.Fatal("run did not return")
		return nil
	}
}

// TestQueuedBackgroundTasks: each w typed queues a work item, which runs its
// three steps to completion; other keys queue nothing. The monitor loop
// ends at shutdown though the console is still open.
func TestQueuedBackgroundTasks(t *testing.T) {
	console, logs, cancel, errc := startRun(t, quiet())
	io.WriteString(console, "w\n")
	logs.waitFor(t, "Queued Background Task is complete.", "task=1")
	io.WriteString(console, "xyW")
	logs.waitFor(t, "Queued Background Task is complete.", "task=2")
	cancel()
	if err := wait(t, errc); err != nil {
		t.Errorf("run = %v", err)
	}
	for _, want := range []string{"Queued Background Task is running.", "step=3"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q", want)
		}
	}
	if strings.Contains(logs.String(), "task=3") {
		t.Errorf("a key other than w queued a work item:\n%s", logs)
	}
}

// TestQueuedBackgroundTaskCancelled: shutdown cancels the work item that is
// running, which says so, and drops those queued behind it; the host stops
// cleanly.
func TestQueuedBackgroundTaskCancelled(t *testing.T) {
	cfg := quiet()
	cfg.step = time.Hour
	console, logs, cancel, errc := startRun(t, cfg)
	io.WriteString(console, "ww")
	logs.waitFor(t, "Queued Background Task is starting.", "task=1")
	logs.waitFor(t, "Work item queued.", "task=2")
	cancel()
	if err := wait(t, errc); err != nil {
		t.Errorf("run = %v", err)
	}
	logs.waitFor(t, "Queued Background Task was cancelled.", "task=1")
	logs.waitFor(t, "queue items dropped at shutdown", "dropped=1")
	if strings.Contains(logs.String(), "Queued Background Task is starting. task=2") {
		t.Errorf("task 2 ran:\n%s", logs)
	}
	logs.waitFor(t, "Queued Hosted Service is stopping.")
}

// TestWorkItemFailureIsLogged: a failing work item is logged and the queue
// carries on, as the sample's try/catch does.
func TestWorkItemFailureIsLogged(t *testing.T) {
	logger, logs := newLogger()
	queue, queued, err := newBackgroundTaskQueue(10, logger)
	if err != nil {
		t.Fatal(err)
	}
	stop := runHost(t, logger, queued)
	ctx := context.Background()
	queue.Enqueue(ctx, func(context.Context) error { panic("work item kaboom") })
	done := make(chan struct{})
	queue.Enqueue(ctx, func(context.Context) error { close(done); return nil })
	<-done
	if err := stop(); err != nil {
		t.Errorf("a failing work item failed the host: %v", err)
	}
	logs.waitFor(t, "service failed", "work item kaboom")
}

// TestProgram runs the command as a process: a w on its standard input
// queues a work item, and SIGINT stops it with status 0.
func TestProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds and runs the example")
	}
	bin := filepath.Join(t.TempDir(), "tasks")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-step", "1ms", "-timed", "1h", "-periodic", "1h", "-work", "1ms", "-scoped", "1h")
	stdin, _ := cmd.StdinPipe()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		s := bufio.NewScanner(stderr)
		for s.Scan() {
			t.Log(s.Text())
			lines <- s.Text()
		}
	}()
	await := func(sub string) {
		t.Helper()
		timeout := time.After(30 * time.Second)
		for {
			select {
			case line, ok := <-lines:
				if !ok {
					t.Fatalf("output ended before %q", sub)
				}
				if strings.Contains(line, sub) {
					return
				}
			case <-timeout:
				t.Fatalf("no %q", sub)
			}
		}
	}
	await("MonitorAsync Loop is starting")
	io.WriteString(stdin, "w\n")
	await("Queued Background Task is complete.")
	cmd.Process.Signal(os.Interrupt)
	await("Queued Hosted Service is stopping.")
	for range lines {
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("after SIGINT: %v", err)
	}
}
