package client_test

import (
	"runtime"
	"testing"
	"time"

	"github.com/hubgen/hubgen/runtime/protocol"
)

// BenchmarkInvokeProtocols compares MessagePack with JSON end to end: Invoke
// of Echo with a 64-byte string by 64 callers at once, over loopback
// WebSockets to the hub server in the same process. The protocols run in
// alternate rounds, so that a change in the machine's load affects both.
// Metrics, for each protocol: calls/s, and allocs/call and B/call, the client's
// and the server's together; "ratio" is MessagePack's calls/s over JSON's.
//
// shared: the 64 callers share one Conn; conns: each has a Conn of its own.
func BenchmarkInvokeProtocols(b *testing.B) {
	protos := []protocol.Protocol{protocol.JSON, protocol.MessagePack}
	for _, conns := range []int{1, callers} {
		name := "shared"
		if conns > 1 {
			name = "conns"
		}
		b.Run(name, func(b *testing.B) {
			trips := make([]func(g int) error, len(protos))
			for i, p := range protos {
				trips[i] = invokeTrip(b, conns, p)
			}
			const rounds = 10
			elapsed := make([]time.Duration, len(protos))
			mallocs := make([]uint64, len(protos))
			bytes := make([]uint64, len(protos))
			var before, after runtime.MemStats
			for r := range rounds {
				n := b.N / rounds
				if r < b.N%rounds {
					n++
				}
				for i, trip := range trips {
					runtime.ReadMemStats(&before)
					elapsed[i] += roundTrips(b, n, trip)
					runtime.ReadMemStats(&after)
					mallocs[i] += after.Mallocs - before.Mallocs
					bytes[i] += after.TotalAlloc - before.TotalAlloc
				}
			}
			calls := make([]float64, len(protos))
			for i, p := range protos {
				calls[i] = float64(b.N) / elapsed[i].Seconds()
				b.ReportMetric(calls[i], p.Name()+"-calls/s")
				b.ReportMetric(float64(mallocs[i])/float64(b.N), p.Name()+"-allocs/call")
				b.ReportMetric(float64(bytes[i])/float64(b.N), p.Name()+"-B/call")
			}
			b.ReportMetric(calls[1]/calls[0], "ratio")
			b.ReportMetric(0, "ns/op") // both protocols ran in each op: see calls/s
		})
	}
}
