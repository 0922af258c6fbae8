package gen

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hubgen/hubgen/internal/model"
	"github.com/hubgen/hubgen/internal/testmod"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestGolden runs every case in testdata (see testdata/README.md): the
// generated file, the diagnostics and the model must match the golden files
// byte for byte, and every generated file must build and vet.
func TestGolden(t *testing.T) {
	root := filepath.Join(testmod.Root(t), "testdata")
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	mod := testmod.New(t, "example.com/golden", false)
	var built []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		name := e.Name()
		src, dir := filepath.Join(root, name), filepath.Join(mod, name)
		testmod.Copy(t, dir, src, func(rel string) bool { return rel == "args" || strings.HasSuffix(rel, ".golden") })
		t.Run(name, func(t *testing.T) {
			cfg := caseConfig(t, src)
			cfg.Dir, cfg.Env = dir, testmod.Env()
			res, err := Run(cfg, false)
			if err != nil {
				ds, ok := Diagnostics(err)
				if !ok {
					t.Fatal(err)
				}
				golden(t, filepath.Join(src, "errors.golden"), []byte(ds.Relative(dir).String()))
				return
			}
			if _, err := os.Stat(filepath.Join(src, "errors.golden")); err == nil {
				t.Fatalf("generated %s, but errors.golden expects diagnostics", filepath.Base(res.Output))
			}
			golden(t, filepath.Join(src, filepath.Base(res.Output)+".golden"), res.Code)
			checkGenerated(t, res.Code)
			if _, err := os.Stat(filepath.Join(src, "model.json.golden")); err == nil {
				b, err := JSON(res.Spec)
				if err != nil {
					t.Fatal(err)
				}
				golden(t, filepath.Join(src, "model.json.golden"), b)
			}
			testmod.Write(t, res.Output, string(res.Code))
			built = append(built, "./"+name)
		})
	}
	if testing.Short() {
		t.Skip("-short: not building the generated files")
	}
	if len(built) > 0 {
		testmod.Go(t, mod, append([]string{"build"}, built...)...)
		testmod.Go(t, mod, append([]string{"vet"}, built...)...)
	}
}

// checkGenerated checks what every generated file must be: gofmt-clean, with
// the generated-code header first, a doc comment on every exported
// declaration, and no reflect.
func checkGenerated(t *testing.T, code []byte) {
	t.Helper()
	if formatted, err := format.Source(code); err != nil || !bytes.Equal(formatted, code) {
		t.Errorf("not gofmt-clean (%v)", err)
	}
	if !bytes.HasPrefix(code, []byte(model.Header+"\n")) {
		t.Errorf("does not start with %q", model.Header)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "gen.go", code, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	if !ast.IsGenerated(f) {
		t.Error("go/ast does not see a generated file")
	}
	for _, imp := range f.Imports {
		if imp.Path.Value == `"reflect"` {
			t.Error("imports reflect")
		}
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Name.IsExported() && d.Doc == nil {
				t.Errorf("%s: %s has no doc comment", fset.Position(d.Pos()), d.Name.Name)
			}
		case *ast.GenDecl:
			for _, s := range d.Specs {
				if ts, ok := s.(*ast.TypeSpec); ok && ts.Name.IsExported() && d.Doc == nil && ts.Doc == nil {
					t.Errorf("%s: %s has no doc comment", fset.Position(ts.Pos()), ts.Name.Name)
				}
			}
		}
	}
}

// caseConfig reads a case's args file.
func caseConfig(t *testing.T, dir string) Config {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "args"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg Config
	fs := flag.NewFlagSet("args", flag.ContinueOnError)
	fs.StringVar(&cfg.Server, "server", "", "")
	fs.StringVar(&cfg.Client, "client", "", "")
	fs.StringVar(&cfg.Tags, "tags", "", "")
	fs.StringVar(&cfg.TSProtocol, "ts-protocol", "", "")
	if err := fs.Parse(strings.Fields(string(b))); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// golden compares got with the golden file, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(name, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(name)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/gen -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test ./internal/gen -update rewrites it):\n%s", filepath.Base(name), diff(want, got))
	}
}

// diff shows the first lines where want and got differ.
func diff(want, got []byte) string {
	w, g := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl || i >= len(w) || i >= len(g) {
			return fmt.Sprintf("line %d:\nwant: %q\n got: %q", i+1, wl, gl)
		}
	}
	return "(same lines)"
}
