package reconnect

import (
	"testing"

	"github.com/hubgen/hubgen/runtime/protocol"
)

// step is one event of a receiving side: a message received (want: whether
// it is handled), a Sequence (wantErr), or an Ack asked for (ack: the id
// due, 0 for none).
type step struct {
	recv    protocol.Type
	seq     int64
	wantErr bool
	due     bool
	ack     int64
	want    bool
}

func TestReceiver(t *testing.T) {
	in := func(typ protocol.Type, want bool) step { return step{recv: typ, want: want} }
	seq := func(id int64, wantErr bool) step { return step{recv: protocol.Sequence, seq: id, wantErr: wantErr} }
	due := func(id int64) step { return step{due: true, ack: id} }
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		// The cases of ASP.NET Core's MessageBufferTests, receiving side.
		{"untracked messages are always handled", []step{
			in(protocol.Ping, true), in(protocol.Close, true), in(protocol.Ping, true), due(0)}},
		{"a replayed message is a duplicate", []step{
			in(protocol.Completion, true), seq(1, false), in(protocol.Ping, true), in(protocol.Completion, false)}},
		{"after the duplicates, new messages", []step{
			in(protocol.StreamItem, true), in(protocol.StreamItem, true), seq(1, false),
			in(protocol.StreamItem, false), in(protocol.StreamItem, false), in(protocol.StreamItem, true)}},
		{"a sequence beyond what was received is an error", []step{seq(2, true)}},
		{"a sequence of the next message is not", []step{in(protocol.Invocation, true), seq(2, false), in(protocol.Invocation, true)}},
		{"acks are due when something new arrived", []step{
			in(protocol.StreamItem, true), in(protocol.StreamItem, true), due(2), due(0),
			in(protocol.Ping, true), due(0), in(protocol.Completion, true), due(3)}},
		{"every invocation type is tracked", []step{
			in(protocol.Invocation, true), in(protocol.StreamItem, true), in(protocol.Completion, true),
			in(protocol.StreamInvocation, true), in(protocol.CancelInvocation, true), due(5),
			in(protocol.Ping, true), in(protocol.Ack, true), due(0)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReceiver()
			for i, s := range tc.steps {
				switch {
				case s.due:
					id, ok := r.Due()
					if ok != (s.ack != 0) || id != s.ack {
						t.Fatalf("step %d: Due() = %d, %v; want %d", i, id, ok, s.ack)
					}
				case s.recv == protocol.Sequence:
					if err := r.Sequence(s.seq); (err != nil) != s.wantErr {
						t.Fatalf("step %d: Sequence(%d) = %v", i, s.seq, err)
					}
				default:
					if got := r.Accept(s.recv); got != s.want {
						t.Fatalf("step %d: Accept(%v) = %v, want %v", i, s.recv, got, s.want)
					}
				}
			}
		})
	}
}
