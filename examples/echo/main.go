// Command echo serves a raw connection endpoint, with no hub on it: every
// message a client sends to /echo comes back to it unchanged. It is the
// connections layer (runtime/transport) on its own, as ASP.NET Core's
// MapConnectionHandler serves it: negotiate, the three transports and their
// transfer formats, with a handler that reads and writes bytes.
//
//	go run ./examples/echo [-addr localhost:5000]
//
// The official JavaScript client's HttpConnection connects to it over
// WebSockets, Server-Sent Events or Long Polling (npm @microsoft/signalr, which
// ships HttpConnection without exporting it from its index):
//
//	import { HttpConnection } from "@microsoft/signalr/dist/cjs/HttpConnection.js";
//	import { TransferFormat } from "@microsoft/signalr";
//
//	const conn = new HttpConnection("http://localhost:5000/echo");
//	conn.onreceive = (data) => console.log("echoed:", data);
//	await conn.start(TransferFormat.Text);
//	await conn.send("Hello World!");
//
// So does any WebSocket, with no negotiate and no handshake, since a WebSocket
// upgrade without a connection id opens a connection of its own:
//
//	const ws = new WebSocket("ws://localhost:5000/echo");
//	ws.onopen = () => ws.send("hello");
//	ws.onmessage = (e) => { console.log(e.data); ws.close(); }; // "hello", then a close with 1000
//
// A message comes back in the format it came in: a binary WebSocket frame as a
// binary frame, text as text. Server-Sent Events carry only text; the other
// transports carry both.
package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hubgen/hubgen/runtime/transport"
)

func main() {
	addr := flag.String("addr", "localhost:5000", "address to listen on")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", *addr)
	if err == nil {
		slog.Info("echo server listening", "url", "http://"+ln.Addr().String()+"/echo")
		err = run(ctx, ln, slog.Default())
	}
	if err != nil {
		slog.Error("echo server", "error", err)
		os.Exit(1)
	}
}

// echo is the endpoint's handler: it writes back what it receives, until the
// connection ends. Next returns a WebSocket message (a part at a time, for one
// larger than 64 KiB), or over Server-Sent Events and Long Polling what a POST
// carried, a part at a time; each goes back as a message of its own: a frame,
// an event, the answer to a poll. A part never cuts a UTF-8 sequence in two,
// so the echo of text is text.
func echo(c *transport.Conn) {
	for {
		msg, err := c.Next()
		if err != nil {
			return // the transport ended: the client stopped, or went away
		}
		// msg is valid until the next call to Next: Write is done with it by
		// then. Over WebSockets, the echo goes out in the format of the frame
		// it answers.
		if err := c.Write(msg); err != nil {
			return
		}
	}
}

// newServer returns the echo endpoint and the router that serves it at /echo.
// transport.Mux matches the paths it mounts ignoring case, as ASP.NET Core's
// routing does: /Echo/negotiate reaches the endpoint too.
func newServer(log *slog.Logger) (*transport.Server, *transport.Mux) {
	srv := transport.New(transport.HandlerFunc(echo), transport.Options{Logger: log})
	mux := transport.NewMux()
	mux.Mount("/echo", srv)
	return srv, mux
}

// run serves the echo endpoint on ln until ctx ends, then closes its
// connections (WebSockets with a close frame, 1000) and stops.
func run(ctx context.Context, ln net.Listener, log *slog.Logger) error {
	echoSrv, mux := newServer(log)
	httpSrv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- httpSrv.Serve(ln) }()

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	// The connections first: their Server-Sent Events streams and polls are
	// requests that the HTTP server's Shutdown would otherwise wait for.
	stopCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := errors.Join(echoSrv.Shutdown(stopCtx), httpSrv.Shutdown(stopCtx))
	if serveErr := <-served; !errors.Is(serveErr, http.ErrServerClosed) {
		err = errors.Join(err, serveErr)
	}
	return err
}
