package client

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hubgen/hubgen/runtime/protocol"
)

// Limits of the outgoing queue.
const (
	// maxQueued is the size of queued records beyond which Invoke and Send
	// wait for the writer.
	maxQueued = 1 << 20
	// maxKeptBuffer is the largest buffer kept for reuse.
	maxKeptBuffer = 64 << 10
)

// session is one connection to the server: a transport after a successful
// handshake, with a goroutine that reads and one that writes. A Conn has a new
// session after each reconnect.
type session struct {
	c     *Conn
	t     transport
	id    string
	proto protocol.Protocol

	ctx     context.Context // handlers' context: ends with the session
	cancel  context.CancelFunc
	timeout *time.Timer // ends the session when the server is silent too long; nil on Long Polling

	mu      sync.Mutex
	out     []byte           // records waiting for the writer
	free    []byte           // an empty buffer to swap with out
	scratch protocol.Message // reused to encode
	pending map[string]*call // invocations waiting for their Completion
	room    chan struct{}    // closed when the writer takes out; nil when nobody waits
	ending  bool             // nothing more is queued; the writer finishes
	cause   error            // why the session ended
	retry   bool             // reconnecting is allowed after it

	quit  chan struct{} // closed when the session starts ending
	wake  chan struct{} // capacity 1: there is something to write, or the session ends
	wrote chan struct{} // closed when the writer is done
	done  chan struct{} // closed when the session is over
}

// call is an invocation waiting for its Completion, or a stream from the
// server (see stream.go).
type call struct {
	target string
	result any        // where to decode the result; nil to ignore it
	done   chan error // receives exactly one value

	// A stream's: the reader hands its items over on items, and waits while
	// items is full; stop is closed when the consumer has gone.
	items chan protocol.Raw
	stop  chan struct{}
}

func (c *Conn) newSession(t transport, id string, rest []byte) *session {
	s := &session{
		c:       c,
		t:       t,
		id:      id,
		proto:   c.opts.Protocol,
		pending: make(map[string]*call),
		quit:    make(chan struct{}),
		wake:    make(chan struct{}, 1),
		wrote:   make(chan struct{}),
		done:    make(chan struct{}),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if _, ok := t.(inherentKeepAlive); !ok {
		s.timeout = time.AfterFunc(c.opts.ServerTimeout, func() { s.abort(ErrServerTimeout) })
	}
	go s.write()
	go s.read(rest)
	return s
}

// invoke queues an Invocation. A call, when given, waits for its Completion.
func (s *session) invoke(ctx context.Context, id, target string, args []any, cl *call) error {
	return s.post(ctx, protocol.Message{Type: protocol.Invocation, InvocationID: id, Target: target, Arguments: args}, cl)
}

// post queues m: an Invocation, a StreamInvocation or an upload's StreamItem.
// It waits, as long as ctx allows, while much is queued already. A call, when
// given, waits for the Completion of m's invocation id.
func (s *session) post(ctx context.Context, m protocol.Message, cl *call) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.out) >= maxQueued && !s.ending {
		if s.room == nil {
			s.room = make(chan struct{})
		}
		room := s.room
		s.mu.Unlock()
		select {
		case <-room:
		case <-ctx.Done():
			s.mu.Lock()
			return ctx.Err()
		}
		s.mu.Lock()
	}
	if s.ending {
		return endedError(s.cause)
	}
	s.scratch = m
	err := s.appendLocked(&s.scratch)
	s.scratch = protocol.Message{}
	if err != nil {
		if m.Type == protocol.StreamItem {
			return fmt.Errorf("client: cannot encode an item of upload stream %s: %w", m.InvocationID, err)
		}
		return fmt.Errorf("client: cannot encode the arguments of %q: %w", m.Target, err)
	}
	if cl != nil {
		s.pending[m.InvocationID] = cl
	}
	s.signal()
	return nil
}

// forget drops a pending call; it reports false when a Completion, or the end
// of the session, has already taken it.
func (s *session) forget(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.pending[id]
	delete(s.pending, id)
	return ok
}

// complete answers an invocation from the server with a result or an error.
func (s *session) complete(id string, result any, errText string) {
	m := &protocol.Message{Type: protocol.Completion, InvocationID: id, Result: result, HasResult: errText == "", Error: errText}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ending {
		return
	}
	if err := s.appendLocked(m); err != nil {
		s.c.log.Error("client: cannot encode a handler's result", "id", id, "error", err)
		m = &protocol.Message{Type: protocol.Completion, InvocationID: id, Error: "client: cannot encode the result: " + err.Error()}
		if s.appendLocked(m) != nil {
			return
		}
	}
	s.signal()
}

// close ends the session at the user's request: it sends a Close message and
// closes the transport after it.
func (s *session) close() {
	s.mu.Lock()
	if !s.ending {
		s.appendLocked(&protocol.Message{Type: protocol.Close})
	}
	s.mu.Unlock()
	s.end(errClosedByUser, false)
}

// end marks the session as ending for cause, unless it already is, and wakes
// the writer to finish.
func (s *session) end(cause error, retry bool) {
	s.mu.Lock()
	s.endLocked(cause, retry)
	s.mu.Unlock()
	s.signal()
}

func (s *session) endLocked(cause error, retry bool) {
	if s.ending {
		return
	}
	s.ending, s.cause, s.retry = true, cause, retry
	close(s.quit)
	if s.room != nil {
		close(s.room)
		s.room = nil
	}
}

// abort ends the session at once.
func (s *session) abort(cause error) {
	s.end(cause, true)
	s.t.abort()
}

// result returns whether reconnecting is allowed after the session, and why it
// ended.
func (s *session) result() (retry bool, cause error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.retry, s.cause
}

func (s *session) appendLocked(m *protocol.Message) error {
	n := len(s.out)
	out, err := s.proto.Append(s.out, m)
	if err != nil {
		s.out = out[:n]
		return err
	}
	s.out = out
	return nil
}

func (s *session) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

var pingMessage = protocol.Message{Type: protocol.Ping}

// write sends what is queued, all of it in one frame, and a Ping when nothing
// was sent for the keep-alive interval. When the session ends it sends what is
// left and ends the transport's side.
func (s *session) write() {
	defer close(s.wrote)
	interval := s.c.opts.KeepAliveInterval
	keepAlive := time.NewTimer(interval)
	defer keepAlive.Stop()
	pings := keepAlive.C
	if _, ok := s.t.(inherentKeepAlive); ok {
		pings = nil
	}
	for {
		select {
		case <-s.wake:
		case <-pings:
			s.mu.Lock()
			if !s.ending {
				s.appendLocked(&pingMessage)
			}
			s.mu.Unlock()
		}
		for {
			b, ending := s.take()
			if len(b) == 0 {
				if ending {
					s.t.closeWrite()
					return
				}
				break
			}
			err := s.t.write(b)
			s.give(b)
			if err != nil {
				s.abort(fmt.Errorf("client: cannot write to the server: %w", err))
				return
			}
			keepAlive.Reset(interval)
		}
	}
}

// take takes the queued records, and lets waiting senders in.
func (s *session) take() ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.out
	s.out, s.free = s.free, nil
	if s.room != nil {
		close(s.room)
		s.room = nil
	}
	return b, s.ending
}

// give returns a written buffer for reuse.
func (s *session) give(b []byte) {
	if cap(b) > maxKeptBuffer {
		return
	}
	s.mu.Lock()
	if s.free == nil {
		s.free = b[:0]
	}
	s.mu.Unlock()
}

// read handles what the server sends, starting with rest, the bytes that came
// with the handshake response. When the transport ends it ends the session.
func (s *session) read(rest []byte) {
	err := s.receive(rest)
	if s.timeout != nil {
		s.timeout.Stop()
	}
	s.mu.Lock()
	s.endLocked(err, true)
	s.out = s.out[:0] // the session is over: what is queued will not be sent
	s.mu.Unlock()
	s.signal()
	<-s.wrote
	s.t.abort()
	s.cancel()
	s.mu.Lock()
	pending := s.pending
	s.pending = nil
	err = endedError(s.cause)
	s.mu.Unlock()
	for _, cl := range pending {
		cl.done <- err
	}
	close(s.done)
}

// receive reads and handles records until the transport or the protocol fails,
// or the server closes the connection.
func (s *session) receive(buf []byte) error {
	var m protocol.Message
	for {
		data := buf
		for len(data) > 0 {
			n, err := s.proto.Parse(data, &m)
			if err != nil {
				return fmt.Errorf("client: invalid message from the server: %w", err)
			}
			if n == 0 {
				break
			}
			data = data[n:]
			if closed, err := s.handle(&m); closed {
				return err
			}
		}
		buf = buf[:copy(buf, data)]
		if len(buf) == 0 && cap(buf) > maxKeptBuffer {
			buf = nil
		}
		var err error
		if buf, err = s.t.read(buf); err != nil {
			return err
		}
		if s.timeout != nil {
			s.timeout.Reset(s.c.opts.ServerTimeout)
		}
	}
}

// handle acts on one message. It reports closed when the server closed the
// connection, with the error that says why.
func (s *session) handle(m *protocol.Message) (closed bool, err error) {
	switch m.Type {
	case protocol.Invocation:
		s.c.jobs.push(job{s: s, id: m.InvocationID, target: m.Target, args: Args{proto: s.proto, raw: protocol.CloneRaw(m.RawArguments)}})
	case protocol.Completion:
		s.mu.Lock()
		cl := s.pending[m.InvocationID]
		delete(s.pending, m.InvocationID)
		s.mu.Unlock()
		if cl == nil {
			s.c.log.Debug("client: ignoring a completion for no pending invocation", "id", m.InvocationID)
			return false, nil
		}
		cl.done <- cl.complete(s.proto, m)
	case protocol.StreamItem:
		s.streamItem(m)
	case protocol.Close:
		err := errServerClosed
		if m.Error != "" {
			//lint:ignore ST1005 the text is the official clients'
			err = fmt.Errorf("Server returned an error on close: %s", m.Error)
		}
		s.end(err, m.AllowReconnect)
		return true, err
	}
	// Pings need nothing more than their arrival. Ack, Sequence and unknown
	// types are ignored.
	return false, nil
}

// complete returns the outcome of an invocation from its Completion.
func (cl *call) complete(p protocol.Protocol, m *protocol.Message) error {
	if m.Error != "" {
		return &Error{Message: m.Error}
	}
	if cl.result == nil || !m.HasResult {
		return nil
	}
	if err := p.Decode(m.RawResult, cl.result); err != nil {
		return fmt.Errorf("client: cannot decode the result of %q: %w", cl.target, err)
	}
	return nil
}
