package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/hubgen/hubgen/runtime/host"
)

// logged is a service that logs as it starts and stops, as the .NET
// samples' StartAsync and StopAsync do.
type logged struct {
	host.Service
	logger          *slog.Logger
	onStart, onStop string
}

func (s logged) Start(ctx context.Context) error {
	s.logger.Info(s.onStart)
	return s.Service.Start(ctx)
}

func (s logged) Stop(ctx context.Context) error {
	s.logger.Info(s.onStop)
	return s.Service.Stop(ctx)
}

// String names the service as the one it wraps, in the host's errors.
func (s logged) String() string {
	if n, ok := s.Service.(interface{ String() string }); ok {
		return n.String()
	}
	return "service"
}

// timedHostedService is TimedHostedService: a System.Threading.Timer due at
// once that counts its runs every period. Every's runs never overlap, where
// the Timer's callbacks may.
func timedHostedService(period time.Duration, logger *slog.Logger) host.Service {
	var executionCount atomic.Int64
	return logged{
		Service: host.Every("timed hosted service", period, func(ctx context.Context) error {
			logger.Info("Timed Hosted Service is working.", "count", executionCount.Add(1))
			return nil
		}),
		logger:  logger,
		onStart: "Timed Hosted Service running.",
		onStop:  "Timed Hosted Service is stopping.",
	}
}

// periodicHostedService is the document's asynchronous timed background
// task: it does the work once now, then on each tick of a PeriodicTimer;
// each run simulates work that takes a while.
func periodicHostedService(period, work time.Duration, logger *slog.Logger) host.Service {
	var executionCount atomic.Int64
	return logged{
		Service: host.Every("periodic hosted service", period, func(ctx context.Context) error {
			count := executionCount.Add(1)
			t := time.NewTimer(work) // simulate work
			defer t.Stop()
			select {
			case <-t.C:
			case <-ctx.Done():
				return ctx.Err()
			}
			logger.Info("Periodic Hosted Service is working.", "count", count)
			return nil
		}),
		logger:  logger,
		onStart: "Periodic Hosted Service running.",
		onStop:  "Periodic Hosted Service is stopping.",
	}
}

// scopedProcessingService is ScopedProcessingService, the scoped service: a
// new one, with its own count, for each scope.
type scopedProcessingService struct {
	logger         *slog.Logger
	delay          time.Duration
	executionCount int
}

// DoWork counts and waits, until ctx ends.
func (s *scopedProcessingService) DoWork(ctx context.Context) error {
	for ctx.Err() == nil {
		s.executionCount++
		s.logger.Info("Scoped Processing Service is working.", "count", s.executionCount)
		t := time.NewTimer(s.delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	return ctx.Err()
}

// consumeScopedServiceHostedService is ConsumeScopedServiceHostedService: a
// worker that creates a scope, resolves the scoped service in it and awaits
// its DoWork; the scope is disposed when DoWork returns, even on a panic.
func consumeScopedServiceHostedService(delay time.Duration, logger *slog.Logger) host.Service {
	return logged{
		Service: host.Worker("consume scoped service hosted service", host.Scoped(
			func(ctx context.Context) (*scopedProcessingService, func(), error) {
				logger.Info("Consume Scoped Service Hosted Service is working.")
				return &scopedProcessingService{logger: logger, delay: delay},
					func() { logger.Info("Scope disposed.") }, nil
			},
			func(ctx context.Context, s *scopedProcessingService) error { return s.DoWork(ctx) },
		)),
		logger:  logger,
		onStart: "Consume Scoped Service Hosted Service running.",
		onStop:  "Consume Scoped Service Hosted Service is stopping.",
	}
}

// newBackgroundTaskQueue is BackgroundTaskQueue with QueuedHostedService: a
// bounded queue, drained by one worker, whose items are cancelled when the
// application is stopping and whose failures are logged, the queue carrying
// on, as the sample's try/catch does.
func newBackgroundTaskQueue(capacity int, logger *slog.Logger) (*host.Queue, host.Service, error) {
	q, err := host.NewQueue("background tasks", capacity, 1,
		host.CancelItemsAtShutdown(), host.ItemFailurePolicy(host.Ignore))
	if err != nil {
		return nil, nil, err
	}
	return q, logged{
		Service: q,
		logger:  logger,
		onStart: "Queued Hosted Service is running. Tap W to add a work item to the background queue.",
		onStop:  "Queued Hosted Service is stopping.",
	}, nil
}

// monitorLoop is MonitorLoop: it enqueues a work item each time w is read
// from in, until the host is stopping. It reads in on a goroutine of its
// own, so that it ends at once when the host stops, even while a read
// blocks; that goroutine ends with in.
type monitorLoop struct {
	queue  *host.Queue
	logger *slog.Logger
	step   time.Duration // each work item takes three steps
	items  atomic.Int64  // numbers the work items, as the sample's Guids
}

// run runs the loop until lt is stopping.
func (m *monitorLoop) run(lt *host.Lifetime, in io.Reader) {
	m.logger.Info("MonitorAsync Loop is starting")
	keys := make(chan rune)
	go func() {
		defer close(keys)
		r := bufio.NewReader(in)
		for {
			k, _, err := r.ReadRune()
			if err != nil {
				return
			}
			select {
			case keys <- k:
			case <-lt.Stopping():
				return
			}
		}
	}()
	for {
		select {
		case <-lt.Stopping():
			return
		case k, ok := <-keys:
			switch {
			case !ok:
				keys = nil // the end of input: wait for shutdown
			case k == 'w' || k == 'W':
				id, item := m.buildWorkItem()
				if err := m.queue.Enqueue(context.Background(), item); err != nil {
					m.logger.Warn("Work item not queued.", "task", id, "err", err)
					continue
				}
				m.logger.Info("Work item queued.", "task", id)
			}
		}
	}
}

// buildWorkItem returns a work item, and its number, that simulates three
// steps of work and says whether it completed or was cancelled.
func (m *monitorLoop) buildWorkItem() (id int64, item func(ctx context.Context) error) {
	id = m.items.Add(1)
	return id, func(ctx context.Context) error {
		m.logger.Info("Queued Background Task is starting.", "task", id)
		delayLoop := 0
		for ctx.Err() == nil && delayLoop < 3 {
			t := time.NewTimer(m.step)
			select {
			case <-t.C:
			case <-ctx.Done(): // as the sample catches the cancelled delay
				t.Stop()
			}
			delayLoop++
			m.logger.Info("Queued Background Task is running.", "task", id, "step", delayLoop, "of", 3)
		}
		if delayLoop == 3 && ctx.Err() == nil {
			m.logger.Info("Queued Background Task is complete.", "task", id)
		} else {
			m.logger.Info("Queued Background Task was cancelled.", "task", id)
		}
		return nil
	}
}
