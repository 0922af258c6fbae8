package transport

import (
	"io"
	"net/http"
	"time"
)

// Carrier carries the bytes of a connection that NewConn makes: a transport
// of your own, such as an in-process pipe or a test double.
type Carrier interface {
	// Next returns the next bytes from the peer, valid until the next call;
	// io.EOF after a clean end.
	Next() ([]byte, error)
	// Write sends p as one message.
	Write(p []byte) error
	// Close ends the carrier; Next returns an error after.
	Close() error
}

// NewConn returns a connection over carrier, which it presents as the
// transport kind, opened by r, with id and ident: for serving a handler
// without HTTP, in tests say. The connection is not the server's: no
// heartbeat visits it.
func NewConn(kind Transports, id string, r *http.Request, ident *Identity, carrier Carrier) *Conn {
	c := newConn(&Server{opts: Options{}.withDefaults()}, kind, id, "", r, ident)
	c.t = &carrierTransport{c: c, carrier: carrier}
	return c
}

type carrierTransport struct {
	c       *Conn
	carrier Carrier
}

func (t *carrierTransport) next() ([]byte, error) {
	if t.c.ended() {
		return nil, t.c.nextErr()
	}
	p, err := t.carrier.Next()
	if err != nil {
		var cause error
		if err != io.EOF && !t.c.closing.Load() {
			cause = err
		}
		t.c.end(cause)
		return nil, t.c.nextErr()
	}
	t.c.lastRead.Store(time.Now().UnixNano())
	return p, nil
}

func (t *carrierTransport) write(p []byte) error { return t.carrier.Write(p) }
func (t *carrierTransport) close()               { t.carrier.Close() }
func (t *carrierTransport) abort()               { t.carrier.Close() }
func (t *carrierTransport) tick(time.Time)       {}
func (t *carrierTransport) drain()               {}
