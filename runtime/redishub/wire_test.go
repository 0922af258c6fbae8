package redishub

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hubgen/hubgen/runtime/hub"
	"github.com/hubgen/hubgen/runtime/protocol"
	"github.com/redis/go-redis/v9"
)

func TestWireRoundTrips(t *testing.T) {
	long := strings.Repeat("x", 70000)
	send := &sendMsg{origin: "s1", except: []string{"a", long}, groups: []string{"g1", "g*"},
		encodings: []encoded{{proto: "json", b: []byte("{}\x1e")}, {proto: "messagepack", b: []byte(long)}}}
	s, g, inv, err := decodeCommand(appendSend(nil, send))
	if err != nil || g != nil || inv != nil || !reflect.DeepEqual(s, send) {
		t.Errorf("send: %+v, %v", s, err)
	}
	// Empty lists come back nil.
	s, _, _, err = decodeCommand(appendSend(nil, &sendMsg{origin: "s1"}))
	if err != nil || !reflect.DeepEqual(s, &sendMsg{origin: "s1", encodings: []encoded{}}) {
		t.Errorf("empty send: %+v, %v", s, err)
	}

	group := &groupMsg{ack: 1 << 40, reply: "s2", add: true, group: "[g]"}
	_, g, _, err = decodeCommand(appendGroup(nil, group))
	if err != nil || !reflect.DeepEqual(g, group) {
		t.Errorf("group: %+v, %v", g, err)
	}

	invoke := &invokeMsg{id: "7", reply: "s3", method: "Ask", timeoutMS: 30000,
		args: []encoded{{proto: "json", args: [][]byte{[]byte(`"q"`), []byte("1")}}, {proto: "messagepack", args: [][]byte{{0xa1, 'q'}, {1}}}}}
	_, _, inv, err = decodeCommand(appendInvoke(nil, invoke))
	if err != nil || !reflect.DeepEqual(inv, invoke) {
		t.Errorf("invoke: %+v, %v", inv, err)
	}

	ack := ackMsg{id: 300, status: statusNoConnection, text: "gone"}
	if got, err := decodeAck(appendAck(nil, &ack)); err != nil || got != ack {
		t.Errorf("ack: %+v, %v", got, err)
	}

	for _, ret := range []returnMsg{
		{id: "9", status: statusOK, proto: "json", result: []byte(`"yes"`)},
		{id: "10", status: statusOK, proto: "json"},
		{id: "11", status: statusClientError, text: "no"},
	} {
		if got, err := decodeReturn(appendReturn(nil, &ret)); err != nil || !reflect.DeepEqual(got, ret) {
			t.Errorf("return: %+v, %v; want %+v", got, err, ret)
		}
	}
}

func TestWireErrors(t *testing.T) {
	payloads := [][]byte{
		appendSend(nil, &sendMsg{origin: "s1", except: []string{"a"}, groups: []string{"g"}, encodings: []encoded{{proto: "json", b: []byte("{}")}}}),
		appendGroup(nil, &groupMsg{ack: 1, reply: "s2", add: true, group: "g"}),
		appendInvoke(nil, &invokeMsg{id: "1", reply: "s", method: "M", args: []encoded{{proto: "json", args: [][]byte{[]byte("1")}}}}),
	}
	for _, p := range payloads {
		for n := range len(p) {
			if _, _, _, err := decodeCommand(p[:n]); err == nil {
				t.Errorf("%x cut to %d bytes: no error", p, n)
			}
		}
	}
	// Too few items.
	e := encoder{}
	e.array(2)
	e.uint(kindGroup)
	e.uint(1)
	if _, _, _, err := decodeCommand(e.b); err == nil || !strings.Contains(err.Error(), "insufficient items in group array") {
		t.Errorf("short group: %v", err)
	}
	if _, err := decodeAck([]byte{0x91, 0x01}); err == nil || !strings.Contains(err.Error(), "insufficient items in ack array") {
		t.Errorf("short ack: %v", err)
	}
	// Unknown kind.
	if _, _, _, err := decodeCommand([]byte{0x91, 0x09}); err == nil || !strings.Contains(err.Error(), "unknown kind 9") {
		t.Errorf("unknown kind: %v", err)
	}
	// Items after those known are ignored.
	e = encoder{}
	e.array(6)
	e.uint(kindGroup)
	e.uint(1)
	e.str("s")
	e.bool(false)
	e.str("g")
	e.str("from a newer server")
	if _, g, _, err := decodeCommand(e.b); err != nil || g.group != "g" {
		t.Errorf("group with an extra item: %+v, %v", g, err)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(appendSend(nil, &sendMsg{origin: "s1", except: []string{"a"}, encodings: []encoded{{proto: "json", b: []byte("{}")}}}))
	f.Add(appendInvoke(nil, &invokeMsg{id: "1", args: []encoded{{proto: "json", args: [][]byte{[]byte("1")}}}}))
	f.Add(appendReturn(nil, &returnMsg{id: "1", result: []byte("1")}))
	f.Add(appendAck(nil, &ackMsg{id: 1}))
	f.Fuzz(func(t *testing.T, b []byte) {
		decodeCommand(b)
		decodeAck(b)
		decodeReturn(b)
	})
}

// TestEncodesOncePerHubProtocol: what goes over Redis holds the message in
// each protocol of the hub, which hub.New tells the Lifetime.
func TestEncodesOncePerHubProtocol(t *testing.T) {
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	defer rdb.Close()
	ctx := context.Background()
	for _, tc := range []struct {
		protocols []protocol.Protocol
		want      []string
	}{
		{nil, []string{"json", "messagepack"}},
		{[]protocol.Protocol{protocol.MessagePack}, []string{"messagepack"}},
	} {
		lt := New(rdb, Options{ChannelPrefix: "p"})
		hub.New(nil, hub.Options{Protocols: tc.protocols, Lifetime: lt})
		sub := rdb.Subscribe(ctx, "p:all")
		if _, err := sub.Receive(ctx); err != nil {
			t.Fatal(err)
		}
		if err := lt.SendAll(ctx, hub.NewInvocation("Hi", 1), nil); err != nil {
			t.Fatal(err)
		}
		msg, err := sub.ReceiveMessage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		s, _, _, err := decodeCommand([]byte(msg.Payload))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range s.encodings {
			got = append(got, e.proto)
			p := lt.protocolNamed(e.proto)
			var pm protocol.Message
			if _, err := p.Parse(e.b, &pm); err != nil || pm.Target != "Hi" {
				t.Errorf("%s encoding: %+v, %v", e.proto, pm, err)
			}
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("hub protocols %v: encodings %v, want %v", tc.protocols, got, tc.want)
		}
		sub.Close()
		lt.Close()
	}
}

// TestBarrierOrdersSubscriptions: a subscription counts as done only once
// Redis confirmed it, also when the same channel is dropped and taken again
// at once.
func TestBarrierOrdersSubscriptions(t *testing.T) {
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	defer rdb.Close()
	lt := New(rdb, Options{ChannelPrefix: "p"})
	defer lt.Close()
	ctx := context.Background()
	for range 50 {
		lt.subMu.Lock()
		waits := lt.acquireLocked("p:group:g")
		lost := lt.lost
		lt.subMu.Unlock()
		if err := lt.await(ctx, lost, waits...); err != nil {
			t.Fatal(err)
		}
		if n := rdb.PubSubNumSub(ctx, "p:group:g").Val()["p:group:g"]; n != 1 {
			t.Fatalf("confirmed, but Redis counts %d subscribers", n)
		}
		lt.subMu.Lock()
		lt.releaseLocked("p:group:g")
		lt.subMu.Unlock()
	}
	// The barriers are gone.
	deadline := time.Now().Add(5 * time.Second)
	for {
		chans := rdb.PubSubChannels(ctx, "p:internal:barrier:*").Val()
		if len(chans) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("barrier channels left: %q", chans)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
