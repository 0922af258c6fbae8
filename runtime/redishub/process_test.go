package redishub_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hubgen/hubgen/runtime/hub"
	"github.com/hubgen/hubgen/runtime/protocol"
	"github.com/hubgen/hubgen/runtime/redishub"
	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"
)

// The multi-process test runs two hub servers as processes of their own: the
// test binary again, which TestMain turns into a server when these variables
// are set.
const (
	envServerRedis  = "REDISHUB_TEST_SERVER_REDIS"
	envServerPrefix = "REDISHUB_TEST_SERVER_PREFIX"
)

// runServer is the server process: a hub on Redis at 127.0.0.1:0 that prints
// its URL, takes orders at /control/, and stops on SIGTERM. It exits with 1 if
// goroutines are left after it stopped.
func runServer() int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	rdb := redis.NewClient(&redis.Options{Addr: os.Getenv(envServerRedis)})
	lt := redishub.New(rdb, redishub.Options{ChannelPrefix: os.Getenv(envServerPrefix), AckTimeout: 5 * time.Second})
	srv := hub.New([]hub.Method{ping}, hub.Options{
		Lifetime:               lt,
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
	mux.HandleFunc("POST /control/send", func(w http.ResponseWriter, r *http.Request) { controlSend(w, r, srv) })
	mux.HandleFunc("POST /control/group", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		var err error
		if q.Get("op") == "add" {
			err = srv.Groups().Add(r.Context(), q.Get("conn"), q.Get("group"))
		} else {
			err = srv.Groups().Remove(r.Context(), q.Get("conn"), q.Get("group"))
		}
		reply(w, "", err)
	})
	mux.HandleFunc("POST /control/invoke", func(w http.ResponseWriter, r *http.Request) {
		var got string
		err := srv.Clients().Client(r.URL.Query().Get("conn")).Invoke(r.Context(), "Ask", &got, r.URL.Query().Get("q"))
		reply(w, got, err)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	hs := &http.Server{Handler: mux}
	served := make(chan struct{})
	go func() { defer close(served); hs.Serve(ln) }()
	fmt.Printf("listening http://%s/hub\n", ln.Addr())

	<-ctx.Done()
	stop()
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(shutdown)
	hs.Shutdown(shutdown)
	<-served
	lt.Close()
	rdb.Close()
	if err := goleak.Find(); err != nil {
		fmt.Fprintln(os.Stderr, "goroutines left:", err)
		return 1
	}
	return 0
}

// controlSend sends msg to the target its query names.
func controlSend(w http.ResponseWriter, r *http.Request, srv *hub.Server) {
	q := r.URL.Query()
	keys, except, cl := q["key"], q["except"], srv.Clients()
	var target hub.Target
	switch q.Get("target") {
	case "All":
		target = cl.AllExcept(except...)
	case "Client":
		target = cl.Client(keys[0]).Target
	case "Clients":
		target = cl.Clients(keys...)
	case "Group":
		target = cl.GroupExcept(keys[0], except...)
	case "Groups":
		target = cl.Groups(keys...)
	case "User":
		target = cl.User(keys[0])
	case "Users":
		target = cl.Users(keys...)
	default:
		http.Error(w, "unknown target", http.StatusBadRequest)
		return
	}
	reply(w, "", target.Send(r.Context(), "Recv", q.Get("msg")))
}

func reply(w http.ResponseWriter, body string, err error) {
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	io.WriteString(w, body)
}

// process is a server process of the test.
type process struct {
	t    *testing.T
	name string
	url  string // the hub's
	cmd  *exec.Cmd
}

func startProcess(t *testing.T, name, redisAddr, prefix string) *process {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), envServerRedis+"="+redisAddr, envServerPrefix+"="+prefix)
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = &logWriter{t: t, prefix: name + ": "}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{t: t, name: name, cmd: cmd}
	t.Cleanup(func() { p.stop() })
	lines := bufio.NewScanner(stdout)
	re := regexp.MustCompile(`^listening (http://\S+)$`)
	for lines.Scan() {
		if m := re.FindStringSubmatch(lines.Text()); m != nil {
			p.url = m[1]
			go io.Copy(io.Discard, stdout)
			return p
		}
	}
	t.Fatalf("%s did not start", name)
	return nil
}

// stop ends the process with SIGTERM; it fails the test unless the process
// stops cleanly, without leaked goroutines.
func (p *process) stop() {
	if p.cmd == nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	if err := p.cmd.Wait(); err != nil {
		p.t.Errorf("%s: %v", p.name, err)
	}
	p.cmd = nil
}

func (p *process) label() string { return p.name }

func (p *process) broadcast(ctx context.Context, msg string) error {
	return p.send("All", msg)
}

// control posts an order to the process and returns its answer.
func (p *process) control(order string, q url.Values) (string, error) {
	resp, err := http.Post(strings.TrimSuffix(p.url, "/hub")+"/control/"+order+"?"+q.Encode(), "text/plain", nil)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: %s", p.name, strings.TrimSpace(string(body)))
	}
	return string(body), nil
}

// send sends msg to a target: All, Client, Clients, Group, Groups, User or
// Users, with keys, and the ids after "-" left out (All and Group only).
func (p *process) send(target, msg string, keys ...string) error {
	q := url.Values{"target": {target}, "msg": {msg}}
	for i, k := range keys {
		if k == "-" {
			q["except"] = keys[i+1:]
			break
		}
		q.Add("key", k)
	}
	_, err := p.control("send", q)
	return err
}

func (p *process) sender(target string, keys ...string) func(ctx context.Context, msg string) error {
	return func(ctx context.Context, msg string) error { return p.send(target, msg, keys...) }
}

type logWriter struct {
	t      *testing.T
	prefix string
}

func (w *logWriter) Write(b []byte) (int, error) {
	w.t.Log(w.prefix + strings.TrimSuffix(string(b), "\n"))
	return len(b), nil
}

// TestProcesses runs two server processes on one Redis, with clients on each:
// every target reaches exactly the right clients, from either server; then
// Redis restarts: local delivery goes on meanwhile, and cross-server delivery
// comes back within seconds. Both processes then stop without leaked
// goroutines.
func TestProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs server processes")
	}
	r := newRestartable(t)
	prefix := uniquePrefix(t)
	a, b := startProcess(t, "A", r.Addr(), prefix), startProcess(t, "B", r.Addr(), prefix)
	f := &fixture{}
	f.a1 = connectURL(t, a.url, "a1", "alice", protocol.JSON)
	f.a2 = connectURL(t, a.url, "a2", "bob", protocol.MessagePack)
	f.b1 = connectURL(t, b.url, "b1", "alice", protocol.MessagePack)
	f.b2 = connectURL(t, b.url, "b2", "carol", protocol.JSON)
	f.all = []*testClient{f.a1, f.a2, f.b1, f.b2}
	a1, a2, b1, b2 := f.a1.ID(), f.a2.ID(), f.b1.ID(), f.b2.ID()

	group := func(p *process, op, conn, group string) {
		t.Helper()
		if _, err := p.control("group", url.Values{"op": {op}, "conn": {conn}, "group": {group}}); err != nil {
			t.Fatal(err)
		}
	}
	group(b, "add", a1, "g1")
	group(a, "add", b1, "g1")
	group(a, "add", b1, "g2")
	group(b, "add", b2, "g2")
	group(b, "add", a2, "g*")
	group(a, "add", b2, "tmp")
	group(a, "remove", b2, "tmp")

	targets := func() {
		t.Helper()
		for _, from := range []*process{a, b} {
			f.expect(t, from, "All", from.sender("All"), f.all...)
			f.expect(t, from, "AllExcept(a1, b2)", from.sender("All", "-", a1, b2), f.a2, f.b1)
			f.expect(t, from, "Client(a1)", from.sender("Client", a1), f.a1)
			f.expect(t, from, "Client(b2)", from.sender("Client", b2), f.b2)
			f.expect(t, from, "Clients(a2, b1)", from.sender("Clients", a2, b1), f.a2, f.b1)
			f.expect(t, from, "Group(g1)", from.sender("Group", "g1"), f.a1, f.b1)
			f.expect(t, from, "Groups(g1, g2)", from.sender("Groups", "g1", "g2"), f.a1, f.b1, f.b2)
			f.expect(t, from, "GroupExcept(g2, b1)", from.sender("Group", "g2", "-", b1), f.b2)
			f.expect(t, from, "Group(g*)", from.sender("Group", "g*"), f.a2)
			f.expect(t, from, "Group(tmp)", from.sender("Group", "tmp"))
			f.expect(t, from, "User(alice)", from.sender("User", "alice"), f.a1, f.b1)
			f.expect(t, from, "Users(bob, carol)", from.sender("Users", "bob", "carol"), f.a2, f.b2)
			for _, c := range f.all {
				got, err := from.control("invoke", url.Values{"conn": {c.ID()}, "q": {"time"}})
				if want := c.name + " answers time"; err != nil || got != want {
					t.Errorf("%s asks %s: %q, %v; want %q", from.name, c.name, got, err, want)
				}
			}
		}
	}
	targets()

	// Redis restarts.
	r.Stop(t)
	err := a.send("All", "during the outage")
	if err == nil || !strings.Contains(err.Error(), "publishing to the other servers failed") {
		t.Errorf("broadcast while Redis is down: %v, want an error that says publishing failed", err)
	}
	for _, c := range []*testClient{f.a1, f.a2} {
		if got := c.next(t); got != "during the outage" {
			t.Errorf("%s received %q while Redis was down", c.name, got)
		}
	}
	if err := b.send("Client", "local", b1); err != nil {
		t.Errorf("sending to a local connection while Redis is down: %v", err)
	}
	if got := f.b1.next(t); got != "local" {
		t.Errorf("b1 received %q while Redis was down", got)
	}
	r.Start(t)
	start := time.Now()
	for _, c := range []struct {
		from *process
		to   *testClient
	}{{a, f.b1}, {a, f.b2}, {b, f.a1}, {b, f.a2}} {
		for i := 0; ; i++ {
			c.from.send("Client", fmt.Sprintf("probe %d", i), c.to.ID())
			select {
			case s := <-c.to.got:
				if !strings.HasPrefix(s, "probe ") {
					t.Fatalf("%s received %q while waiting for a probe", c.to.name, s)
				}
			case <-time.After(100 * time.Millisecond):
				if time.Since(start) > 15*time.Second {
					t.Fatalf("no message from %s reached %s within 15 s of the restart", c.from.name, c.to.name)
				}
				continue
			}
			break
		}
	}
	t.Logf("cross-server delivery came back %v after Redis restarted", time.Since(start))
	for _, c := range f.all {
		if got := drain(c); len(got) > 0 {
			t.Errorf("%s received %q after the restart", c.name, got)
		}
	}
	targets()
}
