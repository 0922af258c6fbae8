package hub_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"testing"

	"github.com/hubgen/hubgen/runtime/hub"
)

// letters streams "a", "b", "c".
var letters = hub.Method{Name: "Letters", Stream: func(ctx context.Context, a hub.Args) (iter.Seq2[any, error], error) {
	return hub.StreamOf(func(yield func(string, error) bool) {
		for _, s := range []string{"a", "b", "c"} {
			if !yield(s, nil) {
				return
			}
		}
	}), nil
}}

// failing streams one item, then fails with the error named by its argument.
var failing = hub.Method{Name: "Failing", Args: 1, Stream: func(ctx context.Context, a hub.Args) (iter.Seq2[any, error], error) {
	kind, err := hub.Arg[string](a, 0)
	if err != nil {
		return nil, err
	}
	if kind == "early" {
		return nil, errors.New("not even started")
	}
	return func(yield func(any, error) bool) {
		if !yield(1, nil) {
			return
		}
		switch kind {
		case "hub":
			yield(nil, hub.Errorf("Something bad"))
		case "panic":
			panic("mid-stream")
		default:
			yield(nil, errors.New("disk on fire"))
		}
	}, nil
}}

func TestServerStream(t *testing.T) {
	h := newTestHub(t, hub.Options{Logger: quietLogger()}, letters, failing, echo)
	c := connect(t, h.url)
	c.send(`{"type":4,"invocationId":"s","target":"letters","arguments":[]}`)
	for _, want := range []string{
		`{"type":2,"invocationId":"s","item":"a"}`,
		`{"type":2,"invocationId":"s","item":"b"}`,
		`{"type":2,"invocationId":"s","item":"c"}`,
		`{"type":3,"invocationId":"s"}`,
	} {
		if got := c.record(); got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	}
	tests := []struct{ kind, want string }{
		{"plain", `{"type":3,"invocationId":"f","error":"An error occurred on the server while streaming results."}`},
		{"hub", `{"type":3,"invocationId":"f","error":"An error occurred on the server while streaming results. HubException: Something bad"}`},
		{"panic", `{"type":3,"invocationId":"f","error":"An error occurred on the server while streaming results."}`},
	}
	for _, tt := range tests {
		c.send(fmt.Sprintf(`{"type":4,"invocationId":"f","target":"Failing","arguments":[%q]}`, tt.kind))
		if got := c.record(); got != `{"type":2,"invocationId":"f","item":1}` {
			t.Errorf("%s: first item %s", tt.kind, got)
		}
		if got := c.record(); got != tt.want {
			t.Errorf("%s: got %s\nwant %s", tt.kind, got, tt.want)
		}
	}
	c.send(`{"type":4,"invocationId":"e","target":"Failing","arguments":["early"]}`)
	if got := c.record(); got != `{"type":3,"invocationId":"e","error":"An unexpected error occurred invoking 'Failing' on the server."}` {
		t.Errorf("error before the stream: %s", got)
	}
	c.send(invocation("i", "Letters"))
	if got := c.record(); got != `{"type":3,"invocationId":"i","error":"The client attempted to invoke the streaming 'Letters' method with a non-streaming invocation."}` {
		t.Errorf("plain invocation of a stream: %s", got)
	}
}

func TestStreamErrorDetails(t *testing.T) {
	h := newTestHub(t, hub.Options{DetailedErrors: true}, failing)
	c := connect(t, h.url)
	c.send(`{"type":4,"invocationId":"f","target":"Failing","arguments":["plain"]}`)
	c.record()
	if got := c.message()["error"]; got != "An error occurred on the server while streaming results. Error: disk on fire" {
		t.Errorf("got %v", got)
	}
}

func TestCancelStream(t *testing.T) {
	cancelled := make(chan struct{})
	var srv *hub.Server
	forever := hub.Method{Name: "Forever", Stream: func(ctx context.Context, a hub.Args) (iter.Seq2[any, error], error) {
		caller := srv.Clients().Caller(ctx)
		return func(yield func(any, error) bool) {
			if !yield("started", nil) {
				return
			}
			<-ctx.Done()
			close(cancelled)
			// The hub can still talk to the caller on the way out.
			caller.Send(context.Background(), "StreamCanceled")
		}, nil
	}}
	h := newTestHub(t, hub.Options{}, forever, echo)
	srv = h.Server
	c := connect(t, h.url)
	c.send(`{"type":4,"invocationId":"s","target":"Forever","arguments":[]}`)
	if got := c.record(); got != `{"type":2,"invocationId":"s","item":"started"}` {
		t.Fatalf("got %s", got)
	}
	// Other invocations run while the stream does.
	if m := c.invoke("1", "Echo", "meanwhile"); m["result"] != "meanwhile" {
		t.Errorf("invocation during a stream: %v", m)
	}
	c.send(`{"type":5,"invocationId":"nope"}`, `{"type":5,"invocationId":"s"}`)
	<-cancelled
	got := []string{c.record(), c.record()}
	want := `{"type":1,"target":"StreamCanceled","arguments":[]}|{"type":3,"invocationId":"s"}`
	if strings.Join(got, "|") != want {
		t.Errorf("after cancel: %q", got)
	}
}

// concat joins the strings of its upload stream.
var concat = hub.Method{Name: "Concat", Uploads: 1, Call: func(ctx context.Context, a hub.Args) (any, error) {
	var b strings.Builder
	for s, err := range hub.Upload[string](a, 0) {
		if err != nil {
			return nil, err
		}
		b.WriteString(s)
	}
	return b.String(), nil
}}

func TestUploadStreams(t *testing.T) {
	h := newTestHub(t, hub.Options{Logger: quietLogger(), MaxStreams: 2}, concat, echo)
	c := connect(t, h.url)
	c.send(`{"type":1,"invocationId":"1","target":"Concat","arguments":[],"streamIds":["u1"]}`,
		`{"type":2,"invocationId":"u1","item":"a"}`, `{"type":2,"invocationId":"u1","item":"b"}`)
	// The reader is free while the method waits for more items.
	if m := c.invoke("2", "Echo", "meanwhile"); m["result"] != "meanwhile" {
		t.Errorf("invocation during an upload: %v", m)
	}
	c.send(`{"type":2,"invocationId":"u1","item":"c"}`, `{"type":3,"invocationId":"u1"}`)
	if got := c.record(); got != `{"type":3,"invocationId":"1","result":"abc"}` {
		t.Errorf("Concat = %s", got)
	}

	// The client fails its stream.
	c.send(`{"type":1,"invocationId":"3","target":"Concat","arguments":[],"streamIds":["u2"]}`,
		`{"type":2,"invocationId":"u2","item":"x"}`, `{"type":3,"invocationId":"u2","error":"Error: client gave up"}`)
	if got := c.record(); got != `{"type":3,"invocationId":"3","error":"An unexpected error occurred invoking 'Concat' on the server. HubException: Error: client gave up"}` {
		t.Errorf("failed upload: %s", got)
	}

	// Stream count and limits.
	c.send(`{"type":1,"invocationId":"4","target":"Concat","arguments":[]}`)
	if got := c.record(); got != `{"type":3,"invocationId":"4","error":"An unexpected error occurred invoking 'Concat' on the server. HubException: Client sent 0 stream(s), Hub method expects 1."}` {
		t.Errorf("missing stream: %s", got)
	}
	// ASP.NET Core binds the arguments before it counts the streams.
	c.send(`{"type":1,"invocationId":"4","target":"Concat","arguments":["x"]}`)
	if got := c.record(); got != `{"type":3,"invocationId":"4","error":"Failed to invoke 'Concat' due to an error on the server."}` {
		t.Errorf("extra argument and missing stream: %s", got)
	}
	c.send(`{"type":1,"invocationId":"5","target":"Concat","arguments":[],"streamIds":["a"]}`,
		`{"type":1,"invocationId":"6","target":"Concat","arguments":[],"streamIds":["b"]}`,
		`{"type":1,"invocationId":"7","target":"Concat","arguments":[],"streamIds":["c"]}`)
	if got := c.record(); got != `{"type":3,"invocationId":"7","error":"Failed to invoke 'Concat' due to an error on the server. HubException: The connection has too many streams open."}` {
		t.Errorf("third upload with MaxStreams 2: %s", got)
	}
	c.send(`{"type":3,"invocationId":"a"}`, `{"type":3,"invocationId":"b"}`)
	for range 2 {
		if m := c.message(); m["result"] != "" {
			t.Errorf("empty upload: %v", m)
		}
	}
}

func TestUploadBadItem(t *testing.T) {
	h := newTestHub(t, hub.Options{Logger: quietLogger()}, concat)
	c := connect(t, h.url)
	c.send(`{"type":1,"invocationId":"1","target":"Concat","arguments":[],"streamIds":["u"]}`,
		`{"type":2,"invocationId":"u","item":42}`)
	if got := c.record(); got != `{"type":3,"invocationId":"1","error":"Failed to invoke 'Concat' due to an error on the server."}` {
		t.Errorf("bad item: %s", got)
	}
	// Items after the method returned are dropped until the client completes.
	c.send(`{"type":2,"invocationId":"u","item":"late"}`, `{"type":3,"invocationId":"u"}`, `{"type":6}`)
}

// TestUploadItemForNoStream: items and completions for a stream the server does
// not know are dropped, as in ASP.NET Core. The official clients stream to an
// invocation whatever the server answered it, so a refused upload must not cost
// the connection.
func TestUploadItemForNoStream(t *testing.T) {
	h := newTestHub(t, hub.Options{Logger: quietLogger()}, concat, echo)
	c := connect(t, h.url)
	// A Completion for no stream is ignored (an item for one never announced
	// closes the connection: see TestProtocolErrorsCloseWithMessage).
	c.send(`{"type":3,"invocationId":"nothing"}`)
	// Refused for its extra argument: its stream is never opened, and what the
	// client still sends for it is dropped.
	c.send(`{"type":1,"invocationId":"1","target":"Concat","arguments":["extra"],"streamIds":["u"]}`,
		`{"type":2,"invocationId":"u","item":"a"}`, `{"type":3,"invocationId":"u"}`)
	if got := c.record(); got != `{"type":3,"invocationId":"1","error":"Failed to invoke 'Concat' due to an error on the server."}` {
		t.Errorf("refused upload: %s", got)
	}
	if m := c.invoke("2", "Echo", "still open"); m["result"] != "still open" {
		t.Errorf("after items for no stream: %v", m)
	}
	// The id is free for a later upload.
	c.send(`{"type":1,"invocationId":"3","target":"Concat","arguments":[],"streamIds":["u"]}`,
		`{"type":2,"invocationId":"u","item":"b"}`, `{"type":3,"invocationId":"u"}`)
	if got := c.record(); got != `{"type":3,"invocationId":"3","result":"b"}` {
		t.Errorf("upload after: %s", got)
	}
}
