package redishub_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/alicebob/miniredis/v2"
	"github.com/hubgen/hubgen/runtime/client"
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

// Two servers on one Redis: a client of one hears a broadcast sent from the
// other. (miniredis, in process, stands in for Redis here, so that the
// example runs anywhere; a real deployment gives both the same Redis address.)
func Example_twoServers() {
	mr, err := miniredis.Run()
	if err != nil {
		log.Fatal(err)
	}
	defer mr.Close()
	ctx := context.Background()

	type server struct {
		srv  *hub.Server
		lt   *redishub.Lifetime
		http *httptest.Server
	}
	start := func() server {
		lt := redishub.New(redis.NewClient(&redis.Options{Addr: mr.Addr()}), redishub.Options{ChannelPrefix: "example"})
		srv := hub.New(nil, hub.Options{Lifetime: lt})
		mux := http.NewServeMux()
		srv.Mount(mux, "/hub")
		return server{srv, lt, httptest.NewServer(mux)}
	}
	a, b := start(), start()
	defer func() {
		for _, s := range []server{a, b} {
			s.srv.Shutdown(ctx)
			s.lt.Close()
			s.http.Close()
		}
	}()

	news := make(chan string, 1)
	conn, err := client.Dial(ctx, b.http.URL+"/hub", client.Options{
		Handlers: map[string]client.Handler{"News": func(_ context.Context, args client.Args) (any, error) {
			text, err := client.Arg[string](args, 0)
			news <- text
			return nil, err
		}},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()

	// The client is connected to b; a sends.
	if err := a.srv.Clients().All().Send(ctx, "News", "hello from server a"); err != nil {
		log.Fatal(err)
	}
	fmt.Println(<-news)
	// Output:
	// hello from server a
}
