package protocol

import "testing"

// benchMessages are the messages a hub parses and writes most: an invocation
// as the official clients send it, its completion, a stream item and a ping.
var benchMessages = []struct {
	name string
	m    Message
}{
	{"Invocation", Message{Type: Invocation, InvocationID: "12", Target: "Echo", Arguments: []any{"hello", 42, true}}},
	{"Completion", Message{Type: Completion, InvocationID: "12", Result: "hello", HasResult: true}},
	{"StreamItem", Message{Type: StreamItem, InvocationID: "12", Item: 42}},
	{"Ping", Message{Type: Ping}},
}

// BenchmarkMessagePackParse measures the MessagePack reader on those messages.
func BenchmarkMessagePackParse(b *testing.B) {
	for _, bm := range benchMessages {
		data, err := MessagePack.Append(nil, &bm.m)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bm.name, func(b *testing.B) {
			var m Message
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := MessagePack.Parse(data, &m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAppend measures both protocols' writers on those messages.
func BenchmarkAppend(b *testing.B) {
	for _, p := range []Protocol{JSON, MessagePack} {
		for _, bm := range benchMessages {
			b.Run(p.Name()+"/"+bm.name, func(b *testing.B) {
				buf := make([]byte, 0, 256)
				b.ReportAllocs()
				for b.Loop() {
					var err error
					if buf, err = p.Append(buf[:0], &bm.m); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
