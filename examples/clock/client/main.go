// Command client is the clock example's console client, run as a hosted
// service: it prints the time each time the server shows it, asks the server
// for the time once at start, reconnects on its own, and stops on Ctrl-C.
//
//	go run ./examples/clock/client [-url http://localhost:5000/hubs/clock]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/hubgen/hubgen/examples/clock"
	"github.com/hubgen/hubgen/runtime/client"
	"github.com/hubgen/hubgen/runtime/host"
)

func main() {
	url := flag.String("url", "http://localhost:5000/hubs/clock", "the clock hub's URL")
	flag.Parse()
	h := host.New()
	h.Add(host.Worker("clock client", func(ctx context.Context) error {
		return watch(ctx, *url, os.Stdout)
	}))
	if err := h.Run(context.Background()); err != nil {
		slog.Error("clock client", "error", err)
		os.Exit(1)
	}
}

// printer is the Clock the server calls: it prints each time it is shown.
type printer struct{ out io.Writer }

func (p printer) ShowTime(ctx context.Context, now time.Time) error {
	_, err := fmt.Fprintln(p.out, now.Local().Format("15:04:05"))
	return err
}

// retryDelay is the wait between attempts to reach a server that is not up.
const retryDelay = 2 * time.Second

// watch connects and prints the times the server shows until ctx ends. The
// connection reconnects on its own; when it gives up, watch connects anew.
func watch(ctx context.Context, url string, out io.Writer) error {
	for ctx.Err() == nil {
		closed := make(chan error, 1)
		conn, err := client.Dial(ctx, url, client.Options{
			// Registered before the connection opens, as the seed wires
			// ShowTime before StartAsync: no call the server makes right
			// after the handshake is missed. The client logs its reconnects itself (slog.Default, or
			// Options.Logger): OnReconnecting and OnReconnected are for what
			// an app does about them, such as showing its state.
			Handlers: clock.ClockHandlers(printer{out}),
			// A dropped WebSocket comes back at once, as the same
			// connection, with every time the server showed meanwhile.
			StatefulReconnect: true,
			OnReattached:      func() { slog.Info("connection dropped and reattached") },
			OnClosed:          func(err error) { closed <- err },
		})
		if err != nil {
			slog.Warn("cannot reach the clock hub; retrying", "url", url, "error", err)
			select {
			case <-time.After(retryDelay):
			case <-ctx.Done():
			}
			continue
		}
		if now, err := clock.NewClockHubClient(conn).Now(ctx); err == nil {
			slog.Info("connected", "connection", conn.ID(), "server time", now.Local().Format("15:04:05"))
		}
		select {
		case err := <-closed:
			slog.Warn("connection closed", "error", err)
		case <-ctx.Done():
			conn.Close()
		}
	}
	return nil
}
