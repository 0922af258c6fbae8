package gen

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hubgen/hubgen/internal/emit/ts"
	"github.com/hubgen/hubgen/internal/model"
	"github.com/hubgen/hubgen/internal/testmod"
	"github.com/hubgen/hubgen/internal/testts"
)

// TestGoldenTypeScript generates the TypeScript client (hubgen -ts web) of
// every case in testdata that generates: each must match <file>.ts.golden
// byte for byte, and together they must type-check with tsc --strict (and
// more; see internal/testts), with the case's *_check.ts files, which use
// them (and prove with @ts-expect-error what they reject). When the case's
// generate directives write other hubs into web too, the files of every
// one of them are checked, and each must write the same types file. Its
// args may say -ts-protocol messagepack. go test ./internal/gen -update
// rewrites the golden files.
func TestGoldenTypeScript(t *testing.T) {
	root := filepath.Join(testmod.Root(t), "testdata")
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	mod := testmod.New(t, "example.com/golden", false)
	out := t.TempDir()
	written := 0
	for _, e := range entries {
		name := e.Name()
		src := filepath.Join(root, name)
		if _, err := os.Stat(filepath.Join(src, "errors.golden")); !e.IsDir() || err == nil {
			continue
		}
		dir := filepath.Join(mod, name)
		testmod.Copy(t, dir, src, func(rel string) bool { return rel == "args" || strings.HasSuffix(rel, ".golden") })
		t.Run(name, func(t *testing.T) {
			cfg := caseConfig(t, src)
			cfg.Dir, cfg.Env, cfg.TS = dir, testmod.Env(), "web"
			res, err := Run(cfg, true)
			if err != nil {
				t.Fatal(err)
			}
			protocol, err := ts.ParseProtocol(cfg.TSProtocol)
			if err != nil {
				t.Fatal(err)
			}
			generated := make(map[string][]byte)
			for _, spec := range res.Hubs {
				files, err := ts.GenerateShared(spec, res.Hubs, protocol)
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range files {
					if prev, ok := generated[f.Name]; ok && !bytes.Equal(prev, f.Code) {
						t.Errorf("%s differs between the hubs that write it", f.Name)
					}
					generated[f.Name] = f.Code
				}
			}
			for file, code := range generated {
				golden(t, filepath.Join(src, file+".golden"), code)
				if !bytes.HasPrefix(code, []byte(model.Header+"\n")) {
					t.Errorf("%s does not start with %q", file, model.Header)
				}
				testmod.Write(t, filepath.Join(out, name, file), string(code))
			}
			checks, _ := filepath.Glob(filepath.Join(src, "*_check.ts"))
			for _, c := range checks {
				b, err := os.ReadFile(c)
				if err != nil {
					t.Fatal(err)
				}
				testmod.Write(t, filepath.Join(out, name, filepath.Base(c)), string(b))
			}
			written++
		})
	}
	if written == 0 {
		return
	}
	if testing.Short() {
		t.Skip("-short: not type-checking the generated files")
	}
	for _, mode := range testts.Modes {
		t.Run(string(mode), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), string(mode))
			testmod.Copy(t, dir, out, nil)
			testts.Project(t, dir, mode)
			testts.TSC(t, dir)
		})
	}
}
