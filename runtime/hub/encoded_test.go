package hub_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/hubgen/hubgen/runtime/hub"
	"github.com/hubgen/hubgen/runtime/protocol"
)

// protocolRecorder is a lifetime manager that wants the hub's protocols.
type protocolRecorder struct {
	*hub.MemoryLifetime
	got [][]string
}

func (r *protocolRecorder) UseProtocols(ps []protocol.Protocol) {
	var names []string
	for _, p := range ps {
		names = append(names, p.Name())
	}
	r.got = append(r.got, names)
}

func TestProtocolUserLearnsTheHubsProtocols(t *testing.T) {
	for _, tc := range []struct {
		protocols []protocol.Protocol
		want      []string
	}{
		{nil, []string{"json", "messagepack"}},
		{[]protocol.Protocol{protocol.MessagePack}, []string{"messagepack"}},
	} {
		r := &protocolRecorder{MemoryLifetime: hub.NewMemoryLifetime()}
		hub.New(nil, hub.Options{Protocols: tc.protocols, Lifetime: r})
		if len(r.got) != 1 || !slices.Equal(r.got[0], tc.want) {
			t.Errorf("Protocols %v: UseProtocols calls = %v, want one with %v", tc.protocols, r.got, tc.want)
		}
	}
}

func TestNewEncodedMessage(t *testing.T) {
	m := hub.NewEncoded(map[protocol.Protocol][]byte{protocol.JSON: []byte(`{"type":1,"target":"Hi","arguments":[]}` + rs)})
	if _, err := m.Encode(protocol.MessagePack); err == nil || !strings.Contains(err.Error(), "'messagepack'") {
		t.Errorf("Encode(MessagePack) error = %v, want one that names the protocol", err)
	}

	// A connection gets the bytes as they are.
	h := newTestHub(t, hub.Options{})
	c := connect(t, h.url)
	c.invoke("1", "Missing") // a round trip: the connection is registered
	if err := h.Clients().All().SendMessage(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if got := c.record(); got != `{"type":1,"target":"Hi","arguments":[]}` {
		t.Errorf("received %q", got)
	}
}
