package transport_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hubgen/hubgen/runtime/hub"
	"github.com/hubgen/hubgen/runtime/protocol"
	"github.com/hubgen/hubgen/runtime/transport"
)

// newHub starts a hubgen hub server, with no methods, at /hub.
func newHub(t *testing.T) string {
	t.Helper()
	srv := hub.New(nil, hub.Options{Logger: quiet})
	mux := http.NewServeMux()
	srv.Mount(mux, "/hub")
	ts := httptest.NewServer(mux)
	t.Cleanup(func() {
		srv.Shutdown(context.Background())
		ts.Close()
	})
	return ts.URL + "/hub"
}

// TestDialHub dials a hub server over each transport, in each format, and
// speaks the hub protocol raw: the handshake, then a Close message, after
// which the hub ends the connection and Read returns io.EOF.
func TestDialHub(t *testing.T) {
	url := newHub(t)
	for _, tc := range dialCases {
		t.Run(tc.String(), func(t *testing.T) {
			p := protocol.Protocol(protocol.JSON)
			if tc.format == transport.Binary {
				p = protocol.MessagePack
			}
			c := dial(t, url, transport.DialOptions{Transports: tc.kind, Format: tc.format})
			if c.Transport() != tc.kind || c.ID() == "" {
				t.Errorf("Transport %v, ID %q", c.Transport(), c.ID())
			}
			req := protocol.AppendHandshakeRequest(nil, protocol.HandshakeRequest{Protocol: p.Name(), Version: 1})
			if err := c.Write(req); err != nil {
				t.Fatal(err)
			}
			if got := readN(t, c, 3); string(got) != "{}\x1e" {
				t.Fatalf("handshake response %q", got)
			}
			closing, err := p.Append(nil, &protocol.Message{Type: protocol.Close})
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Write(closing); err != nil {
				t.Fatal(err)
			}
			c.CloseWrite()
			if err := readEnd(t, c); !errors.Is(err, io.EOF) {
				t.Errorf("Read after Close = %v, want io.EOF", err)
			}
		})
	}
}
