package transport_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"

	"github.com/hubgen/hubgen/runtime/transport"
)

// A raw connection endpoint that echoes each message, as examples/echo does,
// with no handshake and no hub protocol; Dial talks to it. (The README quotes
// its first lines.)
func ExampleNew() {
	echo := transport.New(transport.HandlerFunc(func(c *transport.Conn) {
		for {
			p, err := c.Next() // a WebSocket message, or a part of a POST
			if err != nil {
				return // the transport ended; returning closes the connection
			}
			c.Write(p)
		}
	}), transport.Options{})
	mux := transport.NewMux() // matches mounted endpoints ignoring case, as ASP.NET does
	echo.Mount(mux, "/echo")
	ts := httptest.NewServer(mux)
	defer ts.Close()
	defer echo.Shutdown(context.Background())

	ctx := context.Background()
	conn, err := transport.Dial(ctx, ts.URL+"/ECHO", transport.DialOptions{}) // any case
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Abort()
	if err := conn.Write([]byte("hello")); err != nil {
		log.Fatal(err)
	}
	p, err := conn.Read(nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s over %v\n", p, conn.Transport())
	// Output:
	// hello over WebSockets
}
