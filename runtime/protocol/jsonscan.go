package protocol

import (
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// scanner reads JSON text without reflection or allocation: enough to take a hub
// message's envelope apart and to check, with a depth limit, that each payload is
// well-formed before it is kept as Raw.
type scanner struct {
	data     []byte
	pos      int
	maxDepth int
}

var errEOF = &Error{Msg: "Unexpected end when reading JSON.", syntax: true}

// syntaxErrorf is JSON that is not well-formed: what System.Text.Json's reader
// refuses, which ASP.NET Core reports as "Error reading JSON." (see
// readingError).
func syntaxErrorf(format string, args ...any) error {
	return &Error{Msg: fmt.Sprintf(format, args...), syntax: true}
}

// readingError is the error of a hub message: JSON that is not well-formed
// becomes "Error reading JSON.", as ASP.NET Core's JsonHubProtocol wraps
// System.Text.Json's exception, with what the scanner found kept as the
// cause.
func readingError(err error) error {
	if pe, ok := err.(*Error); ok && pe.syntax {
		return &Error{Msg: "Error reading JSON.", cause: pe}
	}
	return err
}

func (s *scanner) skipSpace() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\r', '\n':
			s.pos++
		default:
			return
		}
	}
}

// peek returns the next non-space byte without consuming it.
func (s *scanner) peek() (byte, error) {
	s.skipSpace()
	if s.pos >= len(s.data) {
		return 0, errEOF
	}
	return s.data[s.pos], nil
}

func (s *scanner) expect(c byte) error {
	b, err := s.peek()
	if err != nil {
		return err
	}
	if b != c {
		return s.unexpected(b)
	}
	s.pos++
	return nil
}

func (s *scanner) unexpected(b byte) error {
	return syntaxErrorf("'%c' is an invalid start of a value or an unexpected character at position %d.", b, s.pos)
}

// tokenName names the JSON token that starts with b, as ASP.NET Core's
// JsonUtils.GetTokenString does.
func tokenName(b byte) string {
	switch b {
	case '{':
		return "Object"
	case '[':
		return "Array"
	case '"':
		return "String"
	case 't':
		return "True"
	case 'f':
		return "False"
	case 'n':
		return "Null"
	}
	return "Number"
}

// stringBytes reads a string token and returns its contents without the quotes,
// still escaped, and whether it has escapes.
func (s *scanner) stringBytes() ([]byte, bool, error) {
	if err := s.expect('"'); err != nil {
		return nil, false, err
	}
	start, escaped := s.pos, false
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch {
		case c == '"':
			s.pos++
			return s.data[start : s.pos-1], escaped, nil
		case c == '\\':
			escaped = true
			s.pos++
			if s.pos >= len(s.data) {
				return nil, false, errEOF
			}
			switch s.data[s.pos] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.pos++
			case 'u':
				if s.pos+5 > len(s.data) {
					return nil, false, errEOF
				}
				for _, h := range s.data[s.pos+1 : s.pos+5] {
					if unhex(h) < 0 {
						return nil, false, syntaxErrorf("Invalid escape sequence at position %d.", s.pos)
					}
				}
				s.pos += 5
			default:
				return nil, false, syntaxErrorf("Invalid escape sequence at position %d.", s.pos)
			}
		case c < 0x20:
			return nil, false, syntaxErrorf("Invalid control character in a string at position %d.", s.pos)
		default:
			s.pos++
		}
	}
	return nil, false, errEOF
}

// string reads a string token and returns it unescaped.
func (s *scanner) string() (string, error) {
	b, escaped, err := s.stringBytes()
	if err != nil {
		return "", err
	}
	if !escaped {
		return string(b), nil
	}
	return string(unescape(nil, b)), nil
}

// unescape appends the unescaped form of a string body that stringBytes checked.
func unescape(dst, b []byte) []byte {
	for i := 0; i < len(b); {
		c := b[i]
		if c != '\\' {
			dst = append(dst, c)
			i++
			continue
		}
		i++
		switch b[i] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := hex4(b[i+1:])
			i += 4
			if utf16.IsSurrogate(r) {
				// The low half of a pair is the next escape: \uXXXX after i.
				low := rune(-1)
				if i+6 < len(b) && b[i+1] == '\\' && b[i+2] == 'u' {
					low = hex4(b[i+3:])
				}
				if r = utf16.DecodeRune(r, low); r != utf8.RuneError {
					i += 6
				}
			}
			dst = utf8.AppendRune(dst, r)
		default: // '"', '\\', '/'
			dst = append(dst, b[i])
		}
		i++
	}
	return dst
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c - 'a' + 10)
	case 'A' <= c && c <= 'F':
		return int(c - 'A' + 10)
	}
	return -1
}

func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		r = r<<4 | rune(unhex(c))
	}
	return r
}

// intValue reads an integer of the given size, or null, as System.Text.Json's
// ReadAsInt32 and ReadAsInt64 do in ASP.NET Core: another kind of token is
// refused with their text, and a number that is not an integer of that size
// with the FormatException of GetInt32 or GetInt64.
func (s *scanner) intValue(name string, bits int) (n int64, null bool, err error) {
	b, err := s.peek()
	if err != nil {
		return 0, false, err
	}
	if b == 'n' {
		return 0, true, s.literal("null")
	}
	if b != '-' && (b < '0' || b > '9') {
		return 0, false, s.mismatch(errorf("Expected '%s' to be of type Number.", name))
	}
	start := s.pos
	if err := s.number(); err != nil {
		return 0, false, err
	}
	n, perr := strconv.ParseInt(string(s.data[start:s.pos]), 10, bits)
	if perr != nil {
		return 0, false, kindErrorf("FormatException", "Either the JSON value is not in a supported format, or is out of bounds for an Int%d.", bits)
	}
	return n, false, nil
}

// mismatch returns want, the error for a value of the wrong kind, once the
// token there is read: as System.Text.Json reads a token before ASP.NET Core
// looks at its type, a token that is not well-formed is a syntax error
// instead. An object or an array is refused at its first byte.
func (s *scanner) mismatch(want error) error {
	b, err := s.peek()
	if err != nil {
		return err
	}
	switch {
	case b == '{' || b == '[':
	case b == '"':
		_, _, err = s.stringBytes()
	case b == 't':
		err = s.literal("true")
	case b == 'f':
		err = s.literal("false")
	case b == 'n':
		err = s.literal("null")
	case b == '-' || '0' <= b && b <= '9':
		err = s.number()
	default:
		err = s.unexpected(b)
	}
	if err != nil {
		return err
	}
	return want
}

// tokenType names the token that starts with b as System.Text.Json's
// JsonTokenType does.
func tokenType(b byte) string {
	switch b {
	case '{':
		return "StartObject"
	case '[':
		return "StartArray"
	}
	return tokenName(b)
}

// number checks a number token.
func (s *scanner) number() error {
	d := s.data
	i := s.pos
	if i < len(d) && d[i] == '-' {
		i++
	}
	digits := func() bool {
		start := i
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
		return i > start
	}
	if i < len(d) && d[i] == '0' {
		i++
	} else if !digits() {
		return s.invalidAt(i)
	}
	if i < len(d) && d[i] == '.' {
		i++
		if !digits() {
			return s.invalidAt(i)
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if !digits() {
			return s.invalidAt(i)
		}
	}
	s.pos = i
	return nil
}

func (s *scanner) invalidAt(i int) error {
	if i >= len(s.data) {
		return errEOF
	}
	s.pos = i
	return s.unexpected(s.data[i])
}

func (s *scanner) literal(word string) error {
	if len(s.data)-s.pos < len(word) {
		return errEOF
	}
	if string(s.data[s.pos:s.pos+len(word)]) != word {
		return s.unexpected(s.data[s.pos])
	}
	s.pos += len(word)
	return nil
}

// bool reads true or false, as ASP.NET Core's ReadAsBoolean does.
func (s *scanner) bool(name string) (bool, error) {
	b, err := s.peek()
	if err != nil {
		return false, err
	}
	switch b {
	case 't':
		return true, s.literal("true")
	case 'f':
		return false, s.literal("false")
	}
	return false, s.mismatch(errorf("Expected '%s' to be true or false.", name))
}

// value checks one value of any kind, inside depth open objects and arrays,
// and returns its text.
func (s *scanner) value(depth int) (Raw, error) {
	if _, err := s.peek(); err != nil {
		return nil, err
	}
	start := s.pos
	if err := s.skip(depth); err != nil {
		return nil, err
	}
	return Raw(s.data[start:s.pos]), nil
}

// skip checks one value of any kind inside depth open objects and arrays:
// with the value's own, at most maxDepth may be open, as System.Text.Json's
// reader counts them from the record's own object.
func (s *scanner) skip(depth int) error {
	b, err := s.peek()
	if err != nil {
		return err
	}
	switch b {
	case '"':
		_, _, err := s.stringBytes()
		return err
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	case '[', '{':
		if depth >= s.maxDepth {
			return syntaxErrorf("The maximum configured depth of %d has been exceeded.", s.maxDepth)
		}
		s.pos++
		end := byte(']')
		if b == '{' {
			end = '}'
		}
		if c, err := s.peek(); err != nil {
			return err
		} else if c == end {
			s.pos++
			return nil
		}
		for {
			if b == '{' {
				if _, _, err := s.stringBytes(); err != nil {
					return err
				}
				if err := s.expect(':'); err != nil {
					return err
				}
			}
			if err := s.skip(depth + 1); err != nil {
				return err
			}
			c, err := s.peek()
			if err != nil {
				return err
			}
			s.pos++
			if c == end {
				return nil
			}
			if c != ',' {
				s.pos--
				return s.unexpected(c)
			}
		}
	}
	if b == '-' || (b >= '0' && b <= '9') {
		return s.number()
	}
	return s.unexpected(b)
}

// next reads the separator after a member or element: it reports true at the end
// of the object or array and false before the next member.
func (s *scanner) next(end byte) (bool, error) {
	c, err := s.peek()
	if err != nil {
		return false, err
	}
	s.pos++
	switch c {
	case end:
		return true, nil
	case ',':
		return false, nil
	}
	s.pos--
	return false, s.unexpected(c)
}

// open consumes the start of an object or array and reports whether it is empty.
func (s *scanner) open(start, end byte) (bool, error) {
	if err := s.expect(start); err != nil {
		return false, err
	}
	c, err := s.peek()
	if err != nil {
		return false, err
	}
	if c == end {
		s.pos++
		return true, nil
	}
	return false, nil
}

// object reads one JSON object at the start of the data, calling member for
// each member with the scanner placed at its value. Whatever follows the object
// is ignored, as ASP.NET Core's readers stop at its end. It is for the cold
// paths (the handshake); the hot one, JSONProtocol.parse, runs the same steps in
// a loop of its own so that nothing escapes to the heap.
func (s *scanner) object(member func(key []byte) error) error {
	done, err := s.beginObject()
	for !done && err == nil {
		var key []byte
		if key, err = s.key(); err == nil {
			if err = member(key); err == nil {
				done, err = s.next('}')
			}
		}
	}
	return err
}

// beginObject consumes the start of the object that the data must hold and
// reports whether it is empty.
func (s *scanner) beginObject() (bool, error) {
	b, err := s.peek()
	if err != nil {
		return false, err
	}
	if b != '{' {
		return false, s.mismatch(errorf("Unexpected JSON Token Type '%s'. Expected a JSON Object.", tokenName(b)))
	}
	return s.open('{', '}')
}

// key reads a member's name and the colon after it. An escaped name that
// stands for a property name of the envelope or the handshake is returned in its
// plain form, so that it matches as .NET's ValueTextEquals matches it.
func (s *scanner) key() ([]byte, error) {
	key, escaped, err := s.stringBytes()
	if err == nil {
		err = s.expect(':')
	}
	if err == nil && escaped {
		key = plainName(key)
	}
	return key, err
}

// propertyNames are the names key unescapes: every property name of the
// envelope and of the handshake.
var propertyNames = [][]byte{
	[]byte("type"), []byte("invocationId"), []byte("target"), []byte("arguments"),
	[]byte("streamIds"), []byte("headers"), []byte("item"), []byte("result"),
	[]byte("error"), []byte("allowReconnect"), []byte("sequenceId"),
	[]byte("protocol"), []byte("version"),
}

// plainName returns the property name that the escaped name b stands for, or b
// itself, which matches none as it holds a backslash. Each character of a name
// escapes to at most 6 bytes, so a longer b cannot stand for one.
func plainName(b []byte) []byte {
	var buf [6 * len("allowReconnect")]byte
	if len(b) > len(buf) {
		return b
	}
	// Unescaping never lengthens, so buf holds the result and stays on the stack.
	u := unescape(buf[:0], b)
	for _, name := range propertyNames {
		if string(u) == string(name) {
			return name
		}
	}
	return b
}

// stringValue reads a string token and returns it still escaped; any other
// token, null included, is refused as ASP.NET Core's ReadAsString refuses it.
func (s *scanner) stringValue(name string) ([]byte, bool, error) {
	b, err := s.peek()
	if err != nil {
		return nil, false, err
	}
	if b != '"' {
		return nil, false, s.mismatch(errorf("Expected '%s' to be of type String.", name))
	}
	return s.stringBytes()
}

// stringStrict reads a string token, unescaped, as stringValue does.
func (s *scanner) stringStrict(name string) (string, error) {
	b, escaped, err := s.stringValue(name)
	if err != nil || !escaped {
		return string(b), err
	}
	return string(unescape(nil, b)), nil
}
