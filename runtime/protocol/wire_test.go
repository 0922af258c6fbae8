package protocol

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// escapeAll writes every character of name as a \uXXXX escape.
func escapeAll(name string) string {
	var b strings.Builder
	for _, r := range name {
		fmt.Fprintf(&b, `\u%04x`, r)
	}
	return b.String()
}

// TestParseEscapedNames checks that envelope property names are matched after
// unescaping, as System.Text.Json's ValueTextEquals does.
func TestParseEscapedNames(t *testing.T) {
	tests := []struct {
		text string
		want Message
	}{
		{`{"\u0074ype":6}`, Message{Type: Ping}},
		{`{"` + escapeAll("type") + `":6}`, Message{Type: Ping}},
		{`{"type":1,"\u0069nvocationId":"7","target":"E","arguments":[]}`, Message{Type: Invocation, InvocationID: "7", Target: "E"}},
		{`{"type":1,"t\u0061rget":"E","arguments":[]}`, Message{Type: Invocation, Target: "E"}},
		{`{"type":1,"target":"E","\u0061rguments":[1]}`, Message{Type: Invocation, Target: "E", RawArguments: []Raw{Raw("1")}}},
		{`{"type":1,"target":"E","arguments":[],"stre\u0061mIds":["8"]}`, Message{Type: Invocation, Target: "E", StreamIDs: []string{"8"}}},
		{`{"type":2,"invocationId":"1","\u0069tem":5}`, Message{Type: StreamItem, InvocationID: "1", RawItem: Raw("5")}},
		{`{"type":3,"invocationId":"1","r\u0065sult":5}`, Message{Type: Completion, InvocationID: "1", RawResult: Raw("5"), HasResult: true}},
		{`{"type":3,"invocationId":"1","\u0065rror":"x"}`, Message{Type: Completion, InvocationID: "1", Error: "x"}},
		{`{"type":7,"\u0061llowReconnect":true}`, Message{Type: Close, AllowReconnect: true}},
		{`{"type":7,"` + escapeAll("allowReconnect") + `":true}`, Message{Type: Close, AllowReconnect: true}},
		{`{"type":1,"target":"E","arguments":[],"h\u0065aders":{"a":"b"}}`, Message{Type: Invocation, Target: "E", Headers: map[string]string{"a": "b"}}},
		{`{"type":8,"s\u0065quenceId":3}`, Message{Type: Ack, SequenceID: 3}},
		{`{"type":1,"` + escapeAll("invocationId") + `":"7","` + escapeAll("target") + `":"E","` + escapeAll("arguments") + `":[]}`,
			Message{Type: Invocation, InvocationID: "7", Target: "E"}},
		// An escaped name longer than any envelope name is skipped like any unknown one.
		{`{"type":6,"` + escapeAll(strings.Repeat("x", 40)) + `":1}`, Message{Type: Ping}},
		// Escapes other than \u: still no match for a different name.
		{`{"type":6,"type\n":"x"}`, Message{Type: Ping}},
	}
	for _, tt := range tests {
		got := parseOne(t, tt.text+rs)
		if tt.want.RawArguments == nil && len(got.RawArguments) == 0 {
			got.RawArguments = nil
		}
		if tt.want.StreamIDs == nil && len(got.StreamIDs) == 0 {
			got.StreamIDs = nil
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Parse(%s)\n got %+v\nwant %+v", tt.text, got, tt.want)
		}
	}
	// Names stay case-sensitive once unescaped.
	var m Message
	if _, err := JSON.Parse([]byte(`{"\u0054ype":6}`+rs), &m); err == nil || err.Error() != "Missing required property 'type'." {
		t.Errorf(`escaped "Type" = %v, want the type missing`, err)
	}
}

// TestParseIgnoresTrailingData checks that what follows the first object of a
// record is ignored, as ASP.NET Core's JSON hub protocol ignores it, and that the
// next record is read as usual.
func TestParseIgnoresTrailingData(t *testing.T) {
	tests := []struct {
		text string
		want Type
	}{
		{`{"type":6}{"type":6}`, Ping},
		{`{"type":6} trailing`, Ping},
		{`{"type":6} x`, Ping},
		{`{"type":6}}`, Ping},
		{`{"type":6}]`, Ping},
		{`{"type":6},{"type":7}`, Ping},
		{`{"type":7}{"type":6}`, Close},
		{`{"type":1,"target":"a","arguments":[1]}garbage[`, Invocation},
		{` {"type":6} `, Ping},
		{"\r\n\t{\"type\":6}\n\t ", Ping},
	}
	for _, tt := range tests {
		data := []byte(tt.text + rs + `{"type":6}` + rs)
		var m Message
		n, err := JSON.Parse(data, &m)
		if err != nil || m.Type != tt.want || n != len(tt.text)+1 {
			t.Errorf("Parse(%q) = %d, %v, type %v; want %d, nil, type %v", tt.text, n, err, m.Type, len(tt.text)+1, tt.want)
			continue
		}
		if n, err := JSON.Parse(data[n:], &m); err != nil || m.Type != Ping || n != 11 {
			t.Errorf("record after %q: %d, %v, type %v", tt.text, n, err, m.Type)
		}
	}
	// The object itself must still be complete and well-formed.
	for text, want := range map[string]string{
		`{"type":6`:              "Error reading JSON.",
		`{"type":6,}`:            "Error reading JSON.",
		`{"type":6 "x":1}`:       "Error reading JSON.",
		`{"type":"6"}{"type":6}`: "Expected 'type' to be of type Number.",
	} {
		var m Message
		if _, err := JSON.Parse([]byte(text+rs), &m); err == nil || err.Error() != want {
			t.Errorf("Parse(%s) = %v, want %q", text, err, want)
		}
	}
}

// TestHandshakeWire checks the handshake's escaped names, trailing data and
// null protocol against what ASP.NET Core's HandshakeProtocol does.
func TestHandshakeWire(t *testing.T) {
	for _, tt := range []struct {
		text string
		want HandshakeRequest
	}{
		{`{"\u0070rotocol":"json","v\u0065rsion":1}`, HandshakeRequest{"json", 1}},
		{`{"` + escapeAll("protocol") + `":"json","` + escapeAll("version") + `":2}`, HandshakeRequest{"json", 2}},
		{`{"protocol":"json","version":1}{"protocol":"xml","version":9}`, HandshakeRequest{"json", 1}},
		{`{"protocol":"messagepack","version":1} trailing`, HandshakeRequest{"messagepack", 1}},
		{`{"protocol":"json","version":1}}`, HandshakeRequest{"json", 1}},
		{` {"protocol":"json","version":1} `, HandshakeRequest{"json", 1}},
		{`{"protocol":"","version":1}`, HandshakeRequest{"", 1}},
	} {
		req, n, err := ParseHandshakeRequest([]byte(tt.text + rs + `{"type":6}` + rs))
		if err != nil || req != tt.want || n != len(tt.text)+1 {
			t.Errorf("ParseHandshakeRequest(%s) = %+v, %d, %v; want %+v, %d", tt.text, req, n, err, tt.want, len(tt.text)+1)
		}
	}
	for _, tt := range []struct{ text, want string }{
		{`{"protocol":null,"version":1}`, "Expected 'protocol' to be of type String."},
		{`{"version":1,"protocol":null}`, "Expected 'protocol' to be of type String."},
		{`{"protocol":1,"version":1}`, "Expected 'protocol' to be of type String."},
		{`{"protocol":["json"],"version":1}`, "Expected 'protocol' to be of type String."},
		{`{"protocol":true,"version":1}`, "Expected 'protocol' to be of type String."},
		{`{"\u0070rotocol":null,"version":1}`, "Expected 'protocol' to be of type String."},
		{`{"version":1}{"protocol":"json"}`, `Missing required property 'protocol'. Message content: {"version":1}{"protocol":"json"}`},
	} {
		_, _, err := ParseHandshakeRequest([]byte(tt.text + rs))
		if err == nil || err.Error() != tt.want {
			t.Errorf("ParseHandshakeRequest(%s) = %v, want %q", tt.text, err, tt.want)
		}
	}
	for _, tt := range []struct{ text, want string }{
		{`{}{"error":"x"}`, ""},
		{`{"error":"e"} trailing`, "e"},
		{`{"\u0065rror":"e"}`, "e"},
	} {
		e, n, err := ParseHandshakeResponse([]byte(tt.text + rs))
		if err != nil || e != tt.want || n != len(tt.text)+1 {
			t.Errorf("ParseHandshakeResponse(%s) = %q, %d, %v; want %q", tt.text, e, n, err, tt.want)
		}
	}
	if _, _, err := ParseHandshakeResponse([]byte(`{"\u0074ype":6}` + rs)); err == nil {
		t.Error("a message with an escaped type was taken for a handshake response")
	}
}

// TestParseAllocations checks that the scanner allocates nothing for a ping, and
// nothing more for escaped names than for plain ones.
func TestParseAllocations(t *testing.T) {
	for _, tt := range []struct {
		text   string
		allocs float64
	}{
		{`{"type":6}`, 0},
		{`{"\u0074ype":6}`, 0},
		{`{"type":7,"` + escapeAll("allowReconnect") + `":true}`, 0},
		{`{"type":1,"invocationId":"1","target":"E","arguments":[]}`, 1},
		{`{"type":1,"\u0069nvocationId":"1","t\u0061rget":"E","\u0061rguments":[]}`, 1},
	} {
		data := []byte(tt.text + rs)
		var m Message
		got := testing.AllocsPerRun(100, func() {
			if _, err := JSON.Parse(data, &m); err != nil {
				t.Fatal(err)
			}
		})
		if got != tt.allocs {
			t.Errorf("Parse(%s): %v allocations, want %v", tt.text, got, tt.allocs)
		}
	}
}
