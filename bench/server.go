package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"

	"github.com/gorilla/websocket"
	"github.com/hubgen/hubgen/runtime/hub"
)

// A server under test: it serves /hub (a WebSocket endpoint), /broadcast (sends
// n messages to every connection) and /stats (its memory and goroutines).
type server interface {
	handler() http.Handler
	broadcast(n, size int)
}

// serve runs the server named mode until the process is killed; it prints its
// address on stdout first.
func serve(mode string) error {
	var s server
	var err error
	switch mode {
	case "hubgen":
		s = newHubServer(false)
	case "hubgen-stateful":
		s = newHubServer(true)
	case "gorilla":
		s = newRawServer()
	case "philippseith":
		s, err = newSRServer()
	case "centrifuge":
		s, err = newCFServer()
	default:
		return fmt.Errorf("unknown server %q", mode)
	}
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/hub", s.handler())
	mux.Handle("/hub/negotiate", s.handler())
	mux.HandleFunc("POST /broadcast", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		size, _ := strconv.Atoi(r.URL.Query().Get("size"))
		s.broadcast(n, size)
	})
	mux.HandleFunc("/debug/pprof/", pprof.Index) // to profile a run by hand
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("gc") != "" {
			runtime.GC()
			debug.FreeOSMemory()
		}
		json.NewEncoder(w).Encode(readStats())
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Println(ln.Addr())
	return http.Serve(ln, mux)
}

// stats are a server's own measurements.
type stats struct {
	Mallocs    uint64
	HeapInuse  uint64
	StackInuse uint64
	RSS        uint64
	Goroutines int
}

func readStats() stats {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	s := stats{Mallocs: m.Mallocs, HeapInuse: m.HeapInuse, StackInuse: m.StackInuse, Goroutines: runtime.NumGoroutine()}
	if b, err := os.ReadFile("/proc/self/statm"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 1 {
			pages, _ := strconv.ParseUint(f[1], 10, 64)
			s.RSS = pages * uint64(os.Getpagesize())
		}
	}
	return s
}

// hubServer is hubgen's hub with an Echo method; stateful, it allows stateful
// reconnects.
type hubServer struct{ srv *hub.Server }

func newHubServer(stateful bool) *hubServer {
	echo := hub.Method{Name: "Echo", Args: 1, Call: func(ctx context.Context, a hub.Args) (any, error) {
		return hub.Arg[string](a, 0)
	}}
	return &hubServer{hub.New([]hub.Method{echo}, hub.Options{
		Logger:       slog.New(slog.DiscardHandler),
		MaxQueueSize: 256 << 20, // the benchmark floods on purpose
		// What the load has not acknowledged yet (it acks every 100
		// messages) is kept; the flood must not wait for Acks.
		AllowStatefulReconnects:     stateful,
		StatefulReconnectBufferSize: 256 << 20,
	})}
}

func (s *hubServer) handler() http.Handler { return s.srv }

func (s *hubServer) broadcast(n, size int) {
	payload := strings.Repeat("x", size)
	all := s.srv.Clients().All()
	for i := range n {
		all.Send(context.Background(), "Data", i, payload)
	}
}

// rawServer is the baseline: gorilla/websocket used directly, as its chat
// example does: a writer goroutine per connection fed by a channel, and each
// broadcast framed once as a PreparedMessage. Echo answers each frame with the
// same bytes.
type rawServer struct {
	upgrader websocket.Upgrader
	mu       sync.Mutex
	conns    map[*rawConn]struct{}
}

type rawConn struct {
	ws   *websocket.Conn
	mu   sync.Mutex // one writer at a time
	send chan *websocket.PreparedMessage
}

func newRawServer() *rawServer {
	return &rawServer{
		upgrader: websocket.Upgrader{ReadBufferSize: 1024, WriteBufferSize: 4096, WriteBufferPool: &sync.Pool{}},
		conns:    make(map[*rawConn]struct{}),
	}
}

func (s *rawServer) handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := s.upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		c := &rawConn{ws: ws, send: make(chan *websocket.PreparedMessage, 4096)}
		s.mu.Lock()
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		go c.write()
		go func() {
			defer func() {
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
				close(c.send)
				ws.Close()
			}()
			for {
				kind, data, err := ws.ReadMessage()
				if err != nil {
					return
				}
				c.mu.Lock()
				err = ws.WriteMessage(kind, data)
				c.mu.Unlock()
				if err != nil {
					return
				}
			}
		}()
	})
}

func (c *rawConn) write() {
	for pm := range c.send {
		c.mu.Lock()
		err := c.ws.WritePreparedMessage(pm)
		c.mu.Unlock()
		if err != nil {
			c.ws.Close()
		}
	}
}

func (s *rawServer) broadcast(n, size int) {
	payload := strings.Repeat("x", size)
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range n {
		// The same record a hub writes, so that clients parse the same bytes.
		rec := fmt.Sprintf(`{"type":1,"target":"Data","arguments":[%d,%q]}`+"\x1e", i, payload)
		pm, _ := websocket.NewPreparedMessage(websocket.TextMessage, []byte(rec))
		for c := range s.conns {
			select {
			case c.send <- pm:
			default: // the naive server drops what a full queue cannot take
			}
		}
	}
}
