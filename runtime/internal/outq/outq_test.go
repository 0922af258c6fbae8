package outq

import (
	"bytes"
	"context"
	"errors"
	"math"
	"sync"
	"testing"

	"github.com/hubgen/hubgen/runtime/protocol"
	"github.com/vmihailenco/msgpack/v5"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// sink is a transport that records what the queue writes.
type sink struct {
	mu     sync.Mutex
	got    bytes.Buffer
	writes int
	ended  bool
	err    error         // returned by every write when set
	block  chan struct{} // when set, a write waits for it to close
}

func (s *sink) write(p []byte) error {
	if s.block != nil {
		<-s.block
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	if s.err != nil {
		return s.err
	}
	s.got.Write(p)
	return nil
}

func (s *sink) queue(limit int) *Queue {
	return New(Config{Write: s.write, End: func() { s.mu.Lock(); s.ended = true; s.mu.Unlock() }, Limit: limit})
}

func TestPushFlushClose(t *testing.T) {
	var s sink
	q := s.queue(0)
	for _, p := range []string{"a", "b", "c"} {
		if _, err := q.Push([]byte(p), true); err != nil {
			t.Fatal(err)
		}
	}
	q.Flush()
	if s.got.String() != "abc" || s.writes != 1 {
		t.Fatalf("got %q in %d writes, want \"abc\" in 1", s.got.String(), s.writes)
	}
	if !q.Idle() {
		t.Fatal("the queue is not idle after Flush")
	}
	if !q.Close([]byte("z")) || q.Close(nil) {
		t.Fatal("Close reported wrongly whether it closed the queue")
	}
	<-q.Done()
	if s.got.String() != "abcz" || !s.ended {
		t.Fatalf("got %q, ended %v; want \"abcz\" and the end", s.got.String(), s.ended)
	}
	if _, err := q.Push([]byte("x"), false); !errors.Is(err, ErrClosed) {
		t.Fatalf("Push after Close: %v, want ErrClosed", err)
	}
}

func TestLimit(t *testing.T) {
	var s sink
	full := 0
	q := New(Config{Write: s.write, Limit: 4, Full: func() { full++ }})
	if _, err := q.Push([]byte("abcd"), true); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Push([]byte("e"), true); !errors.Is(err, ErrFull) {
		t.Fatalf("Push past the limit: %v, want ErrFull", err)
	}
	if full != 1 {
		t.Fatalf("Full called %d times, want once", full)
	}
	q.Flush()
	if _, err := q.Push([]byte("e"), true); err != nil {
		t.Fatalf("Push after the queue drained: %v", err)
	}
	q.Discard()
	<-q.Done()
}

func TestWaitAndWriter(t *testing.T) {
	s := sink{block: make(chan struct{})}
	q := s.queue(0)
	pos, err := q.Push([]byte("hello"), false) // a writer starts, and blocks
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := q.Wait(ctx, pos); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait with an ended ctx: %v", err)
	}
	close(s.block)
	if err := q.Wait(context.Background(), pos); err != nil {
		t.Fatal(err)
	}
	q.Close(nil)
	<-q.Done()
	if err := q.Wait(context.Background(), pos+1); !errors.Is(err, ErrClosed) {
		t.Fatalf("Wait on a closed queue: %v, want ErrClosed", err)
	}
}

func TestFailedWrite(t *testing.T) {
	s := sink{err: errors.New("broken pipe")}
	failed := make(chan error, 1)
	q := New(Config{Write: s.write, Failed: func(err error) { failed <- err }, End: func() { t.Error("End after a failed write") }})
	q.Push([]byte("a"), false)
	if err := <-failed; err != s.err {
		t.Fatalf("Failed got %v", err)
	}
	q.Close(nil)
	<-q.Done()
	if _, err := q.Push([]byte("b"), false); !errors.Is(err, ErrClosed) {
		t.Fatalf("Push after a failed write: %v", err)
	}
}

type panicky struct{}

func (panicky) MarshalJSON() ([]byte, error)         { panic("boom") }
func (panicky) EncodeMsgpack(*msgpack.Encoder) error { panic("boom") }

type unsupported struct{ C chan int }

func TestEncodeFailures(t *testing.T) {
	protos := []protocol.Protocol{protocol.JSON, protocol.MessagePack}
	values := map[string]any{"panic": panicky{}, "NaN": math.NaN(), "+Inf": math.Inf(1), "chan": unsupported{C: make(chan int)}}
	for _, p := range protos {
		for name, v := range values {
			m := &protocol.Message{Type: protocol.Invocation, Target: "M", Arguments: []any{v}}
			b, err := Encode(p, m)
			if p == protocol.MessagePack && (name == "NaN" || name == "+Inf") {
				// MessagePack carries NaN and infinities as floats.
				if err != nil {
					t.Errorf("%s %s: %v", p.Name(), name, err)
				}
				b.Free()
				continue
			}
			if err == nil || b != nil {
				t.Errorf("%s %s: encoded, want an error", p.Name(), name)
			}
			var pe *PanicError
			if name == "panic" && !errors.As(err, &pe) {
				t.Errorf("%s panic: %v, want a *PanicError", p.Name(), err)
			}
		}
	}
	dst := []byte("keep")
	if out, err := Append(protocol.JSON, dst, &protocol.Message{Type: protocol.Invocation, Target: "M", Arguments: []any{panicky{}}}); err == nil || string(out) != "keep" {
		t.Fatalf("Append after a panic: %q, %v; want dst as it was and an error", out, err)
	}
}
