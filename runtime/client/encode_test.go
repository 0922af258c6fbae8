package client_test

import (
	"context"
	"errors"
	"iter"
	"math"
	"strings"
	"testing"

	"github.com/hubgen/hubgen/runtime/client"
	"github.com/hubgen/hubgen/runtime/hub"
	"github.com/hubgen/hubgen/runtime/protocol"
	"github.com/vmihailenco/msgpack/v5"
)

// panicJSON is a value whose MarshalJSON panics; MessagePack encodes it as an
// empty map.
type panicJSON struct{}

func (panicJSON) MarshalJSON() ([]byte, error) { panic("MarshalJSON boom") }

// panicMsgpack is a value whose EncodeMsgpack panics; JSON encodes it as {}.
type panicMsgpack struct{}

func (panicMsgpack) EncodeMsgpack(*msgpack.Encoder) error { panic("EncodeMsgpack boom") }

var _ msgpack.CustomEncoder = panicMsgpack{}

// badValue is a value that a protocol may fail to encode.
type badValue struct {
	name  string
	value func() any
	fails map[string]bool // by protocol name: whether encoding it fails
	text  map[string]string
}

var badValues = []badValue{
	{"MarshalJSON panics", func() any { return panicJSON{} },
		map[string]bool{"json": true}, map[string]string{"json": "panic while encoding: MarshalJSON boom"}},
	{"EncodeMsgpack panics", func() any { return panicMsgpack{} },
		map[string]bool{"messagepack": true}, map[string]string{"messagepack": "panic while encoding: EncodeMsgpack boom"}},
	{"NaN", func() any { return math.NaN() },
		map[string]bool{"json": true}, map[string]string{"json": "NaN"}},
	{"+Inf", func() any { return math.Inf(1) },
		map[string]bool{"json": true}, map[string]string{"json": "+Inf"}},
	{"chan", func() any { return make(chan int) },
		map[string]bool{"json": true, "messagepack": true}, map[string]string{"json": "chan int", "messagepack": "chan int"}},
}

// TestUnencodable: a value that cannot be encoded, as an argument of Invoke,
// Send or StreamOf, as an upload's item, or as a handler's result, fails that
// one message with an error that names the method, and the connection goes on.
func TestUnencodable(t *testing.T) {
	for _, proto := range []protocol.Protocol{protocol.JSON, protocol.MessagePack} {
		t.Run(proto.Name(), func(t *testing.T) {
			h := newStreamHub(t, hub.Options{Protocols: []protocol.Protocol{protocol.JSON, protocol.MessagePack}})
			var result any // what the handler returns
			c := dial(t, h.url, client.Options{Protocol: proto, Handlers: map[string]client.Handler{
				"Result": func(context.Context, client.Args) (any, error) { return result, nil },
			}})
			ctx := testCtx(t)
			echoWorks(t, ctx, c, "before")
			for _, bv := range badValues {
				fails, text := bv.fails[proto.Name()], bv.text[proto.Name()]
				// check checks the error of a call on the client.
				check := func(what string, err error, want string) {
					t.Helper()
					switch {
					case !fails && err != nil:
						t.Errorf("%s, %s: %v, want success", bv.name, what, err)
					case fails && (err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), text)):
						t.Errorf("%s, %s: %v, want an error with %q and %q", bv.name, what, err, want, text)
					}
					echoWorks(t, ctx, c, "after "+bv.name+", "+what)
				}
				check("Invoke", c.Invoke(ctx, "Ignore", nil, bv.value()),
					`client: cannot encode the arguments of "Ignore": `)
				check("Send", c.Send(ctx, "Ignore", bv.value()),
					`client: cannot encode the arguments of "Ignore": `)
				if fails {
					var err error
					for _, err = range client.StreamOf[int](ctx, c, "Count", bv.value()) {
						break
					}
					check("StreamOf", err, `client: cannot encode the arguments of "Count": `)
				}
				up := client.UploadOf(iter.Seq2[any, error](func(yield func(any, error) bool) {
					if yield("fine", nil) {
						yield(bv.value(), nil)
					}
				}))
				check("upload", c.Invoke(ctx, "Drain", nil, up),
					`HubException: client: cannot encode an item of upload stream `)
				if fails {
					// The upload's error names the method.
					err := c.Invoke(ctx, "Drain", nil, up)
					if err == nil || !strings.Contains(err.Error(), `of "Drain": `) {
						t.Errorf("%s, upload: %v, want the method's name", bv.name, err)
					}
				}

				result = bv.value()
				var got any
				err := h.srv.Clients().Client(c.ID()).Invoke(ctx, "Result", &got)
				var he *hub.Error
				switch {
				case !fails && err != nil:
					t.Errorf("%s, handler result: %v, want success", bv.name, err)
				case fails && (!errors.As(err, &he) || !strings.HasPrefix(he.Message, `client: cannot encode the result of "Result": `) || !strings.Contains(he.Message, text)):
					t.Errorf("%s, handler result: the server got %#v, want an error Completion", bv.name, err)
				}
				echoWorks(t, ctx, c, "after "+bv.name+", handler result")
			}
			if c.State() != client.Connected {
				t.Errorf("State = %v", c.State())
			}
		})
	}
}
