package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hubgen/hubgen/runtime/client"
	"github.com/hubgen/hubgen/runtime/hub"
)

// bearer accepts requests that carry the given bearer token.
func bearer(token string) func(r *http.Request) (*hub.Identity, error) {
	return func(r *http.Request) (*hub.Identity, error) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			return nil, errors.New("bad token")
		}
		return &hub.Identity{UserID: "gopher"}, nil
	}
}

func TestAccessToken(t *testing.T) {
	h := newHub(t, hub.Options{Authenticate: bearer("secret")})
	var calls atomic.Int32
	c := dial(t, h.url, client.Options{
		AccessToken: func(ctx context.Context) (string, error) {
			calls.Add(1)
			return "secret", nil
		},
	})
	var s string
	if err := c.Invoke(testCtx(t), "Echo", &s, "authorized"); err != nil || s != "authorized" {
		t.Errorf("Echo = %q, %v", s, err)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("AccessToken called %d times, want once per connection", n)
	}

	// Without the token, negotiate fails as the JavaScript client reports it.
	_, err := client.Dial(testCtx(t), h.url, client.Options{Logger: quiet})
	want := "client: failed to complete negotiation with the server: Unauthorized: Status code '401'"
	if err == nil || err.Error() != want {
		t.Errorf("Dial without a token: %v, want %q", err, want)
	}
	var he *client.HTTPError
	if !errors.As(err, &he) || he.StatusCode != http.StatusUnauthorized {
		t.Errorf("Dial without a token: %#v, want an *HTTPError", err)
	}

	_, err = client.Dial(testCtx(t), h.url, client.Options{
		Logger:      quiet,
		AccessToken: func(context.Context) (string, error) { return "", errors.New("no token today") },
	})
	if err == nil || !strings.Contains(err.Error(), "no token today") {
		t.Errorf("Dial with a failing AccessToken: %v", err)
	}
}

func TestHeaderAndHTTPClient(t *testing.T) {
	var seen sync.Map // request kind → header value
	h := newHub(t, hub.Options{Authenticate: func(r *http.Request) (*hub.Identity, error) {
		kind := "negotiate"
		if r.Header.Get("Upgrade") != "" {
			kind = "upgrade"
		}
		seen.Store(kind, r.Header.Get("X-Tenant"))
		return nil, nil
	}})
	var requests atomic.Int32
	hc := &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		requests.Add(1)
		return http.DefaultTransport.RoundTrip(r)
	})}
	defer http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	dial(t, h.url, client.Options{Header: http.Header{"X-Tenant": {"blue"}}, HTTPClient: hc})
	for _, kind := range []string{"negotiate", "upgrade"} {
		if v, _ := seen.Load(kind); v != "blue" {
			t.Errorf("X-Tenant on %s = %v, want blue", kind, v)
		}
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("the HTTP client sent %d requests, want 1 (negotiate)", n)
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestNegotiateRedirect(t *testing.T) {
	h := newHub(t, hub.Options{Authenticate: bearer("from-redirect")})
	hops := 0
	mux := http.NewServeMux()
	mux.HandleFunc("POST /first/negotiate", func(w http.ResponseWriter, r *http.Request) {
		hops++
		if r.Header.Get("Authorization") != "Bearer original" {
			t.Errorf("first negotiate: Authorization = %q", r.Header.Get("Authorization"))
		}
		fmt.Fprintf(w, `{"url":%q}`, "http://"+r.Host+"/second")
	})
	mux.HandleFunc("POST /second/negotiate", func(w http.ResponseWriter, r *http.Request) {
		hops++
		if r.Header.Get("Authorization") != "Bearer original" {
			t.Errorf("second negotiate: Authorization = %q", r.Header.Get("Authorization"))
		}
		fmt.Fprintf(w, `{"url":%q,"accessToken":"from-redirect"}`, h.url)
	})
	ts := httptest.NewServer(mux)
	defer ts.Close()

	c := dial(t, ts.URL+"/first", client.Options{
		AccessToken: func(context.Context) (string, error) { return "original", nil },
	})
	var s string
	if err := c.Invoke(testCtx(t), "Echo", &s, "redirected"); err != nil || s != "redirected" {
		t.Errorf("Echo = %q, %v", s, err)
	}
	if hops != 2 {
		t.Errorf("%d redirects, want 2", hops)
	}
}

func TestNegotiateRedirectLimit(t *testing.T) {
	var hops atomic.Int32
	var ts *httptest.Server
	ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hops.Add(1)
		fmt.Fprintf(w, `{"url":%q}`, ts.URL+"/again")
	}))
	defer ts.Close()
	_, err := client.Dial(testCtx(t), ts.URL+"/hub", client.Options{Logger: quiet})
	if err == nil || err.Error() != "client: negotiate redirection limit exceeded" {
		t.Errorf("Dial: %v", err)
	}
	if n := hops.Load(); n != 100 {
		t.Errorf("%d negotiate requests, want 100", n)
	}
}

func TestNegotiateErrors(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{"body", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "the hub is resting", http.StatusServiceUnavailable)
		}, "client: failed to complete negotiation with the server: the hub is resting: Status code '503'"},
		{"status text", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusForbidden)
		}, "client: failed to complete negotiation with the server: Forbidden: Status code '403'"},
		{"error body", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"error":"Negotiate version 0 is not supported."}`))
		}, "client: failed to complete negotiation with the server: Negotiate version 0 is not supported."},
		{"not JSON", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`<html>`))
		}, "client: failed to complete negotiation with the server: invalid negotiate response: invalid character '<' looking for beginning of value"},
		{"old SignalR", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"Url":"/signalr","ConnectionToken":"x","ConnectionId":"y","ProtocolVersion":"1.5"}`))
		}, "client: failed to complete negotiation with the server: detected a connection attempt to an ASP.NET SignalR server: this client only supports connecting to an ASP.NET Core SignalR server"},
		{"no transport", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"negotiateVersion":1,"connectionId":"a","connectionToken":"b","availableTransports":[{"transport":"WebTransport","transferFormats":["Text"]},{"transport":"LongPolling","transferFormats":["Binary"]}]}`))
		}, "client: unable to connect to the server with any of the available transports: skipping transport 'WebTransport' because it is not supported by this client; 'LongPolling' does not support Text"},
		{"no transports", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"negotiateVersion":1,"connectionId":"a","connectionToken":"b","availableTransports":[]}`))
		}, "client: none of the transports supported by the client are supported by the server"},
		{"no token", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"negotiateVersion":1,"connectionId":"a"}`))
		}, "client: failed to complete negotiation with the server: the response has no connection token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := httptest.NewServer(tt.handler)
			defer ts.Close()
			_, err := client.Dial(testCtx(t), ts.URL+"/hub", client.Options{Logger: quiet})
			if err == nil || err.Error() != tt.want {
				t.Errorf("Dial:\n got %v\nwant %s", err, tt.want)
			}
		})
	}
}

func TestNegotiateVersion0(t *testing.T) {
	h := newHub(t, hub.Options{})
	var versions []string
	// A server that only knows version 0: the connection id is the token.
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/negotiate") {
			versions = append(versions, r.URL.Query().Get("negotiateVersion"))
			r.URL.RawQuery = ""
		}
		h.ts.Config.Handler.ServeHTTP(w, r)
	}))
	defer ts.Close()
	c := dial(t, ts.URL+"/hub?tenant=blue", client.Options{})
	var s string
	if err := c.Invoke(testCtx(t), "Echo", &s, "v0"); err != nil || s != "v0" {
		t.Errorf("Echo = %q, %v", s, err)
	}
	if fmt.Sprint(versions) != "[1]" {
		t.Errorf("negotiateVersion sent: %v", versions)
	}
	if c.ID() == "" {
		t.Error("no connection id")
	}
}

func TestSkipNegotiation(t *testing.T) {
	h := newHub(t, hub.Options{})
	for _, u := range []string{h.url, "ws" + strings.TrimPrefix(h.url, "http")} {
		c := dial(t, u, client.Options{SkipNegotiation: true})
		var s string
		if err := c.Invoke(testCtx(t), "Echo", &s, "direct"); err != nil || s != "direct" {
			t.Errorf("%s: Echo = %q, %v", u, s, err)
		}
		if c.ID() != "" {
			t.Errorf("%s: ID = %q, want none without negotiate", u, c.ID())
		}
	}
	if _, err := client.Dial(testCtx(t), "ws"+strings.TrimPrefix(h.url, "http"), client.Options{}); err == nil {
		t.Error("Dial of a ws URL without SkipNegotiation succeeded")
	}
}

func TestDialErrors(t *testing.T) {
	h := newHub(t, hub.Options{})
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	stopped := httptest.NewServer(http.NotFoundHandler())
	stopped.Close()
	tests := []struct {
		name string
		ctx  context.Context
		url  string
		skip bool // SkipNegotiation
		want string
	}{
		{"scheme", testCtx(t), "ftp://example.com/hub", false, "the scheme must be http or https"},
		{"parse", testCtx(t), "http://[::1", false, "invalid hub URL"},
		{"refused", testCtx(t), stopped.URL + "/hub", false, "connection refused"},
		{"canceled", canceled, h.url, false, "context canceled"},
		{"negotiate not found", testCtx(t), h.ts.URL + "/elsewhere", false,
			"client: failed to complete negotiation with the server: 404 page not found: Status code '404'"},
		{"upgrade not found", testCtx(t), h.ts.URL + "/elsewhere", true,
			"client: WebSocket connection failed: 404 page not found: Status code '404'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := client.Dial(tt.ctx, tt.url, client.Options{Logger: quiet, SkipNegotiation: tt.skip})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Dial = %v, %v; want an error with %q", c, err, tt.want)
			}
		})
	}
}

// TestDialTimeout checks that a server that never answers the handshake makes
// Dial fail after the handshake timeout.
func TestDialTimeout(t *testing.T) {
	s := newRawServerHandshake(t, "", nil)
	start := time.Now()
	_, err := client.Dial(testCtx(t), s.url, client.Options{Logger: quiet, HandshakeTimeout: 100 * time.Millisecond})
	if err == nil || err.Error() != "client: handshake timed out after 100ms" {
		t.Errorf("Dial: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Dial took %v", d)
	}

	ctx, cancel := context.WithTimeout(testCtx(t), 100*time.Millisecond)
	defer cancel()
	_, err = client.Dial(ctx, s.url, client.Options{Logger: quiet})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Dial with a context that ends: %v", err)
	}
}

func TestTLS(t *testing.T) {
	srv := hub.New([]hub.Method{{Name: "Echo", Args: 1, Call: func(ctx context.Context, a hub.Args) (any, error) {
		return hub.Arg[string](a, 0)
	}}}, hub.Options{Logger: quiet})
	mux := http.NewServeMux()
	srv.Mount(mux, "/hub")
	ts := httptest.NewTLSServer(mux)
	t.Cleanup(func() {
		srv.Shutdown(context.Background())
		ts.Close()
	})

	// The test server's client trusts its certificate, for negotiate and wss.
	c := dial(t, ts.URL+"/hub", client.Options{HTTPClient: ts.Client()})
	var s string
	if err := c.Invoke(testCtx(t), "Echo", &s, "secure"); err != nil || s != "secure" {
		t.Errorf("Echo = %q, %v", s, err)
	}
}
