package client

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// streamTest is a connected Conn over a fakeTransport, with the records the
// client writes (Pings left out) on out.
type streamTest struct {
	c   *Conn
	s   *session
	ft  *fakeTransport
	out chan string
}

func newStreamTest(t *testing.T, serverTimeout time.Duration) *streamTest {
	t.Helper()
	return newStreamTestOver(t, serverTimeout, func(ft *fakeTransport) transport { return ft })
}

// newStreamTestOver is newStreamTest with the fakeTransport wrapped.
func newStreamTestOver(t *testing.T, serverTimeout time.Duration, wrap func(*fakeTransport) transport) *streamTest {
	t.Helper()
	c, err := newConn("http://example.invalid/hub", Options{Logger: slog.New(slog.DiscardHandler), ServerTimeout: serverTimeout})
	if err != nil {
		t.Fatal(err)
	}
	ft := newFakeTransport()
	st := &streamTest{c: c, ft: ft, s: c.newSession(wrap(ft), "id", nil), out: make(chan string, 100)}
	c.sess, c.state = st.s, Connected
	go func() {
		for {
			select {
			case p := <-ft.out:
				for rec := range strings.SplitSeq(strings.TrimSuffix(string(p), "\x1e"), "\x1e") {
					if rec != `{"type":6}` {
						st.out <- rec
					}
				}
			case <-ft.closed:
				return
			}
		}
	}()
	t.Cleanup(func() {
		ft.abort()
		<-st.s.done
		c.cancel()
	})
	return st
}

// serve hands the client a frame, failing the test if the client does not
// read it within a second.
func (st *streamTest) serve(t *testing.T, records ...string) {
	t.Helper()
	select {
	case st.ft.in <- []byte(strings.Join(records, "\x1e") + "\x1e"):
	case <-time.After(time.Second):
		t.Fatalf("the client does not read %s", records)
	}
}

// blocked reports whether the client's reader takes no frame for d.
func (st *streamTest) blocked(d time.Duration) bool {
	select {
	case st.ft.in <- []byte(`{"type":6}` + "\x1e"):
		return false
	case <-time.After(d):
		return true
	}
}

func (st *streamTest) expect(t *testing.T, want string) {
	t.Helper()
	select {
	case got := <-st.out:
		if got != want {
			t.Errorf("client sent %s\nwant %s", got, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("client sent nothing; want %s", want)
	}
}

func item(id string, i int) string {
	return fmt.Sprintf(`{"type":2,"invocationId":%q,"item":%d}`, id, i)
}

// fill starts a stream "0" of ints and gives it item 0 and 11 items more, which
// its consumer does not take: 10 fill its buffer, and the reader waits with
// the last one.
func (st *streamTest) fill(t *testing.T) (next func() (int, error, bool), stop func()) {
	t.Helper()
	next, stop = iter.Pull2(StreamOf[int](context.Background(), st.c, "Slow"))
	first := make(chan error, 1)
	go func() {
		v, err, ok := next()
		if v != 0 || err != nil || !ok {
			err = fmt.Errorf("first item %d, %v, %v", v, err, ok)
		}
		first <- err
	}()
	st.expect(t, `{"type":4,"invocationId":"0","target":"Slow","arguments":[]}`)
	st.serve(t, item("0", 0))
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= streamBuffer+1; i++ {
		st.serve(t, item("0", i))
	}
	return next, stop
}

// takeAll takes what a stream holds, up to its end.
func takeAll(next func() (int, error, bool)) (got []int, end error) {
	for {
		v, err, ok := next()
		if !ok {
			return got, end
		}
		if err != nil {
			end = err
			continue
		}
		got = append(got, v)
	}
}

func count(from, to int) []int {
	var s []int
	for i := from; i <= to; i++ {
		s = append(s, i)
	}
	return s
}

// A consumer that does not take its items holds the connection's reader back
// once its buffer is full; after the server timeout its stream is cancelled and
// the connection goes on.
func TestStreamStalled(t *testing.T) {
	st := newStreamTest(t, 500*time.Millisecond)
	next, stop := st.fill(t)
	defer stop()
	if !st.blocked(100 * time.Millisecond) {
		t.Fatal("the reader took a frame while a stream's buffer was full")
	}
	st.expect(t, `{"type":5,"invocationId":"0"}`)
	// The reader goes on, and the session did not time out meanwhile.
	st.serve(t, item("0", 12), `{"type":3,"invocationId":"0"}`)
	got, end := takeAll(next)
	if fmt.Sprint(got) != fmt.Sprint(count(1, streamBuffer)) || !errors.Is(end, ErrStreamStalled) {
		t.Errorf("after the stall: %v, %v", got, end)
	}
	st.s.mu.Lock()
	ending := st.s.ending
	st.s.mu.Unlock()
	if ending {
		t.Error("the session ended")
	}
}

// Breaking out of a stream whose buffer is full frees the reader at once, and
// the other streams go on.
func TestStreamBreakFreesReader(t *testing.T) {
	st := newStreamTest(t, time.Minute)
	next, stop := st.fill(t)
	other := StreamOf[int](context.Background(), st.c, "Other")
	got := make(chan []int, 1)
	go func() {
		var all []int
		for v, err := range other {
			if err != nil {
				break
			}
			all = append(all, v)
		}
		got <- all
	}()
	// The other stream's invocation goes out, but its items wait behind the
	// full buffer.
	st.expect(t, `{"type":4,"invocationId":"1","target":"Other","arguments":[]}`)
	if !st.blocked(100 * time.Millisecond) {
		t.Fatal("the reader took a frame while a stream's buffer was full")
	}
	next() // the consumer takes one: there is room for the one the reader holds
	st.serve(t, item("0", 12))
	if !st.blocked(100 * time.Millisecond) {
		t.Fatal("the reader took a frame while a stream's buffer was full")
	}
	stop()
	st.expect(t, `{"type":5,"invocationId":"0"}`)
	st.serve(t, item("1", 7), item("0", 13), `{"type":3,"invocationId":"1"}`)
	if items := <-got; fmt.Sprint(items) != "[7]" {
		t.Errorf("the other stream got %v", items)
	}
}

// Closing the connection frees a reader waiting for a consumer; the stream
// yields what it holds, then ErrConnectionClosed.
func TestStreamCloseFreesReader(t *testing.T) {
	st := newStreamTest(t, time.Minute)
	next, stop := st.fill(t)
	defer stop()
	st.s.close()
	st.expect(t, `{"type":7}`)
	<-st.s.done
	got, end := takeAll(next)
	if fmt.Sprint(got) != fmt.Sprint(count(1, streamBuffer)) || !errors.Is(end, ErrConnectionClosed) {
		t.Errorf("after Close: %v, %v", got, end)
	}
}

// pollingTransport is a fakeTransport that, like Long Polling, needs no server
// timeout.
type pollingTransport struct{ *fakeTransport }

func (pollingTransport) inherentKeepAlive() {}

// A stream stalls on a transport without a server timeout too.
func TestStreamStalledPolling(t *testing.T) {
	st := newStreamTestOver(t, 300*time.Millisecond, func(ft *fakeTransport) transport { return pollingTransport{ft} })
	if st.s.timeout != nil {
		t.Fatal("the session has a server timeout")
	}
	next, stop := st.fill(t)
	defer stop()
	st.expect(t, `{"type":5,"invocationId":"0"}`)
	got, end := takeAll(next)
	if len(got) != streamBuffer || !errors.Is(end, ErrStreamStalled) {
		t.Errorf("after the stall: %v, %v", got, end)
	}
}
