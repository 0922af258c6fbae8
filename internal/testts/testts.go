// Package testts type-checks and compiles TypeScript for hubgen's tests, with
// the TypeScript compiler and @microsoft/signalr that npm installs from
// internal/emit/ts/testdata/package-lock.json:
//
//	npm ci --prefix internal/emit/ts/testdata
//
// Tests fail, saying so, when those packages are missing.
package testts

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hubgen/hubgen/internal/testmod"
)

// Packages is where the npm packages are, relative to the repository's root.
const Packages = "internal/emit/ts/testdata"

// Compiler options of every project: strict, and stricter than strict, so
// that generated code compiles in projects that turn these on.
// verbatimModuleSyntax, which refuses ES module syntax in a CommonJS file,
// is added for the modes with ES modules.
const compilerOptions = `
    "strict": true,
    "noUnusedLocals": true,
    "noUnusedParameters": true,
    "noImplicitReturns": true,
    "noImplicitOverride": true,
    "noFallthroughCasesInSwitch": true,
    "noPropertyAccessFromIndexSignature": true,
    "exactOptionalPropertyTypes": true,
    "isolatedModules": true,
    "forceConsistentCasingInFileNames": true,
    "skipLibCheck": true,
    "target": "es2022",
    "lib": ["es2022", "dom"],`

// NodeModules returns the absolute name of the node_modules directory, and
// fails the test if npm has not installed it.
func NodeModules(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(testmod.Root(t), Packages, "node_modules")
	for _, p := range []string{".bin/tsc", "@microsoft/signalr/package.json"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Fatalf("the TypeScript compiler is missing (%v): run npm ci --prefix %s", err, Packages)
		}
	}
	return dir
}

// Mode is how a project's modules are resolved, and whether tsc emits them.
type Mode string

// The modes a generated file must compile in.
const (
	// Bundler: ES modules for a bundler (esbuild, Vite), checked only.
	Bundler Mode = "bundler"
	// ESM: ES modules for Node (nodenext, "type": "module"), which tsc
	// writes beside the sources; the sources may use Node's modules.
	ESM Mode = "esm"
	// CommonJS: CommonJS modules for Node (nodenext, "type":
	// "commonjs"), checked only.
	CommonJS Mode = "commonjs"
)

// Modes are all the modes.
var Modes = []Mode{Bundler, ESM, CommonJS}

// Project makes dir a TypeScript project over every .ts file below it, in
// mode: a tsconfig.json, a package.json with the modules' type, and a
// node_modules link, so that imports of @microsoft/signalr resolve.
func Project(t testing.TB, dir string, mode Mode) {
	t.Helper()
	modules := NodeModules(t)
	if err := os.Symlink(modules, filepath.Join(dir, "node_modules")); err != nil && !os.IsExist(err) {
		t.Fatal(err)
	}
	var options string
	switch mode {
	case Bundler:
		options = `"noEmit": true,
    "module": "esnext",
    "moduleResolution": "bundler",
    "verbatimModuleSyntax": true,
    "types": [],`
	case ESM:
		options = `"module": "nodenext",
    "moduleResolution": "nodenext",
    "verbatimModuleSyntax": true,
    "types": ["node"],`
		testmod.Write(t, filepath.Join(dir, "package.json"), `{"type": "module"}`+"\n")
	case CommonJS:
		options = `"noEmit": true,
    "module": "nodenext",
    "moduleResolution": "nodenext",
    "types": [],`
		testmod.Write(t, filepath.Join(dir, "package.json"), `{"type": "commonjs"}`+"\n")
	default:
		t.Fatalf("testts: no mode %q", mode)
	}
	config := "{\n  \"compilerOptions\": {\n    " + options + compilerOptions + "\n  },\n  \"include\": [\"**/*.ts\"],\n  \"exclude\": [\"node_modules\"]\n}\n"
	testmod.Write(t, filepath.Join(dir, "tsconfig.json"), config)
}

// TSC runs tsc on the project in dir and fails the test with its messages if
// it reports any.
func TSC(t testing.TB, dir string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(NodeModules(t), ".bin", "tsc"), "-p", dir)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tsc -p %s: %v\n%s", dir, err, strings.TrimSpace(string(out)))
	}
}
