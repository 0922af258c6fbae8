package transport

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/gorilla/websocket"
)

// clientWS is a WebSocket.
type clientWS struct {
	ws           *websocket.Conn
	kind         int // frame type for the transfer format
	writeTimeout time.Duration
	closeTimeout time.Duration
}

func (cfg *dialConfig) dialWebSocket(ctx context.Context, n *negotiated) (clientTransport, error) {
	u := n.connectURL()
	switch u.Scheme {
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	}
	ws, resp, err := cfg.ws.DialContext(ctx, u.String(), cfg.header(n.bearer))
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			body, _ := io.ReadAll(resp.Body)
			err = newHTTPError(resp, body)
		}
		return nil, fmt.Errorf("WebSocket connection failed: %w", err)
	}
	t := &clientWS{ws: ws, kind: websocket.TextMessage, writeTimeout: cfg.opts.WriteTimeout, closeTimeout: cfg.opts.CloseTimeout}
	if cfg.opts.Format == Binary {
		t.kind = websocket.BinaryMessage
	}
	return t, nil
}

func (t *clientWS) read(dst []byte) ([]byte, error) {
	_, r, err := t.ws.NextReader()
	if err != nil {
		if websocket.IsCloseError(err, websocket.CloseNormalClosure) {
			err = &endError{err.Error(), err}
		}
		return dst, err
	}
	return appendBody(dst, r)
}

// appendBody appends what r holds, up to its end, to dst.
func appendBody(dst []byte, r io.Reader) ([]byte, error) {
	for {
		if len(dst) == cap(dst) {
			dst = append(dst, 0)[:len(dst)]
		}
		n, err := r.Read(dst[len(dst):cap(dst)])
		dst = dst[:len(dst)+n]
		if err == io.EOF {
			return dst, nil
		}
		if err != nil {
			return dst, err
		}
	}
}

func (t *clientWS) write(p []byte) error {
	t.ws.SetWriteDeadline(time.Now().Add(t.writeTimeout))
	return t.ws.WriteMessage(t.kind, p)
}

func (t *clientWS) closeWrite() {
	deadline := time.Now().Add(t.closeTimeout)
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	t.ws.WriteControl(websocket.CloseMessage, msg, deadline)
	t.ws.SetReadDeadline(deadline)
}

func (t *clientWS) abort() { t.ws.Close() }
