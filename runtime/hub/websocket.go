package hub

import (
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hubgen/hubgen/runtime/protocol"
)

// closeTimeout bounds the wait for the client's answer to a closing handshake.
const closeTimeout = 5 * time.Second

// writeBuffers are shared by every WebSocket so that an idle one holds none.
var writeBuffers sync.Pool

type wsTransport struct {
	c  *Conn
	ws *websocket.Conn
}

func (t *wsTransport) name() string                          { return "WebSockets" }
func (t *wsTransport) supports(protocol.TransferFormat) bool { return true }
func (t *wsTransport) direct() bool                          { return true }

// tick has no timeout to check, read deadlines time WebSockets out; they need
// pings.
func (t *wsTransport) tick(time.Time) bool { return true }

func (t *wsTransport) write(p []byte) error {
	kind := websocket.TextMessage
	if t.c.proto != nil && t.c.proto.Format() == protocol.Binary {
		kind = websocket.BinaryMessage
	}
	t.ws.SetWriteDeadline(time.Now().Add(t.c.srv.opts.SendTimeout))
	return t.ws.WriteMessage(kind, p)
}

func (t *wsTransport) closeWrite() {
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	t.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(closeTimeout))
	// The reader now waits for the client's answer for closeTimeout at most,
	// not for the rest of the client timeout: a silent client must not hold
	// Shutdown for half a minute.
	t.ws.SetReadDeadline(time.Now().Add(closeTimeout))
}

func (t *wsTransport) abort() { t.ws.Close() }

// serveWebSocket upgrades the request and starts reading from the socket.
func (s *Server) serveWebSocket(w http.ResponseWriter, r *http.Request, id, token string, ident *Identity) {
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		s.log.Debug("hub: WebSocket upgrade failed", "url", RedactURL(r.URL), "error", err)
		return // the upgrader has answered
	}
	c := newConn(s, id, token, r, ident)
	c.t = &wsTransport{c: c, ws: ws}
	if !s.track(c) {
		ws.Close()
		return
	}
	// Reading on a goroutine of our own lets the handler return, and net/http
	// free its buffers.
	go c.t.(*wsTransport).run()
}

// run reads frames until the socket closes, then finishes the connection.
func (t *wsTransport) run() {
	c := t.c
	opts := &c.srv.opts
	handshakeBy := time.Now().Add(opts.HandshakeTimeout)
	var cause, err error
	var closeBy time.Time
	for {
		switch {
		case c.isClosing():
			if closeBy.IsZero() {
				closeBy = time.Now().Add(closeTimeout)
			}
			t.ws.SetReadDeadline(closeBy)
		case !c.handshook.Load():
			t.ws.SetReadDeadline(handshakeBy)
		default:
			t.ws.SetReadDeadline(time.Now().Add(opts.ClientTimeout))
		}
		if closeBy.IsZero() && c.isClosing() {
			continue // closeWrite may have set a shorter deadline meanwhile
		}
		_, r, rerr := t.ws.NextReader()
		if rerr != nil {
			err = rerr
			break
		}
		if rerr = c.read(r); rerr != nil && cause == nil {
			// A protocol error: say so, and wait for the client to close.
			cause = rerr
			c.srv.log.Debug("hub: closing a connection on a protocol error", "conn", c.id, "error", rerr)
			if c.handshook.Load() {
				c.Close(rerr)
			} else {
				c.refuse(textHandshakeTimeout)
			}
		}
	}
	if cause == nil && !isNormalClose(err) && !c.isClosing() {
		cause = err
	}
	c.finish(cause)
}

// isNormalClose reports whether err is the client closing the socket with a
// close frame, whatever its code: the official client sends none (1005) when it
// gives up on the server. 1006 is what gorilla reports for a socket that ended
// without one.
func isNormalClose(err error) bool {
	var ce *websocket.CloseError
	return errors.As(err, &ce) && ce.Code != websocket.CloseAbnormalClosure
}
