package hub_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hubgen/hubgen/runtime/hub"
)

func TestKeepAlivePing(t *testing.T) {
	h := newTestHub(t, hub.Options{KeepAliveInterval: 50 * time.Millisecond}, echo)
	c := connect(t, h.url)
	for range 3 {
		if got := c.record(); got != `{"type":6}` {
			t.Fatalf("idle connection got %q, want pings", got)
		}
		c.send(`{"type":6}`) // keep the server's client timeout at bay
	}
}

func TestClientTimeout(t *testing.T) {
	disconnected := make(chan error, 1)
	h := newTestHub(t, hub.Options{
		ClientTimeout:  100 * time.Millisecond,
		OnDisconnected: func(ctx context.Context, c *hub.Conn, err error) { disconnected <- err },
	}, echo)
	c := connect(t, h.url)
	// A client that keeps talking stays.
	for range 4 {
		if m := c.invoke("1", "Echo", "x"); m["result"] != "x" {
			t.Fatal(m)
		}
	}
	// A silent one is dropped.
	if _, err := c.closed(); err == nil {
		t.Fatal("no close")
	}
	if err := <-disconnected; err == nil || !strings.Contains(err.Error(), "timeout") {
		t.Errorf("OnDisconnected(%v), want a timeout", err)
	}
}

// stalledClient opens a connection and never reads from it again.
func stalledClient(t *testing.T, url string) *rawClient {
	c := connect(t, url)
	// Shrink the kernel's receive buffer so that the stall shows quickly.
	if tcp, ok := c.ws.NetConn().(*net.TCPConn); ok {
		tcp.SetReadBuffer(4096)
	}
	return c
}

func TestSlowConsumerIsDroppedOthersKeepReceiving(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts hub.Options
	}{
		{"queue overflow", hub.Options{MaxQueueSize: 64 << 10, Logger: quietLogger()}},
		{"send timeout", hub.Options{SendTimeout: 100 * time.Millisecond, MaxQueueSize: 1 << 30, Logger: quietLogger()}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			disconnected := make(chan string, 2)
			tt.opts.OnDisconnected = func(ctx context.Context, c *hub.Conn, err error) { disconnected <- c.ID() }
			h := newTestHub(t, tt.opts, whoAmI)
			stalled := stalledClient(t, h.url)
			stalledID := stalled.invoke("1", "WhoAmI")["result"]
			healthy := connect(t, h.url)
			payload := strings.Repeat("p", 16<<10)
			ctx := context.Background()
			// Broadcast until the stalled connection is gone; the healthy one
			// reads every message, in order.
			for i := 0; ; i++ {
				if err := h.Clients().All().Send(ctx, "Data", i, payload); err != nil {
					t.Fatal(err)
				}
				m := healthy.message()
				if args := m["arguments"].([]any); args[0] != float64(i) {
					t.Fatalf("healthy client got message %v, want %d", args[0], i)
				}
				select {
				case id := <-disconnected:
					if id != stalledID {
						t.Fatalf("dropped %s, want the stalled %s", id, stalledID)
					}
					return
				default:
				}
				if i > 100000 {
					t.Fatal("the stalled connection was never dropped")
				}
			}
		})
	}
}

func TestShutdownClosesWithReconnectAllowed(t *testing.T) {
	h := newTestHub(t, hub.Options{}, echo)
	c := connect(t, h.url)
	done := make(chan error)
	go func() { done <- h.Shutdown(context.Background()) }()
	records, err := c.closed()
	if len(records) != 1 || records[0] != `{"type":7,"allowReconnect":true}` {
		t.Errorf("records: %q", records)
	}
	if !isCloseCode(err, websocket.CloseNormalClosure) {
		t.Errorf("close: %v", err)
	}
	if err := <-done; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	// New connections are refused.
	if resp, _ := post(t, h.url+"/negotiate"); resp.StatusCode != 503 {
		t.Errorf("negotiate after Shutdown: %d", resp.StatusCode)
	}
}

func TestShutdownTimeoutCutsConnectionsOff(t *testing.T) {
	release := make(chan struct{})
	stuck := hub.Method{Name: "Stuck", Call: func(ctx context.Context, a hub.Args) (any, error) {
		select {
		case <-ctx.Done():
		case <-release:
		}
		return nil, nil
	}}
	h := newTestHub(t, hub.Options{}, stuck)
	defer close(release)
	c := connect(t, h.url)
	// The server is busy with Stuck, and the client never answers the close.
	c.send(invocation("1", "Stuck"))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := h.Shutdown(ctx); err != context.DeadlineExceeded {
		t.Errorf("Shutdown = %v, want the deadline", err)
	}
	if _, err := c.closed(); err == nil {
		t.Error("the connection survived")
	}
}
