package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// target is a server process under test.
type target struct {
	mode      string
	base      string // http://127.0.0.1:port
	cmd       *exec.Cmd
	negotiate bool // connections negotiate first (always with stateful reconnect)
}

// start runs this program again as a server of the given mode.
func start(mode string) (*target, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "-serve", mode)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		return nil, fmt.Errorf("%s server: %v", mode, err)
	}
	return &target{mode: mode, base: "http://" + strings.TrimSpace(addr), cmd: cmd}, nil
}

func (t *target) stop() {
	t.cmd.Process.Kill()
	t.cmd.Wait()
}

func (t *target) stats(gc bool) stats {
	url := t.base + "/stats"
	if gc {
		url += "?gc=1"
	}
	var s stats
	resp, err := http.Get(url)
	if err == nil {
		json.NewDecoder(resp.Body).Decode(&s)
		resp.Body.Close()
	}
	return s
}

// The wire protocols of the servers.
type wire int

const (
	signalrWire    wire = iota // hubgen, philippseith: the SignalR JSON hub protocol
	rawWire                    // raw gorilla: frames echoed as they are
	centrifugeWire             // centrifuge's JSON protocol: connect, RPC, subscribe
)

func (t *target) wire() wire {
	switch t.mode {
	case "gorilla":
		return rawWire
	case "centrifuge":
		return centrifugeWire
	}
	return signalrWire
}

// request returns call n of an echo of arg in the server's protocol.
func (t *target) request(n int, arg string) []byte {
	if t.wire() == centrifugeWire {
		return []byte(`{"id":` + strconv.Itoa(n+10) + `,"rpc":{"method":"echo","data":"` + arg + `"}}`)
	}
	return []byte(`{"type":1,"invocationId":"` + strconv.Itoa(n) + `","target":"Echo","arguments":["` + arg + `"]}` + "\x1e")
}

// isReply reports whether a frame answers an echo (and is not, say, a ping).
func (t *target) isReply(b []byte) bool {
	switch t.wire() {
	case signalrWire:
		return bytes.Contains(b, []byte(`"type":3`))
	case centrifugeWire:
		return bytes.Contains(b, []byte(`"rpc"`))
	}
	return true
}

// greet does what the server's protocol needs before anything else: the
// SignalR handshake, or centrifuge's connect and a subscription.
func (t *target) greet(ws *websocket.Conn) error {
	switch t.wire() {
	case signalrWire:
		return handshake(ws, t.stateful())
	case centrifugeWire:
		for i, cmd := range []string{`{"id":1,"connect":{}}`, `{"id":2,"subscribe":{"channel":"` + cfChannel + `"}}`} {
			if err := ws.WriteMessage(websocket.TextMessage, []byte(cmd)); err != nil {
				return err
			}
			for {
				_, b, err := ws.ReadMessage()
				if err != nil {
					return err
				}
				if bytes.Contains(b, []byte(`"id":`+strconv.Itoa(i+1)+`,`)) {
					if bytes.Contains(b, []byte(`"error"`)) {
						return fmt.Errorf("centrifuge answered %s", b)
					}
					break
				}
			}
		}
	}
	return nil
}

// dialAll opens n connections, at most 100 at a time, handshake done.
func (t *target) dialAll(n int) ([]*websocket.Conn, error) {
	conns := make([]*websocket.Conn, n)
	errs := make(chan error, n)
	sem := make(chan struct{}, 100)
	var wg sync.WaitGroup
	dialer := websocket.Dialer{ReadBufferSize: 4096, WriteBufferSize: 4096, HandshakeTimeout: 30 * time.Second}
	url := "ws" + strings.TrimPrefix(t.base, "http") + "/hub"
	for i := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			u := url
			if t.negotiate || t.stateful() {
				token, err := t.negotiateFor()
				if err != nil {
					errs <- err
					return
				}
				u += "?id=" + token
			}
			ws, _, err := dialer.Dial(u, nil)
			if err == nil {
				err = t.greet(ws)
			}
			if err != nil {
				errs <- err
				return
			}
			conns[i] = ws
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		closeAll(conns)
		return nil, err
	}
	return conns, nil
}

// stateful reports whether the target is hubgen with stateful reconnect.
func (t *target) stateful() bool { return t.mode == "hubgen-stateful" }

// negotiateFor negotiates a connection, a stateful one from a stateful
// target; it returns its token.
func (t *target) negotiateFor() (string, error) {
	url := t.base + "/hub/negotiate?negotiateVersion=1"
	if t.stateful() {
		url += "&useStatefulReconnect=true"
	}
	resp, err := http.Post(url, "", nil)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var n struct {
		ConnectionToken      string
		UseStatefulReconnect bool
	}
	if err := json.NewDecoder(resp.Body).Decode(&n); err != nil || n.UseStatefulReconnect != t.stateful() {
		return "", fmt.Errorf("negotiate: stateful reconnect %v, want %v (%v)", n.UseStatefulReconnect, t.stateful(), err)
	}
	return n.ConnectionToken, nil
}

func handshake(ws *websocket.Conn, stateful bool) error {
	version := "1"
	if stateful {
		version = "2" // stateful reconnect, as the official clients ask
	}
	if err := ws.WriteMessage(websocket.TextMessage, []byte(`{"protocol":"json","version":`+version+`}`+"\x1e")); err != nil {
		return err
	}
	_, b, err := ws.ReadMessage()
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(b, []byte("{}\x1e")) {
		return fmt.Errorf("handshake answered %q", b)
	}
	return nil
}

func closeAll(conns []*websocket.Conn) {
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
}

// echoResult is what an echo run measured.
type echoResult struct {
	rate          float64 // round trips per second
	p50, p99      time.Duration
	allocsPerCall float64 // server allocations per invocation
}

// echo runs closed-loop invocations of Echo with a 64-byte argument on conns
// connections for d.
func (t *target) echo(conns int, d time.Duration) (echoResult, error) {
	ws, err := t.dialAll(conns)
	if err != nil {
		return echoResult{}, err
	}
	defer closeAll(ws)
	arg := strings.Repeat("a", 64)
	before := t.stats(false)
	lat := make([][]time.Duration, conns)
	var calls atomic.Int64
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	began := time.Now()
	for i, c := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; time.Now().Before(deadline); n++ {
				msg := t.request(n, arg)
				t0 := time.Now()
				if c.WriteMessage(websocket.TextMessage, msg) != nil {
					return
				}
				for { // pings may come first
					_, b, err := c.ReadMessage()
					if err != nil {
						return
					}
					if t.isReply(b) {
						break
					}
				}
				lat[i] = append(lat[i], time.Since(t0))
				calls.Add(1)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(began)
	after := t.stats(false)
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) == 0 {
		return echoResult{}, fmt.Errorf("no round trip completed")
	}
	return echoResult{
		rate:          float64(calls.Load()) / elapsed.Seconds(),
		p50:           all[len(all)/2],
		p99:           all[len(all)*99/100],
		allocsPerCall: float64(after.Mallocs-before.Mallocs) / float64(calls.Load()),
	}, nil
}

// broadcastResult is what a broadcast run measured.
type broadcastResult struct {
	rate       float64 // deliveries per second
	outOfOrder int     // messages that arrived after a later one
	lost       int     // messages that never arrived
}

// broadcast has the server send msgs messages of size bytes to conns
// connections and counts what arrives.
func (t *target) broadcast(conns, msgs, size int) (broadcastResult, error) {
	ws, err := t.dialAll(conns)
	if err != nil {
		return broadcastResult{}, err
	}
	defer closeAll(ws)
	var res broadcastResult
	var mu sync.Mutex
	var wg sync.WaitGroup
	var lastDone atomic.Int64
	for _, c := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			next, got, bad := 0, 0, 0
			acked := time.Now() // when a stateful connection last acknowledged
			c.SetReadDeadline(time.Now().Add(60 * time.Second))
			for got < msgs && next < msgs {
				_, b, err := c.ReadMessage()
				if err != nil {
					break
				}
				for rec := range bytes.FieldsFuncSeq(b, func(r rune) bool { return r == 0x1e || r == '\n' }) {
					rest, ok := afterMarker(rec)
					if !ok {
						continue
					}
					seq, _ := strconv.Atoi(string(rest[:bytes.IndexByte(rest, ',')]))
					if seq < next {
						bad++ // arrived after a later message
					}
					next = max(next, seq+1)
					got++
					if t.stateful() && time.Since(acked) >= ackInterval {
						acked = time.Now()
						c.WriteMessage(websocket.TextMessage, []byte(`{"type":8,"sequenceId":`+strconv.Itoa(got)+`}`+"\x1e"))
					}
				}
			}
			lastDone.Store(time.Now().UnixNano())
			mu.Lock()
			res.outOfOrder += bad
			res.lost += msgs - got
			mu.Unlock()
		}()
	}
	began := time.Now()
	resp, err := http.Post(fmt.Sprintf("%s/broadcast?n=%d&size=%d", t.base, msgs, size), "", nil)
	if err != nil {
		return res, err
	}
	resp.Body.Close()
	wg.Wait()
	elapsed := time.Duration(lastDone.Load() - began.UnixNano())
	res.rate = float64(conns*msgs-res.lost) / elapsed.Seconds()
	return res, nil
}

// idleResult is the server's cost of one idle connection.
type idleResult struct {
	heap, rss, goroutines float64 // per connection
}

// idle opens conns connections and measures the server's growth.
func (t *target) idle(conns int) (idleResult, error) {
	before := t.stats(true)
	ws, err := t.dialAll(conns)
	if err != nil {
		return idleResult{}, err
	}
	defer closeAll(ws)
	after := t.stats(true)
	n := float64(conns)
	return idleResult{
		heap:       (float64(after.HeapInuse+after.StackInuse) - float64(before.HeapInuse+before.StackInuse)) / n,
		rss:        (float64(after.RSS) - float64(before.RSS)) / n,
		goroutines: float64(after.Goroutines-before.Goroutines) / n,
	}, nil
}

// afterMarker finds a broadcast's sequence number in a message: the first
// argument of a SignalR invocation, or the first element of a centrifuge
// publication's data.
func afterMarker(rec []byte) ([]byte, bool) {
	for _, marker := range [][]byte{[]byte(`"arguments":[`), []byte(`"data":[`)} {
		if i := bytes.Index(rec, marker); i >= 0 {
			return rec[i+len(marker):], true
		}
	}
	return nil, false
}

// ackInterval is how often a stateful connection of the load acknowledges
// what it received, as the official clients do (a second after a message).
var ackInterval = time.Second
