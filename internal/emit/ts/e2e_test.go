package ts_test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hubgen/hubgen/internal/emit/ts"
	"github.com/hubgen/hubgen/internal/gen"
	"github.com/hubgen/hubgen/internal/testmod"
	"github.com/hubgen/hubgen/internal/testts"
)

// TestNodeClient generates the Go and the TypeScript of the hub in
// testdata/e2e/lab, serves the hub from a Go binary, compiles the generated
// TypeScript with testdata/e2e/lab.test.ts and wire.test.ts (tsc --strict),
// and runs them under node --test against the hub: invoke, errors, sends to
// a registered receiver, client results, streams and uploads, through
// @microsoft/signalr, and what arrives over JSON and over MessagePack,
// checked against the types generated for each protocol.
func TestNodeClient(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds a hub and runs Node")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node (v20 or later) is needed: %v", err)
	}
	testts.NodeModules(t)

	// The hub: its Go code generated into a temporary module, and built.
	mod := testmod.New(t, "example.com/tse2e", false)
	dir := filepath.Join(mod, "lab")
	testmod.Copy(t, dir, "testdata/e2e/lab", nil)
	res, err := gen.Run(gen.Config{Server: "Lab", Client: "Watcher", Dir: dir, Env: testmod.Env()}, false)
	if err != nil {
		t.Fatal(err)
	}
	testmod.Write(t, res.Output, string(res.Code))
	bin := filepath.Join(t.TempDir(), "server")
	testmod.Go(t, dir, "build", "-o", bin, "./server")

	// The client: the generated TypeScript, for JSON and, in msgpack/, for
	// MessagePack, and the tests, compiled.
	web := t.TempDir()
	for dir, protocol := range map[string]ts.Protocol{"": ts.JSON, "msgpack": ts.MessagePack} {
		files, err := ts.GenerateShared(res.Spec, nil, protocol)
		if err != nil {
			t.Fatal(err)
		}
		testmod.Write(t, filepath.Join(web, dir, files[0].Name), string(files[0].Code))
	}
	for _, name := range []string{"lab.test.ts", "wire.test.ts"} {
		test, err := os.ReadFile(filepath.Join("testdata/e2e", name))
		if err != nil {
			t.Fatal(err)
		}
		testmod.Write(t, filepath.Join(web, name), string(test))
	}
	testts.Project(t, web, testts.ESM)
	testts.TSC(t, web)

	url := serve(t, bin)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", "lab.test.js", "wire.test.js")
	cmd.Dir = web
	cmd.Env = append(os.Environ(), "LAB_URL="+url+"/hubs/lab")
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	t.Log(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("node --test: %v", err)
	}
}

// serve starts the hub's binary and returns its base URL; the hub stops
// when the test ends.
func serve(t *testing.T, bin string) string {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			t.Errorf("hub: %v", err)
		}
	})
	line := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			if u, ok := strings.CutPrefix(s.Text(), "url="); ok {
				line <- u
			}
		}
		close(line)
	}()
	select {
	case u, ok := <-line:
		if !ok {
			t.Fatal("the hub exited without printing its URL")
		}
		return u
	case <-time.After(30 * time.Second):
		t.Fatal("the hub printed no URL")
	}
	return ""
}
