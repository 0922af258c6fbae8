package client

import (
	"context"
	"errors"
	"fmt"

	connections "github.com/hubgen/hubgen/runtime/transport"
)

// Transports is a set of transports, numbered as the official clients number
// them (HttpTransportType). It is the connections layer's type.
type Transports = connections.Transports

// The transports. Options.Transports allows some of them; zero allows all.
const (
	WebSockets       = connections.WebSockets
	ServerSentEvents = connections.ServerSentEvents
	LongPolling      = connections.LongPolling
	AllTransports    = connections.AllTransports
)

// transport carries the bytes of one session: a connection of the
// connections layer (see dialed), or a test's fake. Records and frames are
// independent: a read may hold several records or part of one.
type transport interface {
	// read appends the next bytes from the server to dst. Only the
	// session's reader calls it.
	read(dst []byte) ([]byte, error)
	// write sends p, one or more whole records. Only one goroutine at a time
	// calls it.
	write(p []byte) error
	// closeWrite ends the client's side after the last write. read returns an
	// error once the server has closed its side, or after the close timeout.
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

// dialed is a transport over a *connections.ClientConn.
type dialed struct{ cc *connections.ClientConn }

// polled is a dialed connection whose polls keep it alive.
type polled struct{ dialed }

func (polled) inherentKeepAlive() {}

// newDialed returns the transport over cc.
func newDialed(cc *connections.ClientConn) transport {
	if cc.InherentKeepAlive() {
		return polled{dialed{cc}}
	}
	return dialed{cc}
}

func (d dialed) read(dst []byte) ([]byte, error) {
	dst, err := d.cc.Read(dst)
	if err != nil {
		err = readError(err)
	}
	return dst, err
}

func (d dialed) write(p []byte) error { return d.cc.Write(p) }

// reattacher is a transport that may reopen its socket after a drop.
type reattacher interface {
	stateful() bool
	reattach(ctx context.Context) error
}

func (d dialed) stateful() bool                     { return d.cc.Stateful() }
func (d dialed) reattach(ctx context.Context) error { return d.cc.Reattach(ctx) }
func (d dialed) closeWrite()                        { d.cc.CloseWrite() }
func (d dialed) abort()                             { d.cc.Abort() }

// readError gives the client's prefix to the errors the connections layer
// reports of its own when a read fails (the end of an event stream or of
// long polling, a poll's unexpected status); errors of HTTP, WebSockets and
// the network keep their own texts.
func readError(err error) error {
	if errors.Is(err, connections.ErrEventStreamEnded) || errors.Is(err, connections.ErrPollingEnded) ||
		errors.Is(err, connections.ErrUnexpectedStatus) {
		return fmt.Errorf("client: %w", err)
	}
	return err
}
