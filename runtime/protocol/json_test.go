package protocol

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

const rs = "\x1e"

func parseOne(t *testing.T, text string) Message {
	t.Helper()
	var m Message
	n, err := JSON.Parse([]byte(text), &m)
	if err != nil {
		t.Fatalf("Parse(%q): %v", text, err)
	}
	if n != len(text) {
		t.Fatalf("Parse(%q) used %d bytes, want %d", text, n, len(text))
	}
	return m
}

func TestParseMessages(t *testing.T) {
	tests := []struct {
		text string
		want Message
	}{
		{`{"type":1,"invocationId":"7","target":"Echo","arguments":["hi",1,{"a":[1,2]}]}`, Message{
			Type: Invocation, InvocationID: "7", Target: "Echo",
			RawArguments: []Raw{Raw(`"hi"`), Raw(`1`), Raw(`{"a":[1,2]}`)},
		}},
		// The TS client writes arguments first and type last.
		{`{"arguments":[],"streamIds":["8","9"],"target":"Up","type":1}`, Message{
			Type: Invocation, Target: "Up", StreamIDs: []string{"8", "9"},
		}},
		{`{"type":4,"invocationId":"1","target":"S","arguments":[],"headers":{"a":"b"}}`, Message{
			Type: StreamInvocation, InvocationID: "1", Target: "S", Headers: map[string]string{"a": "b"},
		}},
		{`{"type":2,"invocationId":"1","item":null}`, Message{Type: StreamItem, InvocationID: "1", RawItem: Raw("null")}},
		{`{"type":3,"invocationId":"1"}`, Message{Type: Completion, InvocationID: "1"}},
		{`{"type":3,"invocationId":"1","result":null}`, Message{Type: Completion, InvocationID: "1", RawResult: Raw("null"), HasResult: true}},
		{`{"type":3,"invocationId":"1","error":"bad"}`, Message{Type: Completion, InvocationID: "1", Error: "bad"}},
		{`{"type":5,"invocationId":"1"}`, Message{Type: CancelInvocation, InvocationID: "1"}},
		{`{"type":6}`, Message{Type: Ping}},
		{`{"type":7}`, Message{Type: Close}},
		{`{"type":7,"error":"e","allowReconnect":true}`, Message{Type: Close, Error: "e", AllowReconnect: true}},
		{`{"type":8,"sequenceId":3}`, Message{Type: Ack, SequenceID: 3}},
		{`{"type":9,"sequenceId":4}`, Message{Type: Sequence, SequenceID: 4}},
		// Unknown types and properties are ignored, as ASP.NET Core does.
		{`{"type":42,"whatever":[1,{"x":null}]}`, Message{Type: 42}},
		{` { "type" : 6 , "extra" : "x" } `, Message{Type: Ping}},
		{`{"type":1,"target":"A\u00e9\ud83d\ude00","arguments":[]}`, Message{Type: Invocation, Target: "Aé😀"}},
	}
	for _, tt := range tests {
		got := parseOne(t, tt.text+rs)
		if tt.want.RawArguments == nil && len(got.RawArguments) == 0 {
			got.RawArguments = nil
		}
		if tt.want.StreamIDs == nil && len(got.StreamIDs) == 0 {
			got.StreamIDs = nil
		}
		got.Arguments = nil
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Parse(%s)\n got %+v\nwant %+v", tt.text, got, tt.want)
		}
	}
}

// TestParseErrors checks texts and kinds of refused records beyond ASP.NET
// Core's own tables (aspnet_json_test.go), as its JsonHubProtocol and
// System.Text.Json give them.
func TestParseErrors(t *testing.T) {
	depth := func(n int) string {
		return `{"type":1,"target":"x","arguments":[` + strings.Repeat("[", n) + strings.Repeat("]", n) + `]}`
	}
	const invalidData, format, invalidOp = "InvalidDataException", "FormatException", "InvalidOperationException"
	tests := []struct{ text, want, kind string }{
		// Not well-formed: System.Text.Json's exception, wrapped.
		{`{"type":1`, "Error reading JSON.", invalidData},
		{`{"type":1,"target":"x","arguments":[tru]}`, "Error reading JSON.", invalidData},
		{`{"type":1,"target":"x","arguments":["a\q"]}`, "Error reading JSON.", invalidData},
		{`{"type":1,"target":"x","arguments":[01]}`, "Error reading JSON.", invalidData},
		{`{"type":1,"target":"x","arguments":[],}`, "Error reading JSON.", invalidData},
		{`x`, "Error reading JSON.", invalidData},
		{`"unterminated`, "Error reading JSON.", invalidData},
		{`{"type":tru}`, "Error reading JSON.", invalidData},
		{`{"type":"6`, "Error reading JSON.", invalidData},
		{`{"type":-}`, "Error reading JSON.", invalidData},
		{`{"type":1,"invocationId":nul}`, "Error reading JSON.", invalidData},
		{`{"type":1,"headers":{"a":x}}`, "Error reading JSON.", invalidData},
		// The record's own object counts: 64 open at most.
		{depth(63), "Error reading JSON.", invalidData},
		// A token of another type, read before its type is looked at; an
		// object or array at its first byte.
		{`{"type":"1"}`, "Expected 'type' to be of type Number.", invalidData},
		{`{"type":[}`, "Expected 'type' to be of type Number.", invalidData},
		{`{"type":null}`, "Expected 'type' to be of type Number.", invalidData},
		{`tru`, "Error reading JSON.", invalidData},
		{`true`, "Unexpected JSON Token Type 'True'. Expected a JSON Object.", invalidData},
		{`[1,`, "Unexpected JSON Token Type 'Array'. Expected a JSON Object.", invalidData},
		// A number that is not an Int32 (Int64 for sequenceId): GetInt32's
		// FormatException, which ASP.NET Core does not wrap.
		{`{"type":1.5}`, "Either the JSON value is not in a supported format, or is out of bounds for an Int32.", format},
		{`{"type":1e0}`, "Either the JSON value is not in a supported format, or is out of bounds for an Int32.", format},
		{`{"type":2147483648}`, "Either the JSON value is not in a supported format, or is out of bounds for an Int32.", format},
		{`{"type":8,"sequenceId":1.5}`, "Either the JSON value is not in a supported format, or is out of bounds for an Int64.", format},
		{`{"type":8,"sequenceId":9223372036854775808}`, "Either the JSON value is not in a supported format, or is out of bounds for an Int64.", format},
		// null is no string, and no sequence id.
		{`{"type":1,"invocationId":null,"target":"x","arguments":[]}`, "Expected 'invocationId' to be of type String.", invalidData},
		{`{"type":1,"target":null,"arguments":[]}`, "Expected 'target' to be of type String.", invalidData},
		{`{"type":7,"error":null}`, "Expected 'error' to be of type String.", invalidData},
		{`{"type":8,"sequenceId":null}`, "Missing required property 'sequenceId'.", invalidData},
		{`{"type":9,"sequenceId":1,"sequenceId":null}`, "Missing required property 'sequenceId'.", invalidData},
		{`{"type":7,"allowReconnect":"yes"}`, "Expected 'allowReconnect' to be true or false.", invalidData},
		{`{"type":7,"allowReconnect":null}`, "Expected 'allowReconnect' to be true or false.", invalidData},
		// An empty id or target is none.
		{`{"type":1,"target":""}`, "Missing required property 'target'.", invalidData},
		{`{"type":1,"arguments":[]}`, "Missing required property 'target'.", invalidData},
		{`{"type":4,"invocationId":"","target":"x","arguments":[]}`, "Missing required property 'invocationId'.", invalidData},
		{`{"type":4,"target":"x","arguments":[]}`, "Missing required property 'invocationId'.", invalidData},
		{`{"type":2,"invocationId":"","item":1}`, "Missing required property 'invocationId'.", invalidData},
		{`{"type":3,"invocationId":""}`, "Missing required property 'invocationId'.", invalidData},
		{`{"type":5,"invocationId":""}`, "Missing required property 'invocationId'.", invalidData},
		{`{"type":5}`, "Missing required property 'invocationId'.", invalidData},
		{`{"type":8}`, "Missing required property 'sequenceId'.", invalidData},
		{`{"type":3,"invocationId":"1","error":"","result":null}`, "The 'error' and 'result' properties are mutually exclusive.", invalidData},
		// Headers and stream ids.
		{`{"type":1,"target":"x","arguments":[],"headers":null}`, "Expected 'headers' to be of type StartObject.", invalidData},
		{`{"type":1,"target":"x","arguments":[],"headers":[]}`, "Expected 'headers' to be of type StartObject.", invalidData},
		{`{"type":1,"target":"x","arguments":[],"headers":{"a":1}}`, "Expected header 'a' to be of type String.", invalidData},
		{`{"type":1,"target":"x","arguments":[],"headers":{"\u0061":{}}}`, "Expected header 'a' to be of type String.", invalidData},
		{`{"type":1,"target":"x","arguments":[],"streamIds":{}}`, "Expected 'streamIds' to be of type Array.", invalidData},
		{`{"type":1,"target":"x","arguments":[],"streamIds":"1"}`, "Expected 'streamIds' to be of type Array.", invalidData},
		{`{"type":1,"target":"x","arguments":[],"streamIds":["1",null]}`, "Null value for 'streamIds' is not valid.", invalidData},
		{`{"type":1,"target":"x","arguments":[],"streamIds":[1]}`, "Cannot get the value of a token type 'Number' as a string.", invalidOp},
		{`{"type":1,"target":"x","arguments":[],"streamIds":[{}]}`, "Cannot get the value of a token type 'StartObject' as a string.", invalidOp},
		{`{"type":1,"target":"x","arguments":[],"streamIds":[["1"]]}`, "Cannot get the value of a token type 'StartArray' as a string.", invalidOp},
		{`{"type":1,"target":"x","arguments":[],"streamIds":[false]}`, "Cannot get the value of a token type 'False' as a string.", invalidOp},
		{`{"type":1,"target":"x","arguments":[],"streamIds":[fals]}`, "Error reading JSON.", invalidData},
		{`{"type":1,"target":"x","arguments":"x"}`, "Expected 'arguments' to be of type Array.", invalidData},
	}
	for _, tt := range tests {
		var m Message
		_, err := JSON.Parse([]byte(tt.text+rs), &m)
		var pe *Error
		if !errors.As(err, &pe) || err.Error() != tt.want || pe.Kind() != tt.kind {
			t.Errorf("Parse(%s) = %v (%T), want %s: %q", tt.text, err, err, tt.kind, tt.want)
		}
	}
	// The text is general; what the scanner found is kept for logs.
	var m Message
	_, err := JSON.Parse([]byte(`{"type":1,"target":"x","arguments":[tru]}`+rs), &m)
	if cause := errors.Unwrap(err); cause == nil || cause.Error() != "'t' is an invalid start of a value or an unexpected character at position 36." {
		t.Errorf("cause of %v: %v", err, cause)
	}
	// 64 open, the record's own object and the arguments array included, is
	// the limit.
	if _, err := JSON.Parse([]byte(depth(62)+rs), &m); err != nil {
		t.Errorf("62 deep in the arguments: %v", err)
	}
	shallow := &JSONProtocol{MaxDepth: 4}
	if _, err := shallow.Parse([]byte(depth(2)+rs), &m); err != nil {
		t.Errorf("MaxDepth 4, 2 deep in the arguments: %v", err)
	}
	if _, err := shallow.Parse([]byte(depth(3)+rs), &m); err == nil || err.Error() != "Error reading JSON." {
		t.Errorf("MaxDepth 4, 3 deep in the arguments: %v", err)
	}
}

// TestParseAsDotNet checks what ASP.NET Core accepts beyond its own tables: a
// repeated property replaces what came before, and an empty target with
// arguments is left to the receiver, which has no such method.
func TestParseAsDotNet(t *testing.T) {
	tests := []struct {
		text string
		want Message
	}{
		{`{"type":1,"target":"a","target":"b","arguments":[1],"arguments":[2,3]}`, Message{Type: Invocation, Target: "b", RawArguments: []Raw{Raw("2"), Raw("3")}}},
		{`{"type":1,"target":"a","arguments":[],"streamIds":["1"],"streamIds":["2","3"]}`, Message{Type: Invocation, Target: "a", StreamIDs: []string{"2", "3"}}},
		{`{"type":1,"target":"a","arguments":[],"headers":{"x":"1","y":"2"},"headers":{"z":"3","z":"4"}}`, Message{Type: Invocation, Target: "a", Headers: map[string]string{"z": "4"}}},
		{`{"type":1,"target":"","arguments":[]}`, Message{Type: Invocation}},
		{`{"type":4,"invocationId":"1","target":"","arguments":[]}`, Message{Type: StreamInvocation, InvocationID: "1"}},
		{`{"type":6,"type":7}`, Message{Type: Close}},
		{`{"type":1,"target":"a","arguments":[],"streamIds":[""]}`, Message{Type: Invocation, Target: "a", StreamIDs: []string{""}}},
		{`{"type":1,"invocationId":"","target":"a","arguments":[]}`, Message{Type: Invocation, Target: "a"}},
		{`{"type":8,"sequenceId":null,"sequenceId":-1}`, Message{Type: Ack, SequenceID: -1}},
		{`{"type":3,"invocationId":"1","error":""}`, Message{Type: Completion, InvocationID: "1"}},
	}
	for _, tt := range tests {
		got := parseOne(t, tt.text+rs)
		if len(got.RawArguments) == 0 {
			got.RawArguments = nil
		}
		if len(got.StreamIDs) == 0 {
			got.StreamIDs = nil
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Parse(%s)\n got %+v\nwant %+v", tt.text, got, tt.want)
		}
	}
}

func TestParseIncompleteAndSeveral(t *testing.T) {
	data := []byte(`{"type":6}` + rs + `{"type":1,"target":"a","arguments":[1]}` + rs + `{"type":`)
	var m Message
	n, err := JSON.Parse(data, &m)
	if err != nil || n != 11 || m.Type != Ping {
		t.Fatalf("first: n=%d err=%v type=%v", n, err, m.Type)
	}
	data = data[n:]
	n, err = JSON.Parse(data, &m)
	if err != nil || m.Type != Invocation || string(m.RawArguments[0]) != "1" {
		t.Fatalf("second: n=%d err=%v %+v", n, err, m)
	}
	data = data[n:]
	if n, err = JSON.Parse(data, &m); n != 0 || err != nil {
		t.Fatalf("partial: n=%d err=%v, want 0 and nil", n, err)
	}
	if size, _ := JSON.MessageSize(data); size != 0 {
		t.Fatalf("MessageSize of a partial record = %d", size)
	}
}

func TestAppendRoundTrip(t *testing.T) {
	when := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	msgs := []Message{
		{Type: Invocation, InvocationID: "1", Target: "Echo", Arguments: []any{"a\"b\n\x01é\u2028", 1, int64(-2), uint8(3), 1.5, true, nil, when, []byte{1, 2, 3}, Raw(`{"x":1}`), map[string]int{"k": 1}}, StreamIDs: []string{"4"}, Headers: map[string]string{"h": "v"}},
		{Type: StreamInvocation, InvocationID: "2", Target: "S", Arguments: []any{}},
		{Type: StreamItem, InvocationID: "2", Item: "x"},
		{Type: Completion, InvocationID: "3"},
		{Type: Completion, InvocationID: "3", HasResult: true},
		{Type: Completion, InvocationID: "3", HasResult: true, Result: 42},
		{Type: Completion, InvocationID: "3", Error: "boom"},
		{Type: CancelInvocation, InvocationID: "2"},
		{Type: Ping},
		{Type: Close},
		{Type: Close, Error: "bye", AllowReconnect: true},
		{Type: Ack, SequenceID: 5},
		{Type: Sequence, SequenceID: 6},
	}
	for _, in := range msgs {
		b, err := JSON.Append(nil, &in)
		if err != nil {
			t.Fatalf("Append(%+v): %v", in, err)
		}
		if !json.Valid(b[:len(b)-1]) || b[len(b)-1] != RecordSeparator {
			t.Fatalf("Append(%+v) = %q, not a JSON record", in, b)
		}
		out := parseOne(t, string(b))
		if out.Type != in.Type || out.InvocationID != in.InvocationID || out.Target != in.Target ||
			out.Error != in.Error || out.AllowReconnect != in.AllowReconnect || out.HasResult != in.HasResult ||
			out.SequenceID != in.SequenceID || len(out.RawArguments) != len(in.Arguments) ||
			!reflect.DeepEqual(out.Headers, in.Headers) {
			t.Errorf("round trip of %+v gave %+v (%s)", in, out, b)
		}
		// Every argument decodes back to what encoding/json would give.
		for i, a := range in.Arguments {
			if _, ok := a.(Raw); ok {
				continue // written verbatim, checked below
			}
			want, _ := json.Marshal(a)
			var got, exp any
			json.Unmarshal(out.RawArguments[i], &got)
			json.Unmarshal(want, &exp)
			if !reflect.DeepEqual(got, exp) {
				t.Errorf("argument %d: wrote %s, encoding/json writes %s", i, out.RawArguments[i], want)
			}
		}
	}
}

func TestAppendRawVerbatim(t *testing.T) {
	b, _ := JSON.Append(nil, &Message{Type: Invocation, Target: "t", Arguments: []any{Raw(`{"x":1}`), Raw(nil)}})
	if want := `{"type":1,"target":"t","arguments":[{"x":1},null]}` + rs; string(b) != want {
		t.Errorf("got %q, want %q", b, want)
	}
}

func TestAppendVoidAndNullResult(t *testing.T) {
	void, _ := JSON.Append(nil, &Message{Type: Completion, InvocationID: "1"})
	null, _ := JSON.Append(nil, &Message{Type: Completion, InvocationID: "1", HasResult: true})
	if string(void) != `{"type":3,"invocationId":"1"}`+rs {
		t.Errorf("void completion = %q", void)
	}
	if string(null) != `{"type":3,"invocationId":"1","result":null}`+rs {
		t.Errorf("null completion = %q", null)
	}
}

// TestBytesLikeEncodingJSON: a nil []byte is null, an empty one "", as
// encoding/json writes them.
func TestBytesLikeEncodingJSON(t *testing.T) {
	for _, b := range [][]byte{nil, {}, []byte("hi\x00")} {
		got, err := appendJSON(nil, b)
		want, _ := json.Marshal(b)
		if err != nil || string(got) != string(want) {
			t.Errorf("%#v: got %s (%v), encoding/json %s", b, got, err, want)
		}
	}
}

func TestFloatsLikeEncodingJSON(t *testing.T) {
	for _, f := range []float64{0, 1, -1.5, 1e20, 1e21, 1e-6, 1e-7, 123456789.125, math.MaxFloat64, math.SmallestNonzeroFloat64} {
		got, err := appendJSON(nil, f)
		want, _ := json.Marshal(f)
		if err != nil || string(got) != string(want) {
			t.Errorf("float %v: got %s, encoding/json %s", f, got, want)
		}
		got32, _ := appendJSON(nil, float32(f))
		want32, _ := json.Marshal(float32(f))
		if !math.IsInf(float64(float32(f)), 0) && string(got32) != string(want32) {
			t.Errorf("float32 %v: got %s, encoding/json %s", float32(f), got32, want32)
		}
	}
	if _, err := appendJSON(nil, math.NaN()); err == nil {
		t.Error("NaN encoded without error")
	}
}

func TestDecode(t *testing.T) {
	var s string
	if err := JSON.Decode(Raw(`"a\"\u00e9\ud83d\ude00\n"`), &s); err != nil || s != "a\"é😀\n" {
		t.Errorf("string: %q %v", s, err)
	}
	if err := JSON.Decode(Raw(`"\ud83d"`), &s); err != nil || s != "\ufffd" {
		t.Errorf("lone surrogate: %q %v", s, err)
	}
	var n int
	if err := JSON.Decode(Raw(`-42`), &n); err != nil || n != -42 {
		t.Errorf("int: %d %v", n, err)
	}
	if err := JSON.Decode(Raw(`"42"`), &n); err == nil {
		t.Error("a string decoded into an int")
	}
	if err := JSON.Decode(Raw(`4.5`), &n); err == nil {
		t.Error("a fraction decoded into an int")
	}
	if err := JSON.Decode(Raw(`1`), &s); err == nil {
		t.Error("a number decoded into a string")
	}
	var b bool
	if err := JSON.Decode(Raw(`true`), &b); err != nil || !b {
		t.Errorf("bool: %v %v", b, err)
	}
	var f float64
	if err := JSON.Decode(Raw(`2.5e3`), &f); err != nil || f != 2500 {
		t.Errorf("float: %v %v", f, err)
	}
	var tm time.Time
	if err := JSON.Decode(Raw(`"2002-04-01T10:20:15Z"`), &tm); err != nil || !tm.Equal(time.Date(2002, 4, 1, 10, 20, 15, 0, time.UTC)) {
		t.Errorf("time: %v %v", tm, err)
	}
	s = "kept"
	if err := JSON.Decode(Raw(`null`), &s); err != nil || s != "kept" {
		t.Errorf("null into a string: %q %v", s, err)
	}
	var obj struct {
		Name  string `json:"name"`
		Value int
	}
	if err := JSON.Decode(Raw(`{"name":"n","value":3}`), &obj); err != nil || obj.Name != "n" || obj.Value != 3 {
		t.Errorf("struct: %+v %v", obj, err)
	}
	var raw Raw
	src := Raw(`[1]`)
	JSON.Decode(src, &raw)
	src[1] = '2'
	if string(raw) != "[1]" {
		t.Errorf("Raw shares the source buffer: %s", raw)
	}
}

func TestHandshake(t *testing.T) {
	req, n, err := ParseHandshakeRequest([]byte(`{"protocol":"json","version":1,"x":[]}` + rs + `{"type":6}` + rs))
	if err != nil || req != (HandshakeRequest{"json", 1}) || n != 39 {
		t.Fatalf("ParseHandshakeRequest = %+v, %d, %v", req, n, err)
	}
	if _, n, err := ParseHandshakeRequest([]byte(`{"protocol":"json",`)); n != 0 || err != nil {
		t.Fatalf("partial handshake: %d %v", n, err)
	}
	// More in aspnet_framing_test.go.
	for text, want := range map[string]string{
		`{"protocol":1}`: "Expected 'protocol' to be of type String.",
		`"nope"`:         "Expected a JSON Object.",
	} {
		if _, _, err := ParseHandshakeRequest([]byte(text + rs)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseHandshakeRequest(%s) = %v, want %q", text, err, want)
		}
	}
	if got := string(AppendHandshakeRequest(nil, HandshakeRequest{"json", 1})); got != `{"protocol":"json","version":1}`+rs {
		t.Errorf("AppendHandshakeRequest = %q", got)
	}
	if got := string(AppendHandshakeResponse(nil, "")); got != "{}"+rs {
		t.Errorf("success response = %q", got)
	}
	resp := AppendHandshakeResponse(nil, `bad "x"`)
	if e, n, err := ParseHandshakeResponse(resp); e != `bad "x"` || n != len(resp) || err != nil {
		t.Errorf("ParseHandshakeResponse = %q %d %v", e, n, err)
	}
	if _, _, err := ParseHandshakeResponse([]byte(`{"type":6}` + rs)); err == nil {
		t.Error("a message was taken for a handshake response")
	}
}

func TestCloneRaw(t *testing.T) {
	buf := []byte(`"a"123null`)
	raw := []Raw{buf[0:3], buf[3:6], buf[6:10]}
	got := CloneRaw(raw)
	buf[1], buf[3], buf[6] = 'x', '9', 'X'
	if string(got[0]) != `"a"` || string(got[1]) != "123" || string(got[2]) != "null" {
		t.Errorf("CloneRaw shares the source: %q", got)
	}
	if len(CloneRaw(nil)) != 0 {
		t.Error("CloneRaw(nil) is not empty")
	}
}

// TestAppendHeaders checks that headers come right after the type, sorted by
// key, as ASP.NET Core writes them (its dictionaries keep their insertion
// order, which its tests give sorted), and cost no allocation.
func TestAppendHeaders(t *testing.T) {
	h := map[string]string{"c": "3", "a": "1", "b": "2"}
	for range 20 { // map order varies from run to run
		b, err := JSON.Append(nil, &Message{Type: Completion, InvocationID: "1", Headers: h, Error: "e"})
		if want := `{"type":3,"headers":{"a":"1","b":"2","c":"3"},"invocationId":"1","error":"e"}` + rs; err != nil || string(b) != want {
			t.Fatalf("got %s, want %s", b, want)
		}
	}
	m := Message{Type: StreamItem, InvocationID: "1", Headers: h, Item: 1}
	buf := make([]byte, 0, 256)
	if n := testing.AllocsPerRun(100, func() { buf, _ = JSON.Append(buf[:0], &m) }); n != 0 {
		t.Errorf("%v allocations to write 3 headers", n)
	}
	if n := testing.AllocsPerRun(100, func() { buf, _ = MessagePack.Append(buf[:0], &m) }); n != 0 {
		t.Errorf("%v allocations to write 3 headers in MessagePack", n)
	}
}
