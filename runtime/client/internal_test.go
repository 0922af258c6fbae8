package client

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestStateString(t *testing.T) {
	for s, want := range map[State]string{
		Disconnected: "Disconnected",
		Connecting:   "Connecting",
		Connected:    "Connected",
		Reconnecting: "Reconnecting",
		State(9):     "State(9)",
	} {
		if s.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(s), s.String(), want)
		}
	}
}

func TestReconnectDelays(t *testing.T) {
	official := []time.Duration{0, 2 * time.Second, 10 * time.Second, 30 * time.Second}
	for range 1000 {
		for retries, d := range official {
			got, ok := DefaultReconnect(retries, 0, nil)
			lo, hi := d-d/5, d+d/5
			if d == 0 {
				hi = 500 * time.Millisecond
			}
			if !ok || got < lo || got > hi {
				t.Fatalf("DefaultReconnect(%d) = %v, %v; want a delay in [%v, %v]", retries, got, ok, lo, hi)
			}
		}
		if _, ok := DefaultReconnect(len(official), time.Minute, nil); ok {
			t.Fatal("DefaultReconnect does not give up after 4 attempts")
		}
	}
	// The zero delay is spread out.
	seen := map[time.Duration]bool{}
	for range 100 {
		d, _ := DefaultReconnect(0, 0, nil)
		seen[d] = true
	}
	if len(seen) < 50 {
		t.Errorf("only %d different first delays in 100", len(seen))
	}
	if _, ok := NoReconnect(0, 0, nil); ok {
		t.Error("NoReconnect reconnects")
	}
}

// fakeTransport is a transport whose other side is the test.
type fakeTransport struct {
	in     chan []byte // what the server sends
	out    chan []byte // what the client wrote
	closed chan struct{}
	once   sync.Once
}

var errFakeClosed = errors.New("fake transport closed")

func newFakeTransport() *fakeTransport {
	return &fakeTransport{in: make(chan []byte), out: make(chan []byte), closed: make(chan struct{})}
}

func (f *fakeTransport) read(dst []byte) ([]byte, error) {
	select {
	case p := <-f.in:
		return append(dst, p...), nil
	case <-f.closed:
		return dst, errFakeClosed
	}
}

func (f *fakeTransport) write(p []byte) error {
	select {
	case f.out <- append([]byte(nil), p...):
		return nil
	case <-f.closed:
		return errFakeClosed
	}
}

func (f *fakeTransport) closeWrite() { f.abort() }
func (f *fakeTransport) abort()      { f.once.Do(func() { close(f.closed) }) }

func newTestSession(t *testing.T) (*session, *fakeTransport) {
	t.Helper()
	c, err := newConn("http://example.invalid/hub", Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ft := newFakeTransport()
	s := c.newSession(ft, "id", nil)
	t.Cleanup(func() {
		ft.abort()
		<-s.done
		c.cancel()
	})
	return s, ft
}

func TestBackpressure(t *testing.T) {
	s, ft := newTestSession(t)
	ctx := context.Background()
	big := []any{strings.Repeat("x", maxQueued/4)}
	// Nobody takes the writer's first write, so the rest stays queued, until
	// an invoke has to wait for room.
	var err error
	for range 10 {
		short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		err = s.invoke(short, "", "Big", big, nil)
		cancel()
		if err != nil {
			break
		}
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("invoke on a full queue = %v, want DeadlineExceeded", err)
	}
	// Once the writer takes the queue, there is room again.
	done := make(chan error, 1)
	go func() { done <- s.invoke(ctx, "", "Big", big, nil) }()
	<-ft.out
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestTransportEnd(t *testing.T) {
	s, ft := newTestSession(t)
	cl := &call{target: "Wait", done: make(chan error, 1)}
	if err := s.invoke(context.Background(), "7", "Wait", nil, cl); err != nil {
		t.Fatal(err)
	}
	if got := string(<-ft.out); got != `{"type":1,"invocationId":"7","target":"Wait","arguments":[]}`+"\x1e" {
		t.Errorf("wrote %q", got)
	}
	ft.abort()
	err := <-cl.done
	if !errors.Is(err, ErrConnectionClosed) || !errors.Is(err, errFakeClosed) ||
		err.Error() != "client: invocation canceled: the connection was lost: fake transport closed" {
		t.Errorf("pending call = %v", err)
	}
	<-s.done
	if retry, cause := s.result(); !retry || cause != errFakeClosed {
		t.Errorf("result = %v, %v", retry, cause)
	}
	if err := s.invoke(context.Background(), "", "Late", nil, nil); !errors.Is(err, ErrConnectionClosed) {
		t.Errorf("invoke after the end = %v", err)
	}
}

// TestBackpressureEnds: a call that waits for room fails when the session
// ends, rather than wait for its ctx.
func TestBackpressureEnds(t *testing.T) {
	s, ft := newTestSession(t)
	ctx := context.Background()
	big := []any{strings.Repeat("x", maxQueued/2)}
	// Nobody takes the writer's writes: the third call waits for room.
	for range 2 {
		if err := s.invoke(ctx, "", "Big", big, nil); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error, 1)
	go func() { done <- s.invoke(ctx, "", "Big", big, nil) }()
	ft.abort()
	if err := <-done; !errors.Is(err, ErrConnectionClosed) {
		t.Errorf("invoke waiting for room when the session ends = %v, want ErrConnectionClosed", err)
	}
}
