package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hubgen/hubgen/runtime/protocol"
	"go.uber.org/goleak"
)

// newTestConn returns a Conn over a fakeTransport, with its goroutines
// running as after Dial. What the client writes is dropped.
func newTestConn(t *testing.T, opts Options) (*Conn, *fakeTransport) {
	t.Helper()
	opts.Logger = slog.New(slog.DiscardHandler)
	c, err := newConn("http://example.invalid/hub", opts)
	if err != nil {
		t.Fatal(err)
	}
	ft := newFakeTransport()
	go func() {
		for {
			select {
			case <-ft.out:
			case <-ft.closed:
				return
			}
		}
	}()
	return c, ft
}

// start starts c's goroutines over ft, as Dial does.
func start(c *Conn, ft *fakeTransport) *session {
	s := c.newSession(ft, "id", nil)
	c.sess, c.state = s, Connected
	go c.dispatch()
	go c.watch(s)
	return s
}

// calls returns a frame of n calls of method, without invocation ids.
func calls(method string, n int) []byte {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"type":1,"target":%q,"arguments":[%d]}`+"\x1e", method, i)
	}
	return []byte(b.String())
}

// TestHandlersQueueBounded: while a handler blocks, the server's calls fill
// the handlers' queue up to its bound, and then the reader waits rather than
// queue more. Close still returns, once the handler's ctx has ended it.
func TestHandlersQueueBounded(t *testing.T) {
	leaks := goleak.IgnoreCurrent()
	c, ft := newTestConn(t, Options{Reconnect: NoReconnect})
	started, ended := make(chan struct{}, 1), make(chan error, 1)
	c.On("Block", func(ctx context.Context, a Args) (any, error) {
		if n, _ := Arg[int](a, 0); n == 0 {
			started <- struct{}{}
			<-ctx.Done()
			ended <- ctx.Err()
		}
		return nil, nil
	})
	waiting := make(chan int, maxJobs+2)
	c.onHandlersFull = func() {
		c.jobs.mu.Lock()
		n := len(c.jobs.jobs)
		c.jobs.mu.Unlock()
		waiting <- n
	}
	start(c, ft)

	// The first call runs, the next maxJobs wait in the queue, and the last
	// one holds the reader back.
	ft.in <- calls("Block", 1+maxJobs+1)
	<-started
	for n := 0; n != maxJobs; {
		n = <-waiting
		if n > maxJobs {
			t.Fatalf("the reader waits with %d calls queued, more than %d", n, maxJobs)
		}
	}
	// The reader, held back, reads nothing more.
	more := make(chan struct{})
	go func() {
		select {
		case ft.in <- calls("Block", 1):
			close(more)
		case <-ft.closed:
		}
	}()
	select {
	case <-more:
		t.Error("the reader took a frame while the handlers' queue was full")
	default:
	}

	closed := make(chan struct{})
	go func() {
		c.Close()
		close(closed)
	}()
	if err := <-ended; !errors.Is(err, context.Canceled) {
		t.Errorf("the handler's ctx ended with %v", err)
	}
	<-closed
	goleak.VerifyNone(t, leaks)
}

// TestHandlersQueueBytes: the queue is bounded by the size of the calls'
// arguments too, but a call bigger than the bound gets in when the queue is
// empty.
func TestHandlersQueueBytes(t *testing.T) {
	q := newJobQueue()
	q.maxBytes = 10
	big := job{target: "Big", args: Args{raw: []protocol.Raw{make(protocol.Raw, 20)}}}
	if full := q.push(big); full != nil {
		t.Fatal("a big call does not get into an empty queue")
	}
	small := job{target: "S"}
	if full := q.push(small); full == nil {
		t.Fatal("a call got into a queue past its bytes")
	}
	if j, _ := q.pop(); j.target != "Big" {
		t.Fatalf("popped %q", j.target)
	}
	if full := q.push(small); full != nil {
		t.Fatal("no room after a pop")
	}
	q.close()
	if full := q.push(small); full != nil {
		t.Fatal("push waits on a closed queue")
	}
}

// TestHandlersStalled: when the handlers take no call for the server timeout
// while the reader waits for them, the connection ends, which ends the
// handler's ctx.
func TestHandlersStalled(t *testing.T) {
	leaks := goleak.IgnoreCurrent()
	closed := make(chan error, 1)
	c, ft := newTestConn(t, Options{Reconnect: NoReconnect, ServerTimeout: 200 * time.Millisecond, OnClosed: func(err error) { closed <- err }})
	c.jobs.maxJobs = 2
	started, ended := make(chan struct{}, 1), make(chan error, 1)
	c.On("Block", func(ctx context.Context, a Args) (any, error) {
		if n, _ := Arg[int](a, 0); n == 0 {
			started <- struct{}{}
			<-ctx.Done()
			ended <- ctx.Err()
		}
		return nil, nil
	})
	start(c, ft)
	ft.in <- calls("Block", 4)
	<-started
	if err := <-closed; !errors.Is(err, errHandlersStalled) {
		t.Errorf("OnClosed(%v), want errHandlersStalled", err)
	}
	if err := <-ended; !errors.Is(err, context.Canceled) {
		t.Errorf("the handler's ctx ended with %v", err)
	}
	c.Close()
	goleak.VerifyNone(t, leaks)
}
