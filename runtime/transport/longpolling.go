package transport

import (
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// lpTransport sends to the client in the answers to its polls; the client
// sends by POST.
type lpTransport struct {
	postInput
	data     chan []byte   // hands a message to the poll in progress
	sent     chan error    // the poll's answer: whether the message went out
	polling  sync.Mutex    // one poll at a time
	lastPoll atomic.Int64  // unix nanoseconds when the last poll ended; 0 during one
	preempt  chan struct{} // asks the poll in progress to end for a newer one
}

// startPolling opens a Long Polling connection: its first poll answers at
// once, which tells the client the transport is up.
func (s *Server) startPolling(w http.ResponseWriter, r *http.Request, c *Conn) {
	t := &lpTransport{postInput: newPostInput(c), data: make(chan []byte), sent: make(chan error), preempt: make(chan struct{}, 1)}
	t.lastPoll.Store(time.Now().UnixNano())
	c.t = t
	if !s.track(c) {
		s.reject(w, r, "The server is shutting down.", http.StatusServiceUnavailable)
		return
	}
	go s.serve(c)
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

// write waits for a poll to carry p to the client, for DisconnectTimeout at
// most, or until the write deadline: a client that stopped polling is gone.
func (t *lpTransport) write(p []byte) error {
	c := t.c
	now := time.Now()
	timer := time.NewTimer(c.writeDeadline(now, c.srv.opts.DisconnectTimeout).Sub(now))
	defer timer.Stop()
	select {
	case t.data <- p:
		return <-t.sent
	case <-c.ctx.Done():
		return c.nextErr()
	case <-timer.C:
		c.end(ErrTimeout)
		return ErrTimeout
	}
}

// tick closes a connection whose client stopped polling.
func (t *lpTransport) tick(now time.Time) {
	if last := t.lastPoll.Load(); last != 0 && now.UnixNano()-last > int64(t.c.srv.opts.DisconnectTimeout) {
		t.c.end(ErrTimeout)
	}
}

func (t *lpTransport) close() { t.c.end(nil) }
func (t *lpTransport) abort() {}
func (t *lpTransport) drain() { t.release() }

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
	case <-c.ctx.Done():
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
	if _, ok := c.t.(*lpTransport); !ok {
		s.reject(w, r, "Cannot terminate this connection using the DELETE endpoint.", http.StatusBadRequest)
		return
	}
	c.end(nil)
	w.WriteHeader(http.StatusAccepted)
}
