package hub

import (
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hubgen/hubgen/runtime/protocol"
)

// DefaultPollTimeout is how long a long poll waits for data before it ends
// empty, as in ASP.NET Core.
const DefaultPollTimeout = 90 * time.Second

// lpTransport sends to the client in the answers to its polls; the client
// sends by POST.
type lpTransport struct {
	httpTransport
	data     chan []byte   // hands a batch to the poll in progress
	sent     chan error    // the poll's answer: whether the batch went out
	polling  sync.Mutex    // one poll at a time
	lastPoll atomic.Int64  // unix nanoseconds when the last poll ended; 0 during one
	preempt  chan struct{} // asks the poll in progress to end for a newer one
}

func (t *lpTransport) name() string                          { return "LongPolling" }
func (t *lpTransport) supports(protocol.TransferFormat) bool { return true }
func (t *lpTransport) direct() bool                          { return false }

// closingPollWait is how long the last writes of a closing connection wait
// for a poll: a client polls again as soon as a poll ends, so one on its way
// arrives well within it.
const closingPollWait = time.Second

// write waits for a poll to carry p to the client. A connection that is
// closing waits only closingPollWait: what no poll comes for is dropped, and
// the client's next poll learns that the connection is over.
func (t *lpTransport) write(p []byte) error {
	wait := t.c.srv.opts.DisconnectTimeout
	if t.c.isClosing() {
		wait = min(wait, closingPollWait)
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case t.data <- p:
		return <-t.sent
	case <-t.done:
		return errAborted
	case <-timer.C:
		t.end(errTimeout)
		return errTimeout
	}
}

// tick closes a connection whose client stopped polling, or that did not
// complete its handshake in time. Long polling needs no pings: every poll is a
// sign of life.
func (t *lpTransport) tick(now time.Time) bool {
	t.timedOut(now, t.lastPoll.Load(), t.c.srv.opts.DisconnectTimeout)
	return false
}

// startPolling opens a Long Polling connection: its first poll answers at
// once, which tells the client the transport is up.
func (s *Server) startPolling(w http.ResponseWriter, r *http.Request, id, token string, ident *Identity) {
	c := newConn(s, id, token, r, ident)
	t := &lpTransport{httpTransport: newHTTPTransport(c), data: make(chan []byte), sent: make(chan error), preempt: make(chan struct{}, 1)}
	t.lastPoll.Store(time.Now().UnixNano())
	c.t = t
	if !s.track(c) {
		s.reject(w, r, "The server is shutting down.", http.StatusServiceUnavailable)
		return
	}
	go func() {
		<-t.done
		c.finishHTTP(t.cause)
	}()
	noCache(w)
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
}

func noCache(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-cache, no-store")
	w.Header().Set("Pragma", "no-cache")
	w.Header().Set("Expires", "Thu, 01 Jan 1970 00:00:00 GMT")
}

// poll answers with what is queued for the client, waiting up to the poll
// timeout for something; 204 says the connection is over.
func (s *Server) poll(w http.ResponseWriter, r *http.Request, c *Conn) {
	if _, ok := s.authenticate(w, r); !ok {
		return
	}
	t, ok := c.t.(*lpTransport)
	if !ok {
		s.reject(w, r, "Connection already has an active transport.", http.StatusConflict)
		return
	}
	// A newer poll replaces the one in progress.
	select {
	case t.preempt <- struct{}{}:
	default:
	}
	t.polling.Lock()
	defer t.polling.Unlock()
	select {
	case <-t.preempt: // meant for an older poll
	default:
	}
	t.lastPoll.Store(0)
	defer func() { t.lastPoll.Store(time.Now().UnixNano()) }()
	noCache(w)
	timer := time.NewTimer(s.opts.PollTimeout)
	defer timer.Stop()
	select {
	case p := <-t.data:
		w.Header().Set("Content-Type", "application/octet-stream")
		_, err := w.Write(p)
		t.sent <- err
	case <-t.done:
		w.WriteHeader(http.StatusNoContent)
	case <-timer.C:
		w.WriteHeader(http.StatusOK)
	case <-t.preempt:
		w.WriteHeader(http.StatusOK)
	case <-r.Context().Done():
	}
}

// deletePoll ends a Long Polling connection at the client's request.
func (s *Server) deletePoll(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authenticate(w, r); !ok {
		return
	}
	c, ok := s.requestConn(w, r)
	if !ok {
		return
	}
	t, ok := c.t.(*lpTransport)
	if !ok {
		s.reject(w, r, "Cannot terminate this connection using the DELETE endpoint.", http.StatusBadRequest)
		return
	}
	t.end(nil)
	w.WriteHeader(http.StatusAccepted)
}
