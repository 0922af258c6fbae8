package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hubgen/hubgen/runtime/protocol"
)

// Handler runs when the server calls a method on the client. When the server
// waits for a result (a client result), the handler's result or error answers
// it; otherwise both are ignored. ctx ends when the connection that delivered
// the call ends, and at Close, which waits for the handler to return.
type Handler func(ctx context.Context, args Args) (any, error)

// Args are the encoded arguments of a call from the server. They are valid
// until the handler returns.
type Args struct {
	proto protocol.Protocol
	raw   []protocol.Raw
}

// Len returns the number of arguments.
func (a Args) Len() int { return len(a.raw) }

// Decode decodes argument i into the value v points to.
func (a Args) Decode(i int, v any) error {
	if i < 0 || i >= len(a.raw) {
		return fmt.Errorf("client: no argument %d: the server sent %d", i, len(a.raw))
	}
	if err := a.proto.Decode(a.raw[i], v); err != nil {
		return fmt.Errorf("client: argument %d: %w", i, err)
	}
	return nil
}

// Arg decodes argument i as a T.
func Arg[T any](a Args, i int) (T, error) {
	var v T
	err := a.Decode(i, &v)
	return v, err
}

// On registers h for the method the server calls by name, matched ignoring
// case. A method may have several handlers; they run in the order they were
// registered, and when the server waits for a result the first error answers
// it, or else the one non-nil result (several are an error). Handlers stay
// registered across reconnects. remove unregisters h.
//
// Handlers run one at a time, in the order the server sent its calls, on a
// goroutine of the Conn's: a handler may call Invoke, but a slow handler
// delays the next ones. The calls waiting for their handlers are bounded: at
// most 1,000 calls, or 1 MiB of arguments (a bigger call is taken when none
// waits). When they are full, the connection's reader waits, reading nothing
// more from the server (no results of Invoke, no stream items) until a
// handler returns, as the hub holds back a client that sends faster than its
// methods run. When the handlers take no call for Options.ServerTimeout while
// the reader waits, the connection ends, which ends the handlers' ctx, and
// the client reconnects as Options.Reconnect says.
func (c *Conn) On(method string, h Handler) (remove func()) {
	return c.handlers.add(method, h)
}

// handlerTable holds the handlers by lower-cased method name. Its slices are
// replaced, never changed, so that a lookup can keep one.
type handlerTable struct {
	mu sync.RWMutex
	m  map[string][]*Handler
}

func (t *handlerTable) add(method string, h Handler) (remove func()) {
	key, e := strings.ToLower(method), &h
	t.mu.Lock()
	if t.m == nil {
		t.m = make(map[string][]*Handler)
	}
	hs := t.m[key]
	t.m[key] = append(hs[:len(hs):len(hs)], e)
	t.mu.Unlock()
	return func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		var kept []*Handler
		for _, x := range t.m[key] {
			if x != e {
				kept = append(kept, x)
			}
		}
		if len(kept) == 0 {
			delete(t.m, key)
		} else {
			t.m[key] = kept
		}
	}
}

func (t *handlerTable) lookup(method string) []*Handler {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.m[strings.ToLower(method)]
}

// job is a call from the server waiting for its handlers.
type job struct {
	s      *session
	id     string // invocation id; "" when the server wants no answer
	target string
	args   Args
}

// Bounds of the handlers' queue: the calls from the server that wait for their
// handlers. When it is full, the connection's reader waits (see On).
const (
	maxJobs     = 1000
	maxJobBytes = 1 << 20 // of arguments; a bigger call is taken when the queue is empty
)

// jobQueue is the bounded queue of the calls that wait for their handlers.
type jobQueue struct {
	mu     sync.Mutex
	jobs   []job
	bytes  int // the size of the queued jobs' arguments
	closed bool
	wake   chan struct{} // capacity 1: a job was pushed, or the queue closed
	room   chan struct{} // closed when a job is taken or the queue closes; nil when nobody waits

	maxJobs, maxBytes int
}

func newJobQueue() jobQueue {
	return jobQueue{wake: make(chan struct{}, 1), maxJobs: maxJobs, maxBytes: maxJobBytes}
}

// push queues j, or drops it once the queue is closed. When the queue is full
// it queues nothing and returns a channel that is closed when there may be
// room.
func (q *jobQueue) push(j job) (full <-chan struct{}) {
	n := j.size()
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return nil
	}
	if len(q.jobs) >= q.maxJobs || len(q.jobs) > 0 && q.bytes+n > q.maxBytes {
		if q.room == nil {
			q.room = make(chan struct{})
		}
		room := q.room
		q.mu.Unlock()
		return room
	}
	q.jobs = append(q.jobs, j)
	q.bytes += n
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return nil
}

// pop waits for the next job; it reports false once the queue is closed.
func (q *jobQueue) pop() (job, bool) {
	for {
		q.mu.Lock()
		if q.closed {
			q.mu.Unlock()
			return job{}, false
		}
		if len(q.jobs) > 0 {
			j := q.jobs[0]
			q.jobs[0] = job{}
			q.jobs = q.jobs[1:]
			q.bytes -= j.size()
			q.roomLocked()
			q.mu.Unlock()
			return j, true
		}
		q.mu.Unlock()
		<-q.wake
	}
}

// roomLocked wakes a reader that waits for room.
func (q *jobQueue) roomLocked() {
	if q.room != nil {
		close(q.room)
		q.room = nil
	}
}

// close drops the jobs that have not started and ends pop and push's waits.
func (q *jobQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.jobs, q.bytes = nil, 0
	q.roomLocked()
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// size is what a job counts for in the queue's bytes.
func (j *job) size() int {
	n := len(j.target)
	for _, r := range j.args.raw {
		n += len(r)
	}
	return n
}

// errHandlersStalled ends a connection whose handlers took no call for the
// server timeout while the handlers' queue was full.
var errHandlersStalled = errors.New("client: the handlers took no call from the server for the server timeout while their queue was full")

// handOver queues a call for the handlers. While the handlers' queue is full,
// the reader waits (reading nothing more from the server) until a handler
// takes a call, or the session ends. Waiting for the handlers is not the
// server's silence: the server timeout is off meanwhile; but when the handlers
// take nothing for that long, the session ends with errHandlersStalled, which
// cancels the handlers' ctx.
func (s *session) handOver(j job) {
	full := s.c.jobs.push(j)
	if full == nil {
		return
	}
	defer s.pauseTimeout()()
	stall := time.NewTimer(s.c.opts.ServerTimeout)
	defer stall.Stop()
	for full != nil {
		if s.c.onHandlersFull != nil {
			s.c.onHandlersFull()
		}
		select {
		case <-full:
		case <-s.quit:
			return
		case <-stall.C:
			s.c.log.Warn("client: ending the connection: its handlers took no call for the server timeout", "timeout", s.c.opts.ServerTimeout)
			s.abort(errHandlersStalled)
			return
		}
		full = s.c.jobs.push(j)
	}
}

// Texts of client-result errors, as the official clients send them.
const (
	textNoResult       = "Client didn't provide a result."
	textMultipleResult = "Client provided multiple results."
)

// dispatch runs the handlers of the server's calls, one call at a time.
func (c *Conn) dispatch() {
	defer close(c.dispatched)
	c.dispatcher.Store(goid())
	for {
		j, ok := c.jobs.pop()
		if !ok {
			return
		}
		c.runHandlers(j)
	}
}

// runHandlers calls the handlers of one call and answers it if the server
// waits.
func (c *Conn) runHandlers(j job) {
	hs := c.handlers.lookup(j.target)
	if len(hs) == 0 {
		c.log.Warn("client: no handler for a method the server called", "method", j.target)
		if j.id != "" {
			j.s.complete(j.id, j.target, nil, textNoResult)
		}
		return
	}
	var result any
	var results int
	var failure error
	for _, h := range hs {
		r, err := c.safeCall(*h, j)
		switch {
		case err != nil:
			if failure == nil {
				failure = err
			}
		case r != nil:
			result = r
			results++
		}
	}
	if j.id == "" {
		return
	}
	switch {
	case failure != nil:
		text := failure.Error()
		if text == "" {
			text = fmt.Sprintf("client: handler for %q failed", j.target)
		}
		j.s.complete(j.id, j.target, nil, text)
	case results > 1:
		j.s.complete(j.id, j.target, nil, textMultipleResult)
	default:
		j.s.complete(j.id, j.target, result, "")
	}
}

// safeCall runs a handler, turning a panic into an error.
func (c *Conn) safeCall(h Handler, j job) (result any, err error) {
	defer func() {
		if v := recover(); v != nil {
			c.log.Error("client: handler panicked", "method", j.target, "panic", v, "stack", string(debug.Stack()))
			err = fmt.Errorf("client: handler for %q panicked", j.target)
		}
	}()
	result, err = h(j.s.ctx, j.args)
	if err != nil {
		c.log.Debug("client: handler failed", "method", j.target, "error", err)
	}
	return result, err
}

// goid returns the id of the calling goroutine, so that Close can tell
// whether it runs on one of the Conn's goroutines, which it must not wait for.
func goid() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i >= 0 {
		b = b[:i]
	}
	id, _ := strconv.ParseUint(string(b), 10, 64)
	return id
}
