// Package protocol holds the SignalR hub protocol: the messages that flow over a
// connection once the handshake is done, the handshake itself, and the codecs that
// turn messages into bytes and back (JSON here; MessagePack plugs into the same
// Protocol interface).
//
// Record boundaries are independent of transport frames: a Protocol parses one
// record at a time from a byte slice that may hold several records or only part of
// one, so transports treat the connection as a byte pipe.
//
// Decode, in both protocols, accepts a time.Time written without an offset, as
// .NET writes a DateTime of unspecified kind ("2019-06-03T22:00:00.1234567"),
// and reads it as UTC, nested values included; timeparse.go says how.
//
// MessagePack writes a value whose type has MarshalText as a string, as .NET
// writes a Guid, and reads a string into a type with UnmarshalText; it writes
// integers in their smallest form, as MessagePack-CSharp does. For values
// nested in structs, slices and maps this goes through
// github.com/vmihailenco/msgpack/v5's type registry, which is the process's:
// a program that also uses that package directly sees time.Time decode from
// strings, and each MarshalText or UnmarshalText type that hubgen has encoded
// or decoded encode as a string and decode from one.
//
// Both protocols read messages as ASP.NET Core's do, and refuse them with its
// texts: an *Error's Kind names the .NET exception, for detailed error texts.
// JSON that is not well-formed is "Error reading JSON.", as JsonHubProtocol
// wraps System.Text.Json's exception. MessagePack reads field by field and
// names the field that fails ("Reading 'target' as String failed."), and
// arguments that cannot be read are no protocol error but the invocation's
// (Message.ArgumentsError), as ASP.NET Core binds them as it reads them.
// The tables in aspnet_*_test.go are ASP.NET Core's own test vectors.
package protocol

import "fmt"

// Type is a hub message type number, as it appears on the wire.
type Type int

// The hub message types of the ASP.NET Core SignalR protocol.
const (
	Invocation       Type = 1 // a call of a method on the other side
	StreamItem       Type = 2 // one item of a stream
	Completion       Type = 3 // the end of an invocation or stream, with a result or an error
	StreamInvocation Type = 4 // a call of a streaming method
	CancelInvocation Type = 5 // asks the other side to stop a stream
	Ping             Type = 6 // keep-alive
	Close            Type = 7 // the sender is closing the connection
	Ack              Type = 8 // stateful reconnect: messages received so far
	Sequence         Type = 9 // stateful reconnect: id of the next message sent
)

// String returns the message type's name.
func (t Type) String() string {
	switch t {
	case Invocation:
		return "Invocation"
	case StreamItem:
		return "StreamItem"
	case Completion:
		return "Completion"
	case StreamInvocation:
		return "StreamInvocation"
	case CancelInvocation:
		return "CancelInvocation"
	case Ping:
		return "Ping"
	case Close:
		return "Close"
	case Ack:
		return "Ack"
	case Sequence:
		return "Sequence"
	}
	return fmt.Sprintf("Type(%d)", int(t))
}

// Raw is a value exactly as a protocol encoded it: a JSON text or a MessagePack
// object. Parsed messages carry their payloads as Raw, and Protocol.Decode turns
// one into a Go value. A Raw given as a value to encode is written verbatim, so it
// must be in the encoding of the protocol that writes it.
type Raw []byte

// CloneRaw copies encoded values out of the buffer they were parsed from, all
// into one allocation, for a caller that keeps them after the buffer is reused.
func CloneRaw(raw []Raw) []Raw {
	size := 0
	for _, r := range raw {
		size += len(r)
	}
	buf := make([]byte, 0, size)
	out := make([]Raw, len(raw))
	for i, r := range raw {
		buf = append(buf, r...)
		out[i] = Raw(buf[len(buf)-len(r):])
	}
	return out
}

// Message is one hub protocol message of any type. Which fields are meaningful
// depends on Type, as in the protocol specification.
//
// Payloads go out and come in differently: to send, set Arguments, Item and
// Result to Go values; a parsed message carries them as RawArguments, RawItem and
// RawResult instead, still encoded, so that the receiver decodes each straight
// into the Go type it expects. A Raw that a parsed message holds points into the
// buffer it was parsed from and is valid only as long as that buffer is.
type Message struct {
	Type           Type
	InvocationID   string            // Invocation (empty: no reply wanted), StreamItem, Completion, StreamInvocation, CancelInvocation
	Target         string            // Invocation, StreamInvocation
	Arguments      []any             // Invocation, StreamInvocation: values to encode
	RawArguments   []Raw             // Invocation, StreamInvocation: parsed arguments
	StreamIDs      []string          // Invocation, StreamInvocation: upload streams
	Headers        map[string]string // types 1 to 5
	Item           any               // StreamItem: value to encode
	RawItem        Raw               // StreamItem: parsed item
	Result         any               // Completion: value to encode when HasResult
	RawResult      Raw               // Completion: parsed result when HasResult
	HasResult      bool              // Completion: a result is present (it may be null)
	Error          string            // Completion, Close
	AllowReconnect bool              // Close
	SequenceID     int64             // Ack, Sequence

	// ArgumentsError, on a parsed Invocation or StreamInvocation, says why its
	// arguments could not be read. MessagePack reads them as ASP.NET Core binds
	// them, and a failure there fails the invocation, not the connection: the
	// receiver answers it as a binding failure ("Failed to invoke 'M' due to
	// an error on the server."), with this error's text as the detail.
	// RawArguments and StreamIDs are then empty.
	ArgumentsError *Error
}

// Reset clears m for reuse, keeping the capacity of its slices.
func (m *Message) Reset() {
	args, raw, ids := m.Arguments[:0], m.RawArguments[:0], m.StreamIDs[:0]
	clear(m.Arguments)
	clear(m.RawArguments)
	*m = Message{Arguments: args, RawArguments: raw, StreamIDs: ids}
}

// Error is a protocol violation: a message that cannot be parsed or that breaks
// the protocol's rules. Its text is ASP.NET Core's, and Kind names the .NET
// exception that carries it there, for detailed error texts.
type Error struct {
	Msg string

	kind   string // "" for InvalidDataException
	syntax bool   // JSON that is not well-formed
	cause  error  // what the reader found, when Msg is a general text
}

func (e *Error) Error() string { return e.Msg }

// Kind names the .NET exception that carries the error in ASP.NET Core, as
// detailed error texts name it: InvalidDataException unless said otherwise.
func (e *Error) Kind() string {
	if e.kind == "" {
		return "InvalidDataException"
	}
	return e.kind
}

// Unwrap returns what the reader found when the text is a general one, such
// as JSON's "Error reading JSON.".
func (e *Error) Unwrap() error { return e.cause }

func errorf(format string, args ...any) error {
	return &Error{Msg: fmt.Sprintf(format, args...)}
}

// kindErrorf is an Error of another .NET exception than InvalidDataException.
func kindErrorf(kind, format string, args ...any) error {
	return &Error{Msg: fmt.Sprintf(format, args...), kind: kind}
}
