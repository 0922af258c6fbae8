package protocol

import (
	"bytes"
	"testing"
)

// The vectors of ASP.NET Core's HandshakeProtocolTests.cs,
// TextMessageParserTests.cs and BinaryMessageParserTests.cs. Not expressible
// here: ParsingHandshakeResponseMessageSuccessForValidMessages' '{"error":""}',
// which .NET reads as an error "" apart from no error and a Go string cannot.
// The multi-segment tests feed the record a byte at a time instead, as a
// []byte is one segment.

// TestHandshakeRequestVectors is ParsingHandshakeRequestMessageSuccessForValidMessages,
// ...WithMultipleSegments and ParsingHandshakeRequestNotCompleteReturnsFalse.
func TestHandshakeRequestVectors(t *testing.T) {
	for _, tt := range []struct {
		json string
		want HandshakeRequest
	}{
		{`{"protocol":"dummy","version":1}`, HandshakeRequest{"dummy", 1}},
		{`{"protocol":"","version":10}`, HandshakeRequest{"", 10}},
		{`{"protocol":"","version":10,"unknown":null}`, HandshakeRequest{"", 10}},
		{`{"protocol":"firstProtocol","protocol":"secondProtocol","version":1}`, HandshakeRequest{"secondProtocol", 1}},
		{`{"protocol":"firstProtocol","protocol":"secondProtocol","version":1,"version":75}`, HandshakeRequest{"secondProtocol", 75}},
		{`{"protocol":"dummy","version":1,"ignoredField":99}`, HandshakeRequest{"dummy", 1}},
		{`{"protocol":"dummy","version":1}{"protocol":"wrong","version":99}`, HandshakeRequest{"dummy", 1}},
		{`{"protocol":"\u0064ummy","version":1}`, HandshakeRequest{"dummy", 1}},
		{`{"\u0070rotoco\u006c":"\u0064ummy","version":1}`, HandshakeRequest{"dummy", 1}},
	} {
		req, n, err := ParseHandshakeRequest([]byte(tt.json + rs))
		if err != nil || req != tt.want || n != len(tt.json)+1 {
			t.Errorf("ParseHandshakeRequest(%s) = %+v, %d, %v; want %+v", tt.json, req, n, err, tt.want)
		}
	}
	// A byte at a time: nothing until the separator.
	data := []byte(`{"protocol":"json","version":1}` + rs)
	for i := range data {
		if _, n, err := ParseHandshakeRequest(data[:i]); n != 0 || err != nil {
			t.Fatalf("%d bytes: %d, %v", i, n, err)
		}
	}
	if req, n, err := ParseHandshakeRequest(data); err != nil || req != (HandshakeRequest{"json", 1}) || n != len(data) {
		t.Errorf("whole: %+v, %d, %v", req, n, err)
	}
	if _, n, err := ParseHandshakeRequest([]byte("42")); n != 0 || err != nil {
		t.Errorf("not complete: %d, %v", n, err)
	}
}

// TestHandshakeRequestInvalid is ParsingHandshakeRequestMessageThrowsForInvalidMessages.
func TestHandshakeRequestInvalid(t *testing.T) {
	for _, tt := range []struct{ json, want string }{
		{`42`, "Unexpected JSON Token Type 'Number'. Expected a JSON Object."},
		{`"42"`, "Unexpected JSON Token Type 'String'. Expected a JSON Object."},
		{`null`, "Unexpected JSON Token Type 'Null'. Expected a JSON Object."},
		{`{}`, "Missing required property 'protocol'. Message content: {}"},
		{`[]`, "Unexpected JSON Token Type 'Array'. Expected a JSON Object."},
		{`{"protocol":"json"}`, `Missing required property 'version'. Message content: {"protocol":"json"}`},
		{`{"version":1}`, `Missing required property 'protocol'. Message content: {"version":1}`},
		{`{"type":4,"invocationId":"42","target":"foo","arguments":{}}`, `Missing required property 'protocol'. Message content: {"type":4,"invocationId":"42","target":"foo","arguments":{}}`},
		{`{"version":"123"}`, "Expected 'version' to be of type Number."},
		{`{"protocol":null,"version":123}`, "Expected 'protocol' to be of type String."},
	} {
		_, _, err := ParseHandshakeRequest([]byte(tt.json + rs))
		pe, ok := err.(*Error)
		if !ok || err.Error() != tt.want || pe.Kind() != "InvalidDataException" {
			t.Errorf("ParseHandshakeRequest(%s) = %v (%T), want %q", tt.json, err, err, tt.want)
		}
	}
	// Beyond the table, as HandshakeProtocol reads them: version is
	// ReadAsInt32 (null is none, a non-integer GetInt32's FormatException),
	// and JSON that is not well-formed System.Text.Json's exception.
	for _, tt := range []struct{ json, want, kind string }{
		{`{"protocol":"json","version":null}`, `Missing required property 'version'. Message content: {"protocol":"json","version":null}`, "InvalidDataException"},
		{`{"protocol":"json","version":1,"version":null}`, `Missing required property 'version'. Message content: {"protocol":"json","version":1,"version":null}`, "InvalidDataException"},
		{`{"protocol":"json","version":1.5}`, "Either the JSON value is not in a supported format, or is out of bounds for an Int32.", "FormatException"},
		{`{"protocol":"json","version":true}`, "Expected 'version' to be of type Number.", "InvalidDataException"},
		{`{"protocol":["json"],"version":1}`, "Expected 'protocol' to be of type String.", "InvalidDataException"},
		{`{"protocol":"json","version":1`, "Unexpected end when reading JSON.", "JsonReaderException"},
		{`{"protocol":"json",,}`, `',' is an invalid start of a value or an unexpected character at position 19.`, "JsonReaderException"},
	} {
		_, _, err := ParseHandshakeRequest([]byte(tt.json + rs))
		pe, ok := err.(*Error)
		if !ok || err.Error() != tt.want || pe.Kind() != tt.kind {
			t.Errorf("ParseHandshakeRequest(%s) = %v (%T), want %s: %q", tt.json, err, err, tt.kind, tt.want)
		}
	}
}

// TestHandshakeResponseVectors is ParsingHandshakeResponseMessageSuccessForValidMessages,
// ...WithMultipleSegments and ParsingHandshakeResponseMessageThrowsForInvalidMessages.
func TestHandshakeResponseVectors(t *testing.T) {
	for _, tt := range []struct{ json, want string }{
		{`{"error":"dummy"}`, "dummy"},
		{`{}`, ""},
		{`{"unknown":null}`, ""},
	} {
		e, n, err := ParseHandshakeResponse([]byte(tt.json + rs))
		if err != nil || e != tt.want || n != len(tt.json)+1 {
			t.Errorf("ParseHandshakeResponse(%s) = %q, %d, %v; want %q", tt.json, e, n, err, tt.want)
		}
	}
	data := []byte(`{"error":"dummy"}` + rs)
	for i := range data {
		if _, n, err := ParseHandshakeResponse(data[:i]); n != 0 || err != nil {
			t.Fatalf("%d bytes: %d, %v", i, n, err)
		}
	}
	for _, tt := range []struct{ json, want string }{
		{`42`, "Unexpected JSON Token Type 'Number'. Expected a JSON Object."},
		{`"42"`, "Unexpected JSON Token Type 'String'. Expected a JSON Object."},
		{`null`, "Unexpected JSON Token Type 'Null'. Expected a JSON Object."},
		{`[]`, "Unexpected JSON Token Type 'Array'. Expected a JSON Object."},
		{`{"error":null}`, "Expected 'error' to be of type String."},
	} {
		_, _, err := ParseHandshakeResponse([]byte(tt.json + rs))
		if err == nil || err.Error() != tt.want {
			t.Errorf("ParseHandshakeResponse(%s) = %v, want %q", tt.json, err, tt.want)
		}
	}
}

// TestTextMessageParser is TextMessageParserTests: JSON's framing, through
// MessageSize, which finds a record and its separator.
func TestTextMessageParser(t *testing.T) {
	records := func(data string) (got []string, rest string) {
		b := []byte(data)
		for {
			n, err := JSON.MessageSize(b)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				return got, string(b)
			}
			got = append(got, string(b[:n-1]))
			b = b[n:]
		}
	}
	for _, tt := range []struct {
		data string
		want []string
		rest string
	}{
		{"ABC" + rs, []string{"ABC"}, ""},                                // ReadMessage
		{"ABC", nil, "ABC"},                                              // TryReadingIncompleteMessage
		{"ABC" + rs + "XYZ" + rs, []string{"ABC", "XYZ"}, ""},            // TryReadingMultipleMessages
		{"ABC" + rs + "XYZ" + rs + "123", []string{"ABC", "XYZ"}, "123"}, // IncompleteTrailingMessage
	} {
		got, rest := records(tt.data)
		if len(got) != len(tt.want) || rest != tt.rest {
			t.Errorf("%q: %q, rest %q; want %q, rest %q", tt.data, got, rest, tt.want, tt.rest)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("%q: %q, want %q", tt.data, got, tt.want)
			}
		}
	}
}

// TestBinaryMessageParser is BinaryMessageParserTests: MessagePack's framing,
// through MessageSize and the length prefix.
func TestBinaryMessageParser(t *testing.T) {
	payload := func(encoded []byte) []byte {
		t.Helper()
		n, err := MessagePack.MessageSize(encoded)
		if err != nil || n != len(encoded) {
			t.Fatalf("MessageSize(%x) = %d, %v; want %d", encoded, n, err, len(encoded))
		}
		_, prefix, _ := readVarInt(encoded)
		return encoded[prefix:]
	}
	var seq []byte
	for i := range 128 {
		seq = append(seq, byte(i))
	}
	for _, tt := range []struct{ encoded, want []byte }{
		// ReadMessage
		{[]byte{0x00}, []byte("")},
		{[]byte{0x03, 0x41, 0x42, 0x43}, []byte("ABC")},
		{[]byte{0x0B, 0x41, 0x0A, 0x52, 0x0D, 0x43, 0x0D, 0x0A, 0x3B, 0x44, 0x45, 0x46}, []byte("A\nR\rC\r\n;DEF")},
		// ReadBinaryMessage
		{[]byte{0x04, 0xAB, 0xCD, 0xEF, 0x12}, []byte{0xAB, 0xCD, 0xEF, 0x12}},
		{append([]byte{0x80, 0x01}, seq...), seq},
	} {
		if got := payload(tt.encoded); !bytes.Equal(got, tt.want) {
			t.Errorf("%x: payload %x, want %x", tt.encoded, got, tt.want)
		}
	}
	// BinaryMessageParserThrowsForMessagesOver2GB
	for _, b := range [][]byte{{0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, {0x80, 0x80, 0x80, 0x80, 0x08}, {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}} {
		_, err := MessagePack.MessageSize(b)
		pe, ok := err.(*Error)
		if !ok || err.Error() != "Messages over 2GB in size are not supported." || pe.Kind() != "FormatException" {
			t.Errorf("%x: %v (%T)", b, err, err)
		}
	}
	// BinaryMessageParserReturnsFalseForPartialPayloads, ReadIncompleteMessages
	for _, b := range [][]byte{{}, {0x04, 0xAB, 0xCD, 0xEF}, {0xFF, 0xFF, 0xFF, 0xFF, 0x07}, {0x80}, {0x09, 0x00, 0x00}} {
		if n, err := MessagePack.MessageSize(b); n != 0 || err != nil {
			t.Errorf("%x: %d, %v; want an incomplete message", b, n, err)
		}
	}
	// ReadMultipleMessages
	data := []byte{0x00, 0x0E, 0x48, 0x65, 0x6C, 0x6C, 0x6F, 0x2C, 0x0D, 0x0A, 0x57, 0x6F, 0x72, 0x6C, 0x64, 0x21}
	var got [][]byte
	for len(data) > 0 {
		n, err := MessagePack.MessageSize(data)
		if err != nil || n == 0 {
			t.Fatalf("MessageSize(%x) = %d, %v", data, n, err)
		}
		_, prefix, _ := readVarInt(data)
		got = append(got, data[prefix:n])
		data = data[n:]
	}
	if len(got) != 2 || len(got[0]) != 0 || string(got[1]) != "Hello,\r\nWorld!" {
		t.Errorf("several messages: %q", got)
	}
}
