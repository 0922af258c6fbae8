package protocol

import (
	"bytes"
	"encoding/hex"
	"reflect"
	"strings"
	"testing"
	"time"

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

func TestMessagePackParseErrors(t *testing.T) {
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
		{"varint over 5 bytes", []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, "Messages over 2GB in size are not supported."},
		{"varint over 2GB", []byte{0xff, 0xff, 0xff, 0xff, 0x0f}, "Messages over 2GB in size are not supported."},
		{"not an array", mpFrame(t)[:1], ""}, // incomplete: no error, no message
		{"map instead of array", append([]byte{1}, 0x80), "Reading 'message' as Array failed."},
		{"too few items", mpFrame(t, 1, h, "1", "T"), "Invalid payload for Invocation message: 4 items, at least 5 expected."},
		{"target not a string", mpFrame(t, 1, h, "1", 5, []any{}), "Reading 'target' as String failed."},
		{"type not an int", mpFrame(t, "1"), "Reading 'type' as Int32 failed."},
		{"bad result kind", mpFrame(t, 3, h, "1", 9), "Invalid invocation result kind."},
		{"truncated inside", func() []byte { f := mpFrame(t, 1, h, "1", "T", []any{"abc"}); f[0]--; return f[:len(f)-1] }(), "Unexpected end of MessagePack data."},
		{"array longer than the data", []byte{5, 0xdd, 0, 1, 0, 0}, "Unexpected end of MessagePack data."},
		{"too deep", mpFrame(t, 1, h, "1", "T", []any{deep}), "The maximum configured depth of 64 has been exceeded."},
		{"stream invocation without id", mpFrame(t, 4, h, nil, "S", []any{}), "Reading 'invocationId' as String failed."},
		{"empty stream id", mpFrame(t, 1, h, "1", "T", []any{}, []string{"a", ""}), "Null or empty value in streamIds received."},
		{"nil stream id", mpFrame(t, 4, h, "1", "T", []any{}, []any{nil}), "Null or empty value in streamIds received."},
		{"cancel with empty id", mpFrame(t, 5, h, ""), "Null or empty invocation ID for CancelInvocation message."},
		{"cancel with nil id", mpFrame(t, 5, h, nil), "Null or empty invocation ID for CancelInvocation message."},
	}
	for _, tt := range tests {
		var m Message
		n, err := MessagePack.Parse(tt.frame, &m)
		if tt.want == "" {
			if n != 0 || err != nil {
				t.Errorf("%s: n=%d err=%v, want an incomplete frame", tt.name, n, err)
			}
			continue
		}
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
		// The hub closes the connection with an *Error's text as an
		// InvalidDataException.
		if _, ok := err.(*Error); !ok {
			t.Errorf("%s: %T, want a *protocol.Error", tt.name, err)
		}
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
