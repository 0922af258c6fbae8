package gen

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/hubgen/hubgen/internal/analyze"
	"github.com/hubgen/hubgen/internal/load"
	"github.com/hubgen/hubgen/internal/model"
)

// directive is a hubgen line of the contract package: a //go:generate that
// runs hubgen on the package with -ts.
type directive struct {
	pos            string // file:line
	server, client string
	output         string // -o, or ""
	ts             string // -ts, absolute
	protocol       string // -ts-protocol, "" for json
}

// directives finds the contract package's //go:generate lines that run
// hubgen on the package itself (no package argument, or ".") with -ts. They
// are read as go generate reads them: fields split at spaces and tabs,
// double-quoted ones unquoted, $GOFILE, $GOPACKAGE and other variables
// expanded; a line that does not parse is skipped.
func directives(pkg *load.Package) []directive {
	var out []directive
	for _, f := range pkg.Syntax {
		file := pkg.Fset.Position(f.Package).Filename
		for _, cg := range f.Comments {
			for _, c := range cg.List {
				rest, ok := strings.CutPrefix(c.Text, "//go:generate ")
				if !ok {
					continue
				}
				words, ok := splitGenerate(os.Expand(rest, func(v string) string {
					switch v {
					case "GOFILE":
						return filepath.Base(file)
					case "GOPACKAGE":
						return pkg.Name
					}
					return os.Getenv(v)
				}))
				i := slices.IndexFunc(words, isHubgen)
				if !ok || i < 0 {
					continue
				}
				d, ok := parseDirective(words[i+1:])
				if !ok {
					continue
				}
				if !filepath.IsAbs(d.ts) {
					d.ts = filepath.Join(pkg.Dir, d.ts)
				}
				p := pkg.Fset.Position(c.Slash)
				d.pos = filepath.Base(p.Filename) + ":" + strconv.Itoa(p.Line)
				out = append(out, d)
			}
		}
	}
	return out
}

// isHubgen reports whether a word of a go:generate line is the hubgen
// command: hubgen (go tool hubgen, or on the PATH), or a path or package
// path ending in /hubgen, with a version or not (go run .../cmd/hubgen@v1).
func isHubgen(word string) bool {
	word, _, _ = strings.Cut(word, "@")
	return path.Base(filepath.ToSlash(word)) == "hubgen"
}

// parseDirective reads hubgen's arguments as cmd/hubgen does.
func parseDirective(args []string) (directive, bool) {
	var f Flags
	fs := f.FlagSet("hubgen")
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil || fs.NArg() > 1 || fs.NArg() == 1 && fs.Arg(0) != "." {
		return directive{}, false
	}
	d := directive{server: f.Server, client: f.Client, output: f.Output, ts: f.TS, protocol: f.TSProtocol}
	if d.protocol == "json" {
		d.protocol = "" // the default, as Config.TSProtocol has it
	}
	return d, d.ts != "" && (d.server != "" || d.client != "")
}

// splitGenerate splits a go:generate line into words as go generate does.
func splitGenerate(line string) ([]string, bool) {
	var words []string
	for {
		line = strings.TrimLeft(line, " \t")
		if line == "" {
			return words, true
		}
		if line[0] == '"' {
			end := 1
			for end < len(line) && line[end] != '"' {
				if line[end] == '\\' {
					end++
				}
				end++
			}
			if end >= len(line) {
				return nil, false
			}
			w, err := strconv.Unquote(line[:end+1])
			if err != nil {
				return nil, false
			}
			words = append(words, w)
			line = line[end+1:]
			continue
		}
		end := strings.IndexAny(line, " \t")
		if end < 0 {
			end = len(line)
		}
		words = append(words, line[:end])
		line = line[end:]
	}
}

// hubsSharing returns the specs of every hub whose TypeScript hubgen writes
// into the folder ts (absolute): the one of spec, and those of the package's
// other hubgen lines with the same -ts, sorted by TypeScript file name.
func hubsSharing(pkg *load.Package, spec *model.Spec, ts, protocol string) ([]*model.Spec, error) {
	hubs := []*model.Spec{spec}
	self := func(d directive) bool {
		return d.server == name(spec.Server) && d.client == name(spec.Client)
	}
	for _, d := range directives(pkg) {
		if filepath.Clean(d.ts) != filepath.Clean(ts) || self(d) {
			continue
		}
		if cmp.Or(d.protocol, "json") != cmp.Or(protocol, "json") {
			return nil, fmt.Errorf("hubgen: the line at %s writes TypeScript for -ts-protocol %s into the same folder: the types shared there describe one protocol; give each protocol a folder", d.pos, cmp.Or(d.protocol, "json"))
		}
		out := d.output
		if out == "" || out == "-" {
			out = DefaultOutput(d.server, d.client)
		}
		other, ds := analyze.Analyze(pkg, analyze.Config{Server: d.server, Client: d.client, Output: filepath.Join(pkg.Dir, out)})
		if len(ds) > 0 {
			return nil, fmt.Errorf("hubgen: the line at %s writes TypeScript into the same folder, and its interfaces have problems (run it for them): %w", d.pos, ds)
		}
		other.Generator = spec.Generator
		if !slices.ContainsFunc(hubs, func(s *model.Spec) bool { return name(s.Server) == d.server && name(s.Client) == d.client }) {
			hubs = append(hubs, other)
		}
	}
	slices.SortFunc(hubs, func(a, b *model.Spec) int { return strings.Compare(a.Source(), b.Source()) })
	return hubs, nil
}

func name(it *model.Interface) string {
	if it == nil {
		return ""
	}
	return it.Name
}
