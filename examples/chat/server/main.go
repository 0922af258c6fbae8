// Command server is the chat example's server: a ChatHub at /hubs/chat for
// signed-in users, a sign-in endpoint at /token that gives out their tokens,
// and a page at / (index.html and dist/chat.js, which npm run build writes
// from page.ts and the TypeScript client hubgen generated):
//
//	npm ci --prefix examples/chat && npm run build --prefix examples/chat
//	go run ./examples/chat/server [-addr localhost:5000] [-rooms general,random] [-staff alice]
//
// Tokens are JWTs signed with HS256 and the key in $CHAT_KEY (at least 32
// bytes); without it, the server makes up a key, and its tokens last until
// it stops. Anyone may join the rooms of -rooms; only the users of -staff may
// join the room "staff" too.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hubgen/hubgen/runtime/host"
	"github.com/hubgen/hubgen/runtime/hub"
)

func main() {
	addr := flag.String("addr", "localhost:5000", "address to listen on")
	web := flag.String("web", defaultWeb(), "directory of the page, index.html, and of its script, dist/chat.js, which npm run build writes")
	rooms := flag.String("rooms", "general,random", "comma-separated rooms that anyone may join")
	staff := flag.String("staff", "alice", "comma-separated users who may also join the room \"staff\"")
	flag.Parse()
	p := policy{open: split(*rooms), staff: split(*staff)}
	if err := run(*addr, *web, p); err != nil {
		slog.Error("chat server", "error", err)
		os.Exit(1)
	}
}

func run(addr, web string, p policy) error {
	key, err := signingKey()
	if err != nil {
		return err
	}
	t := tokens{key: key, ttl: time.Hour}
	srv := newServer(hub.Options{
		// Every request needs a valid token, or it is answered 401. A token
		// lasts an hour: clients get a new one for every connection they
		// open, reconnects included, and an open WebSocket outlives it
		// (hub.Options.CloseOnAuthenticationExpiration would close it).
		Authenticate: t.authenticate,
	})
	mux := http.NewServeMux()
	srv.Mount(mux, "/hubs/chat")
	mux.Handle("/token", signIn(t, p))
	mux.Handle("/", page(web))

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	slog.Info("chat server listening", "url", "http://"+ln.Addr().String(), "hub", "/hubs/chat", "rooms", p.open, "staff", p.staff)

	h := host.New()
	h.Add(
		host.HTTPServerListener(&http.Server{Handler: mux}, ln),
		srv, // stops before the HTTP server: clients get a Close message
	)
	return h.Run(context.Background())
}

// signingKey returns the key in $CHAT_KEY, or a new random one.
func signingKey() ([]byte, error) {
	if key := os.Getenv("CHAT_KEY"); key != "" {
		if len(key) < 32 {
			return nil, errors.New("$CHAT_KEY needs at least 32 bytes")
		}
		return []byte(key), nil
	}
	slog.Info("no $CHAT_KEY: signing tokens with a random key, which the server forgets when it stops")
	return []byte(rand.Text() + rand.Text()), nil
}

// split returns the non-empty items of a comma-separated list.
func split(list string) []string {
	var items []string
	for item := range strings.SplitSeq(list, ",") {
		if item = strings.TrimSpace(item); item != "" {
			items = append(items, item)
		}
	}
	return items
}

// defaultWeb finds the example's directory when run from the repository root
// or from the example itself.
func defaultWeb() string {
	for _, dir := range []string{"examples/chat", ".", ".."} {
		if _, err := os.Stat(filepath.Join(dir, "page.ts")); err == nil {
			return dir
		}
	}
	return "examples/chat"
}

// bundle is the page's script, relative to the web directory: page.ts with
// the generated client and @microsoft/signalr, bundled by npm run build.
const bundle = "dist/chat.js"

// page serves index.html and its script from web, or says how to build the
// script when it is missing.
func page(web string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			if _, err := os.Stat(filepath.Join(web, bundle)); errors.Is(err, os.ErrNotExist) {
				w.Header().Set("Content-Type", "text/plain; charset=utf-8")
				fmt.Fprintf(w, "The chat page needs its script, %s, which npm builds.\n"+
					"Build it with:\n\n    npm ci --prefix %s && npm run build --prefix %[2]s\n\nthen reload this page.\n", bundle, web)
				return
			}
			http.ServeFile(w, r, filepath.Join(web, "index.html"))
		case "/chat.js", "/chat.js.map":
			http.ServeFile(w, r, filepath.Join(web, "dist", r.URL.Path[1:]))
		default:
			http.NotFound(w, r)
		}
	})
}
