package client

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hubgen/hubgen/runtime/protocol"
)

// transport carries the bytes of one connection. WebSockets is the first kind;
// Server-Sent Events and Long Polling plug in behind the same interface.
// Records and frames are independent: a read may hold several records or part
// of one.
type transport interface {
	// read appends the next bytes from the server to dst. Only the
	// connection's reader calls it.
	read(dst []byte) ([]byte, error)
	// write sends p, one or more whole records. Only one goroutine at a time
	// calls it.
	write(p []byte) error
	// closeWrite ends the client's side after the last write. read returns an
	// error once the server has closed its side, or after closeTimeout.
	closeWrite()
	// abort closes the transport at once; pending reads and writes return.
	abort()
}

// transportDialer opens a transport for a negotiated connection.
type transportDialer func(ctx context.Context, c *Conn, n *negotiation) (transport, error)

// transports are the transports the client has, by the names negotiate uses.
var transports = map[string]transportDialer{
	"WebSockets": dialWebSocket,
}

// closeTimeout bounds the wait for the server's side of a closing handshake.
const closeTimeout = 5 * time.Second

// dialTransport opens the first transport the server offers that the client
// has and that carries the protocol's transfer format.
func (c *Conn) dialTransport(ctx context.Context, n *negotiation) (transport, error) {
	format := c.opts.Protocol.Format().String()
	for _, at := range n.transports {
		dial := transports[at.Transport]
		if dial == nil || !slices.Contains(at.TransferFormats, format) {
			continue
		}
		return dial(ctx, c, n)
	}
	return nil, fmt.Errorf("client: unable to connect to the server with any of the available transports: the server offers none the client has for the %s transfer format", format)
}

// wsTransport is a WebSocket.
type wsTransport struct {
	ws           *websocket.Conn
	kind         int // frame type for the protocol's transfer format
	writeTimeout time.Duration
}

func dialWebSocket(ctx context.Context, c *Conn, n *negotiation) (transport, error) {
	u := *n.url
	switch u.Scheme {
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	}
	if n.token != "" {
		if u.RawQuery != "" {
			u.RawQuery += "&"
		}
		u.RawQuery += "id=" + url.QueryEscape(n.token)
	}
	ws, resp, err := c.dialer.DialContext(ctx, u.String(), c.header(n.bearer))
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			body, _ := io.ReadAll(resp.Body)
			err = newHTTPError(resp, body)
		}
		return nil, fmt.Errorf("client: WebSocket connection failed: %w", err)
	}
	t := &wsTransport{ws: ws, kind: websocket.TextMessage, writeTimeout: c.opts.ServerTimeout}
	if c.opts.Protocol.Format() == protocol.Binary {
		t.kind = websocket.BinaryMessage
	}
	return t, nil
}

func (t *wsTransport) read(dst []byte) ([]byte, error) {
	_, r, err := t.ws.NextReader()
	if err != nil {
		return dst, err
	}
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

func (t *wsTransport) write(p []byte) error {
	t.ws.SetWriteDeadline(time.Now().Add(t.writeTimeout))
	return t.ws.WriteMessage(t.kind, p)
}

func (t *wsTransport) closeWrite() {
	deadline := time.Now().Add(closeTimeout)
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	t.ws.WriteControl(websocket.CloseMessage, msg, deadline)
	t.ws.SetReadDeadline(deadline)
}

func (t *wsTransport) abort() { t.ws.Close() }

// newHTTPError describes a response with an unexpected status as the
// JavaScript client does: by its body, or by its status text.
func newHTTPError(resp *http.Response, body []byte) *HTTPError {
	msg := strings.TrimSpace(string(body))
	if msg == "" {
		msg = strings.TrimSpace(strings.TrimPrefix(resp.Status, fmt.Sprint(resp.StatusCode)))
	}
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	return &HTTPError{StatusCode: resp.StatusCode, Message: msg}
}
