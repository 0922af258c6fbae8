package chat_test

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

// process is a command the test runs, with the lines it writes.
type process struct {
	name  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string // closed when its output ends
}

// start runs a command, logging what it writes on out (its stdout or its
// stderr), until the test ends.
func start(t *testing.T, name string, cmd *exec.Cmd, out func(*exec.Cmd) (io.ReadCloser, error)) *process {
	t.Helper()
	p := &process{name: name, cmd: cmd, lines: make(chan string, 100)}
	r, err := out(cmd)
	if err != nil {
		t.Fatal(err)
	}
	if cmd.Stdin == nil {
		if p.stdin, err = cmd.StdinPipe(); err != nil {
			t.Fatal(err)
		}
	}
	if cmd.Stderr == nil {
		cmd.Stderr = os.Stderr
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(p.lines)
		s := bufio.NewScanner(r)
		for s.Scan() {
			t.Logf("%s: %s", name, s.Text())
			p.lines <- s.Text()
		}
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Signal(syscall.SIGTERM)
			p.wait(t)
		}
	})
	return p
}

// await returns the submatches of the first line that matches pattern,
// failing the test if the output ends first or takes over 30 s.
func (p *process) await(t *testing.T, pattern string) []string {
	t.Helper()
	re := regexp.MustCompile(pattern)
	timeout := time.After(30 * time.Second)
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				t.Fatalf("%s ended before it wrote a line matching %s", p.name, pattern)
			}
			if m := re.FindStringSubmatch(line); m != nil {
				return m
			}
		case <-timeout:
			t.Fatalf("%s wrote no line matching %s", p.name, pattern)
		}
	}
}

// awaitLine waits for a line that is exactly line.
func (p *process) awaitLine(t *testing.T, line string) {
	t.Helper()
	p.await(t, "^"+regexp.QuoteMeta(line)+"$")
}

// typeLine writes a line to the process's input.
func (p *process) typeLine(t *testing.T, line string) {
	t.Helper()
	if _, err := io.WriteString(p.stdin, line+"\n"); err != nil {
		t.Fatalf("typing into %s: %v", p.name, err)
	}
}

// wait reads the rest of the output and waits for the process to exit,
// failing the test unless it exits with status 0.
func (p *process) wait(t *testing.T) {
	t.Helper()
	for range p.lines {
	}
	if err := p.cmd.Wait(); err != nil {
		t.Errorf("%s: %v", p.name, err)
	}
}

// startServer runs the example's server on a free port and returns its base
// URL.
func startServer(t *testing.T) string {
	t.Helper()
	cmd := exec.Command(build(t, "./server"), "-addr", "127.0.0.1:0", "-web", ".", "-staff", "alice")
	server := start(t, "server", cmd, (*exec.Cmd).StderrPipe)
	return server.await(t, `url=(http://\S+)`)[1]
}

// TestChatExample runs the example's server and two console clients as
// processes, and has alice and bob use every feature through what they type.
func TestChatExample(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds and runs the example")
	}
	base := startServer(t)
	clientBin := build(t, "./client")
	client := func(user string) *process {
		p := start(t, user, exec.Command(clientBin, "-url", base, "-user", user), (*exec.Cmd).StdoutPipe)
		p.awaitLine(t, "joined general")
		return p
	}
	alice := client("alice")
	bob := client("bob")
	alice.awaitLine(t, "* bob joined general")

	// A room message.
	alice.typeLine(t, "hello, bob")
	bob.awaitLine(t, "[general] alice: hello, bob")

	// A client result: bob's /who asks every member's client.
	alice.typeLine(t, "/status away")
	alice.awaitLine(t, "status: away")
	bob.typeLine(t, "/who")
	bob.awaitLine(t, "general: alice (away), bob (here)")

	// A direct message.
	alice.typeLine(t, "/msg bob lunch?")
	bob.awaitLine(t, "alice → bob: lunch?")

	// Bob may not join staff; alice may.
	bob.typeLine(t, "/join staff")
	// The hub's error arrives in ASP.NET Core's words.
	bob.await(t, `^! An unexpected error occurred invoking 'Join' on the server\. HubException: bob may not join "staff"$`)
	alice.typeLine(t, "/join staff")
	alice.awaitLine(t, "joined staff")
	alice.typeLine(t, "/join general")
	alice.awaitLine(t, "joined general")

	// An upload: the lines of a file.
	file := filepath.Join(t.TempDir(), "minutes.txt")
	if err := os.WriteFile(file, []byte("one\n\ntwo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	alice.typeLine(t, "/post "+file)
	alice.awaitLine(t, "posted 2 messages from "+file)
	bob.awaitLine(t, "[general] alice: one")
	bob.awaitLine(t, "[general] alice: two")

	// A stream: the room's history.
	bob.typeLine(t, "/history")
	for _, text := range []string{"hello, bob", "one", "two"} {
		bob.await(t, `^\d\d:\d\d \[general\] alice: `+regexp.QuoteMeta(text)+`$`)
	}

	// The end of bob's input stops him, and alice sees him go; Ctrl-C
	// stops her. Both exit with status 0.
	bob.stdin.Close()
	bob.wait(t)
	alice.awaitLine(t, "* bob left general")
	alice.cmd.Process.Signal(os.Interrupt)
	alice.wait(t)
}

// TestClientRefused: a user name the server does not sign in ends the
// client with an error.
func TestClientRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds and runs the example")
	}
	base := startServer(t)
	out, err := exec.Command(build(t, "./client"), "-url", base, "-user", "not a name").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "400 Bad Request") {
		t.Errorf("client: %v\n%s", err, out)
	}
}

// TestPage builds the page's script as a user does (npm run build: tsc
// type-checks page.ts with the generated ts/chathub.ts, esbuild bundles them
// with @microsoft/signalr into dist/chat.js), serves it with the example's
// server, and runs test/page.test.mjs: headless Chromium, driven by
// playwright-core, opens the page in two tabs, as alice and bob, who talk. It
// needs Debian's chromium package (/usr/bin/chromium, or $CHROMIUM).
// $CHAT_SCREENSHOT names a PNG file to keep of alice's tab.
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
			t.Fatalf("the example's npm packages are missing (%s): run npm ci --prefix examples/chat", p)
		}
	}
	chromium := cmp.Or(os.Getenv("CHROMIUM"), "/usr/bin/chromium")
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("Chromium is not installed (%v): apt-get install chromium, or set $CHROMIUM", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "npm", "run", "build", "--silent").CombinedOutput(); err != nil {
		t.Fatalf("npm run build: %v\n%s", err, out)
	}

	base := startServer(t)
	screenshot := cmp.Or(os.Getenv("CHAT_SCREENSHOT"), filepath.Join(t.TempDir(), "chat.png"))
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", "test/page.test.mjs")
	cmd.Env = append(os.Environ(), "CHAT_PAGE="+base, "CHROMIUM="+chromium, "SCREENSHOT="+screenshot)
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
