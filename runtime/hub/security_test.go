package hub_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/hubgen/hubgen/runtime/hub"
)

func TestBearerToken(t *testing.T) {
	for _, tt := range []struct {
		header, query, want string
	}{
		{"Bearer abc.def", "", "abc.def"},
		{"bearer  abc.def ", "", "abc.def"},
		{"", "access_token=q.r.s", "q.r.s"},
		{"Bearer from-header", "access_token=from-query", "from-header"},
		{"Basic dXNlcjpwYXNz", "access_token=q", "q"},
		{"Bearer", "", ""},
		{"", "other=1", ""},
	} {
		r := httptest.NewRequest("GET", "/hub?"+tt.query, nil)
		if tt.header != "" {
			r.Header.Set("Authorization", tt.header)
		}
		if got := hub.BearerToken(r); got != tt.want {
			t.Errorf("BearerToken(%q, %q) = %q, want %q", tt.header, tt.query, got, tt.want)
		}
	}
}

func TestRedactURL(t *testing.T) {
	u, _ := url.Parse("https://user:pw@example.com/hub?id=conn-token&access_token=a%2Bb&negotiateVersion=1&ID=x")
	want := "https://example.com/hub?id=REDACTED&access_token=REDACTED&negotiateVersion=1&ID=REDACTED"
	if got := hub.RedactURL(u); got != want {
		t.Errorf("RedactURL = %s\nwant %s", got, want)
	}
}

// tokenAuth accepts the token "good" however the client sends it: header,
// query or cookie.
func tokenAuth(r *http.Request) (*hub.Identity, error) {
	token := hub.BearerToken(r)
	if c, err := r.Cookie("session"); token == "" && err == nil {
		token = c.Value
	}
	if token != "good" {
		return nil, errors.New("bad token " + token)
	}
	return &hub.Identity{UserID: "u1"}, nil
}

// who returns the user id of the caller, as its identity says.
var who = hub.Method{Name: "Who", Call: func(ctx context.Context, a hub.Args) (any, error) {
	return hub.ConnFromContext(ctx).Identity().UserID, nil
}}

func TestAuthenticateReadsWhatClientsSend(t *testing.T) {
	h := newTestHub(t, hub.Options{Authenticate: tokenAuth}, who)
	// Negotiate: 401 without a token, whatever else the request has.
	if resp, body := post(t, h.url+"/negotiate?negotiateVersion=1&access_token=bad"); resp.StatusCode != 401 || body != "" {
		t.Errorf("negotiate with a bad token: %d %q", resp.StatusCode, body)
	}
	// A browser's WebSocket: the token comes in the query.
	c := dial(t, h.url+"?access_token=good", nil)
	c.send(`{"protocol":"json","version":1}`)
	c.record()
	if m := c.invoke("1", "Who"); m["result"] != "u1" {
		t.Errorf("Who over a WebSocket with access_token: %v", m)
	}
	// A cookie flows with the upgrade.
	c = dial(t, h.url, http.Header{"Cookie": {"session=good"}})
	c.send(`{"protocol":"json","version":1}`)
	c.record()
	if m := c.invoke("1", "Who"); m["result"] != "u1" {
		t.Errorf("Who over a WebSocket with a cookie: %v", m)
	}
	// A browser's event stream: access_token in the query, the POSTs with the
	// header.
	resp, body := do(t, "POST", h.url+"/negotiate?negotiateVersion=1", "", http.Header{"Authorization": {"Bearer good"}})
	if resp.StatusCode != 200 {
		t.Fatalf("negotiate with the header: %d %s", resp.StatusCode, body)
	}
	token := between(body, `"connectionToken":"`, `"`)
	if resp, _ := do(t, "GET", h.url+"?id="+token, "", http.Header{"Accept": {"text/event-stream"}}); resp.StatusCode != 401 {
		t.Errorf("event stream without a token: %d", resp.StatusCode)
	}
	s := openEvents(t, h.url+"?id="+token+"&access_token=good", nil)
	auth := http.Header{"Authorization": {"Bearer good"}}
	if resp, _ := do(t, "POST", h.url+"?id="+token, `{"protocol":"json","version":1}`+rs, nil); resp.StatusCode != 401 {
		t.Errorf("POST without a token: %d", resp.StatusCode)
	}
	do(t, "POST", h.url+"?id="+token, `{"protocol":"json","version":1}`+rs+invocation("1", "Who")+rs, auth)
	got := s.event()
	if !strings.Contains(got, `"invocationId"`) {
		got += s.event() // the handshake's answer came alone
	}
	if !strings.Contains(got, `"result":"u1"`) {
		t.Errorf("Who over Server-Sent Events: %q", got)
	}
}

func between(s, from, to string) string {
	_, after, _ := strings.Cut(s, from)
	v, _, _ := strings.Cut(after, to)
	return v
}

// secret is a method only admins may call; upload takes an upload stream,
// count a server stream.
var (
	secret = hub.Method{Name: "Secret", Call: func(ctx context.Context, a hub.Args) (any, error) {
		return "the plans", nil
	}}
	count = hub.Method{Name: "Count", Args: 1, Stream: func(ctx context.Context, a hub.Args) (iter.Seq2[any, error], error) {
		n, err := hub.Arg[int](a, 0)
		return func(yield func(any, error) bool) {
			for i := range n {
				if !yield(i, nil) {
					return
				}
			}
		}, err
	}}
)

func TestAuthorize(t *testing.T) {
	var filtered []string
	var mu sync.Mutex
	opts := hub.Options{
		Logger: quietLogger(),
		Authenticate: func(r *http.Request) (*hub.Identity, error) {
			return &hub.Identity{UserID: r.Header.Get("X-User")}, nil
		},
		Authorize: func(ctx context.Context, c *hub.Conn, method string) error {
			if method != "Echo" && c.UserID() != "admin" {
				return errors.New("admins only")
			}
			return nil
		},
		Filters: []hub.Filter{{Invoke: func(ctx context.Context, inv *hub.Invocation, next func(context.Context) (any, error)) (any, error) {
			mu.Lock()
			filtered = append(filtered, inv.Method)
			mu.Unlock()
			return next(ctx)
		}}},
	}
	h := newTestHub(t, opts, echo, secret, count, concat)
	user := dial(t, h.url, http.Header{"X-User": {"bob"}})
	user.send(`{"protocol":"json","version":1}`)
	user.record()
	// Refused whatever case the client uses: Authorize sees the declared name.
	for _, target := range []string{"Secret", "secret", "SECRET"} {
		want := `{"type":3,"invocationId":"1","error":"Failed to invoke 'Secret' because user is unauthorized"}`
		if got := user.sendAndRecord(invocation("1", target)); got != want {
			t.Errorf("%s: %s", target, got)
		}
	}
	// A refused stream, and a refused upload whose items still come.
	if got := user.sendAndRecord(`{"type":4,"invocationId":"s","target":"Count","arguments":[3]}`); got != `{"type":3,"invocationId":"s","error":"Failed to invoke 'Count' because user is unauthorized"}` {
		t.Errorf("stream: %s", got)
	}
	user.send(`{"type":1,"invocationId":"u","target":"Concat","arguments":[],"streamIds":["x"]}`,
		`{"type":2,"invocationId":"x","item":"a"}`, `{"type":3,"invocationId":"x"}`)
	if got := user.record(); got != `{"type":3,"invocationId":"u","error":"Failed to invoke 'Concat' because user is unauthorized"}` {
		t.Errorf("upload: %s", got)
	}
	// The connection stays open, and allowed methods run.
	if m := user.invoke("2", "Echo", "still here"); m["result"] != "still here" {
		t.Errorf("after refusals: %v", m)
	}
	admin := dial(t, h.url, http.Header{"X-User": {"admin"}})
	admin.send(`{"protocol":"json","version":1}`)
	admin.record()
	if m := admin.invoke("1", "secret"); m["result"] != "the plans" {
		t.Errorf("admin: %v", m)
	}
	// Authorization runs before the filters: they never saw the refused calls.
	mu.Lock()
	defer mu.Unlock()
	if got := strings.Join(filtered, ","); got != "Echo,Secret" {
		t.Errorf("filters saw %s", got)
	}
}

// sendAndRecord sends one record and returns the next one.
func (c *rawClient) sendAndRecord(record string) string {
	c.t.Helper()
	c.send(record)
	return c.record()
}

type ctxKey struct{}

func TestInvokeFilters(t *testing.T) {
	var trace []string
	var mu sync.Mutex
	log := func(s string) {
		mu.Lock()
		trace = append(trace, s)
		mu.Unlock()
	}
	layer := func(name string) hub.Filter {
		return hub.Filter{Invoke: func(ctx context.Context, inv *hub.Invocation, next func(context.Context) (any, error)) (any, error) {
			arg := ""
			if inv.Args.Len() > 0 {
				inv.Args.Decode(0, &arg)
			}
			log(fmt.Sprintf("%s>%s(%s) stream=%v conn=%v", name, inv.Method, arg, inv.Stream, inv.Conn == hub.ConnFromContext(ctx)))
			if arg == "veto" {
				return nil, hub.Errorf("vetoed by %s", name)
			}
			res, err := next(context.WithValue(ctx, ctxKey{}, name))
			log("<" + name)
			return res, err
		}}
	}
	seen := hub.Method{Name: "Seen", Args: 1, Call: func(ctx context.Context, a hub.Args) (any, error) {
		log("method sees " + fmt.Sprint(ctx.Value(ctxKey{})))
		return "ok", nil
	}}
	h := newTestHub(t, hub.Options{Filters: []hub.Filter{layer("outer"), {}, layer("inner")}}, seen, count)
	c := connect(t, h.url)
	if m := c.invoke("1", "seen", "x"); m["result"] != "ok" {
		t.Errorf("through the filters: %v", m)
	}
	if got := c.sendAndRecord(invocation("2", "Seen", "veto")); got != `{"type":3,"invocationId":"2","error":"An unexpected error occurred invoking 'Seen' on the server. HubException: vetoed by outer"}` {
		t.Errorf("veto: %s", got)
	}
	c.send(`{"type":4,"invocationId":"s","target":"Count","arguments":[2]}`)
	for _, want := range []string{`{"type":2,"invocationId":"s","item":0}`, `{"type":2,"invocationId":"s","item":1}`, `{"type":3,"invocationId":"s"}`} {
		if got := c.record(); got != want {
			t.Errorf("stream through filters: %s, want %s", got, want)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{
		"outer>Seen(x) stream=false conn=true", "inner>Seen(x) stream=false conn=true", "method sees inner", "<inner", "<outer",
		"outer>Seen(veto) stream=false conn=true",
		"outer>Count() stream=true conn=true", "inner>Count() stream=true conn=true", "<inner", "<outer",
	}
	if strings.Join(trace, "\n") != strings.Join(want, "\n") {
		t.Errorf("trace:\n%s\nwant:\n%s", strings.Join(trace, "\n"), strings.Join(want, "\n"))
	}
}

func TestFilterReplacingAStream(t *testing.T) {
	h := newTestHub(t, hub.Options{Logger: quietLogger(), Filters: []hub.Filter{{
		Invoke: func(ctx context.Context, inv *hub.Invocation, next func(context.Context) (any, error)) (any, error) {
			return "not a stream", nil
		},
	}}}, count)
	c := connect(t, h.url)
	if got := c.sendAndRecord(`{"type":4,"invocationId":"s","target":"Count","arguments":[2]}`); got != `{"type":3,"invocationId":"s","error":"An unexpected error occurred invoking 'Count' on the server."}` {
		t.Errorf("got %s", got)
	}
}

func TestConnectAndDisconnectFilters(t *testing.T) {
	var trace []string
	var mu sync.Mutex
	log := func(s string) {
		mu.Lock()
		trace = append(trace, s)
		mu.Unlock()
	}
	disconnected := make(chan struct{}, 2)
	layer := func(name string) hub.Filter {
		return hub.Filter{
			Connect: func(ctx context.Context, c *hub.Conn, next func(context.Context) error) error {
				log(name + " connect>")
				if c.Request().URL.Query().Get("veto") == name {
					return hub.Errorf("%s says no", name)
				}
				err := next(ctx)
				log("<" + name + " connect")
				return err
			},
			Disconnect: func(ctx context.Context, c *hub.Conn, cause error, next func(context.Context, error)) {
				log(fmt.Sprintf("%s disconnect> %v", name, cause))
				next(ctx, cause)
				log("<" + name + " disconnect")
				if name == "a" {
					disconnected <- struct{}{}
				}
			},
		}
	}
	h := newTestHub(t, hub.Options{
		Filters: []hub.Filter{layer("a"), layer("b")},
		OnConnected: func(ctx context.Context, c *hub.Conn) error {
			log("OnConnected")
			return nil
		},
		OnDisconnected: func(ctx context.Context, c *hub.Conn, err error) {
			log("OnDisconnected")
		},
	}, echo)
	c := connect(t, h.url)
	c.send(`{"type":7}`)
	c.closed()
	<-disconnected
	// A Connect filter that says no closes the connection with its message.
	c = dial(t, h.url+"?veto=b", nil)
	c.send(`{"protocol":"json","version":1}`)
	records, _ := c.closed()
	if got := strings.Join(records, "|"); got != `{}|{"type":7,"error":"Connection closed with an error. HubException: b says no"}` {
		t.Errorf("vetoed connection: %s", got)
	}
	<-disconnected
	mu.Lock()
	defer mu.Unlock()
	want := []string{
		"a connect>", "b connect>", "OnConnected", "<b connect", "<a connect",
		"a disconnect> <nil>", "b disconnect> <nil>", "OnDisconnected", "<b disconnect", "<a disconnect",
		"a connect>", "b connect>", "<a connect",
		"a disconnect> <nil>", "b disconnect> <nil>", "OnDisconnected", "<b disconnect", "<a disconnect",
	}
	if strings.Join(trace, "\n") != strings.Join(want, "\n") {
		t.Errorf("trace:\n%s\nwant:\n%s", strings.Join(trace, "\n"), strings.Join(want, "\n"))
	}
}

func TestCORS(t *testing.T) {
	h := newTestHub(t, hub.Options{AllowedOrigins: []string{"https://app.example"}, Authenticate: tokenAuth}, echo)
	preflight := func(path, origin, headers string) *http.Response {
		hdr := http.Header{"Origin": {origin}, "Access-Control-Request-Method": {"POST"}}
		if headers != "" {
			hdr.Set("Access-Control-Request-Headers", headers)
		}
		resp, _ := do(t, "OPTIONS", h.url+path, "", hdr)
		return resp
	}
	for _, path := range []string{"/negotiate?negotiateVersion=1", "?id=x"} {
		resp := preflight(path, "https://app.example", "")
		hd := resp.Header
		if resp.StatusCode != 204 || hd.Get("Access-Control-Allow-Origin") != "https://app.example" ||
			hd.Get("Access-Control-Allow-Credentials") != "true" || hd.Get("Access-Control-Allow-Methods") != "GET, POST, DELETE" ||
			hd.Get("Access-Control-Allow-Headers") != "X-SignalR-User-Agent, X-Requested-With, Authorization, Content-Type" {
			t.Errorf("preflight of %s: %d %v", path, resp.StatusCode, hd)
		}
		// The headers asked for are echoed; a malformed list is not.
		if got := preflight(path, "https://app.example", "authorization, x-signalr-user-agent, x-custom").Header.Get("Access-Control-Allow-Headers"); got != "authorization, x-signalr-user-agent, x-custom" {
			t.Errorf("requested headers: %q", got)
		}
		if got := preflight(path, "https://app.example", "x-a;x-b=1").Header.Get("Access-Control-Allow-Headers"); got != "X-SignalR-User-Agent, X-Requested-With, Authorization, Content-Type" {
			t.Errorf("malformed requested headers: %q", got)
		}
		// Another origin: 204, but nothing a browser would take as a yes.
		resp = preflight(path, "https://evil.example", "")
		if resp.StatusCode != 204 || hasCORS(resp.Header) {
			t.Errorf("preflight from another origin: %d %v", resp.StatusCode, resp.Header)
		}
	}

	// The real requests carry the headers for an allowed origin, failures
	// included, so that the browser lets the client read them.
	allowed := http.Header{"Origin": {"https://app.example"}, "Authorization": {"Bearer good"}}
	resp, body := do(t, "POST", h.url+"/negotiate?negotiateVersion=1", "", allowed)
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example" || resp.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Errorf("negotiate: %d %v", resp.StatusCode, resp.Header)
	}
	resp, _ = do(t, "POST", h.url+"/negotiate?negotiateVersion=1", "", http.Header{"Origin": {"https://app.example"}})
	if resp.StatusCode != 401 || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example" {
		t.Errorf("a 401: %d %v", resp.StatusCode, resp.Header)
	}
	resp, _ = do(t, "POST", h.url+"/negotiate?negotiateVersion=1", "", http.Header{"Origin": {"https://evil.example"}, "Authorization": {"Bearer good"}})
	if hasCORS(resp.Header) {
		t.Errorf("negotiate from another origin: %v", resp.Header)
	}
	token := between(body, `"connectionToken":"`, `"`)
	url := h.url + "?id=" + token
	// Long polling: the first poll, the POST, a poll, the DELETE.
	for _, req := range []struct{ method, body string }{{"GET", ""}, {"POST", `{"protocol":"json","version":1}` + rs}, {"GET", ""}, {"DELETE", ""}} {
		resp, _ := do(t, req.method, url, req.body, allowed)
		if resp.StatusCode >= 300 || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example" || resp.Header.Get("Access-Control-Allow-Credentials") != "true" {
			t.Errorf("%s: %d %v", req.method, resp.StatusCode, resp.Header)
		}
	}
	// An event stream.
	_, body = do(t, "POST", h.url+"/negotiate?negotiateVersion=1", "", allowed)
	s := openEvents(t, h.url+"?id="+between(body, `"connectionToken":"`, `"`)+"&access_token=good", http.Header{"Origin": {"https://app.example"}})
	if s.resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example" || s.resp.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Errorf("event stream: %v", s.resp.Header)
	}
}

func hasCORS(h http.Header) bool {
	for k := range h {
		if strings.HasPrefix(k, "Access-Control-") {
			return true
		}
	}
	return false
}

// logBuffer collects a server's logs, at every level.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// TestSecretsNeverLogged drives the failure paths with an access token and a
// connection token in the query (and the access token echoed in an
// authentication error): neither reaches the logs.
func TestSecretsNeverLogged(t *testing.T) {
	const access = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0.bm90LWEtcmVhbC1zaWduYXR1cmU"
	logs := &logBuffer{}
	h := newTestHub(t, hub.Options{
		Logger:         logs.logger(),
		DetailedErrors: true,
		Authenticate: func(r *http.Request) (*hub.Identity, error) {
			if t := hub.BearerToken(r); t != access {
				return nil, fmt.Errorf("token %q is not valid", t)
			}
			return &hub.Identity{UserID: "u"}, nil
		},
		AllowedOrigins: []string{"https://app.example"},
	}, echo, panics)
	q := "access_token=" + url.QueryEscape(access)
	bad := "access_token=" + url.QueryEscape(access+"x")
	ws := "ws" + strings.TrimPrefix(h.url, "http")

	// Authentication failures, on negotiate and every transport.
	post(t, h.url+"/negotiate?negotiateVersion=1&"+bad)
	do(t, "GET", h.url+"?id=abc&"+bad, "", http.Header{"Accept": {"text/event-stream"}})
	do(t, "POST", h.url+"?id=abc&"+bad, "x", nil)
	websocket.DefaultDialer.Dial(ws+"?"+bad, nil)

	// A connection token, refused in every way there is.
	_, body := post(t, h.url+"/negotiate?negotiateVersion=1&"+q)
	token := between(body, `"connectionToken":"`, `"`)
	id := between(body, `"connectionId":"`, `"`)
	if token == "" {
		t.Fatalf("negotiate: %s", body)
	}
	c := dial(t, h.url+"?id="+token+"&"+q, nil)
	c.send(`{"protocol":"json","version":1}`)
	c.record()
	for _, req := range []struct {
		method string
		header http.Header
	}{
		{"GET", nil},    // a poll of a WebSocket connection: 409
		{"POST", nil},   // a send to a WebSocket connection: 405
		{"DELETE", nil}, // a DELETE of a WebSocket connection: 400
		{"PUT", nil},    // 405
		{"OPTIONS", http.Header{"Origin": {"https://evil.example"}, "Access-Control-Request-Method": {"GET"}}}, // refused preflight
		{"GET", http.Header{"Connection": {"Upgrade"}, "Upgrade": {"websocket"}}},                              // a bad upgrade: 409 or 400
	} {
		do(t, req.method, h.url+"?id="+token+"&"+q, "", req.header)
		do(t, req.method, h.url+"?id="+token+"x&"+q, "", req.header)
	}
	websocket.DefaultDialer.Dial(ws+"?id="+token+"&"+q, nil)                        // second transport: 409
	websocket.DefaultDialer.Dial(ws+"?id="+token+"zz&"+q, nil)                      // unknown: 404
	do(t, "GET", h.url+"?id=&"+q, "", http.Header{"Accept": {"text/event-stream"}}) // no id: 400

	// A panic and a protocol error on the connection that the tokens opened.
	c.invoke("1", "Panic")
	c.send(`{"type":1,"target":"Echo"}`)
	c.closed()

	// A handshake failure on a long-polling connection.
	_, body = post(t, h.url+"/negotiate?negotiateVersion=1&"+q)
	lpToken := between(body, `"connectionToken":"`, `"`)
	do(t, "GET", h.url+"?id="+lpToken+"&"+q, "", nil)
	do(t, "POST", h.url+"?id="+lpToken+"&"+q, "not a handshake"+rs, nil)
	do(t, "GET", h.url+"?id="+lpToken+"&"+q, "", nil)

	// The connection ended: wait for its last log line.
	if err := h.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	for _, secret := range []string{access, url.QueryEscape(access), token, lpToken} {
		if strings.Contains(out, secret) {
			t.Errorf("a secret (%s…) is in the logs:\n%s", secret[:6], out)
		}
	}
	// The logs still say what happened, with the public connection id.
	for _, want := range []string{"authentication failed", "request refused", "id=REDACTED", "access_token=REDACTED", id, "hub method panicked"} {
		if !strings.Contains(out, want) {
			t.Errorf("the logs do not have %q:\n%s", want, out)
		}
	}
}
