package protocol

import "testing"

// FuzzJSONParse feeds arbitrary bytes to the JSON reader: it must never panic,
// and whatever it accepts must survive a round trip through Append.
func FuzzJSONParse(f *testing.F) {
	for _, seed := range []string{
		`{"type":1,"invocationId":"1","target":"Echo","arguments":["hi",{"a":[1,null]}]}`,
		`{"type":3,"invocationId":"1","result":{"x":"\u00e9"}}`,
		`{"type":7,"error":"e","allowReconnect":true}`,
		`{"arguments":[],"streamIds":["1"],"target":"t","type":4,"invocationId":"2","headers":{"a":"b"}}`,
		`{"type":6}{"type":`,
		`{"\u0074ype":7,"\u0061llowReconnect":true} trailing`,
	} {
		f.Add([]byte(seed + rs))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var m Message
		for len(data) > 0 {
			n, err := JSON.Parse(data, &m)
			if err != nil || n == 0 {
				return
			}
			data = data[n:]
			var out Message
			out.Type, out.InvocationID, out.Target, out.StreamIDs, out.Headers = m.Type, m.InvocationID, m.Target, m.StreamIDs, m.Headers
			out.Error, out.AllowReconnect, out.SequenceID = m.Error, m.AllowReconnect, m.SequenceID
			for _, a := range m.RawArguments {
				out.Arguments = append(out.Arguments, a)
			}
			out.Item, out.Result, out.HasResult = m.RawItem, m.RawResult, m.HasResult
			b, err := JSON.Append(nil, &out)
			if err != nil {
				t.Fatalf("Append of a parsed message: %v", err)
			}
			var back Message
			if _, err := JSON.Parse(b, &back); err != nil && m.Type >= Invocation && m.Type <= Sequence {
				t.Fatalf("re-parse of %q: %v", b, err)
			}
		}
	})
}

// FuzzHandshake checks the handshake reader never panics.
func FuzzHandshake(f *testing.F) {
	f.Add([]byte(`{"protocol":"json","version":1}` + rs))
	f.Add([]byte(`{"error":"x"}` + rs))
	f.Add([]byte(`{"\u0070rotocol":null,"version":1}{"protocol":"json"}` + rs))
	f.Fuzz(func(t *testing.T, data []byte) {
		ParseHandshakeRequest(data)
		ParseHandshakeResponse(data)
	})
}

// FuzzMessagePackParse feeds arbitrary bytes to the MessagePack reader: it must
// never panic, and whatever it accepts must survive a round trip.
func FuzzMessagePackParse(f *testing.F) {
	for _, m := range []Message{
		{Type: Invocation, InvocationID: "1", Target: "Echo", Arguments: []any{"hi", 1, []byte{1}, map[string]any{"a": []any{1.5, nil}}}},
		{Type: StreamInvocation, InvocationID: "2", Target: "S", StreamIDs: []string{"3"}, Headers: map[string]string{"a": "b"}},
		{Type: Completion, InvocationID: "1", HasResult: true, Result: "x"},
		{Type: Completion, InvocationID: "1", Error: "e"},
		{Type: Close, Error: "e", AllowReconnect: true},
		{Type: Ping},
	} {
		b, _ := MessagePack.Append(nil, &m)
		f.Add(b)
	}
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, data []byte) {
		var m Message
		for len(data) > 0 {
			n, err := MessagePack.Parse(data, &m)
			if err != nil || n == 0 {
				return
			}
			data = data[n:]
			if m.Type < Invocation || m.Type > Sequence {
				continue
			}
			out := Message{Type: m.Type, InvocationID: m.InvocationID, Target: m.Target, StreamIDs: m.StreamIDs, Headers: m.Headers,
				Error: m.Error, AllowReconnect: m.AllowReconnect, SequenceID: m.SequenceID, Item: m.RawItem, Result: m.RawResult, HasResult: m.HasResult}
			for _, a := range m.RawArguments {
				out.Arguments = append(out.Arguments, a)
			}
			b, err := MessagePack.Append(nil, &out)
			if err != nil {
				t.Fatalf("Append of a parsed message: %v", err)
			}
			var back Message
			if _, err := MessagePack.Parse(b, &back); err != nil {
				t.Fatalf("re-parse of %x: %v", b, err)
			}
		}
	})
}
