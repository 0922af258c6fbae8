package hub_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/hubgen/hubgen/runtime/hub"
)

// statefulConnect negotiates a stateful connection, opens its WebSocket and
// completes the version 2 handshake; it returns the token too.
func statefulConnect(t *testing.T, url string) (*rawClient, string) {
	t.Helper()
	resp, err := http.Post(url+"/negotiate?negotiateVersion=1&useStatefulReconnect=true", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	var n struct {
		ConnectionToken      string
		UseStatefulReconnect bool
	}
	json.NewDecoder(resp.Body).Decode(&n)
	resp.Body.Close()
	if !n.UseStatefulReconnect {
		t.Fatal("negotiate did not allow stateful reconnect")
	}
	c := dial(t, url+"?id="+n.ConnectionToken, nil)
	c.send(`{"protocol":"json","version":2}`)
	if got := c.record(); got != "{}" {
		t.Fatalf("handshake response = %q", got)
	}
	return c, n.ConnectionToken
}

// tracked returns the next record that stateful reconnect numbers: not a
// Ping, nor an Ack.
func (c *rawClient) tracked() (map[string]any, error) {
	for {
		r, err := c.read()
		if err != nil {
			return nil, err
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(r), &m); err != nil {
			c.t.Fatalf("record %q: %v", r, err)
		}
		if m["type"] != 6.0 && m["type"] != 8.0 {
			return m, nil
		}
	}
}

// A client that stops acknowledging meets the buffer limit: the server stops
// writing to it, what is broadcast meanwhile waits in its queue, and when that
// passes MaxQueueSize the connection is closed as one that does not keep up.
// The others receive everything meanwhile, and nothing the stalled client got
// is out of order.
func TestStatefulFullBuffer(t *testing.T) {
	disconnected := make(chan error, 2)
	h := newTestHub(t, hub.Options{
		AllowStatefulReconnects:     true,
		StatefulReconnectBufferSize: 1000,
		MaxQueueSize:                10_000,
		Logger:                      slog.New(slog.DiscardHandler),
		OnDisconnected:              func(_ context.Context, _ *hub.Conn, err error) { disconnected <- err },
	})
	stalled, _ := statefulConnect(t, h.url)
	healthy := connect(t, h.url)

	// The stalled client acknowledges what it gets until told to stop.
	var mu sync.Mutex
	acking := true
	got := make(chan float64, 1000)
	readerDone := make(chan error, 1)
	go func() {
		n := 0
		for {
			m, err := stalled.tracked()
			if err != nil {
				close(got)
				readerDone <- err
				return
			}
			n++
			got <- m["arguments"].([]any)[0].(float64)
			mu.Lock()
			if acking {
				stalled.ws.WriteMessage(websocket.TextMessage, fmt.Appendf(nil, `{"type":8,"sequenceId":%d}`+rs, n))
			}
			mu.Unlock()
		}
	}()

	pad := strings.Repeat("x", 80)
	send := func(i int) {
		t.Helper()
		if err := h.Clients().All().Send(context.Background(), "Tick", i, pad); err != nil {
			t.Fatal(err)
		}
		m := healthy.message()
		if args := m["arguments"].([]any); args[0] != float64(i) {
			t.Fatalf("the healthy client got %v, want Tick %d", args, i)
		}
	}
	const acked = 30 // 3 kB, three times the limit: it flows while acknowledged
	for i := range acked {
		send(i)
	}
	for i := range acked {
		if v := <-got; v != float64(i) {
			t.Fatalf("the stalled client got %v, want %d", v, i)
		}
	}
	mu.Lock()
	acking = false
	mu.Unlock()

	// 30 kB more: at most the limit goes out unacknowledged, the queue holds
	// 10 kB, and the connection is closed well before the end.
	const total = acked + 300
	for i := acked; i < total; i++ {
		send(i)
	}
	if err := <-disconnected; err == nil || !strings.Contains(err.Error(), "does not keep up") {
		t.Fatalf("the stalled connection ended with %v, want it closed for not keeping up", err)
	}
	<-readerDone
	n := acked
	for v := range got {
		if v != float64(n) {
			t.Fatalf("the stalled client got %v, want %d", v, n)
		}
		n++
	}
	if n >= total {
		t.Fatalf("the stalled client got all %d messages: the buffer limit did not hold", n)
	}
	send(total) // the healthy one goes on
}

// A reattach keeps the connection, its groups and its calls: the client
// sends Sequence and replays; the server sends Sequence, then what the client
// did not acknowledge, then what was sent while the socket was gone.
func TestStatefulReattachKeepsGroups(t *testing.T) {
	disconnects := make(chan string, 2)
	var srv *hub.Server
	join := hub.Method{Name: "Join", Args: 1, Void: true, Call: func(ctx context.Context, a hub.Args) (any, error) {
		g, _ := hub.Arg[string](a, 0)
		return nil, srv.Groups().Add(ctx, hub.ConnFromContext(ctx).ID(), g)
	}}
	h := newTestHub(t, hub.Options{
		AllowStatefulReconnects: true,
		OnDisconnected:          func(_ context.Context, c *hub.Conn, _ error) { disconnects <- c.ID() },
	}, join, echo)
	srv = h.Server
	c, token := statefulConnect(t, h.url)
	c.send(`{"type":1,"invocationId":"1","target":"Join","arguments":["g"]}`)
	if m, _ := c.tracked(); m["invocationId"] != "1" || m["error"] != nil {
		t.Fatalf("Join: %v", m)
	}

	c.ws.UnderlyingConn().Close() // gone without a Close frame
	if err := srv.Clients().Group("g").Send(context.Background(), "Hello", "while away"); err != nil {
		t.Fatal(err)
	}
	c2 := dial(t, h.url+"?id="+token, nil)
	// The client got one message (the Join's completion) and acknowledged
	// none; it sent one (the Join), which it replays: a duplicate.
	c2.send(`{"type":9,"sequenceId":1}`, `{"type":1,"invocationId":"1","target":"Join","arguments":["g"]}`)
	r := c2.record()
	if r != `{"type":9,"sequenceId":1}` {
		t.Fatalf("first record after a reattach = %q, want Sequence 1", r)
	}
	if m, _ := c2.tracked(); m["invocationId"] != "1" {
		t.Fatalf("replayed: %v, want the Join's completion", m)
	}
	if m, _ := c2.tracked(); m["target"] != "Hello" {
		t.Fatalf("then: %v, want the group's message", m)
	}
	if m := c2.invoke("2", "Echo", "after"); m["result"] != "after" {
		t.Fatalf("Echo after the reattach: %v", m)
	}
	// The server acknowledges what it handled, once a heartbeat: the Join,
	// not its duplicate, and the Echo.
	for {
		r := c2.record()
		var m struct{ Type, SequenceID int64 }
		json.Unmarshal([]byte(r), &m)
		if m.Type != 8 {
			continue
		}
		if m.SequenceID > 2 {
			t.Fatalf("Ack %d: the server counted a duplicate", m.SequenceID)
		}
		if m.SequenceID == 2 {
			break
		}
	}
	select {
	case id := <-disconnects:
		t.Fatalf("OnDisconnected(%s) ran for a drop the connection survived", id)
	default:
	}
	c2.ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
	<-disconnects
}
