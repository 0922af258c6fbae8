//go:build unix

package host_test

import (
	"context"
	"os"
	"syscall"
	"testing"

	"github.com/hubgen/hubgen/runtime/host"
)

func TestSignalStopsHost(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			running := make(chan struct{})
			logger, logs := newLogger()
			h := host.New(host.WithLogger(logger)) // the default signals
			h.Add(host.Worker("w", func(ctx context.Context) error {
				close(running)
				<-ctx.Done()
				return ctx.Err()
			}))
			errc := run(context.Background(), h)
			<-running // Run listens for signals before it starts services.

			if err := syscall.Kill(os.Getpid(), sig); err != nil {
				t.Fatal(err)
			}
			if err := wait(t, errc); err != nil {
				t.Errorf("Run: %v", err)
			}
			logs.waitFor(t, sig.String()+" signal received")
		})
	}
}
