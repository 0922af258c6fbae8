package hub

import (
	"fmt"
	"sync"

	"github.com/hubgen/hubgen/runtime/internal/outq"
	"github.com/hubgen/hubgen/runtime/protocol"
)

// Message is a message to deliver to one or many connections. It is encoded at
// most once per protocol, however many connections receive it: the bytes are
// shared.
type Message struct {
	msg protocol.Message

	mu      sync.Mutex
	enc     []encoding
	encoded bool // made by NewEncoded: msg is empty, enc is all there is
}

type encoding struct {
	proto protocol.Protocol
	b     []byte
	err   error
}

// NewInvocation returns a message that calls target on the receiving clients
// with args, without waiting for a reply.
func NewInvocation(target string, args ...any) *Message {
	return &Message{msg: protocol.Message{Type: protocol.Invocation, Target: target, Arguments: args}}
}

// NewMessage returns a message that sends m as it is. m must not change after.
func NewMessage(m protocol.Message) *Message {
	return &Message{msg: m}
}

// NewEncoded returns a message that exists only in encoded form, as a backplane
// receives it from another server: encodings holds its bytes, framing
// included, for each protocol. Encode with a protocol that has no bytes here
// fails, and Protocol returns an empty message. The bytes must not change
// after.
func NewEncoded(encodings map[protocol.Protocol][]byte) *Message {
	m := &Message{encoded: true, enc: make([]encoding, 0, len(encodings))}
	for p, b := range encodings {
		m.enc = append(m.enc, encoding{proto: p, b: b})
	}
	return m
}

// Protocol returns the message itself, before encoding.
func (m *Message) Protocol() *protocol.Message { return &m.msg }

// Encode returns the message encoded with p; every call with the same protocol
// returns the same bytes, which the caller must not change. The values are
// encoded outside the message's lock: a value whose encoder panics or blocks
// holds no one else back, and a panic is returned as an error.
func (m *Message) Encode(p protocol.Protocol) ([]byte, error) {
	m.mu.Lock()
	e, ok := m.encodingLocked(p)
	m.mu.Unlock()
	if ok {
		return e.b, e.err
	}
	if m.encoded {
		return nil, fmt.Errorf("hub: the message arrived encoded without the '%s' protocol: the server that sent it does not use that protocol", p.Name())
	}
	b, err := outq.Append(p, nil, &m.msg)
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.encodingLocked(p); ok { // encoded meanwhile by another caller
		return e.b, e.err
	}
	m.enc = append(m.enc, encoding{p, b, err})
	return b, err
}

// encodingLocked returns the encoding with p, if there is one.
func (m *Message) encodingLocked(p protocol.Protocol) (encoding, bool) {
	for _, e := range m.enc {
		if e.proto == p {
			return e, true
		}
	}
	return encoding{}, false
}
