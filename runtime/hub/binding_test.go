package hub_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/hubgen/hubgen/runtime/hub"
	"github.com/hubgen/hubgen/runtime/protocol"
)

// small frames a MessagePack body under 128 bytes.
func small(body ...byte) []byte { return append([]byte{byte(len(body))}, body...) }

// TestBindingFailures checks what ASP.NET Core's binding tables
// (JsonHubProtocolTestsBase.ArgumentBindingErrors,
// MessagePackHubProtocolTestBase.ArgumentBindingErrors) give a client: a
// Completion with the binding failure, detailed or not, and the connection
// kept, for MessagePack arguments that cannot even be read too.
func TestBindingFailures(t *testing.T) {
	xyz := hub.Method{Name: "xyz", Args: 1, Call: func(_ context.Context, a hub.Args) (any, error) { return hub.Arg[string](a, 0) }}
	foo := hub.Method{Name: "foo", Args: 2, Call: func(_ context.Context, a hub.Args) (any, error) {
		if _, err := hub.Arg[int](a, 0); err != nil {
			return nil, err
		}
		return hub.Arg[string](a, 1)
	}}
	const bound = "Failed to invoke 'xyz' due to an error on the server."
	mp := []struct {
		name string
		body []byte
		want string // the detail
	}{
		{"InvocationArgumentArrayMissing", []byte{0x94, 1, 0x80, 0xa3, 'a', 'b', 'c', 0xa3, 'x', 'y', 'z'}, "InvalidDataException: Reading array length for 'arguments' failed."},
		{"InvocationArgumentArrayNotAnArray", []byte{0x95, 1, 0x80, 0xa3, 'a', 'b', 'c', 0xa3, 'x', 'y', 'z', 42}, "InvalidDataException: Reading array length for 'arguments' failed."},
		{"InvocationArgumentArraySizeMismatchEmpty", []byte{0x95, 1, 0x80, 0xa3, 'a', 'b', 'c', 0xa3, 'x', 'y', 'z', 0x90}, "InvalidDataException: Invocation provides 0 argument(s) but target expects 1."},
		{"InvocationArgumentArraySizeMismatchTooLarge", []byte{0x95, 1, 0x80, 0xa3, 'a', 'b', 'c', 0xa3, 'x', 'y', 'z', 0x92, 0xa1, 'a', 0xa1, 'b'}, "InvalidDataException: Invocation provides 2 argument(s) but target expects 1."},
		{"InvocationArgumentTypeMismatch", []byte{0x95, 1, 0x80, 0xa3, 'a', 'b', 'c', 0xa3, 'x', 'y', 'z', 0x91, 42}, "InvalidDataException: Error binding arguments. Make sure that the types of the provided values match the types of the hub method being invoked."},
		{"malformed argument", []byte{0x95, 1, 0x80, 0xa3, 'a', 'b', 'c', 0xa3, 'x', 'y', 'z', 0x91, 0xc1}, "InvalidDataException: Error binding arguments. Make sure that the types of the provided values match the types of the hub method being invoked."},
		// Arguments that cannot be read fail the binding before the
		// invocation's kind is looked at.
		{"StreamInvocationArgumentArrayNotAnArray", []byte{0x95, 4, 0x80, 0xa3, 'a', 'b', 'c', 0xa3, 'x', 'y', 'z', 42}, "InvalidDataException: Reading array length for 'arguments' failed."},
	}
	for _, detailed := range []bool{true, false} {
		h := newTestHub(t, hub.Options{DetailedErrors: detailed, Logger: quietLogger()}, echo, xyz, foo)
		c := mpConnect(t, h.url)
		for _, tt := range mp {
			want := bound
			if detailed {
				want += " " + tt.want
			}
			c.mpSend(small(tt.body...))
			if got := c.mpMessage(); got.Type != protocol.Completion || got.InvocationID != "abc" || got.Error != want {
				t.Errorf("%s (detailed %v): %+v\nwant the error %q", tt.name, detailed, got, want)
			}
		}
		// A send gets no answer, whatever fails; the next invocation does.
		c.mpSend(small(0x95, 1, 0x80, 0xc0, 0xa3, 'x', 'y', 'z', 42))
		c.mpSend(mpInvocation(t, "2", "xyz", "alive"))
		if got := c.mpMessage(); got.Type != protocol.Completion || got.InvocationID != "2" || got.Error != "" {
			t.Errorf("after the failures (detailed %v): %+v", detailed, got)
		}
		// An unknown method is that, before its arguments.
		c.mpSend(small(0x95, 1, 0x80, 0xa1, '3', 0xa4, 'n', 'o', 'p', 'e', 42))
		if got := c.mpMessage(); got.Error != "Failed to invoke 'nope' due to an error on the server. HubException: Method does not exist." {
			t.Errorf("unknown method with unreadable arguments: %+v", got)
		}
		// Ill-formed UTF-8 in the target is U+FFFD in the text, as .NET
		// decodes it: one for each maximal subpart.
		c.mpSend(small(0x95, 1, 0x80, 0xa1, '4', 0xa5, 'x', 0xe2, 0x82, 0xff, 'y', 0x90))
		if got := c.mpMessage(); got.Error != "Failed to invoke 'x\ufffd\ufffdy' due to an error on the server. HubException: Method does not exist." {
			t.Errorf("ill-formed target: %q", got.Error)
		}
	}

	// JSON: the same binding, of arguments JSON could read.
	h := newTestHub(t, hub.Options{DetailedErrors: true, Logger: quietLogger()}, echo, foo)
	c := connect(t, h.url)
	const fooFailed = "Failed to invoke 'foo' due to an error on the server. InvalidDataException: "
	for _, tt := range []struct{ record, want string }{
		{`{"type":1,"invocationId":"42","target":"foo","arguments":[]}`, "Invocation provides 0 argument(s) but target expects 2."},
		{`{"type":1,"arguments":[], "invocationId":"42","target":"foo"}`, "Invocation provides 0 argument(s) but target expects 2."},
		{`{"type":1,"invocationId":"42","target":"foo","arguments":[ "abc", "xyz"]}`, "Error binding arguments. Make sure that the types of the provided values match the types of the hub method being invoked."},
		{`{"type":1,"invocationId":"42","arguments":[ "abc", "xyz"], "target":"foo"}`, "Error binding arguments. Make sure that the types of the provided values match the types of the hub method being invoked."},
		{`{"type":1,"invocationId":"42","target":"foo","arguments":[1,"",{"1":1,"2":2}]}`, "Invocation provides 3 argument(s) but target expects 2."},
		{`{"type":1,"invocationId":"42","target":"foo","arguments":[1,[1]]}`, "Error binding arguments. Make sure that the types of the provided values match the types of the hub method being invoked."},
		{`{"type":1,"invocationId":"42","target":"foo","arguments":[1,[]]}`, "Error binding arguments. Make sure that the types of the provided values match the types of the hub method being invoked."},
	} {
		if got := c.sendAndRecord(tt.record); got != `{"type":3,"invocationId":"42","error":`+quote(fooFailed+tt.want)+`}` {
			t.Errorf("%s: %s\nwant %s", tt.record, got, tt.want)
		}
	}
	// An empty target with arguments is no method, as ASP.NET Core's
	// binder finds; without arguments, the record is refused.
	if got := c.sendAndRecord(`{"type":1,"invocationId":"5","target":"","arguments":[]}`); got != `{"type":3,"invocationId":"5","error":"Failed to invoke '' due to an error on the server. HubException: Method does not exist."}` {
		t.Errorf("empty target: %s", got)
	}
	stillOpen(t, c)
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
