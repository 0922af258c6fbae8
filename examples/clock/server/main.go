// Command server is the clock example's server: a ClockHub at /hubs/clock, a
// worker that shows every client the time each interval, and a page at / that
// shows it live in the browser, through the TypeScript client hubgen generated
// (ts/clockhub.ts) over the official @microsoft/signalr client, which esbuild
// bundles into dist/clock.js:
//
//	npm ci --prefix examples/clock && npm run build --prefix examples/clock
//	go run ./examples/clock/server [-addr localhost:5000] [-interval 1s] [-redis localhost:6379]
//
// With -redis, servers on the same Redis scale out through runtime/redishub:
// each worker's broadcast reaches the clients of every server.
//
//	go run ./examples/clock/server -addr localhost:5000 -redis localhost:6379 &
//	go run ./examples/clock/server -addr localhost:5001 -redis localhost:6379 &
//	go run ./examples/clock/client -url http://localhost:5001/hubs/clock
//
// The client then shows the time twice each interval: once from each server.
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
	"github.com/hubgen/hubgen/runtime/redishub"
	"github.com/redis/go-redis/v9"
)

func main() {
	addr := flag.String("addr", "localhost:5000", "address to listen on")
	interval := flag.Duration("interval", time.Second, "how often the worker shows clients the time")
	web := flag.String("web", defaultWeb(), "directory of the page, index.html, and of its script, dist/clock.js, which npm run build writes")
	redisAddr := flag.String("redis", "", "`address` of a Redis to scale out on: servers on the same Redis reach each other's clients (default: none, one server)")
	flag.Parse()
	if err := run(*addr, *interval, *web, *redisAddr); err != nil {
		slog.Error("clock server", "error", err)
		os.Exit(1)
	}
}

// clockHub answers the clients' calls.
type clockHub struct{}

func (clockHub) Now(ctx context.Context) (time.Time, error) { return time.Now(), nil }

func run(addr string, interval time.Duration, web, redisAddr string) error {
	// Clients that ask for stateful reconnect (the page, the console client)
	// survive a dropped WebSocket with nothing lost: with Redis, behind a
	// load balancer, that needs sticky sessions.
	opts := hub.Options{AllowStatefulReconnects: true}
	var backplane []host.Service
	if redisAddr != "" {
		rdb := redis.NewClient(&redis.Options{Addr: redisAddr})
		defer rdb.Close()
		lt := redishub.New(rdb, redishub.Options{ChannelPrefix: "clock:ClockHub"})
		opts.Lifetime = lt
		backplane = append(backplane, lt) // added before the hub: stops after it
		slog.Info("clock server scales out on Redis", "redis", redisAddr)
	}
	hubSrv := clock.NewClockHubServer(clockHub{}, opts)
	mux := http.NewServeMux()
	hubSrv.Mount(mux, "/hubs/clock")
	mux.Handle("/", page(web))

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	slog.Info("clock server listening", "url", "http://"+ln.Addr().String(), "hub", "/hubs/clock")

	h := host.New()
	h.Add(host.HTTPServerListener(&http.Server{Handler: mux}, ln))
	h.Add(backplane...)
	h.Add(
		hubSrv, // stops before the HTTP server: clients get a Close message
		host.Every("clock", interval, func(ctx context.Context) error {
			// The typed hub context: what Clients.All.ShowTime(now) is in C#.
			if err := hubSrv.Clients.All().ShowTime(ctx, time.Now()); err != nil {
				// Redis is down: this server's clients were shown the time,
				// the other servers' were not. Carry on: Redis may return.
				slog.Warn("clock: showing the time", "error", err)
			}
			return nil
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

// bundle is the page's script, relative to the web directory: page.ts with
// the generated client and @microsoft/signalr, bundled by npm run build.
const bundle = "dist/clock.js"

// page serves index.html and its script from web, or says how to build the
// script when it is missing.
func page(web string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			if _, err := os.Stat(filepath.Join(web, bundle)); errors.Is(err, os.ErrNotExist) {
				w.Header().Set("Content-Type", "text/plain; charset=utf-8")
				fmt.Fprintf(w, "The clock page needs its script, %s, which npm builds.\n"+
					"Build it with:\n\n    npm ci --prefix %s && npm run build --prefix %[2]s\n\nthen reload this page.\n", bundle, web)
				return
			}
			http.ServeFile(w, r, filepath.Join(web, "index.html"))
		case "/clock.js", "/clock.js.map":
			http.ServeFile(w, r, filepath.Join(web, "dist", r.URL.Path[1:]))
		default:
			http.NotFound(w, r)
		}
	})
}
