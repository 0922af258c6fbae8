package chat

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hubgen/hubgen/runtime/client"
	"github.com/hubgen/hubgen/runtime/hub"
)

// chatHub implements ChatHub, and the connection hooks.
type chatHub struct {
	clients      ChatClients
	groups       hub.Groups
	connected    chan string
	disconnected chan string
}

func (h *chatHub) Send(ctx context.Context, text string) error {
	return h.clients.All().Receive(ctx, Message{From: hub.ConnFromContext(ctx).ID(), Text: text, At: time.Unix(1700000000, 0).UTC()})
}

func (h *chatHub) Echo(ctx context.Context, s string) (string, error) { return s, nil }

func (h *chatHub) Add(ctx context.Context, a, b int) (int, error) { return a + b, nil }

func (h *chatHub) Poll(ctx context.Context, question string) (string, error) {
	return h.clients.Caller(ctx).Ask(ctx, question)
}

func (h *chatHub) Join(ctx context.Context, group string) error {
	return h.groups.Add(ctx, hub.ConnFromContext(ctx).ID(), group)
}

func (h *chatHub) Fail(ctx context.Context) error { return hub.Errorf("no luck") }

func (h *chatHub) OnConnected(ctx context.Context) error {
	h.connected <- hub.ConnFromContext(ctx).ID()
	return nil
}

func (h *chatHub) OnDisconnected(ctx context.Context, err error) {
	h.disconnected <- hub.ConnFromContext(ctx).ID()
}

// receiver implements Chat.
type receiver struct {
	got chan Message
}

func (r *receiver) Receive(ctx context.Context, m Message) error {
	r.got <- m
	return nil
}

func (r *receiver) Ask(ctx context.Context, question string) (string, error) {
	return "yes: " + question, nil
}

func TestEndToEnd(t *testing.T) {
	impl := &chatHub{connected: make(chan string, 1), disconnected: make(chan string, 1)}
	srv := NewChatHubServer(impl, hub.Options{MaxParallelInvocations: 4})
	impl.clients, impl.groups = srv.Clients, srv.Groups
	mux := http.NewServeMux()
	srv.Mount(mux, "/chat")
	ts := httptest.NewServer(mux)
	defer ts.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := client.Dial(ctx, ts.URL+"/chat", client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r := &receiver{got: make(chan Message, 4)}
	remove := RegisterChat(conn, r)
	var stub ChatHub = NewChatHubClient(conn)

	if id := <-impl.connected; id != conn.ID() {
		t.Errorf("OnConnected saw %q, want %q", id, conn.ID())
	}

	// Invocations with results.
	if s, err := stub.Echo(ctx, "hello"); err != nil || s != "hello" {
		t.Errorf("Echo: %q, %v", s, err)
	}
	if n, err := stub.Add(ctx, 2, 3); err != nil || n != 5 {
		t.Errorf("Add: %d, %v", n, err)
	}

	// A void invocation whose hub method sends to every connection.
	if err := stub.Send(ctx, "hi"); err != nil {
		t.Fatal(err)
	}
	expect(t, r, Message{From: conn.ID(), Text: "hi", At: time.Unix(1700000000, 0).UTC()})

	// A hub method that waits for a client result from its caller.
	if s, err := stub.Poll(ctx, "ready?"); err != nil || s != "yes: ready?" {
		t.Errorf("Poll: %q, %v", s, err)
	}

	// A hub error reaches the client with its message, under the wire name.
	if err := stub.Fail(ctx); err == nil || !strings.Contains(err.Error(), "no luck") {
		t.Errorf("Fail: %v", err)
	}

	// Typed targets from outside any hub method, as a worker uses them.
	if err := srv.Clients.All().Receive(ctx, Message{Text: "tick"}); err != nil {
		t.Fatal(err)
	}
	expect(t, r, Message{Text: "tick"})
	if err := stub.Join(ctx, "room"); err != nil {
		t.Fatal(err)
	}
	if err := srv.Clients.Group("room").Receive(ctx, Message{Text: "to the room"}); err != nil {
		t.Fatal(err)
	}
	expect(t, r, Message{Text: "to the room"})
	if err := srv.Clients.GroupExcept("room", conn.ID()).Receive(ctx, Message{Text: "not me"}); err != nil {
		t.Fatal(err)
	}
	if s, err := srv.Clients.Client(conn.ID()).Ask(ctx, "direct?"); err != nil || s != "yes: direct?" {
		t.Errorf("Client(id).Ask: %q, %v", s, err)
	}
	if _, err := srv.Clients.Caller(ctx).Ask(ctx, "who?"); !errors.Is(err, hub.ErrNoCaller) {
		t.Errorf("Caller outside a hub method: %v", err)
	}

	// Wrong argument counts fail on both sides.
	var s string
	if err := conn.Invoke(ctx, "Echo", &s); err == nil {
		t.Error("the server took Echo without its argument")
	}
	if err := srv.Server.Clients().Client(conn.ID()).Invoke(ctx, "Ask", &s); err == nil || !strings.Contains(err.Error(), "Ask takes 1 argument, not 0") {
		t.Errorf("the client took Ask without its argument: %v", err)
	}

	// After remove, the receiver gets nothing more.
	remove()
	if _, err := srv.Clients.Client(conn.ID()).Ask(ctx, "still there?"); err == nil {
		t.Error("Ask answered after remove")
	}
	select {
	case m := <-r.got:
		t.Errorf("unexpected message %+v", m)
	default:
	}

	id := conn.ID()
	conn.Close()
	select {
	case got := <-impl.disconnected:
		if got != id {
			t.Errorf("OnDisconnected saw %q, want %q", got, id)
		}
	case <-ctx.Done():
		t.Error("OnDisconnected did not run")
	}
}

func expect(t *testing.T, r *receiver, want Message) {
	t.Helper()
	select {
	case m := <-r.got:
		if m != want {
			t.Errorf("received %+v, want %+v", m, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("nothing received, want %+v", want)
	}
}
