package gen

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/hubgen/hubgen/internal/testmod"
)

// e2eModule generates the chat contract of testdata/e2e in a temporary
// module and returns the package's directory.
func e2eModule(tb testing.TB) string {
	tb.Helper()
	if testing.Short() {
		tb.Skip("-short: builds and runs generated code")
	}
	mod := testmod.New(tb, "example.com/e2e", false)
	dir := filepath.Join(mod, "chat")
	testmod.Copy(tb, dir, "testdata/e2e", nil)
	res, err := Run(Config{Server: "ChatHub", Client: "Chat", Dir: dir, Env: testmod.Env()}, false)
	if err != nil {
		tb.Fatal(err)
	}
	testmod.Write(tb, res.Output, string(res.Code))
	return dir
}

// TestEndToEnd runs testdata/e2e/chat_test.go against generated code: a
// generated server and a generated client talk over a real connection.
func TestEndToEnd(t *testing.T) {
	dir := e2eModule(t)
	testmod.Go(t, dir, "vet", ".")
	t.Log(testmod.Go(t, dir, "test", "-race", "-count=1", "-v", "."))
}

var benchLine = regexp.MustCompile(`(?m)^BenchmarkDispatch(\w+)\S*\s+\d+\s+([\d.]+) ns/op\s+(\d+) B/op\s+(\d+) allocs/op`)

// BenchmarkDispatch relays testdata/e2e/dispatch_test.go, which must run
// where the generated code is: the cost of a generated hub.Method.Call for
// Echo(ctx, s string) (string, error) with a JSON argument, against a
// reflection-based dispatch of the same method.
func BenchmarkDispatch(b *testing.B) {
	dir := e2eModule(b)
	out := testmod.Go(b, dir, "test", "-run", "^$", "-bench", "Dispatch", "-benchmem", "-count=1", ".")
	got := make(map[string][3]float64)
	for _, m := range benchLine.FindAllStringSubmatch(out, -1) {
		var v [3]float64
		for i := range v {
			v[i], _ = strconv.ParseFloat(m[i+2], 64)
		}
		got[m[1]] = v
	}
	gen, refl := got["Generated"], got["Reflect"]
	if gen[0] == 0 || refl[0] == 0 {
		b.Fatalf("no benchmark results in:\n%s", out)
	}
	for range b.N {
	}
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(gen[0], "generated-ns/op")
	b.ReportMetric(gen[2], "generated-allocs/op")
	b.ReportMetric(refl[0], "reflect-ns/op")
	b.ReportMetric(refl[2], "reflect-allocs/op")
	b.ReportMetric(refl[0]/gen[0], "x-faster")
	fmt.Print(out)
}
