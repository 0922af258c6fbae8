package client_test

import (
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hubgen/hubgen/runtime/client"
	"github.com/hubgen/hubgen/runtime/protocol"
)

// recordReader reads the client's records one at a time, as text, skipping
// Pings.
type recordReader struct {
	ws      *websocket.Conn
	pending []string
}

func (r *recordReader) next() (string, error) {
	for len(r.pending) == 0 {
		_, data, err := r.ws.ReadMessage()
		if err != nil {
			return "", err
		}
		for rec := range strings.SplitSeq(strings.TrimSuffix(string(data), "\x1e"), "\x1e") {
			if rec != `{"type":6}` {
				r.pending = append(r.pending, rec)
			}
		}
	}
	rec := r.pending[0]
	r.pending = r.pending[1:]
	return rec, nil
}

// expect reads the next record and checks it.
func (r *recordReader) expect(t *testing.T, want string) bool {
	t.Helper()
	got, err := r.next()
	if err != nil || got != want {
		t.Errorf("client sent %s, %v\nwant %s", got, err, want)
		return false
	}
	return true
}

// byStream reads records until each stream id in want has as many as want
// holds, and checks them: the order within a stream is fixed, not across
// streams. Ids joined by "+" in a key of want share a sequence.
func (r *recordReader) byStream(t *testing.T, want map[string][]string) {
	t.Helper()
	got := map[string][]string{}
	key := map[string]string{}
	left := 0
	for k, recs := range want {
		left += len(recs)
		for id := range strings.SplitSeq(k, "+") {
			key[id] = k
		}
	}
	for ; left > 0; left-- {
		rec, err := r.next()
		if err != nil {
			t.Errorf("reading uploads: %v", err)
			return
		}
		var m protocol.Message
		if _, err := protocol.JSON.Parse([]byte(rec+"\x1e"), &m); err != nil {
			t.Errorf("record %s: %v", rec, err)
			return
		}
		got[key[m.InvocationID]] = append(got[key[m.InvocationID]], rec)
	}
	for id, recs := range want {
		if !slices.Equal(got[id], recs) {
			t.Errorf("stream %s: client sent\n%s\nwant\n%s", id, strings.Join(got[id], "\n"), strings.Join(recs, "\n"))
		}
	}
}

// TestStreamWire checks the messages of streams and uploads, against a server
// written for the test: ids, cancellation, and what the client ignores.
func TestStreamWire(t *testing.T) {
	s := newRawServer(t, func(ws *websocket.Conn) {
		r := &recordReader{ws: ws}
		// A stream to its end.
		if !r.expect(t, `{"type":4,"invocationId":"0","target":"Ticks","arguments":[2]}`) {
			return
		}
		send(ws, `{"type":2,"invocationId":"0","item":"a"}`, `{"type":2,"invocationId":"0","item":"b"}`, `{"type":3,"invocationId":"0"}`)

		// A stream the client breaks out of after one item.
		if !r.expect(t, `{"type":4,"invocationId":"1","target":"Ticks","arguments":[]}`) {
			return
		}
		send(ws, `{"type":2,"invocationId":"1","item":"x"}`)
		if !r.expect(t, `{"type":5,"invocationId":"1"}`) {
			return
		}
		// What still comes for it is ignored.
		send(ws, `{"type":2,"invocationId":"1","item":"late"}`, `{"type":3,"invocationId":"1","error":"late"}`)

		// Uploads take ids from the invocations' counter, before the
		// invocation's own, and leave the arguments.
		if !r.expect(t, `{"type":1,"invocationId":"4","target":"Up","arguments":["a"],"streamIds":["2","3"]}`) {
			return
		}
		r.byStream(t, map[string][]string{
			"2": {`{"type":2,"invocationId":"2","item":1}`, `{"type":2,"invocationId":"2","item":2}`, `{"type":3,"invocationId":"2"}`},
			"3": {`{"type":2,"invocationId":"3","item":7}`, `{"type":3,"invocationId":"3","error":"bad reading"}`},
		})
		send(ws, `{"type":3,"invocationId":"4","result":"done"}`)

		// An upload in a Send, which returns before its upload is sent, then an
		// upload in a stream.
		if !r.expect(t, `{"type":1,"target":"Rec","arguments":[],"streamIds":["5"]}`) {
			return
		}
		r.byStream(t, map[string][]string{
			"5": {`{"type":2,"invocationId":"5","item":"z"}`, `{"type":3,"invocationId":"5"}`},
			"6+7": {
				`{"type":4,"invocationId":"7","target":"Scale","arguments":[3],"streamIds":["6"]}`,
				`{"type":2,"invocationId":"6","item":1}`,
				`{"type":3,"invocationId":"6"}`,
			},
		})
		send(ws, `{"type":2,"invocationId":"7","item":3}`, `{"type":3,"invocationId":"7"}`)
		drain(ws)
	})
	c := dial(t, s.url, client.Options{})
	ctx := testCtx(t)

	if got, err := collect(client.StreamOf[string](ctx, c, "Ticks", 2)); err != nil || !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("Ticks = %v, %v", got, err)
	}
	for v, err := range client.StreamOf[string](ctx, c, "Ticks") {
		if v != "x" || err != nil {
			t.Errorf("Ticks: %q, %v", v, err)
		}
		break
	}
	bad := client.UploadOf(func(yield func(int, error) bool) {
		if yield(7, nil) {
			yield(0, errors.New("bad reading"))
		}
	})
	var res string
	if err := c.Invoke(ctx, "Up", &res, "a", client.UploadOf(items(1, 2)), bad); err != nil || res != "done" {
		t.Errorf("Up = %q, %v", res, err)
	}
	if err := c.Send(ctx, "Rec", client.UploadOf(items("z"))); err != nil {
		t.Errorf("Send: %v", err)
	}
	if got, err := collect(client.StreamOf[int](ctx, c, "Scale", 3, client.UploadOf(items(1)))); err != nil || !slices.Equal(got, []int{3}) {
		t.Errorf("Scale = %v, %v", got, err)
	}
	if c.State() != client.Connected {
		t.Errorf("State = %v", c.State())
	}
}

// TestStreamConnectionLost: a stream whose connection drops ends with an error
// that wraps ErrConnectionClosed, after the items that came; while the client
// reconnects, streams fail at once.
func TestStreamConnectionLost(t *testing.T) {
	var conns atomic.Int32
	s := newRawServer(t, func(ws *websocket.Conn) {
		if conns.Add(1) > 1 {
			drain(ws)
			return
		}
		r := &recordReader{ws: ws}
		if !r.expect(t, `{"type":4,"invocationId":"0","target":"Ticks","arguments":[]}`) {
			return
		}
		send(ws, `{"type":2,"invocationId":"0","item":"a"}`, `{"type":2,"invocationId":"0","item":"b"}`)
		ws.UnderlyingConn().Close() // no close frame: the connection is lost
	})
	reconnecting := make(chan struct{})
	c := dial(t, s.url, client.Options{
		Reconnect:      func(int, time.Duration, error) (time.Duration, bool) { return time.Hour, true },
		OnReconnecting: func(error) { close(reconnecting) },
	})
	ctx := testCtx(t)

	got, err := collect(client.StreamOf[string](ctx, c, "Ticks"))
	if !slices.Equal(got, []string{"a", "b"}) || !errors.Is(err, client.ErrConnectionClosed) || !strings.Contains(err.Error(), "the connection was lost") {
		t.Errorf("Ticks = %v, %v; want a, b and the connection lost", got, err)
	}
	recv(t, reconnecting, "OnReconnecting")
	if got, err := collect(client.StreamOf[string](ctx, c, "Ticks")); len(got) != 0 || !errors.Is(err, client.ErrReconnecting) {
		t.Errorf("Ticks while reconnecting = %v, %v", got, err)
	}
	if err := c.Invoke(ctx, "Up", nil, client.UploadOf(items(1))); !errors.Is(err, client.ErrReconnecting) {
		t.Errorf("upload while reconnecting = %v", err)
	}
	c.Close()
	checkNoClientGoroutines(t)
}

// TestUploadConnectionLost: an upload whose connection drops stops, and sends
// nothing on the connection that replaces it.
func TestUploadConnectionLost(t *testing.T) {
	var conns atomic.Int32
	after := make(chan string, 10) // what the second connection gets
	s := newRawServer(t, func(ws *websocket.Conn) {
		r := &recordReader{ws: ws}
		if conns.Add(1) > 1 {
			for {
				rec, err := r.next()
				if err != nil {
					return
				}
				after <- rec
				if strings.Contains(rec, `"target":"Check"`) {
					send(ws, `{"type":3,"invocationId":"2","result":"ok"}`)
				}
			}
		}
		if !r.expect(t, `{"type":1,"invocationId":"1","target":"Up","arguments":[],"streamIds":["0"]}`) ||
			!r.expect(t, `{"type":2,"invocationId":"0","item":1}`) {
			return
		}
		ws.UnderlyingConn().Close()
	})
	reconnected := make(chan struct{}, 1)
	c := dial(t, s.url, client.Options{Reconnect: fastReconnect, OnReconnected: func(string) { reconnected <- struct{}{} }})
	ctx := testCtx(t)

	release, stopped := make(chan struct{}), make(chan int, 1)
	upload := client.UploadOf(func(yield func(int, error) bool) {
		if !yield(1, nil) {
			stopped <- 1
			return
		}
		<-release
		for i := 2; ; i++ {
			if !yield(i, nil) {
				stopped <- i
				return
			}
		}
	})
	if err := c.Invoke(ctx, "Up", nil, upload); !errors.Is(err, client.ErrConnectionClosed) {
		t.Errorf("Up = %v, want ErrConnectionClosed", err)
	}
	recv(t, reconnected, "OnReconnected")
	close(release)
	if i := recv(t, stopped, "the upload to stop"); i != 2 {
		t.Errorf("the upload stopped at item %d, want 2", i)
	}
	var res string
	if err := c.Invoke(ctx, "Check", &res); err != nil || res != "ok" {
		t.Errorf("Check = %q, %v", res, err)
	}
	if rec := recv(t, after, "the second connection's first record"); rec != `{"type":1,"invocationId":"2","target":"Check","arguments":[]}` {
		t.Errorf("the second connection got %s first", rec)
	}
	c.Close()
	checkNoClientGoroutines(t)
}
