package transport_test

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hubgen/hubgen/runtime/transport"
)

// newEchoEndpoint starts the package's own Server at /echo, with a Handler
// that sends back each message it receives.
func newEchoEndpoint(t *testing.T) string {
	t.Helper()
	srv := transport.New(transport.HandlerFunc(func(c *transport.Conn) {
		for {
			p, err := c.Next()
			if err != nil {
				return
			}
			if err := c.Write(p); err != nil {
				return
			}
		}
	}), transport.Options{Logger: quiet})
	mux := transport.NewMux()
	srv.Mount(mux, "/echo")
	ts := httptest.NewServer(mux)
	t.Cleanup(func() {
		srv.Shutdown(context.Background())
		ts.Close()
	})
	return ts.URL + "/echo"
}

// TestDialServer: both sides of the package, Dial against Server, over each
// transport in each format: echoes, then CloseWrite. A WebSocket and Long
// Polling end at once with io.EOF; Server-Sent Events have no way to ask the
// server to end, and end after the close timeout.
func TestDialServer(t *testing.T) {
	url := newEchoEndpoint(t)
	for _, tc := range dialCases {
		t.Run(tc.String(), func(t *testing.T) {
			opts := transport.DialOptions{Transports: tc.kind, Format: tc.format}
			if tc.kind == transport.ServerSentEvents {
				opts.CloseTimeout = time.Millisecond
			}
			c := dial(t, url, opts)
			if c.Transport() != tc.kind || len(c.ID()) != 22 {
				t.Errorf("Transport %v, ID %q", c.Transport(), c.ID())
			}
			for _, m := range []string{"one", "\x00\xff\x1e\n" + string(make([]byte, 70_000))} {
				if tc.format == transport.Text {
					m = m[:3]
				}
				// The server takes a POST as its handler reads it, and the
				// handler's echo waits for a poll: read while writing.
				echo := make(chan []byte, 1)
				go func() {
					var got []byte
					for len(got) < len(m) {
						var err error
						if got, err = c.Read(got); err != nil {
							break
						}
					}
					echo <- got
				}()
				if err := c.Write([]byte(m)); err != nil {
					t.Fatal(err)
				}
				if got := <-echo; string(got) != m {
					t.Errorf("echo of %d bytes: %d bytes, %.10q...", len(m), len(got), got)
				}
			}
			c.CloseWrite()
			err := readEnd(t, c)
			if eof := errors.Is(err, io.EOF); eof != (tc.kind != transport.ServerSentEvents) {
				t.Errorf("Read after CloseWrite = %v", err)
			}
		})
	}
}
