package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hubgen/hubgen/runtime/protocol"
)

// transport carries the bytes of one connection: a WebSocket (this file), an
// event stream with POST sends (sse.go), or long polls with POST sends
// (longpolling.go). Records and frames are independent: a read may hold several
// records or part of one.
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

// inherentKeepAlive is a transport that shows by itself that both ends are
// alive, as Long Polling does with its polls: the connection sends no
// keep-alive pings and has no server timeout, as in the official clients.
type inherentKeepAlive interface {
	inherentKeepAlive()
}

// Transports is a set of transports, numbered as the official clients number
// them (HttpTransportType).
type Transports int

// The transports. Options.Transports allows some of them; zero allows all.
const (
	WebSockets       Transports = 1
	ServerSentEvents Transports = 2
	LongPolling      Transports = 4
	AllTransports               = WebSockets | ServerSentEvents | LongPolling
)

// transportDialer opens a transport for a negotiated connection.
type transportDialer func(ctx context.Context, c *Conn, n *negotiation) (transport, error)

// transportKind is a transport the client has.
type transportKind struct {
	set    Transports
	binary bool // carries the Binary transfer format
	dial   transportDialer
}

// transportKinds are the transports the client has, by the names negotiate
// uses.
var transportKinds = map[string]transportKind{
	"WebSockets":       {WebSockets, true, dialWebSocket},
	"ServerSentEvents": {ServerSentEvents, false, dialServerSentEvents},
	"LongPolling":      {LongPolling, true, dialLongPolling},
}

// closeTimeout bounds the wait for the server's side of a closing handshake.
const closeTimeout = 5 * time.Second

// dialTransport opens the first transport of those the server offers, in the
// server's order, that Options.Transports allows and that carries the
// protocol's transfer format, as the JavaScript client does. When one fails to
// start it negotiates again, for a new connection, before it tries the next.
// It returns the transport and the negotiation it belongs to.
func (c *Conn) dialTransport(ctx context.Context, n *negotiation) (transport, *negotiation, error) {
	format := c.opts.Protocol.Format()
	allowed := c.opts.Transports
	if allowed == 0 {
		allowed = AllTransports
	}
	var errs transportErrors
	fresh := true // n has not been used for an attempt yet
	for _, at := range n.transports {
		kind, ok := transportKinds[at.Transport]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("skipping transport '%s' because it is not supported by this client", at.Transport))
			continue
		case kind.set&allowed == 0:
			errs = append(errs, fmt.Errorf("'%s' is disabled by the client", at.Transport))
			continue
		case !slices.Contains(at.TransferFormats, format.String()) || format == protocol.Binary && !kind.binary:
			errs = append(errs, fmt.Errorf("'%s' does not support %s", at.Transport, format))
			continue
		}
		if !fresh {
			next, err := c.negotiate(ctx, n.url, n.bearer)
			if err != nil {
				return nil, nil, err
			}
			next.transports = n.transports // the first answer's list is walked
			n = next
		}
		fresh = false
		t, err := kind.dial(ctx, c, n)
		if err == nil {
			return t, n, nil
		}
		if ctx.Err() != nil {
			return nil, nil, fmt.Errorf("client: %w", err)
		}
		c.log.Debug("client: transport failed to start", "transport", at.Transport, "error", err)
		errs = append(errs, fmt.Errorf("%s failed: %w", at.Transport, err))
	}
	if len(errs) == 0 {
		return nil, nil, errors.New("client: none of the transports supported by the client are supported by the server")
	}
	return nil, nil, fmt.Errorf("client: unable to connect to the server with any of the available transports: %w", errs)
}

// transportErrors are why each transport the server offers was not used.
type transportErrors []error

func (e transportErrors) Error() string {
	texts := make([]string, len(e))
	for i, err := range e {
		texts[i] = err.Error()
	}
	return strings.Join(texts, "; ")
}

func (e transportErrors) Unwrap() []error { return e }

// wsTransport is a WebSocket.
type wsTransport struct {
	ws           *websocket.Conn
	kind         int // frame type for the protocol's transfer format
	writeTimeout time.Duration
}

func dialWebSocket(ctx context.Context, c *Conn, n *negotiation) (transport, error) {
	u := n.connectURL()
	switch u.Scheme {
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	}
	ws, resp, err := c.dialer.DialContext(ctx, u.String(), c.header(n.bearer))
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			body, _ := io.ReadAll(resp.Body)
			err = newHTTPError(resp, body)
		}
		return nil, fmt.Errorf("WebSocket connection failed: %w", err)
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
	return appendRead(dst, r)
}

// appendRead appends what r holds, up to its end, to dst.
func appendRead(dst []byte, r io.Reader) ([]byte, error) {
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
