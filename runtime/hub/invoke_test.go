package hub_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hubgen/hubgen/runtime/hub"
)

// methods used across the invocation tests.
var (
	add = hub.Method{Name: "Add", Args: 2, Call: func(ctx context.Context, a hub.Args) (any, error) {
		x, err := hub.Arg[int](a, 0)
		if err != nil {
			return nil, err
		}
		y, err := hub.Arg[int](a, 1)
		return x + y, err
	}}
	nothing = hub.Method{Name: "Nothing", Void: true, Call: func(ctx context.Context, a hub.Args) (any, error) {
		return nil, nil
	}}
	null = hub.Method{Name: "Null", Call: func(ctx context.Context, a hub.Args) (any, error) {
		return nil, nil
	}}
	fail = hub.Method{Name: "Fail", Args: 1, Call: func(ctx context.Context, a hub.Args) (any, error) {
		msg, _ := hub.Arg[string](a, 0)
		return nil, hub.Errorf("%s", msg)
	}}
	broken = hub.Method{Name: "Broken", Call: func(ctx context.Context, a hub.Args) (any, error) {
		return nil, errors.New("database is down")
	}}
	panics = hub.Method{Name: "Panic", Call: func(ctx context.Context, a hub.Args) (any, error) {
		panic("oops")
	}}
	unencodable = hub.Method{Name: "Unencodable", Call: func(ctx context.Context, a hub.Args) (any, error) {
		return func() {}, nil
	}}
)

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestInvocationResults(t *testing.T) {
	h := newTestHub(t, hub.Options{Logger: quietLogger()}, echo, add, nothing, null, fail, broken, panics, unencodable)
	c := connect(t, h.url)
	tests := []struct {
		target string
		args   []any
		want   string // the completion as the server writes it
	}{
		{"Echo", []any{"héllo ✓"}, `{"type":3,"invocationId":"1","result":"héllo ✓"}`},
		{"echo", []any{"any case"}, `{"type":3,"invocationId":"1","result":"any case"}`},
		{"Add", []any{2, 40}, `{"type":3,"invocationId":"1","result":42}`},
		{"Nothing", nil, `{"type":3,"invocationId":"1"}`},
		{"Null", nil, `{"type":3,"invocationId":"1","result":null}`},
		{"Nope", nil, `{"type":3,"invocationId":"1","error":"Failed to invoke 'Nope' due to an error on the server. HubException: Method does not exist."}`},
		{"Echo", nil, `{"type":3,"invocationId":"1","error":"Failed to invoke 'Echo' due to an error on the server."}`},
		{"Echo", []any{1}, `{"type":3,"invocationId":"1","error":"Failed to invoke 'Echo' due to an error on the server."}`},
		{"Fail", []any{"Something bad"}, `{"type":3,"invocationId":"1","error":"An unexpected error occurred invoking 'Fail' on the server. HubException: Something bad"}`},
		{"Broken", nil, `{"type":3,"invocationId":"1","error":"An unexpected error occurred invoking 'Broken' on the server."}`},
		{"Panic", nil, `{"type":3,"invocationId":"1","error":"An unexpected error occurred invoking 'Panic' on the server."}`},
		{"Unencodable", nil, `{"type":3,"invocationId":"1","error":"An unexpected error occurred invoking 'Unencodable' on the server."}`},
	}
	for _, tt := range tests {
		c.send(invocation("1", tt.target, tt.args...))
		if got := c.record(); got != tt.want {
			t.Errorf("%s%v:\n got %s\nwant %s", tt.target, tt.args, got, tt.want)
		}
	}
}

func TestDetailedErrors(t *testing.T) {
	h := newTestHub(t, hub.Options{DetailedErrors: true, Logger: quietLogger()}, echo, broken, panics)
	c := connect(t, h.url)
	tests := []struct {
		target string
		args   []any
		want   string
	}{
		{"Echo", nil, "Failed to invoke 'Echo' due to an error on the server. InvalidDataException: Invocation provides 0 argument(s) but target expects 1."},
		{"Echo", []any{1}, "Failed to invoke 'Echo' due to an error on the server. InvalidDataException: Error binding arguments. Make sure that the types of the provided values match the types of the hub method being invoked."},
		{"Broken", nil, "An unexpected error occurred invoking 'Broken' on the server. Error: database is down"},
		{"Panic", nil, "An unexpected error occurred invoking 'Panic' on the server. Panic: panic: oops"},
	}
	for _, tt := range tests {
		if m := c.invoke("1", tt.target, tt.args...); m["error"] != tt.want {
			t.Errorf("%s%v:\n got %v\nwant %s", tt.target, tt.args, m["error"], tt.want)
		}
	}
}

func invocation(id, target string, args ...any) string {
	var b strings.Builder
	fmt.Fprintf(&b, `{"type":1,`)
	if id != "" {
		fmt.Fprintf(&b, `"invocationId":%q,`, id)
	}
	fmt.Fprintf(&b, `"target":%q,"arguments":[`, target)
	for i, a := range args {
		if i > 0 {
			b.WriteByte(',')
		}
		if s, ok := a.(string); ok {
			fmt.Fprintf(&b, "%q", s)
		} else {
			fmt.Fprint(&b, a)
		}
	}
	b.WriteString("]}")
	return b.String()
}

func TestNonBlockingInvocationsGetNoAnswer(t *testing.T) {
	var ran atomic.Int32
	count := hub.Method{Name: "Count", Void: true, Call: func(ctx context.Context, a hub.Args) (any, error) {
		ran.Add(1)
		return nil, nil
	}}
	h := newTestHub(t, hub.Options{Logger: quietLogger()}, echo, count, fail, panics)
	c := connect(t, h.url)
	c.send(
		invocation("", "Count"),
		invocation("", "Nope"),
		invocation("", "Echo", 1),
		invocation("", "Fail", "x"),
		invocation("", "Panic"),
		invocation("9", "Echo", "after"),
	)
	// The first answer is the last invocation's: the others got none.
	if got := c.record(); got != `{"type":3,"invocationId":"9","result":"after"}` {
		t.Errorf("got %s", got)
	}
	if ran.Load() != 1 {
		t.Errorf("Count ran %d times", ran.Load())
	}
}

func TestInvocationsRunInOrderOneAtATime(t *testing.T) {
	var running, overlaps atomic.Int32
	slow := hub.Method{Name: "Slow", Args: 1, Call: func(ctx context.Context, a hub.Args) (any, error) {
		if running.Add(1) > 1 {
			overlaps.Add(1)
		}
		defer running.Add(-1)
		time.Sleep(time.Millisecond) // work that takes time
		return hub.Arg[int](a, 0)
	}}
	h := newTestHub(t, hub.Options{}, slow)
	c := connect(t, h.url)
	var records []string
	for i := range 20 {
		records = append(records, invocation(fmt.Sprint(i), "Slow", i))
	}
	c.send(records...)
	for i := range 20 {
		if m := c.message(); m["invocationId"] != fmt.Sprint(i) || m["result"] != float64(i) {
			t.Fatalf("completion %d: %v", i, m)
		}
	}
	if overlaps.Load() != 0 {
		t.Errorf("%d invocations overlapped", overlaps.Load())
	}
}

func TestParallelInvocations(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 2)
	block := hub.Method{Name: "Block", Call: func(ctx context.Context, a hub.Args) (any, error) {
		entered <- struct{}{}
		<-release
		return "done", nil
	}}
	h := newTestHub(t, hub.Options{MaxParallelInvocations: 2}, block)
	c := connect(t, h.url)
	c.send(invocation("1", "Block"), invocation("2", "Block"))
	<-entered
	<-entered // both run at once, or this would wait forever
	close(release)
	seen := map[any]bool{}
	for range 2 {
		seen[c.message()["invocationId"]] = true
	}
	if !seen["1"] || !seen["2"] {
		t.Errorf("completions: %v", seen)
	}
}

func TestPanicKeepsConnectionOpen(t *testing.T) {
	h := newTestHub(t, hub.Options{Logger: quietLogger()}, echo, panics)
	c := connect(t, h.url)
	c.invoke("1", "Panic")
	if m := c.invoke("2", "Echo", "still here"); m["result"] != "still here" {
		t.Errorf("after a panic: %v", m)
	}
}

func TestStreamingCallToNonStreamingMethod(t *testing.T) {
	h := newTestHub(t, hub.Options{}, echo)
	c := connect(t, h.url)
	c.send(`{"type":4,"invocationId":"1","target":"Echo","arguments":["x"]}`)
	want := `{"type":3,"invocationId":"1","error":"The client attempted to invoke the non-streaming 'Echo' method with a streaming invocation."}`
	if got := c.record(); got != want {
		t.Errorf("got %s", got)
	}
}

func TestDuplicateMethodNamesPanic(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("New accepted two methods whose names differ only in case")
		}
	}()
	hub.New([]hub.Method{echo, {Name: "ECHO", Call: echo.Call}}, hub.Options{})
}

func TestFraming(t *testing.T) {
	h := newTestHub(t, hub.Options{}, echo)
	c := connect(t, h.url)
	// One message split over three frames, then three in one frame with
	// whitespace, an unknown type and unknown properties mixed in.
	c.frame(`{"type":1,"invocationId":"1",`)
	c.frame(`"target":"Echo","argu`)
	c.frame(`ments":["split"]}` + rs)
	if m := c.message(); m["result"] != "split" {
		t.Errorf("split message: %v", m)
	}
	c.send(` {"type":99,"x":1} `, `{"type":6,"unknown":{"a":[1]}}`, `{"extra":true,"type":1,"invocationId":"2","target":"Echo","arguments":["b"]}`)
	if m := c.message(); m["result"] != "b" {
		t.Errorf("after unknown type and properties: %v", m)
	}
}

func TestProtocolErrorsCloseWithMessage(t *testing.T) {
	tests := []struct {
		name     string
		detailed bool
		send     func(c *rawClient)
		want     string
	}{
		{"malformed", false, func(c *rawClient) { c.send(`{"type":1,`) }, `{"type":7,"error":"Connection closed with an error."}`},
		{"malformed detailed", true, func(c *rawClient) { c.send(`{"type":1,`) },
			`{"type":7,"error":"Connection closed with an error. InvalidDataException: Error reading JSON."}`},
		{"missing property", true, func(c *rawClient) { c.send(`{"type":1,"target":"Echo"}`) },
			`{"type":7,"error":"Connection closed with an error. InvalidDataException: Missing required property 'arguments'."}`},
		{"stream item for nothing", true, func(c *rawClient) { c.send(`{"type":2,"invocationId":"5","item":1}`) },
			`{"type":7,"error":"Connection closed with an error. KeyNotFoundException: No stream with id '5' could be found."}`},
		{"too big", true, func(c *rawClient) { c.send(invocation("1", "Echo", strings.Repeat("x", 40000))) },
			`{"type":7,"error":"Connection closed with an error. InvalidDataException: The maximum message size of 32768B was exceeded. The message size can be configured in AddHubOptions."}`},
		{"too big without separator", true, func(c *rawClient) {
			c.frame(`{"type":1,"target":"Echo","arguments":["`)
			for range 5 {
				c.frame(strings.Repeat("x", 8000))
			}
		}, `{"type":7,"error":"Connection closed with an error. InvalidDataException: The maximum message size of 32768B was exceeded. The message size can be configured in AddHubOptions."}`},
		{"too deep", true, func(c *rawClient) {
			c.send(`{"type":1,"target":"Echo","arguments":[` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `]}`)
		}, `{"type":7,"error":"Connection closed with an error. InvalidDataException: Error reading JSON."}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newTestHub(t, hub.Options{DetailedErrors: tt.detailed, Logger: quietLogger()}, echo)
			other := connect(t, h.url)
			c := connect(t, h.url)
			tt.send(c)
			records, err := c.closed()
			if len(records) != 1 || records[0] != tt.want {
				t.Errorf("got %q\nwant %s", records, tt.want)
			}
			if !isCloseCode(err, websocket.CloseNormalClosure) {
				t.Errorf("close: %v", err)
			}
			// Other connections never notice.
			if m := other.invoke("1", "Echo", "fine"); m["result"] != "fine" {
				t.Errorf("other connection: %v", m)
			}
		})
	}
}

func TestMessageJustUnderTheLimit(t *testing.T) {
	h := newTestHub(t, hub.Options{MaxMessageSize: 1000}, echo)
	c := connect(t, h.url)
	rec := invocation("1", "Echo", "")
	arg := strings.Repeat("y", 1000-len(rec)-1) // the separator counts
	if m := c.invoke("1", "Echo", arg); m["result"] != arg {
		t.Errorf("a message of exactly the limit was refused: %v", m)
	}
}

func TestClientCloseMessage(t *testing.T) {
	disconnected := make(chan error, 1)
	h := newTestHub(t, hub.Options{OnDisconnected: func(ctx context.Context, c *hub.Conn, err error) { disconnected <- err }}, echo)
	c := connect(t, h.url)
	c.send(`{"type":7}`)
	if _, err := c.closed(); !isCloseCode(err, websocket.CloseNormalClosure) {
		t.Errorf("close: %v", err)
	}
	if err := <-disconnected; err != nil {
		t.Errorf("OnDisconnected(%v), want nil for a clean close", err)
	}
}
