package redishub

import (
	"context"
	"time"
)

// SetLivenessInterval changes how often a waiting client result checks its
// connection's channel, until the returned function restores it.
func SetLivenessInterval(d time.Duration) (restore func()) {
	old := livenessInterval
	livenessInterval = d
	return func() { livenessInterval = old }
}

// Flush waits until Redis has processed every subscription change made
// before it was called.
func (l *Lifetime) Flush(ctx context.Context) error { return l.flush(ctx) }

// Answer returns the channel and payload of a successful answer to a group
// command or invocation read from a connection's channel, as the server of
// the connection would send them.
func Answer(prefix string, command []byte) (channel string, payload []byte) {
	_, g, inv, err := decodeCommand(command)
	switch {
	case err != nil:
		panic(err)
	case g != nil:
		return prefix + ":internal:ack:" + g.reply, appendAck(nil, &ackMsg{id: g.ack})
	case inv != nil:
		return prefix + ":internal:return:" + inv.reply, appendReturn(nil, &returnMsg{id: inv.id})
	}
	panic("redishub: not a group command or invocation")
}
