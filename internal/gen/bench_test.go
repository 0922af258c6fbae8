package gen

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/tools/go/packages"

	"github.com/hubgen/hubgen/internal/load"
	"github.com/hubgen/hubgen/internal/testmod"
)

// contract50 returns a contract of 50 methods: 40 on the server interface and
// 10 on the client interface, with parameters of several kinds.
func contract50() string {
	var b strings.Builder
	b.WriteString(`// Package big is a contract of 50 methods.
package big

import (
	"context"
	"time"
)

// Item is a struct parameter.
type Item struct {
	ID    string            ` + "`json:\"id\"`" + `
	Tags  []string          ` + "`json:\"tags\"`" + `
	Attrs map[string]string ` + "`json:\"attrs\"`" + `
	At    time.Time         ` + "`json:\"at\"`" + `
}

// Big is the server interface.
type Big interface {
`)
	for i := range 40 {
		switch i % 4 {
		case 0:
			fmt.Fprintf(&b, "\t// Get%d gets.\n\tGet%d(ctx context.Context, id string) (*Item, error)\n", i, i)
		case 1:
			fmt.Fprintf(&b, "\t// Put%d puts.\n\tPut%d(ctx context.Context, item Item, at time.Time) error\n", i, i)
		case 2:
			fmt.Fprintf(&b, "\t// List%d lists.\n\tList%d(ctx context.Context, ids []string, limit int) ([]Item, error)\n", i, i)
		case 3:
			fmt.Fprintf(&b, "\t// Count%d counts.\n\tCount%d(ctx context.Context, filter map[string]string) (int, error)\n", i, i)
		}
	}
	b.WriteString("}\n\n// Watcher is the client interface.\ntype Watcher interface {\n")
	for i := range 10 {
		if i%2 == 0 {
			fmt.Fprintf(&b, "\t// Notify%d notifies.\n\tNotify%d(ctx context.Context, item Item) error\n", i, i)
		} else {
			fmt.Fprintf(&b, "\t// Ask%d asks.\n\tAsk%d(ctx context.Context, question string) (bool, error)\n", i, i)
		}
	}
	b.WriteString("}\n")
	return b.String()
}

// BenchmarkGenerate50 runs hubgen on a contract of 50 methods and reports its
// time as a ratio to loading the same package with go/packages alone, in the
// same mode, measured in the same run (x-load; the target is at most 1.3).
func BenchmarkGenerate50(b *testing.B) {
	mod := testmod.New(b, "example.com/bench", false)
	dir := filepath.Join(mod, "big")
	testmod.Write(b, filepath.Join(dir, "big.go"), contract50())
	cfg := Config{Server: "Big", Client: "Watcher", Dir: dir, Env: testmod.Env()}
	loadOnly := func() {
		pkgs, err := packages.Load(&packages.Config{Mode: load.Mode, Dir: dir, Env: cfg.Env}, ".")
		if err != nil || len(pkgs) != 1 || len(pkgs[0].Errors) > 0 {
			b.Fatal(err, pkgs)
		}
	}
	generate := func() {
		if res, err := Run(cfg, false); err != nil || len(res.Code) == 0 {
			b.Fatal(err)
		}
	}
	loadOnly() // warm the build cache
	generate()

	var loading, running time.Duration
	for i := 0; b.Loop(); i++ {
		// Alternate the order, so that neither always runs right after the other.
		t0 := time.Now()
		if i%2 == 0 {
			loadOnly()
			t1 := time.Now()
			generate()
			loading, running = loading+t1.Sub(t0), running+time.Since(t1)
		} else {
			generate()
			t1 := time.Now()
			loadOnly()
			running, loading = running+t1.Sub(t0), loading+time.Since(t1)
		}
	}
	b.ReportMetric(float64(running.Nanoseconds())/float64(b.N), "ns/op")
	b.ReportMetric(float64(loading.Nanoseconds())/float64(b.N), "load-ns/op")
	b.ReportMetric(float64(running)/float64(loading), "x-load")
}

// BenchmarkAnalyzeEmit50 measures what hubgen adds to loading: analyzing the
// loaded package and emitting the file, without the go command.
func BenchmarkAnalyzeEmit50(b *testing.B) {
	mod := testmod.New(b, "example.com/bench", false)
	dir := filepath.Join(mod, "big")
	testmod.Write(b, filepath.Join(dir, "big.go"), contract50())
	p, ds := load.Load(load.Config{Dir: dir, Env: testmod.Env()})
	if len(ds) > 0 {
		b.Fatal(ds)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := generateFrom(p, Config{Server: "Big", Client: "Watcher"}, filepath.Join(dir, "big_hubgen.go"), false); err != nil {
			b.Fatal(err)
		}
	}
}
