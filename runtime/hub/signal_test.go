//go:build unix

package hub_test

import (
	"context"
	"net"
	"net/http"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/hubgen/hubgen/runtime/host"
	"github.com/hubgen/hubgen/runtime/hub"
)

// TestSIGTERMWithAVanishedClient: a client vanishes while its hub method
// waits on ctx, and SIGTERM comes right after. The host stops cleanly, within
// its shutdown timeout: the method's ctx ends and the connection goes.
func TestSIGTERMWithAVanishedClient(t *testing.T) {
	entered := make(chan struct{}, 1)
	wait := hub.Method{Name: "Wait", Call: func(ctx context.Context, a hub.Args) (any, error) {
		entered <- struct{}{}
		<-ctx.Done()
		return nil, ctx.Err()
	}}
	srv := hub.New([]hub.Method{wait}, hub.Options{Logger: quietLogger()})
	mux := http.NewServeMux()
	srv.Mount(mux, "/hub")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := host.New(host.WithLogger(quietLogger()), host.WithShutdownTimeout(20*time.Second))
	h.Add(host.HTTPServerListener(&http.Server{Handler: mux}, ln), srv)
	errc := make(chan error, 1)
	go func() { errc <- h.Run(context.Background()) }()

	c := connect(t, "http://"+ln.Addr().String()+"/hub") // the host runs: it listens for signals
	c.send(`{"type":1,"invocationId":"1","target":"Wait","arguments":[]}`)
	<-entered
	c.ws.UnderlyingConn().Close() // no Close frame
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("Run: %v, want a clean stop", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return")
	}
}
