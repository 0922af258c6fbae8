package hub_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/hubgen/hubgen/runtime/hub"
	"github.com/hubgen/hubgen/runtime/protocol"
)

// member is a connection of a test hub, with its id and user.
type member struct {
	*rawClient
	id, name string
}

// whoAmI returns the caller's connection id.
var whoAmI = hub.Method{Name: "WhoAmI", Call: func(ctx context.Context, a hub.Args) (any, error) {
	return hub.ConnFromContext(ctx).ID(), nil
}}

// userHub authenticates each connection as the user named in its X-User header.
func userHub(t *testing.T, opts hub.Options, methods ...hub.Method) *testHub {
	opts.Authenticate = func(r *http.Request) (*hub.Identity, error) {
		return &hub.Identity{UserID: r.Header.Get("X-User")}, nil
	}
	return newTestHub(t, opts, append(methods, whoAmI)...)
}

func join(t *testing.T, h *testHub, user string) member {
	c := dial(t, h.url, http.Header{"X-User": {user}})
	c.send(`{"protocol":"json","version":1}`)
	c.record()
	id, _ := c.invoke("id", "WhoAmI")["result"].(string)
	return member{rawClient: c, id: id, name: user}
}

// expectNotes checks the arguments of the "Note" invocations each member
// received, reading up to a marker sent to everyone after them.
func expectNotes(t *testing.T, h *testHub, members []member, want map[string][]string) {
	t.Helper()
	if err := h.Clients().All().Send(context.Background(), "Marker"); err != nil {
		t.Fatal(err)
	}
	for _, m := range members {
		var got []string
		for {
			msg := m.message()
			if msg["target"] == "Marker" {
				break
			}
			if msg["type"] != 1.0 {
				continue // a completion of the member's own invocation
			}
			got = append(got, fmt.Sprint(msg["arguments"].([]any)[0]))
		}
		if strings.Join(got, ",") != strings.Join(want[m.name], ",") {
			t.Errorf("%s received %v, want %v", m.name, got, want[m.name])
		}
	}
}

func TestTargets(t *testing.T) {
	h := userHub(t, hub.Options{})
	a, b, c, a2 := join(t, h, "alice"), join(t, h, "bob"), join(t, h, "carol"), join(t, h, "alice")
	a2.name = "alice's second connection"
	all := []member{a, b, c, a2}
	ctx := context.Background()
	groups := h.Groups()
	for _, g := range []struct{ conn, group string }{{a.id, "red"}, {b.id, "red"}, {b.id, "blue"}, {c.id, "blue"}} {
		if err := groups.Add(ctx, g.conn, g.group); err != nil {
			t.Fatal(err)
		}
	}
	cl := h.Clients()
	sends := []struct {
		target hub.Target
		note   string
	}{
		{cl.All(), "all"},
		{cl.AllExcept(a.id, c.id), "allExcept"},
		{cl.Client(c.id).Target, "client"},
		{cl.Clients(a.id, b.id, a.id), "clients"},
		{cl.Group("red"), "red"},
		{cl.Groups("red", "blue"), "groups"},
		{cl.GroupExcept("blue", b.id), "groupExcept"},
		{cl.User("alice"), "user"},
		{cl.Users("bob", "carol"), "users"},
		{cl.Group("nobody"), "none"},
		{cl.Client("no-such-connection").Target, "none"},
	}
	for _, s := range sends {
		if err := s.target.Send(ctx, "Note", s.note); err != nil {
			t.Fatalf("%s: %v", s.note, err)
		}
	}
	expectNotes(t, h, all, map[string][]string{
		"alice":                     {"all", "clients", "red", "groups", "user"},
		"bob":                       {"all", "allExcept", "clients", "red", "groups", "users"},
		"carol":                     {"all", "client", "groups", "groupExcept", "users"},
		"alice's second connection": {"all", "allExcept", "user"},
	})

	// Leaving a group, and disconnecting, stop deliveries.
	if err := groups.Remove(ctx, a.id, "red"); err != nil {
		t.Fatal(err)
	}
	b.ws.Close()
	cl.Group("red").Send(ctx, "Note", "red again")
	cl.Group("blue").Send(ctx, "Note", "blue again")
	expectNotes(t, h, []member{a, c}, map[string][]string{"alice": nil, "carol": {"blue again"}})
	if err := groups.Add(ctx, "no-such-connection", "red"); !errors.Is(err, hub.ErrNoConnection) {
		t.Errorf("Add of an unknown connection: %v", err)
	}
}

func TestOthersAndCaller(t *testing.T) {
	var srv *hub.Server
	shout := hub.Method{Name: "Shout", Args: 1, Void: true, Call: func(ctx context.Context, a hub.Args) (any, error) {
		s, err := hub.Arg[string](a, 0)
		if err != nil {
			return nil, err
		}
		cl := srv.Clients()
		if err := cl.Others(ctx).Send(ctx, "Note", "others:"+s); err != nil {
			return nil, err
		}
		if err := cl.OthersInGroup(ctx, "g").Send(ctx, "Note", "othersInGroup:"+s); err != nil {
			return nil, err
		}
		return nil, cl.Caller(ctx).Send(ctx, "Note", "caller:"+s)
	}}
	enter := hub.Method{Name: "Enter", Void: true, Call: func(ctx context.Context, a hub.Args) (any, error) {
		return nil, srv.Groups().Add(ctx, hub.ConnFromContext(ctx).ID(), "g")
	}}
	h := userHub(t, hub.Options{}, shout, enter)
	srv = h.Server
	a, b, c := join(t, h, "a"), join(t, h, "b"), join(t, h, "c")
	a.invoke("1", "Enter")
	b.invoke("1", "Enter")
	a.send(invocation("2", "Shout", "hi"))
	if note := a.message(); fmt.Sprint(note["arguments"]) != "[caller:hi]" {
		t.Errorf("caller received %v", note)
	}
	if done := a.message(); done["invocationId"] != "2" || done["error"] != nil {
		t.Errorf("Shout: %v", done)
	}
	expectNotes(t, h, []member{a, b, c}, map[string][]string{
		"b": {"others:hi", "othersInGroup:hi"},
		"c": {"others:hi"},
	})

	// Outside a hub method there is no caller.
	ctx := context.Background()
	for _, target := range []hub.Target{srv.Clients().Caller(ctx).Target, srv.Clients().Others(ctx), srv.Clients().OthersInGroup(ctx, "g")} {
		if err := target.Send(ctx, "Note", "x"); !errors.Is(err, hub.ErrNoCaller) {
			t.Errorf("Send without a caller: %v", err)
		}
	}
}

func TestSendEncodesOncePerProtocolAndReportsEncodingErrors(t *testing.T) {
	h := userHub(t, hub.Options{})
	a, b := join(t, h, "a"), join(t, h, "b")
	m := hub.NewInvocation("Note", "shared")
	if err := h.Clients().All().SendMessage(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	first, _ := m.Encode(protocol.JSON)
	second, _ := m.Encode(protocol.JSON)
	if &first[0] != &second[0] {
		t.Error("a message was encoded twice for one protocol")
	}
	expectNotes(t, h, []member{a, b}, map[string][]string{"a": {"shared"}, "b": {"shared"}})
	if err := h.Clients().All().Send(context.Background(), "Note", make(chan int)); err == nil {
		t.Error("an unencodable argument was sent without error")
	}
}

func TestClientResults(t *testing.T) {
	var srv *hub.Server
	askCaller := hub.Method{Name: "AskCaller", Call: func(ctx context.Context, a hub.Args) (any, error) {
		var n int
		err := srv.Clients().Caller(ctx).Invoke(ctx, "GetNumber", &n)
		return n, err
	}}
	h := userHub(t, hub.Options{}, askCaller)
	srv = h.Server
	m := join(t, h, "u")
	ctx := context.Background()

	// The client answers: with a value, then with an error.
	answers := []string{`"result":42`, `"error":"Error: from callback"`}
	got := make(chan error, 1)
	var n int
	for _, answer := range answers {
		go func() { got <- srv.Clients().Client(m.id).Invoke(ctx, "GetNumber", &n, "arg") }()
		inv := m.message()
		if inv["target"] != "GetNumber" || inv["invocationId"] == nil || fmt.Sprint(inv["arguments"]) != "[arg]" {
			t.Fatalf("invocation: %v", inv)
		}
		m.send(fmt.Sprintf(`{"type":3,"invocationId":%q,%s}`, inv["invocationId"], answer))
		err := <-got
		if answer == answers[0] && (err != nil || n != 42) {
			t.Errorf("result: %d, %v", n, err)
		}
		var he *hub.Error
		if answer == answers[1] && (!errors.As(err, &he) || he.Message != "Error: from callback") {
			t.Errorf("error result: %v", err)
		}
	}

	// The context bounds the wait: it ends once the client has the
	// invocation, which it does not answer.
	short, cancel := context.WithCancel(ctx)
	go func() { got <- srv.Clients().Client(m.id).Invoke(short, "GetNumber", &n) }()
	m.message()
	cancel()
	if err := <-got; !errors.Is(err, context.Canceled) {
		t.Errorf("unanswered: %v", err)
	}

	// A hub method may not wait on its own caller while invocations run one at
	// a time: it says so instead of hanging.
	if res := m.invoke("1", "AskCaller"); !strings.Contains(fmt.Sprint(res["error"]), "An unexpected error occurred invoking 'AskCaller'") {
		t.Errorf("self invoke: %v", res)
	}
	if err := srv.Clients().Client("nobody").Invoke(ctx, "GetNumber", &n); !errors.Is(err, hub.ErrNoConnection) {
		t.Errorf("unknown connection: %v", err)
	}

	// A connection that drops fails the pending call at once, naming it.
	go func() { got <- srv.Clients().Client(m.id).Invoke(ctx, "GetNumber", &n) }()
	m.message()
	m.ws.Close()
	if err := <-got; err == nil || !strings.Contains(err.Error(), m.id) {
		t.Errorf("dropped connection: %v", err)
	}
}

func TestClientResultFromOwnCallerWithParallelInvocations(t *testing.T) {
	var srv *hub.Server
	askCaller := hub.Method{Name: "AskCaller", Call: func(ctx context.Context, a hub.Args) (any, error) {
		var n int
		err := srv.Clients().Caller(ctx).Invoke(ctx, "GetNumber", &n)
		return n + 1, err
	}}
	h := userHub(t, hub.Options{MaxParallelInvocations: 2}, askCaller)
	srv = h.Server
	m := join(t, h, "u")
	m.send(invocation("1", "AskCaller"))
	inv := m.message()
	m.send(fmt.Sprintf(`{"type":3,"invocationId":%q,"result":1}`, inv["invocationId"]))
	if res := m.message(); res["result"] != 2.0 {
		t.Errorf("AskCaller = %v", res)
	}
}

func TestOnConnectedErrorClosesConnection(t *testing.T) {
	disconnected := make(chan error, 1)
	h := newTestHub(t, hub.Options{
		OnConnected: func(ctx context.Context, c *hub.Conn) error {
			return hub.Errorf("not today")
		},
		OnDisconnected: func(ctx context.Context, c *hub.Conn, err error) { disconnected <- err },
	}, echo)
	c := dial(t, h.url, nil)
	c.send(`{"protocol":"json","version":1}`)
	records, _ := c.closed()
	want := []string{"{}", `{"type":7,"error":"Connection closed with an error. HubException: not today"}`}
	if strings.Join(records, "|") != strings.Join(want, "|") {
		t.Errorf("got %q", records)
	}
	<-disconnected // OnDisconnected still runs
}

func TestConnRequest(t *testing.T) {
	header := hub.Method{Name: "Header", Args: 1, Call: func(ctx context.Context, a hub.Args) (any, error) {
		name, err := hub.Arg[string](a, 0)
		r := hub.ConnFromContext(ctx).Request()
		return r.Header.Get(name) + "|" + r.URL.Query().Get("q"), err
	}}
	h := newTestHub(t, hub.Options{}, header)
	c := dial(t, h.url+"?q=v", http.Header{"X-Test": {"yes"}})
	c.send(`{"protocol":"json","version":1}`)
	c.record()
	var got string
	json.Unmarshal([]byte(fmt.Sprintf("%q", c.invoke("1", "Header", "X-Test")["result"])), &got)
	if got != "yes|v" {
		t.Errorf("request seen by the hub: %q", got)
	}
}
