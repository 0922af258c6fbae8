package client_test

import (
	"context"
	"fmt"
	"iter"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/hubgen/hubgen/runtime/client"
	"github.com/hubgen/hubgen/runtime/hub"
)

func ExampleStreamOf() {
	// A hub whose Countdown method streams from n down to 1.
	srv := hub.New([]hub.Method{{
		Name: "Countdown",
		Args: 1,
		Stream: func(ctx context.Context, args hub.Args) (iter.Seq2[any, error], error) {
			n, err := hub.Arg[int](args, 0)
			if err != nil {
				return nil, err
			}
			return hub.StreamOf(func(yield func(int, error) bool) {
				for i := n; i > 0; i-- {
					if !yield(i, nil) {
						return // the client cancelled the stream
					}
				}
			}), nil
		},
	}}, hub.Options{})
	mux := http.NewServeMux()
	srv.Mount(mux, "/countdown")
	ts := httptest.NewServer(mux)
	defer ts.Close()
	defer srv.Shutdown(context.Background())

	ctx := context.Background()
	conn, err := client.Dial(ctx, ts.URL+"/countdown", client.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()

	for n, err := range client.StreamOf[int](ctx, conn, "Countdown", 5) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(n)
		if n == 3 {
			break // cancels the stream on the server
		}
	}
	// Output:
	// 5
	// 4
	// 3
}

func ExampleUploadOf() {
	// A hub whose Sum method adds up the numbers the client uploads.
	srv := hub.New([]hub.Method{{
		Name:    "Sum",
		Uploads: 1,
		Call: func(ctx context.Context, args hub.Args) (any, error) {
			sum := 0
			for n, err := range hub.Upload[int](args, 0) {
				if err != nil {
					return nil, err
				}
				sum += n
			}
			return sum, nil
		},
	}}, hub.Options{})
	mux := http.NewServeMux()
	srv.Mount(mux, "/sum")
	ts := httptest.NewServer(mux)
	defer ts.Close()
	defer srv.Shutdown(context.Background())

	ctx := context.Background()
	conn, err := client.Dial(ctx, ts.URL+"/sum", client.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()

	numbers := func(yield func(int, error) bool) {
		for _, n := range []int{1, 2, 3, 4} {
			if !yield(n, nil) {
				return
			}
		}
	}
	var sum int
	if err := conn.Invoke(ctx, "Sum", &sum, client.UploadOf(numbers)); err != nil {
		log.Fatal(err)
	}
	fmt.Println(sum)
	// Output: 10
}
