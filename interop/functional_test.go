package interop

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hubgen/hubgen/runtime/hub"
	"github.com/hubgen/hubgen/runtime/transport"
)

// mountFunctional mounts on mux the endpoints besides hubs that the official
// client's functional tests reach (dotnet/aspnetcore,
// src/SignalR/clients/ts/FunctionalTests/Startup.cs), for the Node suite's
// connection, websocket and redirect tests:
//   - /echo, a raw connection endpoint that writes back what it receives, as
//     EchoConnectionHandler.cs: the official HttpConnection reaches it over
//     every transport, and a plain WebSocket without negotiate;
//   - /echoredirect, which answers every request with a 307 to the same path
//     under /echo;
//   - /redirect, which answers negotiate with a redirect of the protocol,
//     {"url": "<baseUrl>/testHub?numRedirects=N"}, N counting the redirects;
//   - testHub at /testhub: the redirect's /testHub reaches it, since mounted
//     paths match ignoring case.
func mountFunctional(mux *transport.Mux, testHub *hub.Server, log *slog.Logger) *echoEndpoint {
	echo := newEchoEndpoint(log)
	mux.Mount("/echo", echo.srv)
	mux.Handle("/echoredirect", http.HandlerFunc(echoRedirect))
	mux.Handle("/echoredirect/", http.HandlerFunc(echoRedirect))
	var redirects atomic.Int64
	negotiateRedirect := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		url := r.URL.Query().Get("baseUrl") + "/testHub?numRedirects=" + strconv.FormatInt(redirects.Add(1), 10)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(struct {
			URL string `json:"url"`
		}{url})
	})
	mux.Handle("/redirect", negotiateRedirect)
	mux.Handle("/redirect/", negotiateRedirect)
	mux.Mount("/testhub", testHub)
	return echo
}

// echoRedirect redirects a request under /echoredirect to the same path and
// query under /echo, with a 307 (the client repeats the same method and body
// there) and a Location without scheme and host, as ASP.NET Core's
// Response.Redirect(url, false, true) in Startup.cs answers.
func echoRedirect(w http.ResponseWriter, r *http.Request) {
	target := strings.Replace(r.URL.Path, "/echoredirect", "/echo", 1)
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	http.Redirect(w, r, target, http.StatusTemporaryRedirect)
}

// echoEndpoint is the raw connection endpoint at /echo, with a count of the
// connections it serves and of the transports they came over.
type echoEndpoint struct {
	srv *transport.Server

	changed chan struct{} // takes a value when open changes, for waitIdle

	mu      sync.Mutex
	open    int
	served  map[transport.Transports]int
	unclean []string // connections whose transport ended with an error
}

func newEchoEndpoint(log *slog.Logger) *echoEndpoint {
	e := &echoEndpoint{changed: make(chan struct{}, 1), served: map[transport.Transports]int{}}
	e.srv = transport.New(e, transport.Options{Logger: log})
	return e
}

// ServeConn echoes c's messages until its transport ends.
func (e *echoEndpoint) ServeConn(c *transport.Conn) {
	e.update(func() {
		e.open++
		e.served[c.Transport()]++
	})
	err := echoMessages(c)
	e.update(func() {
		e.open--
		if err != nil {
			e.unclean = append(e.unclean, fmt.Sprintf("%s over %v: %v", c.ID(), c.Transport(), err))
		}
	})
}

// echoMessages writes back each message c receives, as examples/echo does,
// until c's transport ends; it returns nil if it ended cleanly.
func echoMessages(c *transport.Conn) error {
	for {
		msg, err := c.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := c.Write(msg); err != nil {
			return err
		}
	}
}

// update runs f under e's lock and wakes waitIdle.
func (e *echoEndpoint) update(f func()) {
	e.mu.Lock()
	f()
	e.mu.Unlock()
	select {
	case e.changed <- struct{}{}:
	default:
	}
}

// waitIdle waits up to d for every connection to be gone, and reports what is
// left, which transports were served, and which connections ended with an
// error.
func (e *echoEndpoint) waitIdle(d time.Duration) (open int, served map[transport.Transports]int, unclean []string) {
	timeout := time.After(d)
	for {
		e.mu.Lock()
		open, served, unclean = e.open, maps.Clone(e.served), slices.Clone(e.unclean)
		e.mu.Unlock()
		if open == 0 {
			return open, served, unclean
		}
		select {
		case <-e.changed:
		case <-timeout:
			return open, served, unclean
		}
	}
}
