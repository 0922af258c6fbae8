package host_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hubgen/hubgen/runtime/host"
)

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// get requests url in a goroutine and sends the body or error on the returned channel.
func get(url string) <-chan string {
	c := make(chan string, 1)
	go func() {
		client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		defer client.CloseIdleConnections()
		resp, err := client.Get(url)
		if err != nil {
			c <- "error: " + err.Error()
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		c <- string(body)
	}()
	return c
}

func TestHTTPServerAddressInUse(t *testing.T) {
	ln := listen(t)
	defer ln.Close()
	var ev events
	h, _ := newHost()
	h.Add(&fake{name: "a", events: &ev}, host.HTTPServer(&http.Server{Addr: ln.Addr().String()}))

	err := wait(t, run(context.Background(), h))
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("Run = %v, want %v", err, syscall.EADDRINUSE)
	}
	if got, want := ev.get(), []string{"start a", "stop a"}; !slices.Equal(got, want) {
		t.Errorf("events = %q, want %q", got, want)
	}
}

func TestHTTPServerGracefulShutdown(t *testing.T) {
	inRequest, release := make(chan struct{}), make(chan struct{})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(inRequest)
		<-release
		io.WriteString(w, "done")
	})}
	onShutdown := make(chan struct{})
	srv.RegisterOnShutdown(func() { close(onShutdown) })
	ln := listen(t)
	h, _ := newHost()
	h.Add(host.HTTPServerListener(srv, ln))
	errc := run(context.Background(), h)

	resp := get("http://" + ln.Addr().String())
	<-inRequest
	h.Shutdown()
	<-onShutdown
	close(release)
	if body := <-resp; body != "done" {
		t.Errorf("in-flight request got %q, want %q", body, "done")
	}
	if err := wait(t, errc); err != nil {
		t.Errorf("Run: %v", err)
	}
	if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		c.Close()
		t.Error("server still accepts connections")
	}
}

func TestHTTPServerShutdownTimeout(t *testing.T) {
	inRequest, release := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() { close(release) })
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(inRequest)
		<-release
	})}
	ln := listen(t)
	h, _ := newHost(host.WithShutdownTimeout(50 * time.Millisecond))
	h.Add(host.HTTPServerListener(srv, ln))
	errc := run(context.Background(), h)

	resp := get("http://" + ln.Addr().String())
	<-inRequest
	h.Shutdown()
	err := wait(t, errc)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "http server") {
		t.Errorf("Run = %v, want deadline exceeded naming the server", err)
	}
	if body := <-resp; !strings.HasPrefix(body, "error:") {
		t.Errorf("request got %q, want an error as the server closed", body)
	}
}
