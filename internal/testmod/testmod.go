// Package testmod builds temporary Go modules for hubgen's tests: a module
// that requires github.com/hubgen/hubgen, replaced by the repository under
// test, so that generated code can be built, vetted and run against the
// runtime in the working tree.
package testmod

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Module is the module path of the repository under test.
const Module = "github.com/hubgen/hubgen"

// Root returns the repository's root: the nearest directory above the working
// directory whose go.mod declares Module.
func Root(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(b, []byte("module "+Module+"\n")) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.mod of %s above the working directory", Module)
		}
		dir = parent
	}
}

// New returns the directory of a new module named path in a temporary
// directory. Its go.mod requires the repository (replaced by Root) and, with
// tool, declares cmd/hubgen as a tool; its go.sum is the repository's.
func New(t testing.TB, path string, tool bool) string {
	t.Helper()
	root := Root(t)
	dir := t.TempDir()
	var mod strings.Builder
	mod.WriteString("module " + path + "\n\ngo 1.26\n\n")
	if tool {
		mod.WriteString("tool " + Module + "/cmd/hubgen\n\n")
	}
	mod.WriteString("require " + Module + " v0.0.0-00010101000000-000000000000\n\n")
	mod.WriteString("replace " + Module + " => " + root + "\n")
	Write(t, filepath.Join(dir, "go.mod"), mod.String())
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	Write(t, filepath.Join(dir, "go.sum"), string(sum))
	return dir
}

// Write writes a file, creating its directory.
func Write(t testing.TB, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Copy copies the tree at src into dst, leaving out files for which skip
// returns true.
func Copy(t testing.TB, dst, src string, skip func(rel string) bool) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil || skip != nil && skip(rel) {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		Write(t, filepath.Join(dst, rel), string(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Env is the environment for go commands in a temporary module: the go.mod
// may be completed with the requirements the repository's go.mod implies.
func Env() []string {
	return append(os.Environ(), "GOFLAGS=-mod=mod")
}

// Go runs the go command in dir and returns its combined output; it fails the
// test if the command fails.
func Go(t testing.TB, dir string, args ...string) string {
	t.Helper()
	out, err := Run(dir, "go", args...)
	if err != nil {
		t.Fatalf("go %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return out
}

// Run runs a command in dir with Env and returns its combined output.
func Run(dir, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = Env()
	out, err := cmd.CombinedOutput()
	return string(out), err
}
