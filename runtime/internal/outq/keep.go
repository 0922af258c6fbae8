package outq

import (
	"sync"
	"sync/atomic"
)

// keeper is what a Queue with Config.Keep holds for stateful reconnect: the
// numbering of tracked messages, the messages not yet acknowledged, and the
// pause between the loss of a transport and its replacement. It is guarded
// by the queue's lock, but for wmu and epoch.
//
// A kept message is not a copy: Push's bytes are the caller's, which do not
// change (a broadcast's encoding, shared by every connection it reaches),
// and PushBuffer's buffer is kept instead of freed.
type keeper struct {
	limit int

	seq    int64  // id of the last tracked message pushed; ids start at 1
	marks  []mark // tracked messages pushed and not acknowledged, ids seq-len+1 … seq
	taken  int64  // queue position up to which writers took bytes
	nTaken int    // how many of marks writers took
	kept   int    // bytes of the marks writers took

	paused bool   // the transport is gone: nothing is written until Resume
	prefix []byte // Sequence and the replay, for the writer to write first

	// wmu is held across each Write, and epoch changes under it (and the
	// queue's lock) on Pause: a writer that took bytes before a Pause does
	// not write them to the transport that Resume brings (the replay holds
	// them), and its failure on the old one does not pause the new one.
	wmu   sync.Mutex
	epoch atomic.Uint64
}

// mark is a tracked message: where it lies in the queue's positions, and its
// bytes.
type mark struct {
	end  int64   // queue position just after it
	data []byte  // its bytes
	buf  *Buffer // the buffer data is in, when the queue owns it; nil for Push's
}

// pushed numbers a tracked message queued up to position end.
func (k *keeper) pushed(end int64, data []byte, buf *Buffer) {
	k.seq++
	k.marks = append(k.marks, mark{end, data, buf})
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
	case k.kept > k.limit && !closed:
		return nil, true
	}
	return nil, false
}

// took accounts for a batch of n bytes a writer took.
func (k *keeper) took(n int) {
	k.taken += int64(n)
	for k.nTaken < len(k.marks) && k.marks[k.nTaken].end <= k.taken {
		k.kept += len(k.marks[k.nTaken].data)
		k.nTaken++
	}
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
// Only messages a writer took can be acknowledged: the peer got no other.
func (k *keeper) ack(id int64) bool {
	first := k.seq - int64(len(k.marks)) + 1
	n := int(min(max(id-first+1, 0), int64(k.nTaken)))
	if n == 0 {
		return false
	}
	for i := range n {
		m := &k.marks[i]
		k.kept -= len(m.data)
		if m.buf != nil {
			m.buf.Free()
		}
		*m = mark{}
	}
	k.marks = k.marks[:copy(k.marks, k.marks[n:])]
	k.nTaken -= n
	if len(k.marks) == 0 && cap(k.marks) > 64 {
		k.marks = nil // an idle connection keeps no room
	}
	return true
}

// nextID is the id of the first message a reattached peer gets: the first
// unacknowledged one, or the next to be pushed.
func (k *keeper) nextID() int64 { return k.seq - int64(len(k.marks)) + 1 }

// replay appends the unacknowledged messages that writers took, in order,
// to dst; the others are still queued.
func (k *keeper) replay(dst []byte) []byte {
	for _, m := range k.marks[:k.nTaken] {
		dst = append(dst, m.data...)
	}
	return dst
}

// Ack releases the messages numbered up to id, which the peer acknowledged,
// and lets a writer that waited for room go on. Ids beyond the last message
// pushed release all.
func (q *Queue) Ack(id int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if k := q.keep; k != nil && k.ack(id) && !k.paused && k.kept <= k.limit {
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

// Kept returns the count of bytes kept for a reattach: of the tracked
// messages written and not acknowledged.
func (q *Queue) Kept() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.keep == nil {
		return 0
	}
	return q.keep.kept
}
