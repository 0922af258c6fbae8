// Package reconnect holds the receiving half of SignalR's stateful
// reconnect, shared by the hub and the client: which messages are numbered,
// the count of those received, the duplicates a reattach replays, and the
// Acks due. The sending half, the messages kept until acknowledged, is the
// outgoing queue's (runtime/internal/outq, Config.Keep).
package reconnect

import (
	"errors"
	"sync/atomic"

	"github.com/hubgen/hubgen/runtime/protocol"
)

// Tracked reports whether messages of type t are numbered, kept until
// acknowledged and replayed after a reattach: the invocation messages
// (Invocation, StreamItem, Completion, StreamInvocation, CancelInvocation),
// not Ping, Close, Ack or Sequence, as in ASP.NET Core.
func Tracked(t protocol.Type) bool {
	return t >= protocol.Invocation && t <= protocol.CancelInvocation
}

// ErrSequence is the error of a Sequence message whose id is beyond the
// messages received, the text ASP.NET Core gives.
//
//lint:ignore ST1005 the text is ASP.NET Core's
var ErrSequence = errors.New("Sequence ID greater than amount of messages we've received.")

// Receiver numbers the tracked messages a connection receives. Its methods
// but Due are for the one goroutine that reads the connection.
type Receiver struct {
	next   int64        // id of the next tracked message; ids start at 1
	latest atomic.Int64 // highest id handled
	acked  atomic.Int64 // highest id an Ack was sent for
}

// NewReceiver returns a Receiver for a connection that received nothing.
func NewReceiver() *Receiver { return &Receiver{next: 1} }

// Accept reports whether a received message of type t is to be handled: a
// tracked message with an id already handled is a duplicate that a reattach
// replayed.
func (r *Receiver) Accept(t protocol.Type) bool {
	if !Tracked(t) {
		return true
	}
	id := r.next
	r.next++
	if id <= r.latest.Load() {
		return false
	}
	r.latest.Store(id)
	return true
}

// Sequence takes in the peer's Sequence message after a reattach: the id of
// the next message it sends. An id beyond the next expected one is an error
// (messages were lost), fatal to the connection.
func (r *Receiver) Sequence(id int64) error {
	if id > r.next {
		return ErrSequence
	}
	r.next = id
	return nil
}

// Due returns the id to acknowledge, and whether an Ack is due: something
// new was handled since the last Ack. It may be called from any goroutine,
// one at a time.
func (r *Receiver) Due() (int64, bool) {
	latest := r.latest.Load()
	if latest <= r.acked.Load() {
		return 0, false
	}
	r.acked.Store(latest)
	return latest, true
}
