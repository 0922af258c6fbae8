package main

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hubgen/hubgen/examples/clock"
	"github.com/hubgen/hubgen/runtime/host"
	"github.com/hubgen/hubgen/runtime/hub"
)

// lines is an io.Writer that sends each write on a channel.
type lines chan string

func (l lines) Write(p []byte) (int, error) {
	l <- strings.TrimSpace(string(p))
	return len(p), nil
}

type clockHub struct{}

func (clockHub) Now(ctx context.Context) (time.Time, error) { return time.Now(), nil }

// welcome is the time the test hub shows each client as it connects.
var welcome = time.Date(2024, 1, 2, 3, 4, 5, 0, time.Local)

// TestWatchMissesNoCall: a hub that shows a client the time the moment it
// connects, from OnConnected, reaches the client's printer every time,
// because the client registers its handlers before the connection opens.
func TestWatchMissesNoCall(t *testing.T) {
	var srv *clock.ClockHubServer
	srv = clock.NewClockHubServer(clockHub{}, hub.Options{OnConnected: func(ctx context.Context, conn *hub.Conn) error {
		return srv.Clients.Caller(ctx).ShowTime(ctx, welcome)
	}})
	mux := http.NewServeMux()
	srv.Mount(mux, "/hubs/clock")
	ts := httptest.NewServer(mux)
	defer ts.Close()

	for range 20 {
		out := make(lines, 10)
		h := host.New(host.WithSignals())
		h.Add(host.Worker("clock client", func(ctx context.Context) error {
			return watch(ctx, ts.URL+"/hubs/clock", out)
		}))
		if err := h.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		select {
		case got := <-out:
			if want := welcome.Format("15:04:05"); got != want {
				t.Fatalf("printed %q, want %q", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the time shown from OnConnected was never printed")
		}
		h.Shutdown()
		if err := h.Wait(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestWatchStopsWhileRetrying: a client that cannot reach its server stops
// at once when the host shuts down, in the middle of its retries.
func TestWatchStopsWhileRetrying(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String() + "/hubs/clock"
	ln.Close() // nothing listens: every dial fails

	h := host.New(host.WithSignals(), host.WithShutdownTimeout(time.Minute))
	h.Add(host.Worker("clock client", func(ctx context.Context) error {
		return watch(ctx, url, make(lines, 1))
	}))
	if err := h.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.Shutdown()
	if err := h.Wait(); err != nil {
		t.Errorf("Wait = %v", err)
	}
}
