package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hubgen/hubgen/examples/clock"
	"github.com/hubgen/hubgen/runtime/client"
)

// zoneRecorder is a Clock that notes the time zones of the times it is shown.
type zoneRecorder struct {
	mu    sync.Mutex
	zones map[int]bool // UTC offsets in seconds
	both  chan struct{}
}

func (z *zoneRecorder) ShowTime(ctx context.Context, now time.Time) error {
	_, offset := now.Zone()
	z.mu.Lock()
	defer z.mu.Unlock()
	z.zones[offset] = true
	if len(z.zones) == 2 && z.both != nil {
		close(z.both)
		z.both = nil
	}
	return nil
}

// TestTwoServersOnRedis runs two clock servers on one Redis, one in UTC and
// one in India (UTC+5:30): a client of either is shown the times of both
// workers, which JSON carries with their offsets.
func TestTwoServersOnRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds and runs the example")
	}
	addr := os.Getenv("REDIS_ADDR")
	if addr == "" {
		addr = miniredis.RunT(t).Addr()
	}
	bin := filepath.Join(t.TempDir(), "server")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// Time zones from Go's own copy of the database, whatever the machine has.
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	zoneinfo := filepath.Join(strings.TrimSpace(string(goroot)), "lib", "time", "zoneinfo.zip")
	utc := startClock(t, bin, addr, "UTC", zoneinfo)
	india := startClock(t, bin, addr, "Asia/Kolkata", zoneinfo)

	for _, url := range []string{utc, india} {
		z := &zoneRecorder{zones: map[int]bool{}, both: make(chan struct{})}
		both := z.both
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		conn, err := client.Dial(ctx, url, client.Options{Reconnect: client.NoReconnect, Handlers: clock.ClockHandlers(z)})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-both:
		case <-time.After(15 * time.Second):
			t.Errorf("a client of %s was shown times with offsets %v, want 0 and 19800 (5:30)", url, z.zones)
		}
		conn.Close()
	}
}

// startClock runs the clock server in a time zone and returns its hub's URL.
func startClock(t *testing.T, bin, redisAddr, zone, zoneinfo string) string {
	t.Helper()
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-interval", "100ms", "-redis", redisAddr)
	cmd.Env = append(os.Environ(), "TZ="+zone, "ZONEINFO="+zoneinfo)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		s := bufio.NewScanner(stderr)
		for s.Scan() {
			lines <- s.Text()
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		for line := range lines {
			t.Logf("%s: %s", zone, line)
		}
		if err := cmd.Wait(); err != nil {
			t.Errorf("clock server in %s: %v", zone, err)
		}
	})
	url := regexp.MustCompile(`url=(http://\S+)`)
	timeout := time.After(30 * time.Second)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("the clock server in %s ended before it listened", zone)
			}
			t.Logf("%s: %s", zone, line)
			if m := url.FindStringSubmatch(line); m != nil {
				return m[1] + "/hubs/clock"
			}
		case <-timeout:
			t.Fatalf("the clock server in %s does not listen", zone)
		}
	}
}
