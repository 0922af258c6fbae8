package client

import (
	"context"
	"fmt"
	"time"

	"github.com/hubgen/hubgen/runtime/protocol"
	connections "github.com/hubgen/hubgen/runtime/transport"
)

// connect makes one connection: the connections layer's (negotiate,
// transport), then the handshake. It returns the running session.
func (c *Conn) connect(ctx context.Context) (*session, error) {
	cc, err := connections.Dial(ctx, c.url, c.dial)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	t := newDialed(cc)
	rest, err := c.handshake(ctx, t, cc.Stateful())
	if err != nil {
		t.abort()
		return nil, err
	}
	return c.newSession(t, cc.ID(), rest), nil
}

// handshake sends the handshake request and reads the response. It returns the
// bytes that followed the response, the first records of the connection.
func (c *Conn) handshake(ctx context.Context, t transport, stateful bool) ([]byte, error) {
	timer := time.AfterFunc(c.opts.HandshakeTimeout, t.abort)
	stop := context.AfterFunc(ctx, t.abort)
	rest, err := exchangeHandshake(t, c.opts.Protocol, stateful)
	timedOut, canceled := !timer.Stop(), !stop()
	switch {
	case canceled:
		return nil, fmt.Errorf("client: handshake: %w", ctx.Err())
	case timedOut:
		return nil, fmt.Errorf("client: handshake timed out after %v", c.opts.HandshakeTimeout)
	}
	return rest, err
}

func exchangeHandshake(t transport, p protocol.Protocol, stateful bool) ([]byte, error) {
	// Version 2 only for stateful reconnect, as the official clients: older
	// servers accept version 1 only.
	version := 1
	if stateful {
		version = 2
	}
	req := protocol.AppendHandshakeRequest(nil, protocol.HandshakeRequest{Protocol: p.Name(), Version: version})
	if err := t.write(req); err != nil {
		return nil, fmt.Errorf("client: sending the handshake: %w", err)
	}
	var buf []byte
	for {
		var err error
		if buf, err = t.read(buf); err != nil {
			return nil, fmt.Errorf("client: the connection closed during the handshake: %w", err)
		}
		text, n, err := protocol.ParseHandshakeResponse(buf)
		switch {
		case err != nil:
			return nil, fmt.Errorf("client: invalid handshake response: %w", err)
		case n == 0:
			continue
		case text != "":
			return nil, fmt.Errorf("client: server returned handshake error: %s", text)
		}
		return buf[n:], nil
	}
}
