package transport

import (
	"bytes"
	"net/http"
	"sync"
	"time"
)

// sseTransport sends to the client as Server-Sent Events, one event a
// message; the client sends by POST.
type sseTransport struct {
	postInput
	w  http.ResponseWriter
	rc *http.ResponseController

	mu   sync.Mutex // one write at a time, and none after the stream ends
	done bool       // the event stream has ended
}

// serveEvents holds the event stream open for the life of the connection.
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request, c *Conn) {
	t := &sseTransport{postInput: newPostInput(c), w: w, rc: http.NewResponseController(w)}
	c.t = t
	if !s.track(c) {
		s.reject(w, r, "The server is shutting down.", http.StatusServiceUnavailable)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache, no-store")
	h.Set("Pragma", "no-cache")
	h.Set("Content-Encoding", "identity")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	// Browsers fire open only when the first bytes arrive.
	w.Write([]byte(":\r\n"))
	t.rc.Flush()
	go s.serve(c)
	select {
	case <-c.ctx.Done():
	case <-r.Context().Done(): // the client went away: a clean end
		c.end(nil)
	}
	// The response ends when this returns: no write may be in progress.
	t.mu.Lock()
	t.done = true
	t.mu.Unlock()
}

// write sends p as one event, as ASP.NET Core's formatter writes it: each
// line behind "data: ", the CR of a CR LF dropped, then an empty line. A
// message that ends with a line feed ends with an empty data line, so that
// the event the client gets ends with it too; a CR LF arrives as an LF.
// (ASP.NET Core keeps the CR of a line that holds nothing else, which ends the
// event early for the client; we drop it too.)
func (t *sseTransport) write(p []byte) error {
	b := getBuf()
	defer freeBuf(b)
	buf := (*b)[:0]
	for more := len(p) > 0; more; {
		var line []byte
		if line, p, more = bytes.Cut(p, []byte("\n")); more {
			line = bytes.TrimSuffix(line, []byte("\r"))
		}
		buf = append(buf, "data: "...)
		buf = append(buf, line...)
		buf = append(buf, "\r\n"...)
	}
	buf = append(buf, "\r\n"...)
	*b = buf
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return ErrAborted
	}
	t.rc.SetWriteDeadline(t.c.writeDeadline(time.Now(), t.c.srv.opts.WriteTimeout))
	if _, err := t.w.Write(buf); err != nil {
		return err
	}
	return t.rc.Flush()
}

func (t *sseTransport) close()         { t.c.end(nil) }
func (t *sseTransport) abort()         {}
func (t *sseTransport) tick(time.Time) {}
func (t *sseTransport) drain()         { t.release() }
