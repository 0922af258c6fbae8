package hub

import (
	"bytes"
	"net/http"
	"time"

	"github.com/hubgen/hubgen/runtime/protocol"
)

// sseTransport sends to the client as Server-Sent Events, one event a batch;
// the client sends by POST.
type sseTransport struct {
	httpTransport
	w  http.ResponseWriter
	rc *http.ResponseController
}

func (t *sseTransport) name() string { return "ServerSentEvents" }

// supports reports that only text crosses an event stream.
func (t *sseTransport) supports(f protocol.TransferFormat) bool { return f == protocol.Text }
func (t *sseTransport) direct() bool                            { return true }

// write sends p as one event: each line behind "data: ", then an empty line.
func (t *sseTransport) write(p []byte) error {
	t.rc.SetWriteDeadline(time.Now().Add(t.c.srv.opts.SendTimeout))
	var buf bytes.Buffer
	for line := range bytes.Lines(p) {
		buf.WriteString("data: ")
		buf.Write(bytes.TrimSuffix(line, []byte("\n")))
		buf.WriteString("\r\n")
	}
	buf.WriteString("\r\n")
	if _, err := t.w.Write(buf.Bytes()); err != nil {
		return err
	}
	return t.rc.Flush()
}

// tick closes a connection that sent nothing for the client timeout, or did
// not complete its handshake in time.
func (t *sseTransport) tick(now time.Time) bool {
	t.timedOut(now, t.c.lastRead.Load(), t.c.srv.opts.ClientTimeout)
	return true
}

// serveEvents holds the event stream open for the life of the connection.
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request, id, token string, ident *Identity) {
	c := newConn(s, id, token, r, ident)
	t := &sseTransport{httpTransport: newHTTPTransport(c), w: w, rc: http.NewResponseController(w)}
	c.t = t
	if !s.track(c) {
		s.reject(w, r, "The server is shutting down.", http.StatusServiceUnavailable)
		return
	}
	// The comment goes out before any event: what the connection sends comes
	// from a POST, which waits for this lock.
	c.posting.Lock()
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
	c.posting.Unlock()
	select {
	case <-t.done:
	case <-r.Context().Done(): // the client went away: a clean end
		t.end(nil)
	}
	c.finishHTTP(t.cause)
}
