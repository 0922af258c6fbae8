package hub_test

import (
	"strings"
	"testing"

	"github.com/hubgen/hubgen/runtime/hub"
)

// The limits are options; see also TestMessageJustUnderTheLimit,
// TestParallelInvocations, TestUploadStreams (MaxStreams for uploads),
// TestStreamBackpressure (StreamBuffer), TestFaults cases 1, 11 and 15
// (HandshakeTimeout, MaxMessageSize, the protocol's MaxDepth) and
// TestPendingNegotiationsExpireAndAreCapped (MaxPending).
func TestLimitsAreOptions(t *testing.T) {
	// MaxStreams counts server streams too.
	h := newTestHub(t, hub.Options{MaxStreams: 2, Logger: quietLogger()}, forever)
	c := connect(t, h.url)
	for _, id := range []string{"a", "b"} {
		c.send(`{"type":4,"invocationId":"` + id + `","target":"Forever","arguments":[]}`)
		expectRecord(t, c, `{"type":2,"invocationId":"`+id+`","item":"started"}`)
	}
	c.send(`{"type":4,"invocationId":"c","target":"Forever","arguments":[]}`)
	expectRecord(t, c, `{"type":3,"invocationId":"c","error":"Failed to invoke 'Forever' due to an error on the server. HubException: The connection has too many streams open."}`)
	c.send(`{"type":5,"invocationId":"a"}`)
	expectRecord(t, c, `{"type":3,"invocationId":"a"}`)
	c.send(`{"type":4,"invocationId":"d","target":"Forever","arguments":[]}`)
	expectRecord(t, c, `{"type":2,"invocationId":"d","item":"started"}`)

	// A negative MaxMessageSize lifts the limit.
	h = newTestHub(t, hub.Options{MaxMessageSize: -1}, echo)
	c = connect(t, h.url)
	big := strings.Repeat("x", 100000)
	if m := c.invoke("1", "Echo", big); m["result"] != big {
		t.Error("a 100 kB message was refused with MaxMessageSize -1")
	}
}
