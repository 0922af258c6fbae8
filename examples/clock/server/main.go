// Command server is the clock example's server: a ClockHub at /hubs/clock, a
// worker that shows every client the time each interval, and a page at / that
// shows it live in the browser with the official @microsoft/signalr client.
//
//	go run ./examples/clock/server [-addr localhost:5000] [-interval 1s]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/hubgen/hubgen/examples/clock"
	"github.com/hubgen/hubgen/runtime/host"
	"github.com/hubgen/hubgen/runtime/hub"
)

func main() {
	addr := flag.String("addr", "localhost:5000", "address to listen on")
	interval := flag.Duration("interval", time.Second, "how often the worker shows clients the time")
	web := flag.String("web", defaultWeb(), "directory of the page, with node_modules/@microsoft/signalr installed by npm ci")
	flag.Parse()
	if err := run(*addr, *interval, *web); err != nil {
		slog.Error("clock server", "error", err)
		os.Exit(1)
	}
}

// clockHub answers the clients' calls.
type clockHub struct{}

func (clockHub) Now(ctx context.Context) (time.Time, error) { return time.Now(), nil }

func run(addr string, interval time.Duration, web string) error {
	hubSrv := clock.NewClockHubServer(clockHub{}, hub.Options{})
	mux := http.NewServeMux()
	hubSrv.Mount(mux, "/hubs/clock")
	mux.Handle("/", page(web))

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	slog.Info("clock server listening", "url", "http://"+ln.Addr().String(), "hub", "/hubs/clock")

	h := host.New()
	h.Add(
		host.HTTPServerListener(&http.Server{Handler: mux}, ln),
		hubSrv, // stops before the HTTP server: clients get a Close message
		host.Every("clock", interval, func(ctx context.Context) error {
			// The typed hub context: what Clients.All.ShowTime(now) is in C#.
			return hubSrv.Clients.All().ShowTime(ctx, time.Now())
		}),
	)
	return h.Run(context.Background())
}

// defaultWeb finds the example's directory when run from the repository root
// or from the example itself.
func defaultWeb() string {
	for _, dir := range []string{"examples/clock", ".", ".."} {
		if _, err := os.Stat(filepath.Join(dir, "index.html")); err == nil {
			return dir
		}
	}
	return "examples/clock"
}

// signalrJS is where npm puts the official client's browser build.
const signalrJS = "node_modules/@microsoft/signalr/dist/browser/signalr.min.js"

// page serves index.html and the official client from web, or says how to
// install the client when it is missing.
func page(web string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			if _, err := os.Stat(filepath.Join(web, signalrJS)); errors.Is(err, os.ErrNotExist) {
				w.Header().Set("Content-Type", "text/plain; charset=utf-8")
				fmt.Fprintf(w, "The clock page needs the @microsoft/signalr client from npm.\n"+
					"Install it with:\n\n    npm ci --prefix %s\n\nthen reload this page.\n", web)
				return
			}
			http.ServeFile(w, r, filepath.Join(web, "index.html"))
		case "/signalr.min.js":
			http.ServeFile(w, r, filepath.Join(web, signalrJS))
		default:
			http.NotFound(w, r)
		}
	})
}
