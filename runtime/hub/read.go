package hub

import (
	"io"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/hubgen/hubgen/runtime/internal/outq"
	"github.com/hubgen/hubgen/runtime/protocol"
	"github.com/hubgen/hubgen/runtime/transport"
)

// serve reads from the transport until it ends, then finishes the
// connection.
func (c *Conn) serve() {
	// A reader busy in a hub method does not see the transport end: the
	// connection finishes without it. One that is only between two reads is
	// back in Next within readerGrace, and finishes it itself, with the
	// cause it alone knows (a message cut short).
	c.lc.OnEnd(func(err error) {
		if !c.reading.Load() {
			time.AfterFunc(readerGrace, func() { c.finish(c.ended(err)) }) // a no-op once the reader has finished it
		}
	})
	var cause error
	for {
		c.reading.Store(true)
		data, err := c.lc.Next()
		c.reading.Store(false)
		if err == transport.ErrReattached {
			// A message the old socket cut short is lost; the client
			// sends it again.
			if c.in != nil {
				c.in.Free()
				c.in = nil
			}
			continue
		}
		if err != nil {
			if cause == nil {
				cause = c.ended(err)
			}
			break
		}
		if err := c.read(data); err != nil {
			if cause == nil {
				cause = err
			}
			c.protocolError(err)
		}
	}
	c.finish(c.endInput(cause))
}

// ended returns the cause of the transport's end that err reports: none
// for a clean end, nor once the connection was closing, when a client that
// has the Close message may drop the socket.
func (c *Conn) ended(err error) error {
	if err == io.EOF || c.closed.Load() {
		return nil
	}
	return err
}

// readerGrace is how long a transport's end waits for the reader to come
// back to it before the connection finishes without the reader.
const readerGrace = 20 * time.Millisecond

// protocolError says why the connection closes, and lets the client close.
func (c *Conn) protocolError(err error) {
	c.srv.log.Debug("hub: closing a connection on a protocol error", "conn", c.id, "error", err)
	if c.handshook.Load() {
		c.Close(err)
	} else {
		c.refuse(textHandshakeTimeout)
	}
}

// read takes in bytes from the transport: it handles every complete message
// and keeps the rest for the next read. A returned error is fatal to the
// connection.
func (c *Conn) read(data []byte) error {
	if c.in != nil {
		c.in.B = append(c.in.B, data...)
		data = c.in.B
	}
	n, err := c.parse(data)
	if err != nil {
		return err
	}
	switch rest := data[n:]; {
	case len(rest) == 0:
		if c.in != nil {
			c.in.Free()
			c.in = nil
		}
	case c.in == nil:
		c.in = outq.Get()
		c.in.B = append(c.in.B, rest...)
	default:
		c.in.B = c.in.B[:copy(c.in.B, rest)]
	}
	c.writeReplies()
	return nil
}

// writeReplies writes the replies the reader queued while it handled a frame:
// on its own goroutine where the transport allows it, so that a frame of
// invocations costs one write and no goroutine.
func (c *Conn) writeReplies() {
	if c.direct {
		c.q.Flush()
	} else {
		c.q.Wake()
	}
}

// msgPool holds the messages parse dispatches: an idle connection holds none.
var msgPool = sync.Pool{New: func() any { return new(protocol.Message) }}

// freeMsg gives m back to msgPool, holding nothing of what it pointed to
// but the room of its argument and stream id lists, which the next parse
// reuses.
func freeMsg(m *protocol.Message) {
	args, ids := m.RawArguments, m.StreamIDs
	clear(args[:cap(args)])
	clear(ids[:cap(ids)])
	*m = protocol.Message{RawArguments: args[:0], StreamIDs: ids[:0]}
	msgPool.Put(m)
}

// parse handles every complete message in data; it returns how many bytes
// it consumed.
func (c *Conn) parse(data []byte) (int, error) {
	m := msgPool.Get().(*protocol.Message)
	n, err := c.parseWith(data, m)
	freeMsg(m)
	return n, err
}

// parseWith is parse, with m for the message being dispatched.
func (c *Conn) parseWith(data []byte, m *protocol.Message) (int, error) {
	limit := c.srv.opts.MaxMessageSize
	total := len(data)
	for len(data) > 0 {
		if c.isClosing() {
			return total, nil // the connection is going; ignore what still arrives
		}
		var n int
		var err error
		if !c.handshook.Load() {
			n, err = c.handshake(data)
		} else if n, err = c.proto.MessageSize(data); err == nil && n > 0 {
			if limit > 0 && n > limit {
				return 0, invalidData(textMessageTooBig, limit)
			}
			// JSON is UTF-8: invalid bytes would otherwise reach other clients
			// through values passed on as they are (protocol.Raw), and a
			// browser fails a WebSocket on invalid UTF-8 in a text frame.
			if c.proto.Format() == protocol.Text && !utf8.Valid(data[:n]) {
				return 0, invalidData(textInvalidUTF8)
			}
			if n, err = c.proto.Parse(data, m); err == nil {
				err = c.dispatch(m)
			}
		}
		if err != nil {
			return 0, err
		}
		if n == 0 {
			if limit > 0 && len(data) > limit {
				return 0, invalidData(textMessageTooBig, limit)
			}
			break
		}
		data = data[n:]
	}
	return total - len(data), nil
}

// handshake reads the handshake request and answers it.
func (c *Conn) handshake(data []byte) (int, error) {
	req, n, err := protocol.ParseHandshakeRequest(data)
	if n == 0 && err == nil {
		return 0, nil
	}
	text := ""
	if err != nil {
		text = clientText(textHandshakeFailed, err, c.srv.opts.DetailedErrors)
	} else {
		c.proto, text = c.srv.pickProtocol(req, c.lc.Transport())
	}
	if text != "" {
		c.srv.log.Debug("hub: handshake refused", "conn", c.id, "error", text)
		c.refuse(text)
		return n, nil
	}
	c.lc.SetFormat(transport.Format(c.proto.Format()))
	c.handshook.Store(true)
	// The answer waits until the connection is registered: a client that has
	// it receives every broadcast sent after.
	c.q.PushUntracked(protocol.AppendHandshakeResponse(nil, ""), true)
	if err := c.srv.connected(c); err != nil {
		c.Close(err)
	}
	c.q.Wake()
	return n, nil
}

// refuse answers the handshake with an error and closes the connection.
func (c *Conn) refuse(text string) {
	c.closing()
	c.q.Close(protocol.AppendHandshakeResponse(nil, text))
}
