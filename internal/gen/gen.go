// Package gen runs hubgen's pipeline, one way: load the contract package,
// analyze the interfaces into the model, and emit every file from it, the Go
// file and, with -ts, the TypeScript (Result.Files). It writes nothing;
// cmd/hubgen parses the flags (Flags) and writes the files.
package gen

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/hubgen/hubgen/internal/analyze"
	"github.com/hubgen/hubgen/internal/diag"
	"github.com/hubgen/hubgen/internal/emit/golang"
	"github.com/hubgen/hubgen/internal/emit/ts"
	"github.com/hubgen/hubgen/internal/load"
	"github.com/hubgen/hubgen/internal/model"
	"github.com/hubgen/hubgen/internal/version"
)

// Config is one run of hubgen.
type Config struct {
	// Server and Client name the interfaces; at least one is needed.
	Server string
	Client string
	// Dir is where the package pattern is resolved; empty means the current
	// directory.
	Dir string
	// Pattern names the contract package. Default ".".
	Pattern string
	// Tags are build tags for loading the package.
	Tags string
	// Output is the file to generate, in the package's directory. Relative
	// names are relative to Dir. Default: DefaultOutput in the package's
	// directory.
	Output string
	// Env is the go command's environment; nil means the process's.
	Env []string
	// TS is the folder of the TypeScript client (hubgen -ts), if any.
	// Relative names are relative to Dir. The package's other hubgen lines
	// with the same -ts are in Result.Hubs.
	TS string
	// TSProtocol is the -ts-protocol of TS ("" is json), which the other
	// lines writing into TS must share.
	TSProtocol string
}

// Result is what a run produced.
type Result struct {
	// Spec is the model the file is generated from.
	Spec *model.Spec
	// Output is the absolute name of the file to write.
	Output string
	// Code is the generated Go file; nil when Run was asked for the spec
	// only.
	Code []byte
	// Files are every file the run generates, the Go file first and then,
	// with Config.TS, the TypeScript; nil when Run was asked for the spec
	// only. The command writes them; nothing else generates.
	Files []File
	// Hubs are, with Config.TS, the specs of every hub whose TypeScript goes
	// into that folder: Spec, and those of the contract package's other
	// //go:generate lines that run hubgen with the same -ts, in the order of
	// their Source. The TypeScript emitter shares their types.
	Hubs []*model.Spec
}

// File is a generated file: its absolute name, its content, and the flag
// that names where it goes (-o or -ts), for messages about it.
type File struct {
	Name string
	Code []byte
	Flag string
}

// ErrNoInterface is returned when neither interface is named.
var ErrNoInterface = errors.New("hubgen: name a server interface, a client interface or both")

// DefaultOutput returns the name of the generated file: the lower-cased server
// interface name (or, without one, the client's) followed by _hubgen.go.
func DefaultOutput(server, client string) string {
	name := server
	if name == "" {
		name = client
	}
	return strings.ToLower(name) + "_hubgen.go"
}

// Run loads, analyzes and, unless onlySpec, generates. Problems in the user's
// package come back as a diag.List error, all of them; the result is then
// nil.
func Run(cfg Config, onlySpec bool) (*Result, error) {
	if cfg.Server == "" && cfg.Client == "" {
		return nil, ErrNoInterface
	}
	pkg, ds := load.Load(load.Config{Dir: cfg.Dir, Pattern: cfg.Pattern, Tags: cfg.Tags, Env: cfg.Env})
	if len(ds) > 0 {
		return nil, ds.Sorted()
	}
	base := cfg.Dir
	if base == "" {
		var err error
		if base, err = filepath.Abs("."); err != nil {
			return nil, err
		}
	}
	out := cfg.Output
	switch {
	case out == "":
		out = filepath.Join(pkg.Dir, DefaultOutput(cfg.Server, cfg.Client))
	case !filepath.IsAbs(out):
		out = filepath.Join(base, out)
	}
	if cfg.TS != "" && !filepath.IsAbs(cfg.TS) {
		cfg.TS = filepath.Join(base, cfg.TS)
	}
	if filepath.Dir(out) != filepath.Clean(pkg.Dir) {
		return nil, fmt.Errorf("hubgen: -o %s: the generated file joins package %s, so it must be in %s", cfg.Output, pkg.Path, pkg.Dir)
	}
	return generateFrom(pkg, cfg, out, onlySpec)
}

// generateFrom runs the stages after loading.
func generateFrom(pkg *load.Package, cfg Config, out string, onlySpec bool) (*Result, error) {
	spec, ds := analyze.Analyze(pkg, analyze.Config{Server: cfg.Server, Client: cfg.Client, Output: out})
	if len(ds) > 0 {
		return nil, ds
	}
	spec.Generator = version.Release()
	res := &Result{Spec: spec, Output: out}
	if cfg.TS != "" {
		hubs, err := hubsSharing(pkg, spec, cfg.TS, cfg.TSProtocol)
		if err != nil {
			return nil, err
		}
		res.Hubs = hubs
	}
	if onlySpec {
		return res, nil
	}
	code, err := golang.Generate(spec)
	if err != nil {
		return nil, err
	}
	res.Code = code
	res.Files = []File{{Name: out, Code: code, Flag: "-o"}}
	if cfg.TS != "" {
		protocol, err := ts.ParseProtocol(cfg.TSProtocol)
		if err != nil {
			return nil, err
		}
		files, err := ts.GenerateShared(spec, res.Hubs, protocol)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			res.Files = append(res.Files, File{Name: filepath.Join(cfg.TS, f.Name), Code: f.Code, Flag: "-ts"})
		}
	}
	return res, nil
}

// JSON returns the spec as indented JSON.
func JSON(spec *model.Spec) ([]byte, error) {
	b, err := json.MarshalIndent(spec, "", "\t")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Diagnostics returns the diagnostics in err, if it holds any.
func Diagnostics(err error) (diag.List, bool) {
	var ds diag.List
	ok := errors.As(err, &ds)
	return ds, ok
}
