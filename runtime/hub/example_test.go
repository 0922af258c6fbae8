package hub_test

import (
	"context"
	"fmt"
	"iter"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"

	"github.com/hubgen/hubgen/runtime/client"
	"github.com/hubgen/hubgen/runtime/hub"
)

// A hub built by hand from its dispatch table, as generated code builds it:
// a method with a result, one that joins the caller to a group, and a
// stream; a Go client calls each, and a send to the group reaches it.
func ExampleNew() {
	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)
	var srv *hub.Server
	srv = hub.New([]hub.Method{
		{Name: "Add", Args: 2, Call: func(ctx context.Context, a hub.Args) (any, error) {
			x, err := hub.Arg[int](a, 0)
			if err != nil {
				return nil, err
			}
			y, err := hub.Arg[int](a, 1)
			return x + y, err
		}},
		{Name: "Join", Args: 1, Void: true, Call: func(ctx context.Context, a hub.Args) (any, error) {
			room, err := hub.Arg[string](a, 0)
			if err != nil {
				return nil, err
			}
			return nil, srv.Groups().Add(ctx, hub.ConnFromContext(ctx).ID(), room)
		}},
		{Name: "Count", Args: 1, Stream: func(ctx context.Context, a hub.Args) (iter.Seq2[any, error], error) {
			n, err := hub.Arg[int](a, 0)
			return func(yield func(any, error) bool) {
				for i := 1; i <= n && yield(i, nil); i++ {
				}
			}, err
		}},
	}, hub.Options{Logger: quiet})
	mux := http.NewServeMux()
	srv.Mount(mux, "/hub")
	ts := httptest.NewServer(mux)
	defer ts.Close()
	defer srv.Shutdown(ctx)

	said := make(chan string, 1)
	conn, err := client.Dial(ctx, ts.URL+"/hub", client.Options{
		Logger: quiet,
		Handlers: map[string]client.Handler{"Say": func(_ context.Context, a client.Args) (any, error) {
			text, err := client.Arg[string](a, 0)
			said <- text
			return nil, err
		}},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()

	var sum int
	if err := conn.Invoke(ctx, "Add", &sum, 2, 3); err != nil {
		log.Fatal(err)
	}
	fmt.Println("Add:", sum)

	if err := conn.Invoke(ctx, "Join", nil, "lobby"); err != nil {
		log.Fatal(err)
	}
	if err := srv.Clients().Group("lobby").Send(ctx, "Say", "hello, lobby"); err != nil {
		log.Fatal(err)
	}
	fmt.Println("Say:", <-said)

	fmt.Print("Count:")
	for item, err := range client.StreamOf[int](ctx, conn, "Count", 3) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Print(" ", item)
	}
	fmt.Println()
	// Output:
	// Add: 5
	// Say: hello, lobby
	// Count: 1 2 3
}
