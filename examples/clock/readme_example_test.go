package clock_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/hubgen/hubgen/examples/clock"
	"github.com/hubgen/hubgen/runtime/client"
	"github.com/hubgen/hubgen/runtime/host"
	"github.com/hubgen/hubgen/runtime/hub"
	"github.com/hubgen/hubgen/runtime/redishub"
	"github.com/redis/go-redis/v9"
)

// The README's snippets of the clock, shortened from examples/clock/server
// and examples/clock/client, live here so that they compile: the README
// quotes them (internal/readme checks that it does, line by line). They
// have no Output, so go test compiles them and does not run them.

// clockHub is the server's ClockHub, as in examples/clock/server.
type clockHub struct{}

func (clockHub) Now(context.Context) (time.Time, error) { return time.Now(), nil }

// printer is the client's Clock, as in examples/clock/client.
type printer struct{}

func (printer) ShowTime(_ context.Context, now time.Time) error {
	fmt.Println(now.Local().Format(time.TimeOnly))
	return nil
}

// The contract package's go:generate line, without -ts.
func Example_generate() {
	//go:generate go run github.com/hubgen/hubgen/cmd/hubgen -server ClockHub -client Clock
}

// The server: the hub, an HTTP server and the worker that shows the time.
func Example_server() {
	srv := clock.NewClockHubServer(clockHub{}, hub.Options{})
	mux := http.NewServeMux()
	srv.Mount(mux, "/hubs/clock") // the hub and its /negotiate

	h := host.New() // SIGINT and SIGTERM stop it gracefully
	h.Add(
		host.HTTPServer(&http.Server{Addr: ":5000", Handler: mux}), // with safe timeouts, see below
		srv, // stops before the HTTP server: clients get a Close message
		host.Every("clock", time.Second, func(ctx context.Context) error {
			return srv.Clients.All().ShowTime(ctx, time.Now())
		}),
	)
	h.Run(context.Background())
}

// The client: handlers registered before the connection opens, and a call.
func Example_client() {
	ctx := context.Background()
	conn, err := client.Dial(ctx, "http://localhost:5000/hubs/clock", client.Options{
		Handlers: clock.ClockHandlers(printer{}), // the server's ShowTime calls arrive here, from the first
	})
	if err != nil {
		log.Fatal(err)
	}
	now, err := clock.NewClockHubClient(conn).Now(ctx)
	fmt.Println(now, err)
	clock.RegisterClock(conn, printer{})
}

// Scale-out: every server on the same Redis.
func Example_redis() {
	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"}) // github.com/redis/go-redis/v9
	srv := clock.NewClockHubServer(clockHub{}, hub.Options{
		Lifetime: redishub.New(rdb, redishub.Options{ChannelPrefix: "clock"}),
	})
	_ = srv
}
