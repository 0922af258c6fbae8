package redishub_test

import (
	"context"
	"net/http"

	"github.com/hubgen/hubgen/runtime/host"
	"github.com/hubgen/hubgen/runtime/hub"
	"github.com/hubgen/hubgen/runtime/redishub"
	"github.com/redis/go-redis/v9"
)

// Every server of the app runs the same code on the same Redis; a broadcast
// from any of them reaches the clients of all.
func Example() {
	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
	defer rdb.Close()
	lt := redishub.New(rdb, redishub.Options{ChannelPrefix: "myapp:ChatHub"})
	srv := hub.New(nil /* the hub's methods */, hub.Options{Lifetime: lt})
	mux := http.NewServeMux()
	srv.Mount(mux, "/hubs/chat")

	h := host.New()
	h.Add(
		host.HTTPServer(&http.Server{Addr: ":5000", Handler: mux}),
		lt,  // stops after the hub
		srv, // stops first: clients get a Close message
		host.Worker("news", func(ctx context.Context) error {
			// Reaches the clients of every server.
			return srv.Clients().All().Send(ctx, "News", "hello from one of the servers")
		}),
	)
	h.Run(context.Background())
}
