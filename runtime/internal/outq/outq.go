// Package outq is the outgoing queue of a connection, hub side and client side
// alike: whole messages, encoded by their senders before they are queued, go
// out in order through one writer at a time.
//
// Encoding runs user code (MarshalJSON, MarshalText, MessagePack encoders), so
// it happens outside every lock, inside a recover, into a pooled Buffer: a value
// that cannot be encoded fails that one message, never the queue. The queue's
// lock guards only its bytes and counters; the transport's write runs outside
// it.
package outq

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/hubgen/hubgen/runtime/protocol"
)

// Errors of Push and Wait.
var (
	// ErrClosed is returned for a message pushed after Close, and by Wait
	// once the queue is closed.
	ErrClosed = errors.New("outq: the connection is closing")
	// ErrFull is returned when a message would take the queued bytes past the
	// queue's limit; the message is dropped.
	ErrFull = errors.New("outq: the connection does not keep up")
)

// PanicError is the error of an encoding that panicked.
type PanicError struct{ Value any }

func (e *PanicError) Error() string { return fmt.Sprintf("panic while encoding: %v", e.Value) }

// Append appends m encoded with p to dst, turning a panic of the encoder (or
// of a value's MarshalJSON, say) into a *PanicError. On error it returns dst
// as it was.
func Append(p protocol.Protocol, dst []byte, m *protocol.Message) (out []byte, err error) {
	n := len(dst)
	defer func() {
		if v := recover(); v != nil {
			out, err = dst[:n], &PanicError{Value: v}
		}
	}()
	out, err = p.Append(dst, m)
	if err != nil {
		return dst[:n], err
	}
	return out, nil
}

// Buffer is a pooled byte buffer, with a message to encode into it, so that
// encoding allocates neither.
type Buffer struct {
	B   []byte
	Msg protocol.Message
}

// maxKept is the capacity beyond which a buffer is not pooled again.
const maxKept = 64 << 10

var pool = sync.Pool{New: func() any { return &Buffer{B: make([]byte, 0, 4096)} }}

// Get returns an empty buffer from the pool.
func Get() *Buffer { return pool.Get().(*Buffer) }

// Free returns b to the pool, unless it grew too big to keep.
func (b *Buffer) Free() {
	b.Msg = protocol.Message{}
	if cap(b.B) > maxKept {
		return
	}
	b.B = b.B[:0]
	pool.Put(b)
}

// Encode appends b.Msg encoded with p to b.B (see Append), then clears b.Msg.
// Setting b.Msg and calling Encode encodes without allocating a message.
func (b *Buffer) Encode(p protocol.Protocol) error {
	var err error
	b.B, err = Append(p, b.B, &b.Msg)
	b.Msg = protocol.Message{}
	return err
}

// Encode returns a buffer holding m encoded with p (see Append). On error it
// returns no buffer.
func Encode(p protocol.Protocol, m *protocol.Message) (*Buffer, error) {
	b := Get()
	var err error
	b.B, err = Append(p, b.B, m)
	if err != nil {
		b.Free()
		return nil, err
	}
	return b, nil
}

// Config is what a Queue writes to.
type Config struct {
	// Write sends one batch of whole messages. One call runs at a time,
	// outside the queue's lock.
	Write func(p []byte) error
	// Failed is called, once, when Write fails; it should abort the transport.
	// The queue is closed then, and what is queued is dropped.
	Failed func(err error)
	// End is called, once, after the last write of a closed queue, to end the
	// transport's side of the conversation.
	End func()
	// Limit is the count of queued bytes beyond which Push fails with
	// ErrFull; 0 means no limit.
	Limit int
	// Full, if set, is called (outside the lock) each time a Push fails
	// with ErrFull; a connection that cannot keep up is closed there.
	Full func()
	// Yield lets a writer that a Push woke yield once before it writes, so
	// that a sender that goes on (a broadcast loop, say) queues more meanwhile
	// and it all goes out in one write.
	Yield bool
	// Keep, when above 0, turns on stateful reconnect (see Ack, Pause and
	// Resume): the messages of Push and PushBuffer are numbered 1, 2, 3… and
	// kept once written until Ack releases them; PushUntracked's are not.
	// While more than Keep bytes are kept, the writer waits for an Ack and
	// what is pushed meanwhile waits in the queue, where Limit applies. A
	// failed Write pauses the queue instead of failing it, unless it is
	// closed; a paused queue that is closed ends with Failed(ErrClosed).
	Keep int
}

// Queue is a connection's outgoing bytes. Senders push encoded messages; a
// writer, started on demand or run by Flush on the caller's goroutine, writes
// them in order.
type Queue struct {
	cfg Config

	mu       sync.Mutex
	out      *Buffer       // queued bytes; nil when none
	queued   int64         // bytes ever queued
	written  int64         // bytes ever written
	progress chan struct{} // closed when written grows or the queue closes; made by waiters
	writing  bool          // a writer is at work
	closed   bool          // nothing more is queued
	ended    bool          // End has run, or is running
	failed   bool          // a write failed
	done     chan struct{} // closed when the queue has ended
	keep     *keeper       // with Config.Keep: the messages kept for a reattach
}

// New returns an empty queue.
func New(cfg Config) *Queue {
	q := &Queue{cfg: cfg, done: make(chan struct{})}
	if cfg.Keep > 0 {
		q.keep = &keeper{limit: cfg.Keep}
	}
	return q
}

// Push queues a copy of p. Unless hold is set, it makes sure a writer will
// send it; with hold, the caller calls Flush or Wake later. It returns the
// count of bytes ever queued, p included, to Wait on. With Config.Keep, p
// itself is kept until acknowledged: it must not change after (a
// broadcast's encoding, which every connection shares, does not).
func (q *Queue) Push(p []byte, hold bool) (int64, error) { return q.push(p, hold, true) }

// PushUntracked is Push for a message that stateful reconnect neither
// numbers nor keeps (see Config.Keep): a handshake, a Ping, an Ack.
func (q *Queue) PushUntracked(p []byte, hold bool) (int64, error) { return q.push(p, hold, false) }

func (q *Queue) push(p []byte, hold, tracked bool) (int64, error) {
	q.mu.Lock()
	if err := q.roomLocked(len(p)); err != nil {
		q.mu.Unlock()
		return 0, q.refused(err)
	}
	if q.out == nil {
		q.out = Get()
	}
	q.out.B = append(q.out.B, p...)
	if tracked && q.keep != nil {
		q.keep.pushed(q.queued+int64(len(p)), p, nil)
	}
	return q.pushedLocked(len(p), hold), nil
}

// PushBuffer is Push for a pooled buffer, which the queue takes over (and
// frees) whatever the outcome.
func (q *Queue) PushBuffer(b *Buffer, hold bool) (int64, error) {
	n := len(b.B)
	q.mu.Lock()
	if err := q.roomLocked(n); err != nil {
		q.mu.Unlock()
		b.Free()
		return 0, q.refused(err)
	}
	switch {
	case q.keep != nil: // the queue keeps b until it is acknowledged
		if q.out == nil {
			q.out = Get()
		}
		q.out.B = append(q.out.B, b.B...)
		b.Msg = protocol.Message{}
		q.keep.pushed(q.queued+int64(n), b.B, b)
	case q.out == nil:
		q.out = b
		b.Msg = protocol.Message{}
	default:
		q.out.B = append(q.out.B, b.B...)
		defer b.Free()
	}
	return q.pushedLocked(n, hold), nil
}

func (q *Queue) roomLocked(n int) error {
	if q.closed {
		return ErrClosed
	}
	if q.cfg.Limit > 0 && q.out != nil && len(q.out.B)+n > q.cfg.Limit {
		return ErrFull
	}
	return nil
}

// refused returns the error of a refused Push, after calling Full for ErrFull.
func (q *Queue) refused(err error) error {
	if err == ErrFull && q.cfg.Full != nil {
		q.cfg.Full()
	}
	return err
}

// pushedLocked accounts for n bytes queued, starts a writer unless hold, and
// unlocks.
func (q *Queue) pushedLocked(n int, hold bool) int64 {
	q.queued += int64(n)
	pos := q.queued
	if !hold {
		q.wakeLocked()
	}
	q.mu.Unlock()
	return pos
}

// Wake starts a writer if something is queued and none is at work.
func (q *Queue) Wake() {
	q.mu.Lock()
	q.wakeLocked()
	q.mu.Unlock()
}

func (q *Queue) wakeLocked() {
	if !q.writing && (q.out != nil || q.closed && !q.ended || q.keep.resuming()) {
		q.writing = true
		go q.writeSoon()
	}
}

// Flush writes what is queued on the calling goroutine, unless a writer is
// already at work.
func (q *Queue) Flush() {
	q.mu.Lock()
	if q.writing || q.out == nil && !(q.closed && !q.ended) && !q.keep.resuming() {
		q.mu.Unlock()
		return
	}
	q.writing = true
	q.mu.Unlock()
	q.write()
}

func (q *Queue) writeSoon() {
	if q.cfg.Yield {
		runtime.Gosched()
	}
	q.write()
}

// write writes until nothing is queued; a closed queue then ends.
func (q *Queue) write() {
	wrote := 0
	for {
		q.mu.Lock()
		if wrote > 0 {
			q.written += int64(wrote)
			q.signalLocked()
		}
		k := q.keep
		var pre []byte
		var epoch uint64
		if k != nil {
			epoch = k.epoch.Load()
			var wait bool
			if pre, wait = k.next(q.closed); wait {
				// Paused, or waiting for an Ack: Resume or Ack wakes a writer.
				q.writing = false
				q.mu.Unlock()
				return
			}
			if k.paused && !q.failed { // and closed: what is queued is never sent
				q.failed = true
				if q.cfg.Failed != nil {
					// The transport is gone, and the queue with it.
					defer q.cfg.Failed(ErrClosed)
				}
			}
		}
		var b *Buffer
		if pre == nil {
			b = q.out
			q.out = nil
			if b == nil || q.failed {
				end := q.closed && !q.ended
				q.ended = q.ended || q.closed
				q.writing = false
				q.mu.Unlock()
				if b != nil {
					b.Free()
				}
				if end {
					q.finish()
				}
				return
			}
			if k != nil {
				k.took(len(b.B))
			}
		}
		q.mu.Unlock()
		var err error
		if k == nil {
			wrote = len(b.B)
			err = q.cfg.Write(b.B)
			b.Free()
		} else {
			wrote = 0
			p := pre
			if b != nil {
				wrote, p = len(b.B), b.B
			}
			err = k.write(q.cfg.Write, p, epoch)
			if b != nil {
				b.Free()
			}
		}
		if err != nil {
			q.writeFailed(err, epoch)
		}
	}
}

// writeFailed handles a failed write of what a writer took at epoch: a
// queue that keeps its messages pauses until Resume, unless it is closing;
// any other fails. A write to a transport that a Pause left behind changes
// nothing.
func (q *Queue) writeFailed(err error, epoch uint64) {
	if k := q.keep; k != nil {
		q.mu.Lock()
		if !q.closed {
			if k.epoch.Load() == epoch {
				k.paused = true
			}
			q.mu.Unlock()
			return
		}
		q.mu.Unlock()
	}
	q.fail(err)
}

// finish ends a closed queue after its last write.
func (q *Queue) finish() {
	q.mu.Lock()
	failed := q.failed
	q.mu.Unlock()
	if !failed && q.cfg.End != nil {
		q.cfg.End()
	}
	close(q.done)
}

// fail closes the queue after a failed write.
func (q *Queue) fail(err error) {
	q.mu.Lock()
	first := !q.failed
	q.failed, q.closed = true, true
	if q.out != nil {
		q.out.Free()
		q.out = nil
	}
	q.signalLocked()
	q.mu.Unlock()
	if first && q.cfg.Failed != nil {
		q.cfg.Failed(err)
	}
}

func (q *Queue) signalLocked() {
	if q.progress != nil {
		close(q.progress)
		q.progress = nil
	}
}

// Close queues last, if any, as the final message, and closes the queue:
// nothing more is queued, and once what is queued is written, End runs and
// Done is closed. It reports false when the queue was closed already.
func (q *Queue) Close(last []byte) bool {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return false
	}
	if len(last) > 0 {
		if q.out == nil {
			q.out = Get()
		}
		q.out.B = append(q.out.B, last...)
		q.queued += int64(len(last))
	}
	q.closed = true
	q.signalLocked()
	q.wakeLocked()
	q.mu.Unlock()
	return true
}

// Discard closes the queue and drops what it holds unsent: the transport is
// gone. Done is closed once a writer at work has stopped.
func (q *Queue) Discard() {
	q.mu.Lock()
	q.closed = true
	q.failed = true
	if q.out != nil {
		q.out.Free()
		q.out = nil
	}
	q.signalLocked()
	q.wakeLocked()
	q.mu.Unlock()
}

// Done is closed when the queue has ended: closed, and written out or
// discarded.
func (q *Queue) Done() <-chan struct{} { return q.done }

// Closed reports whether the queue was closed.
func (q *Queue) Closed() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.closed
}

// Idle reports whether nothing is queued and no writer is at work.
func (q *Queue) Idle() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.out == nil && !q.writing
}

// Len returns the count of bytes queued and not yet taken by a writer.
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.out == nil {
		return 0
	}
	return len(q.out.B)
}

// Queued returns the count of bytes ever queued.
func (q *Queue) Queued() int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.queued
}

// Wait waits until the first pos bytes ever queued are written. It returns
// ctx's error if ctx ends first, and ErrClosed if the queue closes first.
func (q *Queue) Wait(ctx context.Context, pos int64) error {
	for {
		q.mu.Lock()
		if q.written >= pos {
			q.mu.Unlock()
			return nil
		}
		if q.closed {
			q.mu.Unlock()
			return ErrClosed
		}
		if q.progress == nil {
			q.progress = make(chan struct{})
		}
		progress := q.progress
		q.mu.Unlock()
		select {
		case <-progress:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
