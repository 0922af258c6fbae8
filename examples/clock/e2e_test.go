package clock_test

import (
	"bufio"
	"cmp"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// build compiles one of the example's commands.
func build(t *testing.T, pkg string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), filepath.Base(pkg))
	if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin
}

// lines sends the lines of r to a channel, closed at EOF.
func lines(r io.Reader, log func(string)) <-chan string {
	ch := make(chan string, 100)
	go func() {
		defer close(ch)
		s := bufio.NewScanner(r)
		for s.Scan() {
			log(s.Text())
			ch <- s.Text()
		}
	}()
	return ch
}

// await returns the first line that matches re, failing at EOF or timeout.
func await(t *testing.T, ch <-chan string, re *regexp.Regexp) []string {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case line, ok := <-ch:
			if !ok {
				t.Fatalf("output ended before a line matching %s", re)
			}
			if m := re.FindStringSubmatch(line); m != nil {
				return m
			}
		case <-timeout:
			t.Fatalf("no line matching %s", re)
		}
	}
}

// startServer runs the example's server on a free port and returns the hub's
// URL.
func startServer(t *testing.T) string {
	server := exec.Command(build(t, "./server"), "-addr", "127.0.0.1:0", "-interval", "100ms", "-web", ".")
	stderr, _ := server.StderrPipe()
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	logs := lines(stderr, func(s string) { t.Log("server: " + s) })
	t.Cleanup(func() {
		// SIGTERM stops it gracefully: exit status 0.
		server.Process.Signal(syscall.SIGTERM)
		if err := server.Wait(); err != nil {
			t.Errorf("server: %v", err)
		}
		for range logs {
		}
	})
	base := await(t, logs, regexp.MustCompile(`url=(http://\S+)`))[1]
	return base + "/hubs/clock"
}

// TestClockExample starts the example's server and client as processes and
// sees the client print the times the server's worker shows it.
func TestClockExample(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds and runs the example")
	}
	url := startServer(t)
	cmd := exec.Command(build(t, "./client"), "-url", url)
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	out := lines(stdout, func(s string) { t.Log("client: " + s) })
	clock := regexp.MustCompile(`^\d\d:\d\d:\d\d$`)
	await(t, out, clock)
	await(t, out, clock)
	// Ctrl-C stops the client cleanly.
	cmd.Process.Signal(os.Interrupt)
	for range out {
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("client after Ctrl-C: %v", err)
	}
}

// TestOfficialClient runs test/showtime.test.mjs: the official
// @microsoft/signalr client, from the example's own npm packages, receives
// ShowTime from the example's server on every transport.
func TestOfficialClient(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds and runs the example")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not installed: the test needs Node 20 or later")
	}
	if _, err := os.Stat("node_modules/@microsoft/signalr"); err != nil {
		t.Fatal("the example's npm packages are missing: run npm ci --prefix examples/clock")
	}
	url := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", "test/showtime.test.mjs")
	cmd.Env = append(os.Environ(), "CLOCK_URL="+url)
	out, err := cmd.CombinedOutput()
	t.Log(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("node --test: %v", err)
	}
}

// TestNodeConsole builds node/watch.ts as the README says (npm run node: tsc
// checks it with the generated ts/clockhub.ts under nodenext, esbuild bundles
// them into dist/watch.mjs with the npm packages left external) and runs it
// with Node against the example's server: it prints the server's time, then
// the times the worker shows, and exits 0 on Ctrl-C.
func TestNodeConsole(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds and runs the example")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not installed: the test needs Node 20 or later")
	}
	for _, p := range []string{"esbuild", "typescript", "@types/node", "@microsoft/signalr"} {
		if _, err := os.Stat(filepath.Join("node_modules", p)); err != nil {
			t.Fatalf("the example's npm packages are missing (%s): run npm ci --prefix examples/clock", p)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "npm", "run", "node", "--silent").CombinedOutput(); err != nil {
		t.Fatalf("npm run node: %v\n%s", err, out)
	}
	cmd := exec.CommandContext(ctx, node, "dist/watch.mjs", startServer(t))
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	out := lines(stdout, func(s string) { t.Log("node: " + s) })
	await(t, out, regexp.MustCompile(`^connected; the server's time is \d\d:\d\d:\d\d$`))
	clock := regexp.MustCompile(`^\d\d:\d\d:\d\d$`)
	await(t, out, clock)
	await(t, out, clock)
	cmd.Process.Signal(os.Interrupt)
	for range out {
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("the Node client after Ctrl-C: %v", err)
	}
}

// TestPage builds the page's script as run.sh does (npm run build: tsc
// type-checks page.ts with the generated ts/clockhub.ts, esbuild bundles them
// with @microsoft/signalr into dist/clock.js), serves it with the example's
// server, and runs test/page.test.mjs: headless Chromium, driven by
// playwright-core, loads the page and sees the time change. It needs Debian's
// chromium package (/usr/bin/chromium, or $CHROMIUM). $CLOCK_SCREENSHOT names
// a PNG file to keep of the page.
func TestPage(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds and runs the example in a browser")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not installed: the test needs Node 20 or later")
	}
	for _, p := range []string{"esbuild", "typescript", "playwright-core", "@microsoft/signalr"} {
		if _, err := os.Stat(filepath.Join("node_modules", p)); err != nil {
			t.Fatalf("the example's npm packages are missing (%s): run npm ci --prefix examples/clock", p)
		}
	}
	chromium := cmp.Or(os.Getenv("CHROMIUM"), "/usr/bin/chromium")
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("Chromium is not installed (%v): apt-get install chromium, or set $CHROMIUM", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "npm", "run", "build", "--silent")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("npm run build: %v\n%s", err, out)
	}

	base := strings.TrimSuffix(startServer(t), "/hubs/clock")
	screenshot := cmp.Or(os.Getenv("CLOCK_SCREENSHOT"), filepath.Join(t.TempDir(), "clock.png"))
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", "test/page.test.mjs")
	cmd.Env = append(os.Environ(), "CLOCK_PAGE="+base, "CHROMIUM="+chromium, "SCREENSHOT="+screenshot)
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	t.Log(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("node --test: %v", err)
	}
	if _, err := os.Stat(screenshot); err != nil {
		t.Errorf("no screenshot: %v", err)
	}
}
