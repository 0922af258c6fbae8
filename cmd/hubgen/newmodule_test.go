package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hubgen/hubgen/internal/testmod"
)

// app is a new user's program: the README's server and client in one
// process, which asks the hub for the time and has it shown back.
const app = `package main

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"example.com/app/clock"
	"github.com/hubgen/hubgen/runtime/client"
	"github.com/hubgen/hubgen/runtime/hub"
)

type clockHub struct{}

func (clockHub) Now(context.Context) (time.Time, error) {
	return time.Date(2026, 12, 4, 10, 15, 0, 0, time.UTC), nil
}

type printer chan time.Time

func (p printer) ShowTime(_ context.Context, now time.Time) error {
	p <- now
	return nil
}

func main() {
	ctx := context.Background()
	srv := clock.NewClockHubServer(clockHub{}, hub.Options{})
	mux := http.NewServeMux()
	srv.Mount(mux, "/hubs/clock")
	ts := httptest.NewServer(mux)
	defer ts.Close()
	defer srv.Shutdown(ctx)

	shown := make(printer, 1)
	conn, err := client.Dial(ctx, ts.URL+"/hubs/clock", client.Options{Handlers: clock.ClockHandlers(shown)})
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	now, err := clock.NewClockHubClient(conn).Now(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("now:", now.Format(time.RFC3339))
	if err := srv.Clients.All().ShowTime(ctx, now); err != nil {
		log.Fatal(err)
	}
	fmt.Println("shown:", (<-shown).Format(time.RFC3339))
}
`

// TestNewModule follows the README as a new user does, in a module of their
// own with no go.sum: go mod init; the Install section's commands for a
// local checkout (go mod edit -require -replace -tool, go mod tidy); a
// contract with a go tool hubgen line; go generate; go mod tidy again, as the
// README says; then it runs a program with a hub and a client on the
// generated code. Unlike the other tests' modules, this one gets none of the
// repository's go.sum and no -mod=mod: each command must work as the README
// gives it.
func TestNewModule(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds a module of its own")
	}
	root := testmod.Root(t)
	dir := t.TempDir()
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=") // as a user's shell has it
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.String())
		}
		return string(out) // the program's logs, on stderr, are left out
	}
	run("mod", "init", "example.com/app")
	run("mod", "edit", "-require=github.com/hubgen/hubgen@v0.0.0", "-replace=github.com/hubgen/hubgen="+root, "-tool=github.com/hubgen/hubgen/cmd/hubgen")
	run("mod", "tidy")
	testmod.Write(t, filepath.Join(dir, "clock/clock.go"), strings.Replace(contract, "package clock\n",
		"package clock\n\n//go:generate go tool hubgen -server ClockHub -client Clock\n", 1))
	run("generate", "./...")
	run("mod", "tidy")
	testmod.Write(t, filepath.Join(dir, "main.go"), app)
	out := run("run", ".")
	if want := "now: 2026-12-04T10:15:00Z\nshown: 2026-12-04T10:15:00Z\n"; out != want {
		t.Errorf("the program printed\n%s\nwant\n%s", out, want)
	}
}
