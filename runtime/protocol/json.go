package protocol

import (
	"bytes"
	"cmp"
	"slices"
	"strconv"
)

// RecordSeparator ends every JSON record (and every handshake message).
const RecordSeparator = 0x1E

// DefaultMaxDepth is the nesting depth JSON allows by default, as in .NET.
const DefaultMaxDepth = 64

// JSON is the "json" hub protocol with the default depth limit.
var JSON Protocol = &JSONProtocol{}

// JSONProtocol is the "json" hub protocol: each message is a JSON object followed
// by the record separator 0x1E. Payload values are encoded with encoding/json
// rules (json tags name the fields), with fast paths that skip reflection for
// strings, numbers, booleans, time.Time and Raw.
type JSONProtocol struct {
	// MaxDepth caps the nesting of objects and arrays in a message, its own
	// object included, as System.Text.Json's reader counts; deeper messages
	// are rejected. Zero means DefaultMaxDepth.
	MaxDepth int
}

// Name returns "json".
func (*JSONProtocol) Name() string { return "json" }

// Version returns 2, the version that also allows stateful reconnect.
func (*JSONProtocol) Version() int { return 2 }

// Format returns Text.
func (*JSONProtocol) Format() TransferFormat { return Text }

// MessageSize returns the length of the first record, separator included.
func (*JSONProtocol) MessageSize(data []byte) (int, error) {
	return bytes.IndexByte(data, RecordSeparator) + 1, nil
}

// Parse parses the first record in data.
func (p *JSONProtocol) Parse(data []byte, m *Message) (int, error) {
	end := bytes.IndexByte(data, RecordSeparator)
	if end < 0 {
		return 0, nil
	}
	m.Reset()
	return end + 1, p.parse(data[:end], m)
}

func (p *JSONProtocol) depth() int {
	if p.MaxDepth > 0 {
		return p.MaxDepth
	}
	return DefaultMaxDepth
}

// Properties a message has, as a set of bits, to check the required ones.
const (
	hasType = 1 << iota
	hasTarget
	hasArguments
	hasItem
	hasResult
	hasError
	hasSequenceID
)

func (p *JSONProtocol) parse(data []byte, m *Message) error {
	s := scanner{data: data, maxDepth: p.depth()}
	var seen int
	var n names
	done, err := s.beginObject()
	for !done && err == nil {
		var key []byte
		if key, err = s.key(); err == nil {
			if err = property(&s, key, m, &seen, &n); err == nil {
				done, err = s.next('}')
			}
		}
	}
	// What follows the object in its record is ignored, as ASP.NET Core does.
	if err != nil {
		return readingError(err)
	}
	m.InvocationID, m.Target = n.strings()
	return check(m, seen, &n)
}

// names holds the invocation id and target of a message as read, to make both
// strings with one allocation.
type names struct {
	id, target       []byte
	idEsc, targetEsc bool // JSON: the text has escapes
	utf8             bool // MessagePack: invalid UTF-8 becomes U+FFFD
}

func (n *names) strings() (id, target string) {
	if len(n.id)+len(n.target) == 0 {
		return "", ""
	}
	var buf [128]byte
	b := appendText(buf[:0], n.id, n.idEsc)
	split := len(b)
	b = appendText(b, n.target, n.targetEsc)
	if n.utf8 && !validUTF8(b) { // rare: one check of both on the way
		b = appendValidUTF8(buf[:0], n.id)
		split = len(b)
		b = appendValidUTF8(b, n.target)
	}
	all := string(b)
	return all[:split], all[split:]
}

func appendText(dst, b []byte, escaped bool) []byte {
	if escaped {
		return unescape(dst, b)
	}
	return append(dst, b...)
}

// property reads the value of one envelope property, as ASP.NET Core's
// JsonHubProtocol reads it. Unknown properties are skipped, and a repeated
// one replaces what came before.
func property(s *scanner, key []byte, m *Message, seen *int, n *names) error {
	var err error
	switch string(key) {
	case "type":
		var t int64
		var null bool
		t, null, err = s.intValue("type", 32)
		if err == nil && null {
			err = errorf("Expected 'type' to be of type Number.")
		}
		m.Type, *seen = Type(t), *seen|hasType
	case "invocationId":
		n.id, n.idEsc, err = s.stringValue("invocationId")
	case "target":
		n.target, n.targetEsc, err = s.stringValue("target")
		*seen |= hasTarget
	case "arguments":
		err = s.arguments(m)
		*seen |= hasArguments
	case "streamIds":
		err = s.streamIDs(m)
	case "headers":
		err = s.headers(m)
	case "item":
		m.RawItem, err = s.value(1)
		*seen |= hasItem
	case "result":
		m.RawResult, err = s.value(1)
		m.HasResult, *seen = true, *seen|hasResult
	case "error":
		m.Error, err = s.stringStrict("error")
		*seen |= hasError
	case "allowReconnect":
		m.AllowReconnect, err = s.bool("allowReconnect")
	case "sequenceId":
		var null bool
		m.SequenceID, null, err = s.intValue("sequenceId", 64)
		if null {
			*seen &^= hasSequenceID // null is no id, as in .NET
		} else {
			*seen |= hasSequenceID
		}
	default:
		err = s.skip(1)
	}
	return err
}

func (s *scanner) arguments(m *Message) error {
	if b, err := s.peek(); err != nil {
		return err
	} else if b != '[' {
		return s.mismatch(errorf("Expected 'arguments' to be of type Array."))
	}
	m.RawArguments = m.RawArguments[:0]
	empty, err := s.open('[', ']')
	for !empty && err == nil {
		var v Raw
		if v, err = s.value(2); err == nil {
			m.RawArguments = append(m.RawArguments, v)
			empty, err = s.next(']')
		}
	}
	return err
}

// streamIDs reads the stream ids, which must be strings: .NET's GetString
// refuses any other token, and ASP.NET Core null.
func (s *scanner) streamIDs(m *Message) error {
	if b, err := s.peek(); err != nil {
		return err
	} else if b != '[' {
		return s.mismatch(errorf("Expected 'streamIds' to be of type Array."))
	}
	m.StreamIDs = m.StreamIDs[:0]
	empty, err := s.open('[', ']')
	for !empty && err == nil {
		b, _ := s.peek()
		switch b {
		case '"':
			var id string
			if id, err = s.string(); err == nil {
				m.StreamIDs = append(m.StreamIDs, id)
				empty, err = s.next(']')
			}
			continue
		case 'n':
			if err = s.literal("null"); err == nil {
				err = errorf("Null value for 'streamIds' is not valid.")
			}
		default:
			err = s.mismatch(kindErrorf("InvalidOperationException", "Cannot get the value of a token type '%s' as a string.", tokenType(b)))
		}
	}
	return err
}

func (s *scanner) headers(m *Message) error {
	if b, err := s.peek(); err != nil {
		return err
	} else if b != '{' {
		return s.mismatch(errorf("Expected 'headers' to be of type StartObject."))
	}
	clear(m.Headers) // a repeated property is a new set of headers
	empty, err := s.open('{', '}')
	for !empty && err == nil {
		var k, v string
		if k, err = s.string(); err != nil {
			break
		}
		if err = s.expect(':'); err != nil {
			break
		}
		if b, perr := s.peek(); perr != nil || b != '"' {
			err = cmp.Or(perr, s.mismatch(errorf("Expected header '%s' to be of type String.", k)))
			break
		}
		if v, err = s.string(); err != nil {
			break
		}
		if m.Headers == nil {
			m.Headers = make(map[string]string)
		}
		m.Headers[k] = v
		empty, err = s.next('}')
	}
	return err
}

// check applies the rules on required properties once a message is read, in
// the order ASP.NET Core's JsonHubProtocol applies them. An empty id counts
// as none where one is required.
//
// One order cannot be followed here: ASP.NET Core binds a StreamInvocation's
// arguments before it looks for the id, so one without an id that also fails
// to bind (an unknown method, say) is dropped without an answer, where here
// it is refused for its missing id. Binding happens in the receiver, which
// has the methods.
func check(m *Message, seen int, n *names) error {
	missing := func(name string) error {
		return errorf("Missing required property '%s'.", name)
	}
	if seen&hasType == 0 {
		return missing("type")
	}
	switch m.Type {
	case Invocation:
		if seen&hasTarget == 0 {
			return missing("target")
		}
		if seen&hasArguments == 0 {
			// An empty target with arguments fails to bind, in the receiver:
			// there is no such method.
			if len(n.target) == 0 {
				return missing("target")
			}
			return missing("arguments")
		}
	case StreamInvocation:
		if seen&hasTarget == 0 {
			return missing("target")
		}
		if len(n.id) == 0 {
			return missing("invocationId")
		}
		if seen&hasArguments == 0 {
			return missing("arguments")
		}
	case StreamItem:
		if len(n.id) == 0 {
			return missing("invocationId")
		}
		if seen&hasItem == 0 {
			return missing("item")
		}
	case Completion:
		if len(n.id) == 0 {
			return missing("invocationId")
		}
		if seen&hasResult != 0 && seen&hasError != 0 {
			return errorf("The 'error' and 'result' properties are mutually exclusive.")
		}
	case CancelInvocation:
		if len(n.id) == 0 {
			return missing("invocationId")
		}
	case Ack, Sequence:
		if seen&hasSequenceID == 0 {
			return missing("sequenceId")
		}
	}
	return nil
}

// Append appends m as a JSON record.
func (p *JSONProtocol) Append(dst []byte, m *Message) ([]byte, error) {
	dst = append(dst, `{"type":`...)
	dst = strconv.AppendInt(dst, int64(m.Type), 10)
	var err error
	switch m.Type {
	case Invocation, StreamInvocation, StreamItem, Completion, CancelInvocation:
		// In ASP.NET Core's order: headers first.
		if len(m.Headers) > 0 {
			dst = appendHeaders(dst, m.Headers)
		}
		if m.InvocationID != "" || m.Type != Invocation {
			dst = append(dst, `,"invocationId":`...)
			dst = appendString(dst, m.InvocationID)
		}
	}
	switch m.Type {
	case Invocation, StreamInvocation:
		dst = append(dst, `,"target":`...)
		dst = appendString(dst, m.Target)
		dst = append(dst, `,"arguments":[`...)
		for i, a := range m.Arguments {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, err = appendJSON(dst, a); err != nil {
				return dst, err
			}
		}
		dst = append(dst, ']')
		if len(m.StreamIDs) > 0 {
			dst = append(dst, `,"streamIds":[`...)
			for i, id := range m.StreamIDs {
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = appendString(dst, id)
			}
			dst = append(dst, ']')
		}
	case StreamItem:
		dst = append(dst, `,"item":`...)
		dst, err = appendJSON(dst, m.Item)
	case Completion:
		if m.Error != "" {
			dst = append(dst, `,"error":`...)
			dst = appendString(dst, m.Error)
		} else if m.HasResult {
			dst = append(dst, `,"result":`...)
			dst, err = appendJSON(dst, m.Result)
		}
	case Close:
		if m.Error != "" {
			dst = append(dst, `,"error":`...)
			dst = appendString(dst, m.Error)
		}
		if m.AllowReconnect {
			dst = append(dst, `,"allowReconnect":true`...)
		}
	case Ack, Sequence:
		dst = append(dst, `,"sequenceId":`...)
		dst = strconv.AppendInt(dst, m.SequenceID, 10)
	}
	if err != nil {
		return dst, err
	}
	return append(dst, '}', RecordSeparator), nil
}

// appendHeaders writes h sorted by key, so that a message always has the
// same bytes.
func appendHeaders(dst []byte, h map[string]string) []byte {
	dst = append(dst, `,"headers":{`...)
	var buf [8]string
	for i, k := range sortedKeys(h, buf[:0]) {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, k)
		dst = append(dst, ':')
		dst = appendString(dst, h[k])
	}
	return append(dst, '}')
}

// sortedKeys appends the keys of h to keys, sorted: into the caller's array
// when they fit.
func sortedKeys(h map[string]string, keys []string) []string {
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
