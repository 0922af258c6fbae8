package outq

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// keepSink records what a keeping queue writes, and lets a test wait for it.
type keepSink struct {
	mu   sync.Mutex
	cond *sync.Cond
	got  strings.Builder
	err  error // returned by writes while set
}

func newKeepSink() *keepSink {
	s := &keepSink{}
	s.cond = sync.NewCond(&s.mu)
	return s
}

func (s *keepSink) write(p []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	s.got.Write(p)
	s.cond.Broadcast()
	return nil
}

// take waits until what was written since the last take is want, and
// returns it; it fails on anything else.
func (s *keepSink) take(t *testing.T, want string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.got.Len() < len(want) && strings.HasPrefix(want, s.got.String()) {
		s.cond.Wait()
	}
	if got := s.got.String(); got != want {
		t.Fatalf("written %q, want %q", got, want)
	}
	s.got.Reset()
}

func (s *keepSink) none(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.got.Len() > 0 {
		t.Fatalf("written %q, want nothing", s.got.String())
	}
}

func sequence(id int64) []byte { return fmt.Appendf(nil, "S%d;", id) }

// op is one step of a keeping queue's life.
type op struct {
	push      string // a tracked message
	untracked string // an untracked one
	flush     bool
	ack       int64
	pause     bool
	resume    bool
	fail      bool   // writes fail from now on
	heal      bool   // writes succeed again
	want      string // what is written since the last check, when check
	check     bool
}

func TestKeep(t *testing.T) {
	push := func(s string) op { return op{push: s} }
	flush := op{flush: true}
	want := func(s string) op { return op{want: s, check: true} }
	many := func(n int) []op {
		var ops []op
		var all strings.Builder
		for i := 1; i <= n; i++ {
			ops = append(ops, push(fmt.Sprintf("m%d;", i)))
			fmt.Fprintf(&all, "m%d;", i)
		}
		return append(ops, flush, want(all.String()))
	}
	rest := func(from, to int) string {
		var b strings.Builder
		for i := from; i <= to; i++ {
			fmt.Fprintf(&b, "m%d;", i)
		}
		return b.String()
	}
	for _, tc := range []struct {
		name  string
		keep  int
		steps []op
	}{
		// Ported from ASP.NET Core's MessageBufferTests.
		{"untracked messages never wait", 1, []op{
			{untracked: "p;"}, {untracked: "p;"}, {untracked: "p;"}, flush, want("p;p;p;")}},
		{"a full buffer waits for an ack", 10, []op{
			push("0123456789A;"), flush, want("0123456789A;"),
			push("b;"), flush, want(""), {ack: 1}, want("b;")}},
		{"unacknowledged messages are replayed", 1000, []op{
			push("a;"), flush, want("a;"), {pause: true}, {resume: true}, want("S1;a;")}},
		{"acknowledged messages are not", 1000, []op{
			push("a;"), flush, want("a;"), {ack: 1}, {pause: true}, {resume: true}, want("S2;"),
			push("b;"), flush, want("b;")}},
		{"an ack of some replays the rest", 100_000, append(many(1000),
			op{ack: 637}, op{pause: true}, op{resume: true}, want("S638;"+rest(638, 1000)))},
		{"what is sent while paused follows the replay", 100_000, []op{
			push("a;"), flush, want("a;"), {pause: true}, push("b;"), push("c;"), flush, want(""),
			{resume: true}, want("S1;a;b;c;")}},
		{"backpressure survives a reattach", 3, []op{
			push("aa;"), flush, push("bb;"), flush, want("aa;bb;"), push("cc;"), flush, want(""),
			{pause: true}, {resume: true}, want("S1;aa;bb;"), {ack: 2}, want("cc;")}},
		// Ours.
		{"untracked messages are neither numbered nor replayed", 1000, []op{
			push("a;"), {untracked: "p;"}, push("b;"), flush, want("a;p;b;"), {ack: 1},
			{pause: true}, {resume: true}, want("S2;b;"), {ack: 2}, {untracked: "p;"}, flush, want("p;"),
			{pause: true}, {resume: true}, want("S3;")}},
		{"an ack beyond the last message releases all", 1000, []op{
			push("a;"), flush, want("a;"), {ack: 9}, {pause: true}, {resume: true}, want("S2;")}},
		{"a failed write pauses, and what it held is replayed", 1000, []op{
			{fail: true}, push("a;"), flush, {heal: true}, push("b;"), flush, want(""),
			{pause: true}, {resume: true}, want("S1;a;b;")}},
		{"a second drop replays again", 1000, []op{
			push("a;"), flush, {pause: true}, {resume: true}, want("a;S1;a;"),
			push("b;"), flush, want("b;"), {pause: true}, {resume: true}, want("S1;a;b;")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newKeepSink()
			q := New(Config{Write: s.write, Keep: tc.keep, Failed: func(err error) { t.Errorf("Failed(%v)", err) }})
			for i, o := range tc.steps {
				switch {
				case o.push != "":
					if _, err := q.Push([]byte(o.push), true); err != nil {
						t.Fatalf("step %d: %v", i, err)
					}
				case o.untracked != "":
					q.PushUntracked([]byte(o.untracked), true)
				case o.flush:
					q.Flush()
				case o.ack != 0:
					q.Ack(o.ack)
				case o.pause:
					q.Pause()
				case o.resume:
					q.Resume(sequence)
				case o.fail:
					s.mu.Lock()
					s.err = errors.New("gone")
					s.mu.Unlock()
				case o.heal:
					s.mu.Lock()
					s.err = nil
					s.mu.Unlock()
				case o.check && o.want == "":
					waitIdle(q)
					s.none(t)
				case o.check:
					s.take(t, o.want)
				}
			}
			q.Discard()
			<-q.Done()
		})
	}
}

// waitIdle waits until no writer is at work.
func waitIdle(q *Queue) {
	q.mu.Lock()
	for q.writing {
		q.mu.Unlock()
		q.Flush() // returns at once while a writer works; the loop yields
		q.mu.Lock()
	}
	q.mu.Unlock()
}

func TestKeepClose(t *testing.T) {
	t.Run("a paused queue ends without its End", func(t *testing.T) {
		s := newKeepSink()
		ended := false
		q := New(Config{Write: s.write, Keep: 100, End: func() { ended = true }})
		q.Push([]byte("a;"), true)
		q.Pause()
		q.Close([]byte("close;"))
		<-q.Done()
		if ended {
			t.Fatal("End ran for a queue whose transport is gone")
		}
		s.none(t)
	})
	t.Run("a closed queue does not wait for acks", func(t *testing.T) {
		s := newKeepSink()
		q := New(Config{Write: s.write, Keep: 1})
		q.Push([]byte("aa;"), true)
		q.Flush()
		q.Push([]byte("b;"), true)
		q.Close([]byte("close;"))
		<-q.Done()
		s.take(t, "aa;b;close;")
	})
	t.Run("kept bytes are released", func(t *testing.T) {
		s := newKeepSink()
		q := New(Config{Write: s.write, Keep: 100})
		q.Push([]byte("aa;"), true)
		q.PushUntracked([]byte("p;"), true)
		q.Push([]byte("bb;"), true)
		q.Flush()
		if n := q.Kept(); n != 6 { // the untracked Ping is not kept
			t.Fatalf("Kept() = %d, want 6", n)
		}
		q.Ack(1)
		if n := q.Kept(); n != 3 {
			t.Fatalf("after Ack(1), Kept() = %d, want 3", n)
		}
		q.Ack(2)
		if n := q.Kept(); n != 0 {
			t.Fatalf("after Ack(2), Kept() = %d, want 0", n)
		}
		q.Discard()
		<-q.Done()
	})
}

// A write that a writer took before a Pause, and that fails on the old
// transport after the Resume, does not pause the queue again.
func TestKeepStaleFailure(t *testing.T) {
	s := newKeepSink()
	q := New(Config{Write: s.write, Keep: 100})
	q.Push([]byte("a;"), true)
	q.Flush()
	s.take(t, "a;")
	stale := q.keep.epoch.Load()
	q.Pause()
	q.Resume(sequence)
	s.take(t, "S1;a;")
	q.writeFailed(errors.New("the old socket"), stale)
	q.Push([]byte("b;"), false)
	s.take(t, "b;")
	q.Discard()
	<-q.Done()
}

// Many messages, small and large, each in a batch of its own: acks in the
// middle, each followed by a replay of the rest.
func TestKeepMany(t *testing.T) {
	s := newKeepSink()
	q := New(Config{Write: s.write, Keep: 1 << 20})
	msg := func(i int) string {
		if i%10 == 0 {
			return fmt.Sprintf("m%d:%s;", i, strings.Repeat("x", 2000))
		}
		return fmt.Sprintf("m%d:%s;", i, strings.Repeat("y", 30))
	}
	var all strings.Builder
	for i := 1; i <= 300; i++ {
		q.Push([]byte(msg(i)), true)
		q.Flush()
		all.WriteString(msg(i))
	}
	s.take(t, all.String())
	for _, ack := range []int64{1, 123, 200} {
		q.Ack(ack)
		q.Pause()
		q.Resume(sequence)
		want := fmt.Sprintf("S%d;", ack+1)
		for i := int(ack) + 1; i <= 300; i++ {
			want += msg(i)
		}
		s.take(t, want)
	}
	q.Ack(300)
	if n := q.Kept(); n != 0 {
		t.Fatalf("Kept() = %d after the last ack", n)
	}
	q.Discard()
	<-q.Done()
}
