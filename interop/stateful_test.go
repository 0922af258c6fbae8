package interop

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hubgen/hubgen/runtime/client"
	"github.com/hubgen/hubgen/runtime/hub"
	"github.com/hubgen/hubgen/runtime/transport"
)

// statefulHubs are the hubs of stateful.test.js, behind a proxy that cuts
// connections when told: /hubs/stateful allows stateful reconnects with the
// default window, /hubs/stateful-short with a window of a few hundred
// milliseconds. The tests control the proxy, and learn of disconnects,
// through $HUB_URL/stateful/..., which does not go through the proxy.
type statefulHubs struct {
	long, short *hub.Server
	proxy       *proxy

	mu          sync.Mutex
	disconnects map[string]int           // OnDisconnected runs, by connection id
	gone        map[string]chan struct{} // closed on a connection's first OnDisconnected
}

// mountStateful mounts the stateful hubs and their control endpoints on mux,
// and starts a proxy to target.
func mountStateful(mux *transport.Mux, log *slog.Logger) *statefulHubs {
	s := &statefulHubs{disconnects: make(map[string]int), gone: make(map[string]chan struct{})}
	s.long = s.newHub(hub.Options{Logger: log, AllowStatefulReconnects: true})
	s.short = s.newHub(hub.Options{Logger: log, AllowStatefulReconnects: true, DisconnectTimeout: 300 * time.Millisecond})
	mux.Mount("/hubs/stateful", s.long)
	mux.Mount("/hubs/stateful-short", s.short)
	mux.Handle("POST /stateful/cut", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { s.proxy.cut() }))
	mux.Handle("POST /stateful/hold", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { s.proxy.hold() }))
	mux.Handle("POST /stateful/release", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { s.proxy.release() }))
	// What the proxy did: the cuts that reset a connection, and the
	// connections it accepted.
	mux.Handle("GET /stateful/proxy", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		s.proxy.mu.Lock()
		defer s.proxy.mu.Unlock()
		fmt.Fprintf(w, `{"cuts":%d,"accepted":%d}`, s.proxy.cuts, s.proxy.accepted)
	}))
	mux.Handle("GET /stateful/disconnects/{id}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		n := s.disconnects[r.PathValue("id")]
		s.mu.Unlock()
		io.WriteString(w, strconv.Itoa(n))
	}))
	// Answers once the connection's OnDisconnected ran: the count of its runs.
	mux.Handle("GET /stateful/gone/{id}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		select {
		case <-s.goneChan(id):
		case <-r.Context().Done():
			return
		}
		s.mu.Lock()
		n := s.disconnects[id]
		s.mu.Unlock()
		io.WriteString(w, strconv.Itoa(n))
	}))
	return s
}

func (s *statefulHubs) goneChan(id string) chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.gone[id]
	if !ok {
		ch = make(chan struct{})
		s.gone[id] = ch
	}
	return ch
}

func (s *statefulHubs) newHub(opts hub.Options) *hub.Server {
	opts.OnDisconnected = func(_ context.Context, c *hub.Conn, _ error) {
		ch := s.goneChan(c.ID())
		s.mu.Lock()
		s.disconnects[c.ID()]++
		first := s.disconnects[c.ID()] == 1
		s.mu.Unlock()
		if first {
			close(ch)
		}
	}
	var srv *hub.Server
	srv = hub.New([]hub.Method{
		{Name: "GetConnectionId", Call: func(ctx context.Context, _ hub.Args) (any, error) {
			return hub.ConnFromContext(ctx).ID(), nil
		}},
		{Name: "IsStateful", Call: func(ctx context.Context, _ hub.Args) (any, error) {
			return hub.ConnFromContext(ctx).Stateful(), nil
		}},
		// Round(i, mode) broadcasts Tick(i) and returns i; the proxy cuts
		// every connection before the broadcast (mode 0), or between the
		// broadcast and the result (mode 1).
		{Name: "Round", Args: 2, Call: func(ctx context.Context, a hub.Args) (any, error) {
			i, err := hub.Arg[int](a, 0)
			if err != nil {
				return nil, err
			}
			mode, err := hub.Arg[int](a, 1)
			if err != nil {
				return nil, err
			}
			if mode == 0 {
				s.proxy.cut()
			}
			if err := srv.Clients().All().Send(ctx, "Tick", i); err != nil {
				return nil, err
			}
			if mode == 1 {
				s.proxy.cut()
			}
			return i, nil
		}},
	}, opts)
	return srv
}

// maxDisconnects returns the most OnDisconnected runs of one connection.
func (s *statefulHubs) maxDisconnects() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, d := range s.disconnects {
		n = max(n, d)
	}
	return n
}

// proxy forwards TCP connections on loopback to target, and cuts them when
// told: it resets both sides, without a close of any protocol above.
type proxy struct {
	ln     net.Listener
	target string

	mu       sync.Mutex
	pairs    map[net.Conn]net.Conn // client side → server side
	held     bool                  // new connections wait, unanswered, for release
	queue    []net.Conn            // connections that wait
	cuts     int                   // cuts that reset a connection
	accepted int                   // connections accepted
	wg       sync.WaitGroup
}

func newProxy(target string) (*proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &proxy{ln: ln, target: target, pairs: make(map[net.Conn]net.Conn)}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// URL is the proxy's base URL.
func (p *proxy) URL() string { return "http://" + p.ln.Addr().String() }

func (p *proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.accepted++
		if p.held {
			p.queue = append(p.queue, c)
			p.mu.Unlock()
			continue
		}
		p.mu.Unlock()
		p.forward(c)
	}
}

// forward connects c to the target and copies both ways until either ends.
func (p *proxy) forward(c net.Conn) {
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.pairs[c] = s
	p.mu.Unlock()
	p.wg.Add(2)
	pipe := func(dst, src net.Conn) {
		defer p.wg.Done()
		io.Copy(dst, src)
		p.drop(c, false)
	}
	go pipe(s, c)
	go pipe(c, s)
}

// drop closes a pair, resetting both sides when abrupt.
func (p *proxy) drop(c net.Conn, abrupt bool) {
	p.mu.Lock()
	s, ok := p.pairs[c]
	delete(p.pairs, c)
	p.mu.Unlock()
	if !ok {
		return
	}
	for _, x := range []net.Conn{c, s} {
		if tc, ok := x.(*net.TCPConn); ok && abrupt {
			tc.SetLinger(0) // a reset, not a FIN
		}
		x.Close()
	}
}

// cut resets every forwarded connection.
func (p *proxy) cut() {
	p.mu.Lock()
	cs := make([]net.Conn, 0, len(p.pairs))
	for c := range p.pairs {
		cs = append(cs, c)
	}
	if len(cs) > 0 {
		p.cuts++
	}
	p.mu.Unlock()
	for _, c := range cs {
		p.drop(c, true)
	}
}

// hold cuts every connection and holds the new ones until release.
func (p *proxy) hold() {
	p.mu.Lock()
	p.held = true
	p.mu.Unlock()
	p.cut()
}

// release forwards the held connections, and the new ones from then on.
func (p *proxy) release() {
	p.mu.Lock()
	p.held = false
	q := p.queue
	p.queue = nil
	p.mu.Unlock()
	for _, c := range q {
		p.forward(c)
	}
}

// close stops the proxy and cuts what it forwards.
func (p *proxy) close() {
	p.ln.Close()
	p.release()
	p.cut()
	p.wg.Wait()
}

// TestStatefulGoClient is the Node suite's stateful test with the Go client:
// through the proxy, 100 cuts at chosen moments lose nothing and double
// nothing, on the same connection; a cut longer than the window falls back to
// an ordinary reconnect, with a new connection id.
func TestStatefulGoClient(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	mux := transport.NewMux()
	s := mountStateful(mux, log)
	ts := httptest.NewServer(mux)
	var err error
	if s.proxy, err = newProxy(ts.Listener.Addr().String()); err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.proxy.close()
		s.long.Shutdown(ctx)
		s.short.Shutdown(ctx)
		ts.Close()
	}()

	t.Run("100 cuts", func(t *testing.T) {
		ticks := make(chan int, 200)
		reattached := make(chan struct{}, 200)
		conn, err := client.Dial(t.Context(), s.proxy.URL()+"/hubs/stateful", client.Options{
			Transports:        client.WebSockets,
			StatefulReconnect: true,
			Logger:            log,
			Handlers: map[string]client.Handler{"Tick": func(_ context.Context, a client.Args) (any, error) {
				i, err := client.Arg[int](a, 0)
				ticks <- i
				return nil, err
			}},
			OnReattached: func() { reattached <- struct{}{} },
		})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		id := conn.ID()
		for i := range 100 {
			mode := i % 3
			var got int
			if err := conn.Invoke(t.Context(), "Round", &got, i, mode); err != nil {
				t.Fatalf("round %d: %v", i, err)
			}
			if got != i {
				t.Fatalf("round %d returned %d", i, got)
			}
			if want := <-ticks; want != i {
				t.Fatalf("round %d: Tick %d", i, want)
			}
			if mode == 2 {
				s.proxy.cut() // the next invocation goes out while the socket is gone
			}
		}
		for range 100 {
			<-reattached
		}
		var now string
		if err := conn.Invoke(t.Context(), "GetConnectionId", &now); err != nil || now != id || conn.ID() != id {
			t.Fatalf("connection id %q (%v), Conn.ID %q; want %q", now, err, conn.ID(), id)
		}
		select {
		case i := <-ticks:
			t.Fatalf("Tick %d twice", i)
		case <-reattached:
			t.Fatal("more reattaches than cuts")
		default:
		}
		s.mu.Lock()
		during := s.disconnects[id]
		s.mu.Unlock()
		if during != 0 {
			t.Fatalf("OnDisconnected ran %d times during the cuts", during)
		}
		conn.Close()
		<-s.goneChan(id)
		if n := s.maxDisconnects(); n != 1 {
			t.Fatalf("OnDisconnected ran %d times", n)
		}
	})

	t.Run("a cut longer than the window", func(t *testing.T) {
		reconnected := make(chan string, 1)
		conn, err := client.Dial(t.Context(), s.proxy.URL()+"/hubs/stateful-short", client.Options{
			Transports:        client.WebSockets,
			StatefulReconnect: true,
			Logger:            log,
			Reconnect: func(int, time.Duration, error) (time.Duration, bool) {
				return 10 * time.Millisecond, true
			},
			OnReconnected: func(id string) { reconnected <- id },
		})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		id := conn.ID()
		s.proxy.hold()   // the reattach waits, unanswered
		<-s.goneChan(id) // until the window has passed
		s.proxy.release()
		if newID := <-reconnected; newID == id || newID == "" {
			t.Fatalf("reconnected with id %q after %q", newID, id)
		}
		var stateful bool
		if err := conn.Invoke(t.Context(), "IsStateful", &stateful); err != nil || !stateful {
			t.Fatalf("IsStateful after the reconnect: %v, %v", stateful, err)
		}
	})
}
