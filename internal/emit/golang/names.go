package golang

import (
	"go/token"
	"go/types"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/hubgen/hubgen/internal/model"
)

// The local identifiers generated code declares, by role. An emitter maps
// each to a name that shadows nothing the code refers to.
var baseLocals = []string{
	"ctx", "args", "err", "result", "impl", "opts", "srv", "conn", "h", "prev",
	"remove", "removes", "r", "n", "t", "c", "id", "ids", "name", "names", "group", "ok",
}

// emitter renders one file.
type emitter struct {
	spec    *model.Spec
	f       *jen.File
	imports map[string]string // import path → name in the file
	local   map[string]string // base local name → name in the file
	taken   map[string]bool   // names generated code must not declare as locals
}

func newEmitter(spec *model.Spec) *emitter {
	e := &emitter{
		spec:    spec,
		f:       jen.NewFilePathName(spec.Package.Path, spec.Package.Name),
		imports: make(map[string]string),
		local:   make(map[string]string),
		taken:   make(map[string]bool),
	}
	for _, n := range types.Universe.Names() {
		e.taken[n] = true
	}
	for _, n := range spec.Package.Declared {
		e.taken[n] = true
	}
	e.nameImports()
	for _, n := range baseLocals {
		e.local[n] = e.fresh(n, e.taken)
	}
	return e
}

// nameImports picks the name of every package the file imports, so that they
// are known before any code is built: the package's own name unless that is
// taken (by another import, a package-level declaration, a predeclared name
// or a generated local), else the name lengthened with elements of its path,
// as moq does, else numbered.
func (e *emitter) nameImports() {
	fixed := [][2]string{{"context", "context"}, {"fmt", "fmt"}, {HubPath, "hub"}, {ClientPath, "client"}}
	if e.streams() {
		fixed = append(fixed, [2]string{"iter", "iter"})
	}
	var others [][2]string
	e.eachType(func(t *model.Type) {
		if t.Kind == model.Named && t.Path != "" && t.Path != e.spec.Package.Path {
			p := [2]string{t.Path, t.Pkg}
			if !slices.Contains(others, p) && !slices.ContainsFunc(fixed, func(f [2]string) bool { return f[0] == t.Path }) {
				others = append(others, p)
			}
		}
	})
	slices.SortFunc(others, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	avoid := make(map[string]bool)
	for n := range e.taken {
		avoid[n] = true
	}
	for _, n := range baseLocals {
		avoid[n] = true
	}
	for _, p := range append(fixed, others...) {
		path, name := p[0], p[1]
		chosen := name
		if avoid[chosen] || token.IsKeyword(chosen) {
			chosen = ""
			elems := strings.Split(path, "/")
			cand := sanitize(name)
			for i := len(elems) - 2; i >= 0 && chosen == ""; i-- {
				cand = sanitize(elems[i]) + cand
				if !avoid[cand] && !token.IsKeyword(cand) && token.IsIdentifier(cand) {
					chosen = cand
				}
			}
			if chosen == "" {
				chosen = e.fresh(name, avoid)
			}
		}
		avoid[chosen] = true
		e.imports[path] = chosen
		if chosen == name {
			e.f.ImportName(path, name)
		} else {
			e.f.ImportAlias(path, chosen)
		}
	}
	for _, name := range e.imports {
		e.taken[name] = true
	}
}

var nonAlnum = regexp.MustCompile(`[^A-Za-z0-9]`)

// sanitize turns a path element into a part of a package name: lower-case
// letters and digits.
func sanitize(s string) string {
	return strings.ToLower(nonAlnum.ReplaceAllString(s, ""))
}

// fresh returns name, or name with a number added, whichever is not in
// taken, as google/wire's disambiguate does.
func (e *emitter) fresh(name string, taken map[string]bool) string {
	if !taken[name] && !token.IsKeyword(name) {
		return name
	}
	sep := ""
	if last := name[len(name)-1]; last >= '0' && last <= '9' {
		sep = "_"
	}
	for i := 2; ; i++ {
		cand := name + sep + strconv.Itoa(i)
		if !taken[cand] {
			return cand
		}
	}
}

// id returns the file's name for a generated local.
func (e *emitter) id(base string) *jen.Statement {
	n, ok := e.local[base]
	if !ok {
		panic("hubgen: unknown local " + base)
	}
	return jen.Id(n)
}

// arg returns the name of the local that holds decoded argument i.
func (e *emitter) arg(i int) string {
	return e.fresh("a"+strconv.Itoa(i), e.taken)
}

// paramNames returns the names of m's parameters in a generated signature:
// the declared names where they shadow nothing the body uses, others made
// unique; "argN" for parameters declared without a name.
func (e *emitter) paramNames(m *model.Method, locals ...string) []string {
	taken := map[string]bool{"nil": true}
	for _, l := range locals {
		taken[e.local[l]] = true
	}
	// The body refers to the types of the result or the stream, and a
	// streaming stub to the client package.
	if m.Stream != nil || uploads(m) > 0 {
		taken[e.imports[ClientPath]] = true
	}
	for _, r := range []*model.Type{m.Result, m.Stream} {
		r.Walk(func(t *model.Type) {
			switch t.Kind {
			case model.Basic:
				taken[t.Name] = true
			case model.Any:
				taken["any"] = true
			case model.Named:
				if t.Path == "" || t.Path == e.spec.Package.Path {
					taken[t.Name] = true
				} else {
					taken[e.imports[t.Path]] = true
				}
			}
		})
	}
	// Declared names first, so that a generated "argN" never displaces one.
	out := make([]string, len(m.Params))
	for _, named := range []bool{true, false} {
		for i, p := range m.Params {
			if (p.Name != "" && p.Name != "_") != named {
				continue
			}
			name := p.Name
			if !named {
				name = "arg" + strconv.Itoa(i+1)
			}
			out[i] = e.fresh(name, taken)
			taken[out[i]] = true
		}
	}
	return out
}

// streams reports whether the server interface has a stream, which the
// file writes as an iter.Seq2.
func (e *emitter) streams() bool {
	if e.spec.Server == nil {
		return false
	}
	for i := range e.spec.Server.Methods {
		if m := &e.spec.Server.Methods[i]; m.Stream != nil || uploads(m) > 0 {
			return true
		}
	}
	return false
}

// eachType calls f for every type in the spec's signatures.
func (e *emitter) eachType(f func(*model.Type)) {
	for _, it := range []*model.Interface{e.spec.Server, e.spec.Client} {
		if it == nil {
			continue
		}
		for _, m := range it.Methods {
			for _, p := range m.Params {
				p.Type.Walk(f)
			}
			m.Result.Walk(f)
			m.Stream.Walk(f)
		}
	}
}
