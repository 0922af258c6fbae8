package redishub_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hubgen/hubgen/runtime/client"
	"github.com/hubgen/hubgen/runtime/hub"
	"github.com/hubgen/hubgen/runtime/protocol"
	"github.com/hubgen/hubgen/runtime/redishub"
	"github.com/redis/go-redis/v9"
)

// The tests run against miniredis in the test process, or against the
// redis-server at REDIS_ADDR when it is set.
var realRedis = os.Getenv("REDIS_ADDR")

// testRedis is a Redis for one test.
type testRedis struct {
	addr   string
	prefix string // a channel prefix of the test's own, on a shared server
}

// newRedis returns a Redis for the test: a fresh miniredis, or the real one.
func newRedis(t testing.TB) *testRedis {
	t.Helper()
	if realRedis != "" {
		return &testRedis{addr: realRedis, prefix: uniquePrefix(t)}
	}
	m := miniredis.RunT(t)
	return &testRedis{addr: m.Addr(), prefix: uniquePrefix(t)}
}

func uniquePrefix(t testing.TB) string {
	var b [4]byte
	rand.Read(b[:])
	return "test:" + strings.ReplaceAll(t.Name(), "/", ".") + ":" + hex.EncodeToString(b[:])
}

// client returns a go-redis client of r, closed when the test ends.
func (r *testRedis) client(t testing.TB) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: r.addr})
	t.Cleanup(func() { c.Close() })
	return c
}

// lifetime returns a Lifetime on its own client of r, closed when the test
// ends.
func (r *testRedis) lifetime(t testing.TB, opts redishub.Options) *redishub.Lifetime {
	if opts.ChannelPrefix == "" {
		opts.ChannelPrefix = r.prefix
	}
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	lt := redishub.New(r.client(t), opts)
	t.Cleanup(func() { lt.Close() })
	return lt
}

// restartable is a Redis that a test can stop and start again on the same
// address.
type restartable interface {
	Addr() string
	Stop(t testing.TB)
	Start(t testing.TB)
}

// newRestartable returns a miniredis, or with REDIS_ADDR set, a redis-server
// process of the test's own (when redis-server is installed), so that
// restarting it does not disturb other tests.
func newRestartable(t testing.TB) restartable {
	t.Helper()
	if realRedis != "" {
		if path, err := exec.LookPath("redis-server"); err == nil {
			s := &redisProcess{path: path, addr: freeAddr(t)}
			s.Start(t)
			t.Cleanup(func() { s.Stop(t) })
			return s
		}
		t.Log("redis-server is not installed here: restarting miniredis instead")
	}
	m := miniredis.NewMiniRedis()
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return &miniRestart{m}
}

type miniRestart struct{ m *miniredis.Miniredis }

func (r *miniRestart) Addr() string       { return r.m.Addr() }
func (r *miniRestart) Stop(testing.TB)    { r.m.Close() }
func (r *miniRestart) Start(t testing.TB) { restartMini(t, r.m) }

func restartMini(t testing.TB, m *miniredis.Miniredis) {
	t.Helper()
	// The port can stay busy a moment after Close.
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := m.Restart()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("restarting miniredis: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// redisProcess is a redis-server of the test's own, without persistence.
type redisProcess struct {
	path string
	addr string
	cmd  *exec.Cmd
}

func (r *redisProcess) Addr() string { return r.addr }

func (r *redisProcess) Start(t testing.TB) {
	t.Helper()
	host, port, _ := net.SplitHostPort(r.addr)
	r.cmd = exec.Command(r.path, "--bind", host, "--port", port, "--save", "", "--appendonly", "no", "--loglevel", "warning")
	r.cmd.Stdout, r.cmd.Stderr = os.Stderr, os.Stderr
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("starting redis-server: %v", err)
	}
	c := redis.NewClient(&redis.Options{Addr: r.addr})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatal("redis-server did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *redisProcess) Stop(testing.TB) {
	if r.cmd == nil {
		return
	}
	r.cmd.Process.Kill()
	r.cmd.Wait()
	r.cmd = nil
}

func freeAddr(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// testLogger logs to the test's log until the test ends.
func testLogger(t testing.TB) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type testWriter struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func (w *testWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimSuffix(string(b), "\n"))
	}
	return len(b), nil
}

// ---- hubs and clients

// testServer is one hub server of a test cluster.
type testServer struct {
	*hub.Server
	name string
	url  string
}

// serverHub starts a hub on a loopback server, with lm as its lifetime
// manager. Its clients may call Ping, which answers "pong".
func serverHub(t testing.TB, name string, lm hub.LifetimeManager) *testServer {
	t.Helper()
	srv := hub.New([]hub.Method{ping}, hub.Options{
		Lifetime:               lm,
		Logger:                 testLogger(t),
		MaxParallelInvocations: 4,
		Authenticate: func(r *http.Request) (*hub.Identity, error) {
			if u := r.Header.Get("X-User"); u != "" {
				return &hub.Identity{UserID: u}, nil
			}
			return nil, nil
		},
	})
	mux := http.NewServeMux()
	srv.Mount(mux, "/hub")
	ts := httptest.NewServer(mux)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		ts.Close()
	})
	return &testServer{Server: srv, name: name, url: ts.URL + "/hub"}
}

var ping = hub.Method{Name: "Ping", Call: func(ctx context.Context, a hub.Args) (any, error) {
	return "pong", nil
}}

// testClient is a Go client that records what the server sends it.
type testClient struct {
	*client.Conn
	name string
	got  chan string // arguments of Recv
	// blocked, when not nil, holds Ask's answer back until it is closed.
	mu      sync.Mutex
	blocked chan struct{}
	asked   chan struct{} // receives when a blocked Ask starts waiting
}

// connect dials a hub as user (none when ""). It returns once the server has
// registered the connection: a hub method has answered.
func connect(t testing.TB, s *testServer, name, user string, proto protocol.Protocol) *testClient {
	t.Helper()
	return connectURL(t, s.url, name, user, proto)
}

// connectURL is connect for the hub at url.
func connectURL(t testing.TB, url, name, user string, proto protocol.Protocol) *testClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := dial(ctx, url, name, user, proto, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// dial is connectURL for any goroutine: the caller closes the client.
func dial(ctx context.Context, url, name, user string, proto protocol.Protocol, log *slog.Logger) (*testClient, error) {
	c := &testClient{name: name, got: make(chan string, 1000), asked: make(chan struct{}, 1)}
	header := http.Header{}
	if user != "" {
		header.Set("X-User", user)
	}
	conn, err := client.Dial(ctx, url, client.Options{
		Header:    header,
		Protocol:  proto,
		Reconnect: client.NoReconnect,
		Logger:    log,
		Handlers: map[string]client.Handler{
			"Recv": func(ctx context.Context, a client.Args) (any, error) {
				v, err := client.Arg[string](a, 0)
				c.got <- v
				return nil, err
			},
			"Ask": func(ctx context.Context, a client.Args) (any, error) {
				q, err := client.Arg[string](a, 0)
				if err != nil {
					return nil, err
				}
				c.mu.Lock()
				blocked := c.blocked
				c.mu.Unlock()
				if blocked != nil {
					select {
					case c.asked <- struct{}{}:
					default:
					}
					select {
					case <-blocked:
					case <-ctx.Done():
						return nil, ctx.Err()
					}
				}
				if q == "fail" {
					return nil, fmt.Errorf("%s refuses", name)
				}
				return name + " answers " + q, nil
			},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("%s: dial %s: %w", name, url, err)
	}
	c.Conn = conn
	var pong string
	if err := conn.Invoke(ctx, "Ping", &pong); err != nil || pong != "pong" {
		conn.Close()
		return nil, fmt.Errorf("%s: Ping = %q, %v", name, pong, err)
	}
	return c, nil
}

// next returns the next message the client received, or fails after a while.
func (c *testClient) next(t testing.TB) string {
	t.Helper()
	select {
	case s := <-c.got:
		return s
	case <-time.After(10 * time.Second):
		t.Fatalf("%s received nothing", c.name)
		return ""
	}
}

// until returns what the client received before a message equal to end.
func (c *testClient) until(t testing.TB, end string) []string {
	t.Helper()
	var got []string
	for {
		s := c.next(t)
		if s == end {
			return got
		}
		got = append(got, s)
	}
}

// proxy forwards TCP connections to a Redis, so that a test can cut one
// server off Redis without stopping Redis, or make Redis stop answering.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
	hole   bool          // Blackhole was called, and not Restore
	held   []net.Conn    // connections accepted in hole mode
	holed  chan struct{} // gets a value for each connection accepted in hole mode
	wg     sync.WaitGroup
}

func newProxy(t testing.TB, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, holed: make(chan struct{}, 100)}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if p.hold(c) {
				continue
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			p.wg.Add(2)
			go func() { defer p.wg.Done(); io.Copy(up, c); up.Close() }()
			go func() { defer p.wg.Done(); io.Copy(c, up); c.Close() }()
		}
	}()
	t.Cleanup(p.Close)
	return p
}

// hold keeps a connection accepted in hole mode: it reads what the client
// sends and never answers.
func (p *proxy) hold(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.hole {
		return false
	}
	p.held = append(p.held, c)
	p.wg.Add(1)
	go func() { defer p.wg.Done(); io.Copy(io.Discard, c); c.Close() }()
	select {
	case p.holed <- struct{}{}:
	default:
	}
	return true
}

func (p *proxy) Addr() string { return p.ln.Addr().String() }

// Blackhole cuts the open connections, and makes the proxy accept new ones
// but never answer them, as a Redis that stopped answering, until Restore.
func (p *proxy) Blackhole() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hole = true
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// Restore cuts the connections held since Blackhole and forwards new ones
// again.
func (p *proxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hole = false
	for _, c := range p.held {
		c.Close()
	}
	p.held = nil
}

// Close refuses new connections and cuts the open ones.
func (p *proxy) Close() {
	p.ln.Close()
	p.mu.Lock()
	for _, c := range append(p.conns, p.held...) {
		c.Close()
	}
	p.conns, p.held = nil, nil
	p.mu.Unlock()
	p.wg.Wait()
}
