package protocol

import (
	"math"

	"github.com/hubgen/hubgen/runtime/internal/mpack"
)

// MessagePack is the "messagepack" hub protocol with the default depth limit.
var MessagePack Protocol = &MessagePackProtocol{}

// MessagePackProtocol is the "messagepack" hub protocol: each message is a
// MessagePack array behind a VarInt length. Payload values are encoded as
// ASP.NET Core's MessagePack protocol expects: structs as maps keyed by the Go
// field names (which match .NET's PascalCase) or their msgpack tags, time.Time
// as the timestamp extension (-1), []byte as bin, a type with MarshalText (a
// UUID, say) as a string as .NET writes a Guid (and a string is read with
// UnmarshalText), integers in their smallest form as MessagePack-CSharp
// writes them, headers sorted by key. Strings,
// numbers, booleans, time.Time, []byte and Raw skip reflection; the rest go
// through github.com/vmihailenco/msgpack/v5.
type MessagePackProtocol struct {
	// MaxDepth caps the nesting of arrays and maps in a message; deeper
	// messages are rejected. Zero means DefaultMaxDepth.
	MaxDepth int
}

// maxFrame is the largest message the VarInt framing can describe: 2 GB.
const maxFrame = math.MaxInt32

// Name returns "messagepack".
func (*MessagePackProtocol) Name() string { return "messagepack" }

// Version returns 2, the version that also allows stateful reconnect.
func (*MessagePackProtocol) Version() int { return 2 }

// Format returns Binary.
func (*MessagePackProtocol) Format() TransferFormat { return Binary }

// MessageSize returns the size of the first frame, its length prefix included,
// or 0 when data does not hold all of it.
func (*MessagePackProtocol) MessageSize(data []byte) (int, error) {
	length, prefix, err := readVarInt(data)
	if err != nil || prefix == 0 || len(data)-prefix < length {
		return 0, err
	}
	return prefix + length, nil
}

// readVarInt reads a frame length. It returns prefix 0 when the length itself
// is not complete yet; a length over 2 GB is an error before anything is
// allocated for it.
func readVarInt(data []byte) (length, prefix int, err error) {
	var n uint64
	for i := 0; i < 5; i++ {
		if i == len(data) {
			return 0, 0, nil
		}
		b := data[i]
		n |= uint64(b&0x7f) << (7 * i)
		if b&0x80 == 0 {
			if n > maxFrame {
				break
			}
			return int(n), i + 1, nil
		}
	}
	return 0, 0, kindErrorf("FormatException", "Messages over 2GB in size are not supported.")
}

// Parse parses the first frame in data.
func (p *MessagePackProtocol) Parse(data []byte, m *Message) (int, error) {
	size, err := p.MessageSize(data)
	if err != nil || size == 0 {
		return 0, err
	}
	m.Reset()
	_, prefix, _ := readVarInt(data)
	depth := p.MaxDepth
	if depth <= 0 {
		depth = DefaultMaxDepth
	}
	r := mpReader{data: data[prefix:size], maxDepth: depth}
	return size, r.message(m)
}

// message reads one hub message array as ASP.NET Core's MessagePack protocol
// reads it: field by field, each failure named after its field, whatever the
// array's length says, except that it tells whether an invocation has stream
// ids and a Close allowReconnect. What follows the fields a type has is
// ignored, as are messages of unknown types.
func (r *mpReader) message(m *Message) error {
	n, err := r.arrayLen()
	if err != nil {
		return err // as MessagePack-CSharp reports it, unwrapped
	}
	t, err := r.int()
	if err != nil || t < math.MinInt32 || t > math.MaxInt32 {
		return errorf("Reading 'messageType' as Int32 failed.")
	}
	m.Type = Type(t)
	var names names
	names.utf8 = true
	switch m.Type {
	case Invocation, StreamInvocation, StreamItem, Completion, CancelInvocation:
		if err := r.headers(m); err != nil {
			return err
		}
		if names.id, err = r.str(); err != nil {
			return errorf("Reading 'invocationId' as String failed.")
		}
		if len(names.id) == 0 && m.Type != Invocation {
			return errorf("Null or empty invocation ID for %s message.", m.Type)
		}
		if m.Type != Invocation && m.Type != StreamInvocation {
			m.InvocationID, _ = names.strings()
		}
	}
	switch m.Type {
	case Invocation, StreamInvocation:
		if names.target, err = r.str(); err != nil {
			return errorf("Reading 'target' as String failed.")
		}
		if len(names.target) == 0 {
			return errorf("Null or empty target for %s message.", m.Type)
		}
		m.InvocationID, m.Target = names.strings()
		if m.ArgumentsError = r.arguments(m); m.ArgumentsError != nil {
			return nil // the invocation fails; the rest is not read
		}
		if n > 5 {
			return r.streamIDs(m)
		}
		return nil
	case StreamItem:
		m.RawItem, err = r.value()
	case Completion:
		err = r.completion(m)
	case CancelInvocation:
	case Close:
		var e []byte
		if e, err = r.str(); err != nil {
			return errorf("Reading 'error' as String failed.")
		}
		m.Error = validString(e)
		if n > 2 {
			if m.AllowReconnect, err = r.bool(); err != nil {
				return errorf("Reading 'allowReconnect' as Boolean failed.")
			}
		}
	case Ack, Sequence:
		if m.SequenceID, err = r.int(); err != nil {
			return errorf("Reading 'sequenceId' as Int64 failed.")
		}
	}
	return err
}

func (r *mpReader) headers(m *Message) error {
	n, err := r.mapLen()
	if err != nil {
		return errorf("Reading map length for 'headers' failed.")
	}
	for i := range n {
		k, err := r.str()
		if err != nil {
			return errorf("Reading 'headers[%d].Key' as String failed.", i)
		}
		if len(k) == 0 {
			return errorf("Null or empty key in header.")
		}
		v, err := r.str()
		if err != nil {
			return errorf("Reading 'headers[%d].Value' as String failed.", i)
		}
		if len(v) == 0 {
			return errorf("Null or empty value in header.")
		}
		if m.Headers == nil {
			m.Headers = make(map[string]string, n)
		}
		key := validString(k)
		if _, dup := m.Headers[key]; dup {
			return kindErrorf("ArgumentException", "An item with the same key has already been added. Key: %s", key)
		}
		m.Headers[key] = validString(v)
	}
	return nil
}

// textBindingFailed is ASP.NET Core's text for arguments that cannot be
// deserialized.
const textBindingFailed = "Error binding arguments. Make sure that the types of the provided values match the types of the hub method being invoked."

// arguments reads the arguments and returns what keeps them from being read,
// as ASP.NET Core reports it for the invocation.
func (r *mpReader) arguments(m *Message) *Error {
	n, err := r.arrayLen()
	if err != nil {
		return &Error{Msg: "Reading array length for 'arguments' failed.", cause: err}
	}
	for ; n > 0; n-- {
		v, err := r.value()
		if err != nil {
			m.RawArguments = m.RawArguments[:0]
			return &Error{Msg: textBindingFailed, cause: err}
		}
		m.RawArguments = append(m.RawArguments, v)
	}
	return nil
}

func (r *mpReader) streamIDs(m *Message) error {
	n, err := r.arrayLen()
	if err != nil {
		return errorf("Reading array length for 'streamIds' failed.")
	}
	for ; n > 0; n-- {
		id, err := r.str()
		if err != nil {
			return err // ASP.NET Core reads them unwrapped
		}
		if len(id) == 0 {
			return errorf("Null or empty value in streamIds received.")
		}
		m.StreamIDs = append(m.StreamIDs, validString(id))
	}
	return nil
}

// The kinds of result a Completion carries.
const (
	resultError   = 1
	resultVoid    = 2
	resultNonVoid = 3
)

func (r *mpReader) completion(m *Message) error {
	kind, err := r.int()
	if err != nil || kind < math.MinInt32 || kind > math.MaxInt32 {
		return errorf("Reading 'resultKind' as Int32 failed.")
	}
	switch kind {
	case resultError:
		e, err := r.str()
		if err != nil {
			return errorf("Reading 'error' as String failed.")
		}
		m.Error = validString(e) // nil is no error: a void completion
	case resultVoid:
	case resultNonVoid:
		m.RawResult, err = r.value()
		m.HasResult = true
	default:
		return errorf("Invalid invocation result kind.")
	}
	return err
}

// Append appends m as a MessagePack frame, in the layout ASP.NET Core writes.
func (p *MessagePackProtocol) Append(dst []byte, m *Message) ([]byte, error) {
	// Encode after a 5-byte gap, then move the body next to its real prefix.
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0, 0)
	body, err := p.appendBody(dst, m)
	if err != nil {
		return dst[:start], err
	}
	size := len(body) - start - 5
	if size > maxFrame {
		return dst[:start], errorf("Messages over 2GB in size are not supported.")
	}
	var prefix [5]byte
	pre := appendVarInt(prefix[:0], size)
	copy(body[start+len(pre):], body[start+5:])
	copy(body[start:], pre)
	return body[:start+len(pre)+size], nil
}

func (p *MessagePackProtocol) appendBody(dst []byte, m *Message) ([]byte, error) {
	var err error
	switch m.Type {
	case Invocation, StreamInvocation:
		dst = mpack.AppendArrayLen(dst, 6)
		dst = mpack.AppendInt(dst, int64(m.Type))
		dst = appendMPHeaders(dst, m.Headers)
		if m.InvocationID == "" && m.Type == Invocation {
			dst = append(dst, 0xc0)
		} else {
			dst = mpack.AppendString(dst, m.InvocationID)
		}
		dst = mpack.AppendString(dst, m.Target)
		dst = mpack.AppendArrayLen(dst, len(m.Arguments))
		for _, a := range m.Arguments {
			if dst, err = appendMsgpack(dst, a); err != nil {
				return dst, err
			}
		}
		dst = mpack.AppendArrayLen(dst, len(m.StreamIDs))
		for _, id := range m.StreamIDs {
			dst = mpack.AppendString(dst, id)
		}
	case StreamItem:
		dst = append(mpack.AppendArrayLen(dst, 4), byte(StreamItem))
		dst = appendMPHeaders(dst, m.Headers)
		dst = mpack.AppendString(dst, m.InvocationID)
		dst, err = appendMsgpack(dst, m.Item)
	case Completion:
		kind, items := resultVoid, 4
		if m.Error != "" {
			kind, items = resultError, 5
		} else if m.HasResult {
			kind, items = resultNonVoid, 5
		}
		dst = append(mpack.AppendArrayLen(dst, items), byte(Completion))
		dst = appendMPHeaders(dst, m.Headers)
		dst = mpack.AppendString(dst, m.InvocationID)
		dst = append(dst, byte(kind))
		switch kind {
		case resultError:
			dst = mpack.AppendString(dst, m.Error)
		case resultNonVoid:
			dst, err = appendMsgpack(dst, m.Result)
		}
	case CancelInvocation:
		dst = append(mpack.AppendArrayLen(dst, 3), byte(CancelInvocation))
		dst = appendMPHeaders(dst, m.Headers)
		dst = mpack.AppendString(dst, m.InvocationID)
	case Ping:
		dst = append(mpack.AppendArrayLen(dst, 1), byte(Ping))
	case Close:
		dst = append(mpack.AppendArrayLen(dst, 3), byte(Close))
		if m.Error == "" {
			dst = append(dst, 0xc0)
		} else {
			dst = mpack.AppendString(dst, m.Error)
		}
		dst = mpack.AppendBool(dst, m.AllowReconnect)
	case Ack, Sequence:
		dst = append(mpack.AppendArrayLen(dst, 2), byte(m.Type))
		dst = mpack.AppendInt(dst, m.SequenceID)
	default:
		return dst, errorf("Unexpected message type: %s.", m.Type)
	}
	return dst, err
}

// appendMPHeaders writes h sorted by key, so that a message always has the
// same bytes.
func appendMPHeaders(dst []byte, h map[string]string) []byte {
	dst = mpack.AppendMapLen(dst, len(h))
	if len(h) == 0 {
		return dst
	}
	var buf [8]string
	for _, k := range sortedKeys(h, buf[:0]) {
		dst = mpack.AppendString(dst, k)
		dst = mpack.AppendString(dst, h[k])
	}
	return dst
}
