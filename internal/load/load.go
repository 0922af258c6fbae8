// Package load loads the contract package with golang.org/x/tools/go/packages:
// its syntax (for doc comments and //hubgen: directives) and its types, with
// dependencies' types read from export data rather than type-checked from
// source.
package load

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/tools/go/packages"

	"github.com/hubgen/hubgen/internal/diag"
	"github.com/hubgen/hubgen/internal/model"
)

// Mode is what hubgen asks go/packages for, and no more.
const Mode = packages.NeedName | packages.NeedFiles | packages.NeedSyntax | packages.NeedTypes

// Config says which package to load.
type Config struct {
	// Dir is where the go command runs; empty means the current directory.
	Dir string
	// Pattern names the package, as the go command takes it. Default ".".
	Pattern string
	// Tags are build tags, separated by commas or spaces.
	Tags string
	// Env is the go command's environment; nil means the process's.
	Env []string
}

// Package is a loaded contract package.
type Package struct {
	Path   string
	Name   string
	Dir    string
	Fset   *token.FileSet
	Types  *types.Package
	Syntax []*ast.File

	cfg     *packages.Config          // how the package was loaded
	files   map[string][]string       // other packages' files, by path
	specs   map[string]*ast.TypeSpec  // package-level type specs by name
	methods map[token.Pos]*ast.Field  // interface methods in Syntax by name position
	foreign map[string]map[int]fields // parsed files of other packages: methods by line
	gen     map[string]bool           // files hubgen generated, by name
}

type fields []*ast.Field

// Load loads the one package cfg names. Problems with the package (it cannot
// be found, does not parse or type-check) come back as diagnostics; errors
// inside files hubgen generated are left out, as those files are about to be
// rewritten.
func Load(cfg Config) (*Package, diag.List) {
	pattern := cfg.Pattern
	if pattern == "" {
		pattern = "."
	}
	pc := &packages.Config{Mode: Mode, Dir: cfg.Dir, Env: cfg.Env}
	if tags := strings.Join(strings.FieldsFunc(cfg.Tags, func(r rune) bool { return r == ',' || r == ' ' }), ","); tags != "" {
		pc.BuildFlags = []string{"-tags=" + tags}
	}
	var ds diag.List
	pkgs, err := packages.Load(pc, pattern)
	if err != nil {
		ds.Add(token.Position{}, diag.Load, "cannot load %s: %v", pattern, err)
		return nil, ds
	}
	switch len(pkgs) {
	case 0:
		// With export data, go/packages hides why the go command failed;
		// asking again without it shows the reason.
		pc.Mode = packages.NeedName
		if _, err := packages.Load(pc, pattern); err != nil {
			ds.Add(token.Position{}, diag.Load, "cannot load %s: %v", pattern, err)
		} else {
			ds.Add(token.Position{}, diag.Load, "%s matches no packages", pattern)
		}
		return nil, ds
	case 1:
	default:
		var paths []string
		for _, p := range pkgs {
			paths = append(paths, p.PkgPath)
		}
		ds.Add(token.Position{}, diag.Load, "%s matches %d packages (%s); name one", pattern, len(pkgs), strings.Join(paths, ", "))
		return nil, ds
	}
	p := New(pkgs[0].PkgPath, pkgs[0].Name, pkgs[0].Dir, pkgs[0].Fset, pkgs[0].Types, pkgs[0].Syntax)
	p.cfg = pc
	// The go command's report of a failed compilation repeats what the type
	// checker found; it is used only when nothing else explains the failure.
	var compiled diag.List
	for _, e := range pkgs[0].Errors {
		if d, ok := compileReport(e, cfg.Dir); ok {
			compiled = append(compiled, d...)
			continue
		}
		ds = append(ds, diag.Diagnostic{Pos: parsePos(e.Pos), Code: diag.Load, Message: e.Msg})
	}
	ds = p.outsideGenerated(ds)
	if len(ds) == 0 {
		ds = p.outsideGenerated(compiled)
	}
	if p.Types == nil || p.Name == "" {
		if len(ds) == 0 {
			ds.Add(token.Position{}, diag.Load, "cannot load %s", pattern)
		}
		return nil, ds.Sorted()
	}
	return p, ds.Sorted()
}

// outsideGenerated returns the diagnostics that are not in files hubgen
// generated.
func (p *Package) outsideGenerated(ds diag.List) diag.List {
	var out diag.List
	for _, d := range ds {
		if !p.gen[d.Pos.Filename] {
			out = append(out, d)
		}
	}
	return out
}

// New returns a Package over syntax and types that are already at hand, as
// tests type-check them without the go command.
func New(path, name, dir string, fset *token.FileSet, pkg *types.Package, syntax []*ast.File) *Package {
	p := &Package{
		Path: path, Name: name, Dir: dir, Fset: fset, Types: pkg, Syntax: syntax,
		specs:   make(map[string]*ast.TypeSpec),
		methods: make(map[token.Pos]*ast.Field),
		foreign: make(map[string]map[int]fields),
		files:   make(map[string][]string),
		gen:     make(map[string]bool),
	}
	for _, f := range syntax {
		if IsGenerated(f) {
			p.gen[fset.Position(f.Package).Filename] = true
		}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, s := range gd.Specs {
				ts := s.(*ast.TypeSpec)
				if ts.Doc == nil && len(gd.Specs) == 1 {
					ts.Doc = gd.Doc
				}
				p.specs[ts.Name.Name] = ts
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if it, ok := n.(*ast.InterfaceType); ok {
				for _, fl := range it.Methods.List {
					if len(fl.Names) == 1 {
						p.methods[fl.Names[0].Pos()] = fl
					}
				}
			}
			return true
		})
	}
	return p
}

// IsGenerated reports whether f is a file hubgen wrote: its first line is
// model.Header.
func IsGenerated(f *ast.File) bool {
	return len(f.Comments) > 0 && f.Comments[0].Pos() < f.Package &&
		len(f.Comments[0].List) > 0 && f.Comments[0].List[0].Text == model.Header
}

// Generated reports whether the file named filename is one hubgen wrote.
func (p *Package) Generated(filename string) bool { return p.gen[filename] }

// TypeSpec returns the declaration of the package-level type name.
func (p *Package) TypeSpec(name string) *ast.TypeSpec { return p.specs[name] }

// Local reports whether pos lies in one of the package's own files.
func (p *Package) Local(pos token.Pos) bool {
	if !pos.IsValid() {
		return false
	}
	for _, f := range p.Syntax {
		if f.FileStart <= pos && pos <= f.FileEnd {
			return true
		}
	}
	return false
}

// MethodDoc returns the doc comment of an interface method: from the
// package's syntax, or, for a method declared in another package (which was
// loaded from export data), from that package's source file if it can be read.
func (p *Package) MethodDoc(m *types.Func) *ast.CommentGroup {
	if fl := p.methods[m.Pos()]; fl != nil {
		return fl.Doc
	}
	pos := p.Fset.Position(m.Pos())
	if !pos.IsValid() {
		return nil
	}
	byLine, ok := p.foreign[pos.Filename]
	if !ok {
		byLine = parseMethods(p.sourceFile(pos.Filename, m.Pkg().Path()))
		p.foreign[pos.Filename] = byLine
	}
	for _, fl := range byLine[pos.Line] {
		if fl.Names[0].Name == m.Name() {
			return fl.Doc
		}
	}
	return nil
}

// sourceFile returns the name of a source file of the package path, as export
// data names it. Export data written with -trimpath has file names that are
// not on disk; then the go command lists the package's files, and the one
// with the same base name is it.
func (p *Package) sourceFile(name, path string) string {
	if _, err := os.Stat(name); err == nil || p.cfg == nil {
		return name
	}
	files, ok := p.files[path]
	if !ok {
		cfg := *p.cfg
		cfg.Mode = packages.NeedName | packages.NeedFiles
		if pkgs, err := packages.Load(&cfg, path); err == nil && len(pkgs) == 1 {
			files = pkgs[0].GoFiles
		}
		p.files[path] = files
	}
	for _, f := range files {
		if filepath.Base(f) == filepath.Base(name) {
			return f
		}
	}
	return name
}

// parseMethods parses a source file of another package and indexes its
// interface methods by line. It returns nil if the file cannot be parsed.
func parseMethods(filename string) map[int]fields {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filename, nil, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil
	}
	byLine := make(map[int]fields)
	ast.Inspect(f, func(n ast.Node) bool {
		if it, ok := n.(*ast.InterfaceType); ok {
			for _, fl := range it.Methods.List {
				if len(fl.Names) == 1 {
					line := fset.Position(fl.Names[0].Pos()).Line
					byLine[line] = append(byLine[line], fl)
				}
			}
		}
		return true
	})
	return byLine
}

// compileReport splits the go command's report of a failed compilation ("#
// path" and then one error per line, file names relative to dir) into
// diagnostics. It reports false for other errors.
func compileReport(e packages.Error, dir string) (diag.List, bool) {
	first, rest, _ := strings.Cut(e.Msg, "\n")
	if e.Pos != "" || !strings.HasPrefix(first, "# ") {
		return nil, false
	}
	if dir == "" {
		dir, _ = filepath.Abs(".")
	}
	var ds diag.List
	for _, line := range strings.Split(rest, "\n") {
		if strings.HasPrefix(line, "\t") && len(ds) > 0 { // a continuation
			ds[len(ds)-1].Message += "\n" + line
			continue
		}
		loc, msg, ok := cutPos(line)
		if !ok {
			continue // "too many errors" and the like
		}
		pos := parsePos(loc)
		if !filepath.IsAbs(pos.Filename) {
			pos.Filename = filepath.Join(dir, pos.Filename)
		}
		ds.Add(pos, diag.Load, "%s", msg)
	}
	if len(ds) == 0 {
		ds.Add(token.Position{}, diag.Load, "%s", e.Msg)
	}
	return ds, true
}

// cutPos splits "file.go:1:2: message" into its position and message.
func cutPos(line string) (pos, msg string, ok bool) {
	i := strings.Index(line, ".go:")
	if i < 0 {
		return "", "", false
	}
	j := strings.Index(line[i+4:], ": ")
	if j < 0 {
		return "", "", false
	}
	return line[:i+4+j], line[i+4+j+2:], true
}

// parsePos parses the position go/packages gives an error: file:line:col,
// file:line, file or nothing.
func parsePos(s string) token.Position {
	var pos token.Position
	parts := strings.Split(s, ":")
	// Take numbers off the end; what is left is the file name (which may hold
	// colons on Windows).
	var nums []int
	for len(parts) > 1 && len(nums) < 2 {
		n, err := strconv.Atoi(parts[len(parts)-1])
		if err != nil {
			break
		}
		nums = append([]int{n}, nums...)
		parts = parts[:len(parts)-1]
	}
	pos.Filename = strings.Join(parts, ":")
	if len(nums) > 0 {
		pos.Line = nums[0]
	}
	if len(nums) > 1 {
		pos.Column = nums[1]
	}
	if pos.Filename == "-" {
		pos.Filename = ""
	}
	if pos.Filename != "" && !filepath.IsAbs(pos.Filename) {
		pos.Filename = filepath.Clean(pos.Filename)
	}
	return pos
}

// String names the package for messages.
func (p *Package) String() string { return fmt.Sprintf("package %s (%s)", p.Name, p.Path) }
