// Command tasks ports the samples of ASP.NET Core's "Background tasks with
// hosted services" document to runtime/host, as the console program its
// BackgroundTasksSample is: a timed background task, the asynchronous timed
// one (a PeriodicTimer loop), a hosted service that consumes a scoped service,
// and queued background tasks fed by a monitor loop that reads the console.
//
//	go run ./examples/clock/tasks [-timed 5s] [-periodic 30s] [-scoped 10s] [-capacity 100] [-step 5s]
//
// Type w (and Enter) to queue a work item of three steps; Ctrl-C stops, and
// cancels the work item running.
//
// As Program.cs starts the host (StartAsync), starts the monitor loop and
// then waits for shutdown (WaitForShutdownAsync), run calls host.Host's
// Start, runs the loop until the host's Lifetime is stopping, and calls
// Wait.
package main

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/hubgen/hubgen/runtime/host"
)

// config holds the samples' settings; the defaults are theirs.
type config struct {
	timed    time.Duration // TimedHostedService's period
	periodic time.Duration // the asynchronous timed task's period
	work     time.Duration // the asynchronous timed task's simulated work
	scoped   time.Duration // ScopedProcessingService's delay
	capacity int           // QueueCapacity
	step     time.Duration // each of a work item's three delays
}

func main() {
	var cfg config
	flag.DurationVar(&cfg.timed, "timed", 5*time.Second, "period of the timed hosted service")
	flag.DurationVar(&cfg.periodic, "periodic", 30*time.Second, "period of the asynchronous timed hosted service")
	flag.DurationVar(&cfg.work, "work", 2*time.Second, "the work each run of the asynchronous timed hosted service simulates")
	flag.DurationVar(&cfg.scoped, "scoped", 10*time.Second, "delay between the scoped processing service's runs")
	flag.IntVar(&cfg.capacity, "capacity", 100, "capacity of the background task queue")
	flag.DurationVar(&cfg.step, "step", 5*time.Second, "each of the three steps of a work item")
	flag.Parse()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(context.Background(), cfg, os.Stdin, logger); err != nil {
		logger.Error("tasks", "error", err)
		os.Exit(1)
	}
}

// run runs the samples until a signal, the end of ctx or a failure stops
// them; the monitor loop reads in.
func run(ctx context.Context, cfg config, in io.Reader, logger *slog.Logger, opts ...host.Option) error {
	queue, queued, err := newBackgroundTaskQueue(cfg.capacity, logger)
	if err != nil {
		return err
	}
	h := host.New(append([]host.Option{host.WithLogger(logger)}, opts...)...)
	h.Add(
		queued,
		timedHostedService(cfg.timed, logger),
		periodicHostedService(cfg.periodic, cfg.work, logger),
		consumeScopedServiceHostedService(cfg.scoped, logger),
	)
	stop := context.AfterFunc(ctx, h.Shutdown)
	defer stop()

	if err := h.Start(ctx); err != nil {
		return err
	}
	monitor := &monitorLoop{queue: queue, logger: logger, step: cfg.step}
	go monitor.run(h.Lifetime(), in)
	return h.Wait()
}
