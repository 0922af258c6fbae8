package transport_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/hubgen/hubgen/runtime/hub"
	"github.com/hubgen/hubgen/runtime/transport"
)

func ExampleDial() {
	// A hub, on a local port. Under its hub protocol, its endpoint speaks the
	// connections protocol that Dial speaks.
	srv := hub.New(nil, hub.Options{})
	mux := http.NewServeMux()
	srv.Mount(mux, "/hub")
	ts := httptest.NewServer(mux)
	defer ts.Close()
	defer srv.Shutdown(context.Background())

	ctx := context.Background()
	conn, err := transport.Dial(ctx, ts.URL+"/hub", transport.DialOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Abort()

	// The connection carries bytes: here, the hub protocol's handshake, raw.
	if err := conn.Write([]byte(`{"protocol":"json","version":1}` + "\x1e")); err != nil {
		log.Fatal(err)
	}
	reply, err := conn.Read(nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%v: %q\n", conn.Transport(), reply)
	// Output: WebSockets: "{}\x1e"
}
