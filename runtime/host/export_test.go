package host

import (
	"fmt"
	"sync"
	"time"
)

// FakeClock drives the timers of timed workers in tests. Each timer a worker
// makes is announced on Made, as "after 5m0s" or "every 1h0m0s"; Fire makes
// the latest one fire. A periodic timer holds at most one tick, as a
// time.Ticker does for a slow receiver.
type FakeClock struct {
	Made chan string

	mu     sync.Mutex
	latest chan time.Time
}

// NewFakeClock returns a clock with no timers.
func NewFakeClock() *FakeClock {
	return &FakeClock{Made: make(chan string, 10)}
}

// WithClock makes a timed worker use c.
func WithClock(c *FakeClock) EveryOption {
	return func(t *timed) { t.clock = c }
}

// Fire makes the latest timer fire; a tick that finds one waiting is
// dropped.
func (c *FakeClock) Fire() {
	c.mu.Lock()
	ch := c.latest
	c.mu.Unlock()
	select {
	case ch <- time.Time{}:
	default:
	}
}

func (c *FakeClock) make(kind string, d time.Duration) (<-chan time.Time, func()) {
	ch := make(chan time.Time, 1)
	c.mu.Lock()
	c.latest = ch
	c.mu.Unlock()
	c.Made <- fmt.Sprintf("%s %v", kind, d)
	return ch, func() {}
}

func (c *FakeClock) after(d time.Duration) (<-chan time.Time, func()) { return c.make("after", d) }
func (c *FakeClock) every(d time.Duration) (<-chan time.Time, func()) { return c.make("every", d) }

// WithGrace sets how long the host waits, once the shutdown timeout is
// spent, for a Start, Stop or lifetime callback still running.
func WithGrace(d time.Duration) Option {
	return func(h *Host) { h.grace = d }
}
