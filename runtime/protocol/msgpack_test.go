package protocol

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/vmihailenco/msgpack/v5"
)

func mpFrame(t *testing.T, items ...any) []byte {
	t.Helper()
	body, err := msgpack.Marshal(items)
	if err != nil {
		t.Fatal(err)
	}
	return append(appendVarInt(nil, len(body)), body...)
}

func TestMessagePackParse(t *testing.T) {
	h := map[string]string{}
	tests := []struct {
		name  string
		frame []byte
		want  Message
	}{
		{"invocation of 6", mpFrame(t, 1, h, "7", "Echo", []any{"hi", 1}, []string{"s"}), Message{Type: Invocation, InvocationID: "7", Target: "Echo", StreamIDs: []string{"s"}}},
		{"invocation of 5 (TS)", mpFrame(t, 1, h, nil, "Send", []any{}), Message{Type: Invocation, Target: "Send"}},
		{"invocation with headers", mpFrame(t, 1, map[string]string{"a": "b"}, "", "T", []any{}), Message{Type: Invocation, Target: "T", Headers: map[string]string{"a": "b"}}},
		{"stream invocation", mpFrame(t, 4, h, "1", "S", []any{}), Message{Type: StreamInvocation, InvocationID: "1", Target: "S"}},
		{"stream item", mpFrame(t, 2, h, "1", nil), Message{Type: StreamItem, InvocationID: "1", RawItem: Raw{0xc0}}},
		{"completion error", mpFrame(t, 3, h, "1", 1, "bad"), Message{Type: Completion, InvocationID: "1", Error: "bad"}},
		{"completion void", mpFrame(t, 3, h, "1", 2), Message{Type: Completion, InvocationID: "1"}},
		{"completion result", mpFrame(t, 3, h, "1", 3, nil), Message{Type: Completion, InvocationID: "1", HasResult: true, RawResult: Raw{0xc0}}},
		{"cancel", mpFrame(t, 5, h, "1"), Message{Type: CancelInvocation, InvocationID: "1"}},
		{"ping", mpFrame(t, 6), Message{Type: Ping}},
		{"close of 2 (TS)", mpFrame(t, 7, nil), Message{Type: Close}},
		{"close of 3", mpFrame(t, 7, "e", true), Message{Type: Close, Error: "e", AllowReconnect: true}},
		{"ack", mpFrame(t, 8, uint64(1)<<40), Message{Type: Ack, SequenceID: 1 << 40}},
		{"sequence", mpFrame(t, 9, int8(3)), Message{Type: Sequence, SequenceID: 3}},
		{"unknown type", mpFrame(t, 42, "x", []any{1}), Message{Type: 42}},
		{"extra items", mpFrame(t, 6, "future", 1), Message{Type: Ping}},
	}
	for _, tt := range tests {
		var m Message
		n, err := MessagePack.Parse(tt.frame, &m)
		if err != nil || n != len(tt.frame) {
			t.Errorf("%s: n=%d err=%v", tt.name, n, err)
			continue
		}
		m.RawArguments = nil
		if len(m.StreamIDs) == 0 {
			m.StreamIDs = nil
		}
		if !reflect.DeepEqual(m, tt.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.name, m, tt.want)
		}
	}
}

// TestMessagePackParseErrors checks texts and kinds of refused messages
// beyond ASP.NET Core's own tables (aspnet_msgpack_test.go), as its
// MessagePack protocol and MessagePack-CSharp give them.
func TestMessagePackParseErrors(t *testing.T) {
	h := map[string]string{}
	tests := []struct {
		name  string
		frame []byte
		want  string
		kind  string
	}{
		{"varint over 5 bytes", []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, "Messages over 2GB in size are not supported.", "FormatException"},
		{"varint over 2GB", []byte{0xff, 0xff, 0xff, 0xff, 0x0f}, "Messages over 2GB in size are not supported.", "FormatException"},
		{"not an array", mpFrame(t)[:1], "", ""}, // incomplete: no error, no message
		// The message's own array header, read unwrapped.
		{"map instead of array", []byte{1, 0x80}, "Unexpected msgpack code 128 (fixmap) encountered.", "MessagePackSerializationException"},
		{"nil instead of array", []byte{1, 0xc0}, "Unexpected msgpack code 192 (nil) encountered.", "MessagePackSerializationException"},
		{"never-used code", []byte{1, 0xc1}, "Unexpected msgpack code 193 ((never used)) encountered.", "MessagePackSerializationException"},
		{"empty frame", []byte{0}, "Attempted to read past the end of the stream.", "EndOfStreamException"},
		{"array longer than the data", []byte{5, 0xdd, 0, 1, 0, 0}, "Attempted to read past the end of the stream.", "EndOfStreamException"},
		{"array of 2, one item", []byte{2, 0x92, 6}, "Attempted to read past the end of the stream.", "EndOfStreamException"},
		// Fields are read in order, whatever the array's length says.
		{"empty array", []byte{1, 0x90}, "Reading 'messageType' as Int32 failed.", "InvalidDataException"},
		{"type over Int32", mpFrame(t, int64(1)<<40), "Reading 'messageType' as Int32 failed.", "InvalidDataException"},
		{"too few items", mpFrame(t, 1, h, "1", "T"), "Reading array length for 'arguments' failed.", ""}, // a binding failure
		{"bad result kind", mpFrame(t, 3, h, "1", 9), "Invalid invocation result kind.", "InvalidDataException"},
		{"result kind over Int32", mpFrame(t, 3, h, "1", uint32(1)<<31), "Reading 'resultKind' as Int32 failed.", "InvalidDataException"},
		{"completion without its result", mpFrame(t, 3, h, "1", 3), "Attempted to read past the end of the stream.", "EndOfStreamException"},
		{"stream item without its item", mpFrame(t, 2, h, "1"), "Attempted to read past the end of the stream.", "EndOfStreamException"},
		{"close error not a string", mpFrame(t, 7, 1), "Reading 'error' as String failed.", "InvalidDataException"},
		{"allowReconnect not a bool", mpFrame(t, 7, nil, 1), "Reading 'allowReconnect' as Boolean failed.", "InvalidDataException"},
		{"sequence id over Int64", mpFrame(t, 8, uint64(1)<<63), "Reading 'sequenceId' as Int64 failed.", "InvalidDataException"},
		{"stream invocation with nil id", mpFrame(t, 4, h, nil, "S", []any{}), "Null or empty invocation ID for StreamInvocation message.", "InvalidDataException"},
		{"empty stream id", mpFrame(t, 1, h, "1", "T", []any{}, []string{"a", ""}), "Null or empty value in streamIds received.", "InvalidDataException"},
		{"nil stream id", mpFrame(t, 4, h, "1", "T", []any{}, []any{nil}), "Null or empty value in streamIds received.", "InvalidDataException"},
		{"stream id not a string", mpFrame(t, 4, h, "1", "T", []any{}, []any{1}), "Unexpected msgpack code 1 (positive fixint) encountered.", "MessagePackSerializationException"},
		{"stream ids not an array", mpFrame(t, 4, h, "1", "T", []any{}, "a"), "Reading array length for 'streamIds' failed.", "InvalidDataException"},
		{"cancel with empty id", mpFrame(t, 5, h, ""), "Null or empty invocation ID for CancelInvocation message.", "InvalidDataException"},
		{"cancel with nil id", mpFrame(t, 5, h, nil), "Null or empty invocation ID for CancelInvocation message.", "InvalidDataException"},
		{"nil target", mpFrame(t, 1, h, "1", nil, []any{}), "Null or empty target for Invocation message.", "InvalidDataException"},
		{"repeated header", []byte{13, 0x95, 5, 0x82, 0xa1, 'a', 0xa1, '1', 0xa1, 'a', 0xa1, '2', 0xa1, 'x'}, "An item with the same key has already been added. Key: a", "ArgumentException"},
		{"nil header key", mpFrame(t, 5, map[any]string{nil: "v"}, "1"), "Null or empty key in header.", "InvalidDataException"},
		{"truncated string", []byte{5, 0x93, 5, 0x80, 0xa5, 'x'}, "Reading 'invocationId' as String failed.", "InvalidDataException"},
	}
	for _, tt := range tests {
		var m Message
		n, err := MessagePack.Parse(tt.frame, &m)
		switch {
		case tt.want == "":
			if n != 0 || err != nil {
				t.Errorf("%s: n=%d err=%v, want an incomplete frame", tt.name, n, err)
			}
			continue
		case tt.kind == "":
			if err != nil || n != len(tt.frame) || m.ArgumentsError == nil || m.ArgumentsError.Error() != tt.want {
				t.Errorf("%s: %v, arguments error %v; want %q", tt.name, err, m.ArgumentsError, tt.want)
			}
			continue
		}
		// The hub closes the connection with an *Error's text, named by its
		// Kind.
		var pe *Error
		if !errors.As(err, &pe) || err.Error() != tt.want || pe.Kind() != tt.kind {
			t.Errorf("%s: %v (%T), want %s: %q", tt.name, err, err, tt.kind, tt.want)
		}
	}
}

// TestMessagePackArgumentsError checks that arguments that cannot be read
// fail the invocation, not the connection, as ASP.NET Core's binding does, and
// that the rest of the message is then left unread.
func TestMessagePackArgumentsError(t *testing.T) {
	h := map[string]string{}
	deep := []any{}
	for range 70 {
		deep = []any{deep}
	}
	tests := []struct {
		name  string
		frame []byte
		want  string
	}{
		{"missing", mpFrame(t, 1, h, "1", "T"), "Reading array length for 'arguments' failed."},
		{"a string", mpFrame(t, 1, h, "1", "T", "x", []string{"s"}), "Reading array length for 'arguments' failed."},
		{"nil", mpFrame(t, 4, h, "1", "T", nil), "Reading array length for 'arguments' failed."},
		{"a map", mpFrame(t, 4, h, "1", "T", map[string]int{"a": 1}), "Reading array length for 'arguments' failed."},
		{"too deep", mpFrame(t, 1, h, "1", "T", []any{"ok", deep}, []string{"s"}), textBindingFailed},
		{"never-used code", []byte{13, 0x96, 1, 0x80, 0xa1, '1', 0xa1, 'T', 0x92, 0x01, 0xc1, 0x91, 0xa1, 's'}, textBindingFailed},
		{"truncated", []byte{11, 0x95, 1, 0x80, 0xa1, '1', 0xa1, 'T', 0x92, 0x01, 0xa5, 'x'}, textBindingFailed},
		{"longer than the data", []byte{9, 0x95, 1, 0x80, 0xa1, '1', 0xa1, 'T', 0x92, 0x01}, "Reading array length for 'arguments' failed."},
	}
	for _, tt := range tests {
		var m Message
		m.Headers = map[string]string{"stale": "x"} // Reset clears it
		n, err := MessagePack.Parse(tt.frame, &m)
		if err != nil || n != len(tt.frame) {
			t.Errorf("%s: n=%d err=%v, want the message", tt.name, n, err)
			continue
		}
		if m.ArgumentsError == nil || m.ArgumentsError.Error() != tt.want {
			t.Errorf("%s: arguments error %v, want %q", tt.name, m.ArgumentsError, tt.want)
		}
		var pe *Error
		if !errors.As(m.ArgumentsError, &pe) || pe.Kind() != "InvalidDataException" {
			t.Errorf("%s: %T is no InvalidDataException", tt.name, m.ArgumentsError)
		}
		if m.Target != "T" || m.InvocationID != "1" || len(m.RawArguments) != 0 || len(m.StreamIDs) != 0 || m.Headers != nil {
			t.Errorf("%s: %+v", tt.name, m)
		}
		// The next message parses as usual, without the error.
		if _, err := MessagePack.Parse(mpFrame(t, 1, h, "2", "U", []any{}), &m); err != nil || m.ArgumentsError != nil {
			t.Errorf("%s: the next message: %v, %v", tt.name, err, m.ArgumentsError)
		}
	}
}

// TestMessagePackInvalidUTF8 checks that ill-formed UTF-8 in the strings of a
// message becomes U+FFFD as .NET decodes it: one for each maximal subpart.
func TestMessagePackInvalidUTF8(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ok", "ok"},
		{"a\xffb", "a\ufffdb"},
		{"\xff\xfe", "\ufffd\ufffd"},
		{"\xe2\x82", "\ufffd"},                 // a truncated three-byte sequence is one subpart
		{"\xe2\x82x", "\ufffdx"},               // ... before an ASCII byte
		{"\xf0\x9f\x98", "\ufffd"},             // a truncated four-byte sequence
		{"\xed\xa0\x80", "\ufffd\ufffd\ufffd"}, // a surrogate: ED then two stray bytes
		{"\xe0\x80\x80", "\ufffd\ufffd\ufffd"}, // overlong
		{"\xc0\xaf", "\ufffd\ufffd"},
		{"\xf4\x90\x80\x80", "\ufffd\ufffd\ufffd\ufffd"}, // over U+10FFFF
		{"\xf8\x88\x80\x80\x80", "\ufffd\ufffd\ufffd\ufffd\ufffd"},
		{"\xef\xbf\xbd", "\ufffd"}, // U+FFFD itself
		{"é\x80😀", "é\ufffd😀"},
	}
	for _, tt := range tests {
		if got := string(appendValidUTF8(nil, []byte(tt.in))); got != tt.want {
			t.Errorf("appendValidUTF8(%q) = %q, want %q", tt.in, got, tt.want)
		}
		for _, s := range []string{tt.in, "ascii " + tt.in, tt.in + " ascii"} {
			if validUTF8([]byte(s)) != utf8.Valid([]byte(s)) {
				t.Errorf("validUTF8(%q) = %v", s, validUTF8([]byte(s)))
			}
		}
	}
	bad := "T\xe2\x82x"
	var m Message
	frame := mpFrame(t, 1, map[string]string{"k\xff": "v\xff"}, "i\xff", bad, []any{}, []string{"s\xff"})
	if _, err := MessagePack.Parse(frame, &m); err != nil {
		t.Fatal(err)
	}
	if m.Target != "T\ufffdx" || m.InvocationID != "i\ufffd" || m.Headers["k\ufffd"] != "v\ufffd" || m.StreamIDs[0] != "s\ufffd" {
		t.Errorf("got %+v", m)
	}
	if _, err := MessagePack.Parse(mpFrame(t, 3, map[string]string{}, "1", 1, "e\xff"), &m); err != nil || m.Error != "e\ufffd" {
		t.Errorf("completion error %q, %v", m.Error, err)
	}
	if _, err := MessagePack.Parse(mpFrame(t, 7, "c\xff"), &m); err != nil || m.Error != "c\ufffd" {
		t.Errorf("close error %q, %v", m.Error, err)
	}
}

func TestMessagePackSeveralAndPartial(t *testing.T) {
	data := append(mpFrame(t, 6), mpFrame(t, 1, map[string]string{}, "1", "Echo", []any{"x"})...)
	data = append(data, mpFrame(t, 6)[:1]...)
	var m Message
	n, err := MessagePack.Parse(data, &m)
	if err != nil || m.Type != Ping {
		t.Fatal(n, err)
	}
	data = data[n:]
	n, err = MessagePack.Parse(data, &m)
	if err != nil || m.Target != "Echo" {
		t.Fatal(n, err, m)
	}
	if n, err := MessagePack.Parse(data[n:], &m); n != 0 || err != nil {
		t.Fatalf("partial: %d %v", n, err)
	}
}

func TestMessagePackAppendLayout(t *testing.T) {
	tests := []struct {
		m    Message
		want string // hex of the body after the length
	}{
		{Message{Type: Ping}, "9106"},
		{Message{Type: Close}, "9307c0c2"},
		{Message{Type: Close, Error: "e", AllowReconnect: true}, "9307a165c3"},
		{Message{Type: Completion, InvocationID: "1"}, "940380a13102"},
		{Message{Type: Completion, InvocationID: "1", Error: "x"}, "950380a13101a178"},
		{Message{Type: Completion, InvocationID: "1", HasResult: true, Result: 5}, "950380a1310305"},
		{Message{Type: Invocation, Target: "T", Arguments: []any{"a"}}, "960180c0a15491a16190"},
		{Message{Type: StreamItem, InvocationID: "1", Item: true}, "940280a131c3"},
		{Message{Type: CancelInvocation, InvocationID: "1"}, "930580a131"},
		{Message{Type: Ack, SequenceID: 300}, "9208cd012c"},
	}
	for _, tt := range tests {
		b, err := MessagePack.Append(nil, &tt.m)
		if err != nil {
			t.Fatal(err)
		}
		length, prefix, _ := readVarInt(b)
		if got := hex.EncodeToString(b[prefix:]); got != tt.want || length != len(b)-prefix {
			t.Errorf("%+v: got %s (length %d), want %s", tt.m, got, length, tt.want)
		}
	}
}

func TestMessagePackLongFrame(t *testing.T) {
	arg := strings.Repeat("x", 70000) // a 3-byte length prefix
	b, err := MessagePack.Append([]byte("keep"), &Message{Type: Invocation, Target: "T", Arguments: []any{arg}})
	if err != nil || string(b[:4]) != "keep" {
		t.Fatal(err)
	}
	var m Message
	n, err := MessagePack.Parse(b[4:], &m)
	if err != nil || n != len(b)-4 {
		t.Fatal(n, err)
	}
	var got string
	if err := MessagePack.Decode(m.RawArguments[0], &got); err != nil || got != arg {
		t.Fatal(err)
	}
}

type complexValue struct {
	String    string
	IntArray  []int
	ByteArray []byte
	DateTime  time.Time
	Renamed   string `msgpack:"other"`
}

func TestMessagePackValues(t *testing.T) {
	when := time.Date(2002, 4, 1, 10, 20, 15, 0, time.UTC)
	values := []any{"héllo", 42, -3, int64(1) << 40, 1.5, true, nil, []byte{1, 2, 255}, when,
		when.Add(123 * time.Nanosecond), time.Date(2600, 1, 1, 0, 0, 0, 5, time.UTC),
		complexValue{String: "s", IntArray: []int{1, 2}, ByteArray: []byte{3}, DateTime: when, Renamed: "r"}}
	for _, v := range values {
		b, err := appendMsgpack(nil, v)
		if err != nil {
			t.Fatal(err)
		}
		// What we write is what vmihailenco/msgpack writes, byte for byte
		// (it picks wider formats for some integers; both read the same).
		want, _ := msgpack.Marshal(v)
		if _, isInt := v.(int64); !isInt && !bytes.Equal(b, want) {
			t.Errorf("%v: wrote %x, msgpack writes %x", v, b, want)
		}
		if v == nil {
			continue
		}
		got := reflect.New(reflect.TypeOf(v))
		if err := MessagePack.Decode(b, got.Interface()); err != nil {
			t.Errorf("%v: %v", v, err)
			continue
		}
		if c, ok := v.(complexValue); ok { // times compare with Equal
			g := got.Elem().Interface().(complexValue)
			if !g.DateTime.Equal(c.DateTime) {
				t.Errorf("DateTime %v, want %v", g.DateTime, c.DateTime)
			}
			g.DateTime = c.DateTime
			got = reflect.ValueOf(&g)
		}
		if !reflect.DeepEqual(got.Elem().Interface(), v) {
			t.Errorf("round trip of %v gave %v", v, got.Elem().Interface())
		}
	}
	var s string
	if err := MessagePack.Decode(Raw{0x2a}, &s); err == nil {
		t.Error("a number decoded into a string")
	}
	var n int32
	if err := MessagePack.Decode(Raw{0xcf, 0, 0, 1, 0, 0, 0, 0, 0}, &n); err == nil {
		t.Error("a big number decoded into an int32")
	}
	var m map[string]any
	b, _ := msgpack.Marshal(map[string]any{"k": []any{"v"}})
	if err := MessagePack.Decode(b, &m); err != nil || m["k"].([]any)[0] != "v" {
		t.Errorf("map: %v %v", m, err)
	}
}
