package host_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hubgen/hubgen/runtime/host"
)

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// get requests url in a goroutine and sends the body or error on the returned channel.
func get(url string) <-chan string {
	c := make(chan string, 1)
	go func() {
		client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		defer client.CloseIdleConnections()
		resp, err := client.Get(url)
		if err != nil {
			c <- "error: " + err.Error()
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		c <- string(body)
	}()
	return c
}

func TestHTTPServerAddressInUse(t *testing.T) {
	ln := listen(t)
	defer ln.Close()
	var ev events
	h, _ := newHost()
	h.Add(&fake{name: "a", events: &ev}, host.HTTPServer(&http.Server{Addr: ln.Addr().String()}))

	err := wait(t, run(context.Background(), h))
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("Run = %v, want %v", err, syscall.EADDRINUSE)
	}
	if got, want := ev.get(), []string{"start a", "stop a"}; !slices.Equal(got, want) {
		t.Errorf("events = %q, want %q", got, want)
	}
}

func TestHTTPServerGracefulShutdown(t *testing.T) {
	inRequest, release := make(chan struct{}), make(chan struct{})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(inRequest)
		<-release
		io.WriteString(w, "done")
	})}
	onShutdown := make(chan struct{})
	srv.RegisterOnShutdown(func() { close(onShutdown) })
	ln := listen(t)
	h, _ := newHost()
	h.Add(host.HTTPServerListener(srv, ln))
	errc := run(context.Background(), h)

	resp := get("http://" + ln.Addr().String())
	<-inRequest
	h.Shutdown()
	<-onShutdown
	close(release)
	if body := <-resp; body != "done" {
		t.Errorf("in-flight request got %q, want %q", body, "done")
	}
	if err := wait(t, errc); err != nil {
		t.Errorf("Run: %v", err)
	}
	if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		c.Close()
		t.Error("server still accepts connections")
	}
}

func TestHTTPServerShutdownTimeout(t *testing.T) {
	inRequest, release := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() { close(release) })
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(inRequest)
		<-release
	})}
	ln := listen(t)
	h, _ := newHost(host.WithShutdownTimeout(50*time.Millisecond), host.WithGrace(10*time.Millisecond))
	h.Add(host.HTTPServerListener(srv, ln))
	errc := run(context.Background(), h)

	resp := get("http://" + ln.Addr().String())
	<-inRequest
	h.Shutdown()
	err := wait(t, errc)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "http server") {
		t.Errorf("Run = %v, want deadline exceeded naming the server", err)
	}
	if body := <-resp; !strings.HasPrefix(body, "error:") {
		t.Errorf("request got %q, want an error as the server closed", body)
	}
}

// limits are the fields of an http.Server that HTTPServer may fill in.
type limits struct {
	ReadTimeout, ReadHeaderTimeout, WriteTimeout, IdleTimeout time.Duration
	MaxHeaderBytes                                            int
}

func limitsOf(srv *http.Server) limits {
	return limits{srv.ReadTimeout, srv.ReadHeaderTimeout, srv.WriteTimeout, srv.IdleTimeout, srv.MaxHeaderBytes}
}

func TestHTTPServerDefaults(t *testing.T) {
	const s = time.Second
	for _, tt := range []struct {
		name      string
		set, want limits
	}{
		{"zero", limits{},
			limits{ReadHeaderTimeout: 10 * s, IdleTimeout: 120 * s, MaxHeaderBytes: 64 << 10}},
		{"user values kept", limits{ReadHeaderTimeout: 3 * s, IdleTimeout: 4 * s, MaxHeaderBytes: 5, WriteTimeout: 6 * s},
			limits{ReadHeaderTimeout: 3 * s, IdleTimeout: 4 * s, MaxHeaderBytes: 5, WriteTimeout: 6 * s}},
		{"negative opts out", limits{ReadHeaderTimeout: -1, IdleTimeout: -1, MaxHeaderBytes: -1},
			limits{ReadHeaderTimeout: -1, IdleTimeout: -1, MaxHeaderBytes: -1}},
		// net/http bounds the headers and idle connections by ReadTimeout.
		{"ReadTimeout", limits{ReadTimeout: 7 * s},
			limits{ReadTimeout: 7 * s, MaxHeaderBytes: 64 << 10}},
	} {
		for _, constructor := range []struct {
			name string
			new  func(*http.Server) host.Service
		}{
			{"HTTPServer", host.HTTPServer},
			{"HTTPServerListener", func(srv *http.Server) host.Service { return host.HTTPServerListener(srv, nil) }},
		} {
			t.Run(constructor.name+"/"+tt.name, func(t *testing.T) {
				srv := &http.Server{
					ReadTimeout: tt.set.ReadTimeout, ReadHeaderTimeout: tt.set.ReadHeaderTimeout,
					WriteTimeout: tt.set.WriteTimeout, IdleTimeout: tt.set.IdleTimeout, MaxHeaderBytes: tt.set.MaxHeaderBytes,
				}
				constructor.new(srv)
				if got := limitsOf(srv); got != tt.want {
					t.Errorf("the server's limits are %+v, want %+v", got, tt.want)
				}
			})
		}
	}
	if host.DefaultReadHeaderTimeout != 10*s || host.DefaultIdleTimeout != 120*s || host.DefaultMaxHeaderBytes != 64<<10 {
		t.Errorf("defaults %v, %v, %d; the doc comments say 10 s, 120 s, 64 KiB",
			host.DefaultReadHeaderTimeout, host.DefaultIdleTimeout, host.DefaultMaxHeaderBytes)
	}
}

// gatedListener holds back the read deadlines the server sets on its
// connections until release, and then applies them. The server's timeouts
// then expire after an event of the test, not in a race with it.
type gatedListener struct {
	net.Listener
	mu       sync.Mutex
	released bool
	conns    []*gatedConn
}

type gatedConn struct {
	net.Conn
	l        *gatedListener
	deadline time.Time // the last read deadline set before release
}

func (l *gatedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	gc := &gatedConn{Conn: c, l: l}
	l.conns = append(l.conns, gc)
	return gc, nil
}

// release applies the deadlines held back and lets later ones through.
func (l *gatedListener) release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.released = true
	for _, c := range l.conns {
		c.Conn.SetReadDeadline(c.deadline)
	}
}

func (c *gatedConn) SetReadDeadline(t time.Time) error {
	c.l.mu.Lock()
	defer c.l.mu.Unlock()
	if !c.l.released {
		c.deadline = t
		return nil
	}
	return c.Conn.SetReadDeadline(t)
}

func (c *gatedConn) SetDeadline(t time.Time) error {
	c.SetReadDeadline(t)
	return c.Conn.SetWriteDeadline(t)
}

// slowClient connects to addr and sends the start of a request one byte at
// a time, slowly, never finishing its headers. The returned channel gets
// the error that ended the client's reads, which must be the server
// closing the connection.
func slowClient(t *testing.T, addr string) <-chan error {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	closed := make(chan error, 1)
	stop := make(chan struct{})
	go func() { // the writer; the reader closes the connection
		header := "GET / HTTP/1.1\r\nHost: slow\r\nX-Slow: "
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			b := byte('a')
			if i < len(header) {
				b = header[i]
			}
			if _, err := c.Write([]byte{b}); err != nil {
				return
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	go func() { // the reader
		defer c.Close()
		defer close(stop)
		// A bound on the test, should the server never close.
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		_, err := io.Copy(io.Discard, c)
		if err == nil {
			err = io.EOF
		}
		closed <- err
	}()
	return closed
}

// closedByPeer reports whether err is what reading a connection the server
// closed returns.
func closedByPeer(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)
}

// Slowloris: clients that send their headers a byte at a time and never
// finish are cut off by the ReadHeaderTimeout HTTPServer keeps, and the
// server serves other clients while they hang on.
func TestHTTPServerCutsSlowHeaders(t *testing.T) {
	const slow = 50
	var accepted atomic.Int64
	allAccepted := make(chan struct{})
	srv := &http.Server{
		ReadHeaderTimeout: 100 * time.Millisecond, // the rest is HTTPServer's defaults
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "served")
		}),
		ConnState: func(c net.Conn, s http.ConnState) {
			if s == http.StateNew && accepted.Add(1) == slow {
				close(allAccepted)
			}
		},
	}
	ln := &gatedListener{Listener: listen(t)}
	h, _ := newHost()
	h.Add(host.HTTPServerListener(srv, ln))
	errc := run(context.Background(), h)
	defer func() {
		h.Shutdown()
		if err := wait(t, errc); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()

	var closed []<-chan error
	for range slow {
		closed = append(closed, slowClient(t, ln.Addr().String()))
	}
	<-allAccepted
	// The server holds every slow connection, reading its headers (the gate
	// keeps their deadlines from expiring): another client is served.
	if body := <-get("http://" + ln.Addr().String()); body != "served" {
		t.Errorf("a normal request while %d slow ones hang on: %q", slow, body)
	}
	for i, c := range closed {
		select {
		case err := <-c:
			t.Fatalf("slow client %d was cut off before its deadline: %v", i, err)
		default:
		}
	}
	ln.release()
	for i, c := range closed {
		if err := <-c; !closedByPeer(err) {
			t.Errorf("slow client %d: read %v, want the server to close the connection", i, err)
		}
	}
}

// idleClient makes a request on a kept-alive connection and then sends
// nothing. The returned channel gets the error that ended its reads after
// the response, which must be the server closing the connection.
func idleClient(t *testing.T, addr string) <-chan error {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	closed := make(chan error, 1)
	go func() {
		defer c.Close()
		c.SetReadDeadline(time.Now().Add(30 * time.Second)) // a bound on the test
		if _, err := io.WriteString(c, "GET /short HTTP/1.1\r\nHost: idle\r\n\r\n"); err != nil {
			closed <- err
			return
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			closed <- err
			return
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil {
			closed <- err
			return
		}
		_, err = c.Read(make([]byte, 1))
		closed <- err
	}()
	return closed
}

// The timeouts HTTPServer sets cut no long-lived response: a stream, a long
// poll or a hijacked connection (a WebSocket) goes on after the server has
// cut, by those timeouts, a slow client and an idle one that came after it.
func TestHTTPServerKeepsLongLivedResponses(t *testing.T) {
	for _, mode := range []string{"stream", "long poll", "hijacked"} {
		t.Run(mode, func(t *testing.T) {
			started := make(chan struct{})
			timedOut := make(chan struct{}) // closed once both timeouts cut a client
			mux := http.NewServeMux()
			mux.HandleFunc("/short", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "short") })
			mux.HandleFunc("/long", func(w http.ResponseWriter, r *http.Request) {
				switch mode {
				case "stream":
					io.WriteString(w, "early,")
					w.(http.Flusher).Flush()
					close(started)
					<-timedOut
					io.WriteString(w, "late")
				case "long poll":
					close(started)
					<-timedOut
					io.WriteString(w, "late")
				case "hijacked":
					c, rw, err := http.NewResponseController(w).Hijack()
					if err != nil {
						t.Error(err)
						return
					}
					defer c.Close()
					rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\nearly,")
					rw.Flush()
					close(started)
					<-timedOut
					// It still reads, and writes.
					line, err := rw.ReadString('\n')
					if err != nil {
						t.Errorf("hijacked read: %v", err)
						return
					}
					rw.WriteString("late " + line)
					rw.Flush()
				}
			})
			srv := &http.Server{
				Handler:           mux,
				ReadHeaderTimeout: 50 * time.Millisecond,
				IdleTimeout:       50 * time.Millisecond,
			}
			ln := listen(t)
			h, _ := newHost()
			h.Add(host.HTTPServerListener(srv, ln))
			errc := run(context.Background(), h)
			defer func() {
				h.Shutdown()
				if err := wait(t, errc); err != nil {
					t.Errorf("Run: %v", err)
				}
			}()
			addr := ln.Addr().String()

			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(30 * time.Second)) // a bound on the test
			header := "GET /long HTTP/1.1\r\nHost: long\r\n\r\n"
			if mode == "hijacked" {
				header = "GET /long HTTP/1.1\r\nHost: long\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\n"
			}
			if _, err := io.WriteString(c, header); err != nil {
				t.Fatal(err)
			}
			<-started
			slow, idle := slowClient(t, addr), idleClient(t, addr)
			if err := <-slow; !closedByPeer(err) {
				t.Errorf("slow client: read %v, want the server to close the connection", err)
			}
			if err := <-idle; !closedByPeer(err) {
				t.Errorf("idle client: read %v, want the server to close the connection", err)
			}
			close(timedOut)

			var got string
			if mode == "hijacked" {
				io.WriteString(c, "ping\n")
				br := bufio.NewReader(c)
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				rest, err := br.ReadString('\n')
				if err != nil {
					t.Fatalf("hijacked: %v after %q", err, rest)
				}
				got = rest
			} else {
				resp, err := http.ReadResponse(bufio.NewReader(c), nil)
				if err != nil {
					t.Fatal(err)
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					t.Fatalf("%s: %v after %q", mode, err, body)
				}
				got = string(body)
			}
			want := map[string]string{"stream": "early,late", "long poll": "late", "hijacked": "early,late ping\n"}[mode]
			if got != want {
				t.Errorf("%s: got %q, want %q", mode, got, want)
			}
		})
	}
}
