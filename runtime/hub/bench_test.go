package hub

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hubgen/hubgen/runtime/protocol"
	"github.com/hubgen/hubgen/runtime/transport"
)

// discard is a carrier that drops what it is given.
type discard struct{ writes int }

func (*discard) Next() ([]byte, error)  { select {} }
func (d *discard) Write(p []byte) error { d.writes++; return nil }
func (*discard) Close() error           { return nil }

// testConn returns a connection of srv over carrier, not yet served.
func testConn(srv *Server, carrier transport.Carrier) *Conn {
	lc := transport.NewConn(transport.WebSockets, "id", httptest.NewRequest("GET", "/", nil), nil, carrier)
	return newConn(srv, lc)
}

// BenchmarkDispatch measures the server's work for one invocation without a
// socket: parse the frame, find the method, decode its argument, call it,
// encode the completion and hand it to the transport.
func BenchmarkDispatch(b *testing.B) {
	echo := Method{Name: "Echo", Args: 1, Call: func(ctx context.Context, a Args) (any, error) {
		return Arg[string](a, 0)
	}}
	srv := New([]Method{echo}, Options{Logger: slog.New(slog.DiscardHandler)})
	t := &discard{}
	c := testConn(srv, t)
	if err := c.read([]byte(`{"protocol":"json","version":1}` + "\x1e")); err != nil {
		b.Fatal(err)
	}
	frame := []byte(`{"type":1,"invocationId":"123","target":"Echo","arguments":["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"]}` + "\x1e")
	b.ReportAllocs()
	for b.Loop() {
		if err := c.read(frame); err != nil {
			b.Fatal(err)
		}
	}
	if t.writes == 0 {
		b.Fatal("nothing was written")
	}
}

// BenchmarkDispatchProtocols is BenchmarkDispatch for each protocol, in the
// same run: the server's work for an Echo of a 64-byte string, from the frame
// to the completion handed to the transport.
func BenchmarkDispatchProtocols(b *testing.B) {
	echo := Method{Name: "Echo", Args: 1, Call: func(ctx context.Context, a Args) (any, error) {
		return Arg[string](a, 0)
	}}
	srv := New([]Method{echo}, Options{Logger: slog.New(slog.DiscardHandler)})
	for _, p := range []protocol.Protocol{protocol.JSON, protocol.MessagePack} {
		b.Run(p.Name(), func(b *testing.B) {
			t := &discard{}
			c := testConn(srv, t)
			if err := c.read(protocol.AppendHandshakeRequest(nil, protocol.HandshakeRequest{Protocol: p.Name(), Version: 1})); err != nil {
				b.Fatal(err)
			}
			frame, err := p.Append(nil, &protocol.Message{Type: protocol.Invocation, InvocationID: "123", Target: "Echo",
				Arguments: []any{strings.Repeat("a", 64)}})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := c.read(frame); err != nil {
					b.Fatal(err)
				}
			}
			if t.writes < 2 {
				b.Fatal("nothing was written")
			}
		})
	}
}
