package transport

import (
	"context"
	"errors"
	"sync/atomic"
)

// ErrNotStateful is Reattach's error on a connection that is not stateful.
var ErrNotStateful = errors.New("transport: the connection is not stateful")

// Stateful reports whether the connection may reattach after a drop: the
// client asked for stateful reconnect (DialOptions.StatefulReconnect), the
// server agreed, and the transport is WebSockets.
func (c *ClientConn) Stateful() bool { return c.swap != nil }

// Reattach opens a new WebSocket for a stateful connection whose socket
// was lost, with the same URL and connection token, and goes on over it:
// Read and Write use it from then on. The old socket is closed. It fails
// when the server no longer knows the connection (404: its window passed,
// or the request reached another server), after Abort, and on a connection
// that is not stateful. The caller must not Read or Write meanwhile.
func (c *ClientConn) Reattach(ctx context.Context) error {
	s := c.swap
	if s == nil {
		return ErrNotStateful
	}
	if s.aborted.Load() {
		return errAbortedConn
	}
	t, err := s.cfg.dialWebSocket(ctx, s.n)
	if err != nil {
		return err
	}
	old := s.cur.Swap(t.(*clientWS))
	old.abort()
	if s.aborted.Load() { // Abort came meanwhile
		t.abort()
		return errAbortedConn
	}
	return nil
}

var errAbortedConn = errors.New("transport: the connection was aborted")

// clientSwap is the transport of a stateful connection: WebSockets, one
// after the other, as Reattach opens them.
type clientSwap struct {
	cfg     *dialConfig
	n       *negotiated
	cur     atomic.Pointer[clientWS]
	aborted atomic.Bool
}

func (s *clientSwap) read(dst []byte) ([]byte, error) { return s.cur.Load().read(dst) }
func (s *clientSwap) write(p []byte) error            { return s.cur.Load().write(p) }
func (s *clientSwap) closeWrite()                     { s.cur.Load().closeWrite() }

func (s *clientSwap) abort() {
	s.aborted.Store(true)
	s.cur.Load().abort()
}
