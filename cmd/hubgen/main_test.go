package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hubgen/hubgen/internal/testmod"
)

const contract = `// Package clock is a contract.
package clock

import (
	"context"
	"time"
)

// Clock is what the server calls on clients.
type Clock interface {
	// ShowTime shows the time.
	ShowTime(ctx context.Context, now time.Time) error
}

// ClockHub is what clients call on the server.
type ClockHub interface {
	// Now returns the time.
	Now(ctx context.Context) (time.Time, error)
}
`

// module returns a temporary module with the clock contract in ./clock.
func module(t *testing.T, tool bool) string {
	t.Helper()
	dir := testmod.New(t, "example.com/app", tool)
	testmod.Write(t, filepath.Join(dir, "clock/clock.go"), contract)
	return dir
}

// hubgen runs the command in dir.
func hubgen(t *testing.T, dir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	t.Chdir(dir)
	t.Setenv("GOFLAGS", "-mod=mod")
	var out, errs bytes.Buffer
	code = run(args, &out, &errs)
	return out.String(), errs.String(), code
}

func TestUsage(t *testing.T) {
	out, errs, code := hubgen(t, t.TempDir(), "-h")
	if code != 0 || errs != "" {
		t.Errorf("-h exits with %d, stderr %q", code, errs)
	}
	for _, want := range []string{
		"usage: hubgen [-server IFACE] [-client IFACE] [-o FILE] [-ts DIR [-ts-protocol messagepack]] [-tags TAGS] [-json] [-check] [PACKAGE]",
		"-ts-protocol protocol",
		"//go:generate go run github.com/hubgen/hubgen/cmd/hubgen -server ClockHub -client Clock",
		"//go:generate go tool hubgen -server ClockHub -client Clock",
		"-tags tags",
		"iter.Seq2[T, error]",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("usage lacks %q:\n%s", want, out)
		}
	}
}

func TestBadUsage(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{{}, {"-nope"}, {"-server", "S", "a", "b"}, {"-server", "S", "-ts", "web", "-ts-protocol", "yaml"}, {"-server", "S", "-ts-protocol", "messagepack"}} {
		if _, errs, code := hubgen(t, dir, args...); code != 2 || errs == "" {
			t.Errorf("hubgen %q: exit %d, stderr %q", args, code, errs)
		}
	}
}

func TestGenerate(t *testing.T) {
	dir := module(t, false)
	pkg := filepath.Join(dir, "clock")
	out := filepath.Join(pkg, "clockhub_hubgen.go")
	if _, errs, code := hubgen(t, pkg, "-server", "ClockHub", "-client", "Clock"); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	first, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(first, []byte("func NewClockHubServer(")) {
		t.Errorf("unexpected output:\n%s", first)
	}

	// An unchanged file is not rewritten.
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	if err := os.Chtimes(out, old, old); err != nil {
		t.Fatal(err)
	}
	if _, errs, code := hubgen(t, pkg, "-server", "ClockHub", "-client", "Clock"); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if fi, err := os.Stat(out); err != nil || !fi.ModTime().Equal(old) {
		t.Errorf("unchanged file rewritten: %v %v", fi.ModTime(), err)
	}

	// A changed contract rewrites it, although the old file no longer
	// compiles against it.
	testmod.Write(t, filepath.Join(pkg, "clock.go"), strings.Replace(contract,
		"Now(ctx context.Context) (time.Time, error)", "Now(ctx context.Context) (time.Time, error)\n\tZone(ctx context.Context) (string, error)", 1))
	if _, errs, code := hubgen(t, pkg, "-server", "ClockHub", "-client", "Clock"); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if b, _ := os.ReadFile(out); !bytes.Contains(b, []byte(") Zone(ctx context.Context) (string, error)")) {
		t.Error("changed contract not regenerated")
	}
}

func TestDiagnostics(t *testing.T) {
	dir := module(t, false)
	pkg := filepath.Join(dir, "clock")
	testmod.Write(t, filepath.Join(pkg, "bad.go"), "package clock\n\nimport \"context\"\n\ntype Bad interface {\n\tNoCtx() error\n\tNoErr(ctx context.Context)\n}\n")
	_, errs, code := hubgen(t, dir, "-server", "Bad", "-client", "Missing", "./clock")
	if code != 1 {
		t.Errorf("exit %d", code)
	}
	want := "-client Missing: package clock (example.com/app/clock) declares no Missing; its interfaces are Bad, Clock, ClockHub (HG002)\n" +
		"clock/bad.go:6:2: method NoCtx: the first parameter must be ctx context.Context (HG011)\n" +
		"clock/bad.go:7:2: method NoErr returns nothing; it must return error last (HG012)\n" +
		"hubgen: 3 problem(s); nothing written\n"
	if errs != want {
		t.Errorf("stderr\n%s\nwant\n%s", errs, want)
	}
	if _, err := os.Stat(filepath.Join(pkg, "bad_hubgen.go")); !os.IsNotExist(err) {
		t.Errorf("a file was written: %v", err)
	}
}

func TestJSON(t *testing.T) {
	dir := module(t, false)
	out, errs, code := hubgen(t, dir, "-json", "-server", "ClockHub", "./clock")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var spec struct {
		Server struct{ Methods []struct{ Name, Kind string } }
	}
	if err := json.Unmarshal([]byte(out), &spec); err != nil || len(spec.Server.Methods) != 1 || spec.Server.Methods[0].Kind != "invoke" {
		t.Errorf("%v: %s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "clock", "clockhub_hubgen.go")); !os.IsNotExist(err) {
		t.Errorf("-json wrote a file: %v", err)
	}
}

func TestOutput(t *testing.T) {
	dir := module(t, false)
	if _, errs, code := hubgen(t, dir, "-client", "Clock", "-o", "clock/x.go", "./clock"); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, "clock/x.go")); err != nil {
		t.Error(err)
	}
	// The file joins the package, so it must be in the package's directory.
	if _, errs, code := hubgen(t, dir, "-client", "Clock", "-o", "clock/gen/x.go", "./clock"); code != 1 || !strings.Contains(errs, "must be in") {
		t.Errorf("-o in another directory: exit %d: %s", code, errs)
	}
	if _, errs, code := hubgen(t, dir, "-client", "Clock", "./clock"); code != 1 || !strings.Contains(errs, "ClockClients is declared here, in another file hubgen generated") || !strings.HasPrefix(errs, "clock/x.go:") {
		t.Errorf("default output beside x.go: exit %d: %s", code, errs)
	}
	if err := os.Remove(filepath.Join(dir, "clock/x.go")); err != nil {
		t.Fatal(err)
	}
	out, errs, code := hubgen(t, dir, "-client", "Clock", "-o", "-", "./clock")
	if code != 0 || !strings.HasPrefix(out, "// Code generated by hubgen. DO NOT EDIT.\n") {
		t.Errorf("-o -: exit %d, %s\n%s", code, errs, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "clock", "clock_hubgen.go")); !os.IsNotExist(err) {
		t.Errorf("-o - wrote a file: %v", err)
	}
}

// TestOutputNotOurs checks that hubgen never overwrites a file it did not
// write: the contract itself given as -o, or a user's file in -ts's folder.
func TestOutputNotOurs(t *testing.T) {
	dir := module(t, false)
	contractFile := filepath.Join(dir, "clock/clock.go")
	_, errs, code := hubgen(t, dir, "-server", "ClockHub", "-client", "Clock", "-o", "clock/clock.go", "./clock")
	if code != 1 || !strings.Contains(errs, "hubgen: -o: clock/clock.go exists, and hubgen did not write it") {
		t.Errorf("-o the contract: exit %d: %s", code, errs)
	}
	if b, err := os.ReadFile(contractFile); err != nil || string(b) != contract {
		t.Errorf("the contract changed (%v):\n%s", err, b)
	}
	testmod.Write(t, filepath.Join(dir, "ts/clockhub.ts"), "// mine\n")
	_, errs, code = hubgen(t, dir, "-server", "ClockHub", "-client", "Clock", "-ts", "ts", "./clock")
	if code != 1 || !strings.Contains(errs, "hubgen: -ts: ts/clockhub.ts exists, and hubgen did not write it") {
		t.Errorf("-ts over a user's file: exit %d: %s", code, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, "clock/clockhub_hubgen.go")); !os.IsNotExist(err) {
		t.Errorf("a refused run wrote the Go file: %v", err)
	}
}

// TestCheck runs -check (and HUBGEN_CHECK) on a fresh tree, on a stale one
// and on one missing a file: it writes nothing and fails naming the files
// that are not up to date.
func TestCheck(t *testing.T) {
	dir := module(t, false)
	args := []string{"-server", "ClockHub", "-client", "Clock", "-ts", "ts", "./clock"}
	goFile, tsFile := filepath.Join(dir, "clock/clockhub_hubgen.go"), filepath.Join(dir, "ts/clockhub.ts")
	if _, errs, code := hubgen(t, dir, append([]string{"-check"}, args...)...); code != 1 || !strings.Contains(errs, "not up to date") {
		t.Errorf("-check before generating: exit %d: %s", code, errs)
	}
	if _, err := os.Stat(goFile); !os.IsNotExist(err) {
		t.Fatalf("-check wrote a file: %v", err)
	}
	if _, errs, code := hubgen(t, dir, args...); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if _, errs, code := hubgen(t, dir, append([]string{"-check"}, args...)...); code != 0 {
		t.Errorf("-check after generating: exit %d: %s", code, errs)
	}
	fresh, err := os.ReadFile(tsFile)
	if err != nil {
		t.Fatal(err)
	}
	stale := strings.Replace(string(fresh), "now(): Promise<string>;", "now(): Promise<number>;", 1)
	testmod.Write(t, tsFile, stale)
	for _, check := range []func() (string, int){
		func() (string, int) {
			_, errs, code := hubgen(t, dir, append([]string{"-check"}, args...)...)
			return errs, code
		},
		func() (string, int) {
			t.Setenv("HUBGEN_CHECK", "1")
			_, errs, code := hubgen(t, dir, args...)
			return errs, code
		},
	} {
		errs, code := check()
		if code != 1 || errs != "hubgen: not up to date (run go generate): ts/clockhub.ts\n" {
			t.Errorf("stale TypeScript: exit %d: %q", code, errs)
		}
	}
	if b, _ := os.ReadFile(tsFile); string(b) != stale {
		t.Error("-check rewrote the stale file")
	}
}

func TestTags(t *testing.T) {
	dir := module(t, false)
	testmod.Write(t, filepath.Join(dir, "clock/extra.go"), "//go:build extra\n\npackage clock\n\nimport \"context\"\n\n// Extra exists with -tags extra.\ntype Extra interface {\n\tE(ctx context.Context) error\n}\n")
	if _, _, code := hubgen(t, dir, "-server", "Extra", "-o", "-", "./clock"); code != 1 {
		t.Errorf("without -tags: exit %d", code)
	}
	if _, errs, code := hubgen(t, dir, "-server", "Extra", "-tags", "extra", "-o", "-", "./clock"); code != 0 {
		t.Errorf("with -tags extra: exit %d: %s", code, errs)
	}
}

// TestGoTool runs hubgen as go generate runs it, through the tool line of a
// user's go.mod, and then builds the result.
func TestGoTool(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds hubgen")
	}
	dir := module(t, true)
	testmod.Write(t, filepath.Join(dir, "clock/gen.go"), "package clock\n\n//go:generate go tool hubgen -server ClockHub -client Clock\n")
	testmod.Go(t, dir, "mod", "tidy")
	testmod.Go(t, dir, "generate", "./...")
	if _, err := os.Stat(filepath.Join(dir, "clock/clockhub_hubgen.go")); err != nil {
		t.Fatal(err)
	}
	testmod.Go(t, dir, "vet", "./...")
	// The module replaces hubgen with a directory: a development build,
	// which claims no release.
	if out := testmod.Go(t, dir, "tool", "hubgen", "-version"); !strings.HasPrefix(out, "hubgen (devel") || !strings.Contains(out, runtime.Version()) {
		t.Errorf("go tool hubgen -version printed %q", out)
	}
}

func TestVersion(t *testing.T) {
	out, errs, code := hubgen(t, t.TempDir(), "-version")
	if code != 0 || errs != "" || !strings.HasPrefix(out, "hubgen ") || !strings.HasSuffix(out, runtime.Version()+"\n") {
		t.Errorf("-version: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}
