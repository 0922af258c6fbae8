package client_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/hubgen/hubgen/runtime/client"
	"github.com/hubgen/hubgen/runtime/hub"
)

func Example() {
	// A hub with an Echo method, on a local port.
	srv := hub.New([]hub.Method{{
		Name: "Echo",
		Args: 1,
		Call: func(ctx context.Context, args hub.Args) (any, error) {
			return hub.Arg[string](args, 0)
		},
	}}, hub.Options{})
	mux := http.NewServeMux()
	srv.Mount(mux, "/echo")
	ts := httptest.NewServer(mux)
	defer ts.Close()
	defer srv.Shutdown(context.Background())

	ctx := context.Background()
	conn, err := client.Dial(ctx, ts.URL+"/echo", client.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()

	var reply string
	if err := conn.Invoke(ctx, "Echo", &reply, "hello"); err != nil {
		log.Fatal(err)
	}
	fmt.Println(reply)
	// Output: hello
}

func ExampleConn_On() {
	// A hub whose Greet method calls Greeting on the caller.
	var srv *hub.Server
	srv = hub.New([]hub.Method{{
		Name: "Greet",
		Args: 1,
		Void: true,
		Call: func(ctx context.Context, args hub.Args) (any, error) {
			name, err := hub.Arg[string](args, 0)
			if err != nil {
				return nil, err
			}
			return nil, srv.Clients().Caller(ctx).Send(ctx, "Greeting", "hello, "+name)
		},
	}}, hub.Options{})
	mux := http.NewServeMux()
	srv.Mount(mux, "/greeter")
	ts := httptest.NewServer(mux)
	defer ts.Close()
	defer srv.Shutdown(context.Background())

	ctx := context.Background()
	conn, err := client.Dial(ctx, ts.URL+"/greeter", client.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()

	greetings := make(chan string, 1)
	conn.On("Greeting", func(ctx context.Context, args client.Args) (any, error) {
		text, err := client.Arg[string](args, 0)
		greetings <- text
		return nil, err
	})
	if err := conn.Invoke(ctx, "Greet", nil, "gopher"); err != nil {
		log.Fatal(err)
	}
	fmt.Println(<-greetings)
	// Output: hello, gopher
}
