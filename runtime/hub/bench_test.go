package hub

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hubgen/hubgen/runtime/protocol"
)

// discard is a transport that drops what it is given.
type discard struct{ writes int }

func (*discard) name() string                          { return "discard" }
func (*discard) supports(protocol.TransferFormat) bool { return true }
func (d *discard) write(p []byte) error                { d.writes++; return nil }
func (*discard) closeWrite()                           {}
func (*discard) abort()                                {}
func (*discard) direct() bool                          { return true }
func (*discard) tick(time.Time) bool                   { return false }

// frameReader reads one frame again and again without allocating.
type frameReader struct {
	frame []byte
	off   int
}

func (r *frameReader) Read(p []byte) (int, error) {
	if r.off == len(r.frame) {
		return 0, io.EOF
	}
	n := copy(p, r.frame[r.off:])
	r.off += n
	return n, nil
}

// BenchmarkDispatch measures the server's work for one invocation without a
// socket: parse the frame, find the method, decode its argument, call it,
// encode the completion and hand it to the transport.
func BenchmarkDispatch(b *testing.B) {
	echo := Method{Name: "Echo", Args: 1, Call: func(ctx context.Context, a Args) (any, error) {
		return Arg[string](a, 0)
	}}
	srv := New([]Method{echo}, Options{Logger: slog.New(slog.DiscardHandler)})
	c := newConn(srv, "id", "", httptest.NewRequest("GET", "/", nil), nil)
	t := &discard{}
	c.t = t
	r := &frameReader{frame: []byte(`{"protocol":"json","version":1}` + "\x1e")}
	if err := c.read(r, true); err != nil {
		b.Fatal(err)
	}
	r.frame = []byte(`{"type":1,"invocationId":"123","target":"Echo","arguments":["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"]}` + "\x1e")
	b.ReportAllocs()
	for b.Loop() {
		r.off = 0
		if err := c.read(r, true); err != nil {
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
			c := newConn(srv, "id", "", httptest.NewRequest("GET", "/", nil), nil)
			t := &discard{}
			c.t = t
			r := &frameReader{frame: protocol.AppendHandshakeRequest(nil, protocol.HandshakeRequest{Protocol: p.Name(), Version: 1})}
			if err := c.read(r, true); err != nil {
				b.Fatal(err)
			}
			frame, err := p.Append(nil, &protocol.Message{Type: protocol.Invocation, InvocationID: "123", Target: "Echo",
				Arguments: []any{strings.Repeat("a", 64)}})
			if err != nil {
				b.Fatal(err)
			}
			r.frame, r.off = frame, 0
			b.ReportAllocs()
			for b.Loop() {
				r.off = 0
				if err := c.read(r, true); err != nil {
					b.Fatal(err)
				}
			}
			if t.writes < 2 {
				b.Fatal("nothing was written")
			}
		})
	}
}
