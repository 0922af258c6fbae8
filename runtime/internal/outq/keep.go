package outq

import (
	"sync"
	"sync/atomic"
)

// keeper is what a Queue with Config.Keep holds for stateful reconnect: the
// numbering of tracked messages, the bytes of those written and not yet
// acknowledged, and the pause between the loss of a transport and its
// replacement. It is guarded by the queue's lock, but for wmu and epoch.
type keeper struct {
	limit int

	seq    int64   // id of the last tracked message pushed; ids start at 1
	marks  []span  // tracked messages pushed and not acknowledged, ids seq-len+1 … seq
	chunks []chunk // the bytes writers took from position base on, in order, with no gap
	base   int64   // queue position of the first byte needed: the first unacknowledged message's
	taken  int64   // queue position up to which writers took bytes

	paused bool   // the transport is gone: nothing is written until Resume
	prefix []byte // Sequence and the replay, for the writer to write first

	// wmu is held across each Write, and epoch changes under it (and the
	// queue's lock) on Pause: a writer that took bytes before a Pause does
	// not write them to the transport that Resume brings (the replay holds
	// them), and its failure on the old one does not pause the new one.
	wmu   sync.Mutex
	epoch atomic.Uint64
}

// span is where a tracked message lies in the queue's positions.
type span struct{ start, end int64 }

// chunk is kept bytes from queue position start on: a writer's batch, kept
// as it is when it is large, or small batches copied together. A message
// lies in one chunk.
type chunk struct {
	start int64
	b     *Buffer
}

func (c chunk) end() int64 { return c.start + int64(len(c.b.B)) }

// bigBatch is the size from which a batch is kept as it is rather than
// copied.
const bigBatch = 1024

// pushed numbers the tracked message of n bytes queued at position at.
func (k *keeper) pushed(at int64, n int) {
	k.seq++
	k.marks = append(k.marks, span{at, at + int64(n)})
}

// resuming reports whether a Resume left something for a writer to write.
func (k *keeper) resuming() bool { return k != nil && k.prefix != nil && !k.paused }

// next says what a writer does: write pre first, or wait (paused, or more
// than the limit kept). A closed queue neither waits for Acks nor, paused,
// for a transport.
func (k *keeper) next(closed bool) (pre []byte, wait bool) {
	switch {
	case k.paused:
		return nil, !closed
	case k.prefix != nil:
		pre, k.prefix = k.prefix, nil
		return pre, false
	case k.kept() > k.limit && !closed:
		return nil, true
	}
	return nil, false
}

// kept is the count of bytes kept for unacknowledged messages.
func (k *keeper) kept() int {
	if len(k.chunks) == 0 {
		return 0
	}
	return int(k.taken - k.base)
}

// took keeps, of the batch b a writer took, the bytes from the first
// unacknowledged tracked message on. It reports whether it kept b itself,
// which the writer must then not free.
func (k *keeper) took(b *Buffer) (owned bool) {
	p0 := k.taken
	p1 := p0 + int64(len(b.B))
	k.taken = p1
	from := p0
	if len(k.chunks) == 0 {
		if len(k.marks) == 0 || k.marks[0].start >= p1 {
			k.base = p1
			return false // nothing to keep
		}
		from = max(k.marks[0].start, p0)
		k.base = from
	}
	data := b.B[from-p0:]
	if n := len(k.chunks); n > 0 {
		if tail := k.chunks[n-1].b; len(tail.B)+len(data) <= cap(tail.B) {
			tail.B = append(tail.B, data...)
			return false
		}
	}
	if from == p0 && len(data) >= bigBatch {
		k.chunks = append(k.chunks, chunk{p0, b})
		return true
	}
	c := Get()
	c.B = append(c.B, data...)
	k.chunks = append(k.chunks, chunk{from, c})
	return false
}

// write writes p, which a writer took at epoch, unless a Pause came since.
func (k *keeper) write(w func([]byte) error, p []byte, epoch uint64) error {
	k.wmu.Lock()
	defer k.wmu.Unlock()
	if k.epoch.Load() != epoch {
		return nil
	}
	return w(p)
}

// ack releases the tracked messages up to id; it reports whether any was.
func (k *keeper) ack(id int64) bool {
	first := k.seq - int64(len(k.marks)) + 1
	n := int(min(max(id-first+1, 0), int64(len(k.marks))))
	if n == 0 {
		return false
	}
	k.marks = k.marks[:copy(k.marks, k.marks[n:])]
	if len(k.marks) == 0 && cap(k.marks) > 64 {
		k.marks = nil
	}
	k.base = k.taken
	if len(k.marks) > 0 {
		k.base = min(k.marks[0].start, k.taken)
	}
	// Chunks wholly before base go back to the pool: an idle connection
	// keeps none.
	drop := 0
	for drop < len(k.chunks) && (k.chunks[drop].end() <= k.base || k.base == k.taken) {
		k.chunks[drop].b.Free()
		drop++
	}
	k.chunks = k.chunks[:copy(k.chunks, k.chunks[drop:])]
	if len(k.chunks) == 0 {
		k.chunks = nil
	}
	return true
}

// nextID is the id of the first message a reattached peer gets: the first
// unacknowledged one, or the next to be pushed.
func (k *keeper) nextID() int64 { return k.seq - int64(len(k.marks)) + 1 }

// replay appends the kept bytes of the unacknowledged messages that writers
// took, in order, to dst.
func (k *keeper) replay(dst []byte) []byte {
	ci := 0
	for _, m := range k.marks {
		if m.end > k.taken {
			break
		}
		for k.chunks[ci].end() < m.end {
			ci++
		}
		c := k.chunks[ci]
		dst = append(dst, c.b.B[m.start-c.start:m.end-c.start]...)
	}
	return dst
}

// Ack releases the messages numbered up to id, which the peer acknowledged,
// and lets a writer that waited for room go on. Ids beyond the last message
// pushed release all.
func (q *Queue) Ack(id int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if k := q.keep; k != nil && k.ack(id) && !k.paused && k.kept() <= k.limit {
		q.wakeLocked()
	}
}

// Pause stops the writes: the transport is gone. A writer in a Write
// finishes it first; bytes taken and not yet written are not written until
// Resume replays them.
func (q *Queue) Pause() {
	k := q.keep
	if k == nil {
		return
	}
	k.wmu.Lock()
	q.mu.Lock()
	k.paused = true
	k.prefix = nil
	k.epoch.Add(1)
	q.mu.Unlock()
	k.wmu.Unlock()
}

// Resume writes again, after a Pause, to a new transport: first sequence(id)
// with the id of the next message the peer gets (the first unacknowledged
// one, or the next one pushed), then the unacknowledged messages already
// written, in order, then what is queued.
func (q *Queue) Resume(sequence func(id int64) []byte) {
	k := q.keep
	if k == nil {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	k.paused = false
	k.prefix = k.replay(sequence(k.nextID()))
	q.wakeLocked()
}

// Kept returns the count of bytes kept for a reattach.
func (q *Queue) Kept() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.keep == nil {
		return 0
	}
	return q.keep.kept()
}
