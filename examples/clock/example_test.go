package clock_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/hubgen/hubgen/examples/clock"
	"github.com/hubgen/hubgen/runtime/client"
	"github.com/hubgen/hubgen/runtime/hub"
)

// fixedHub is a ClockHub whose clock stands still, so that the example's
// output does not change.
type fixedHub struct{}

func (fixedHub) Now(context.Context) (time.Time, error) {
	return time.Date(2026, 12, 4, 10, 15, 0, 0, time.UTC), nil
}

// shown is a Clock that hands each time it is shown to a channel.
type shown chan time.Time

func (s shown) ShowTime(_ context.Context, now time.Time) error {
	s <- now
	return nil
}

// The generated code end to end, in one process: the hub's server, a Go
// client that calls it through the generated stub, and a broadcast through
// the generated typed targets that reaches the client's generated handlers.
func Example() {
	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)
	srv := clock.NewClockHubServer(fixedHub{}, hub.Options{Logger: quiet})
	mux := http.NewServeMux()
	srv.Mount(mux, "/hubs/clock")
	ts := httptest.NewServer(mux)
	defer ts.Close()
	defer srv.Shutdown(ctx)

	times := make(shown, 1)
	conn, err := client.Dial(ctx, ts.URL+"/hubs/clock", client.Options{
		Handlers: clock.ClockHandlers(times),
		Logger:   quiet,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()

	now, err := clock.NewClockHubClient(conn).Now(ctx) // a typed call, checked by the compiler
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("the hub says", now.Format(time.Kitchen))

	if err := srv.Clients.All().ShowTime(ctx, now.Add(time.Minute)); err != nil { // a typed broadcast
		log.Fatal(err)
	}
	fmt.Println("the client was shown", (<-times).Format(time.Kitchen))
	// Output:
	// the hub says 10:15AM
	// the client was shown 10:16AM
}
