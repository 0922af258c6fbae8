package ts

import (
	"bytes"
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/template"

	"github.com/hubgen/hubgen/internal/model"
	"github.com/hubgen/hubgen/templates"
)

// Module is the npm package generated code imports.
const Module = "@microsoft/signalr"

// FileName returns the name of the TypeScript file for spec: the lower-cased
// server interface name (or, without one, the client's) followed by .ts.
func FileName(spec *model.Spec) string {
	name := ""
	switch {
	case spec.Server != nil:
		name = spec.Server.Name
	case spec.Client != nil:
		name = spec.Client.Name
	}
	return strings.ToLower(name) + ".ts"
}

// Generate returns the TypeScript file for spec, rendered from the templates
// in package templates.
func Generate(spec *model.Spec) ([]byte, error) {
	e, err := newEmitter(spec)
	if err != nil {
		return nil, err
	}
	tmpl, err := template.New("hub").Funcs(e.funcs()).ParseFS(templates.FS, "ts/*.tmpl")
	if err != nil {
		return nil, fmt.Errorf("hubgen: the TypeScript templates: %w", err)
	}
	var buf bytes.Buffer
	if err := tmpl.ExecuteTemplate(&buf, "hub.ts", spec); err != nil {
		return nil, fmt.Errorf("hubgen: rendering TypeScript for %s: %w", spec.Package.Path, err)
	}
	if e.missing != "" {
		return nil, fmt.Errorf("hubgen: rendering TypeScript for %s: type %s is used but not declared", spec.Package.Path, e.missing)
	}
	return tidy(buf.Bytes()), nil
}

// emitter holds what the templates' helpers need: the names of the
// declarations in use and of every method's members and parameters.
type emitter struct {
	spec    *model.Spec
	types   *types
	used    []string // keys of the declarations in use, sorted by TypeScript name
	missing string   // a declaration referred to but not in use (a bug)
}

// locals are the names generated functions declare around the parameters of
// the arrow functions they build, which parameters must not shadow.
var locals = map[string]bool{"connection": true, "receiver": true}

func newEmitter(spec *model.Spec) (*emitter, error) {
	e := &emitter{spec: spec, types: newTypes(spec.Types)}
	for _, it := range e.ifaces() {
		seen := make(map[string]string)
		for _, m := range it.Methods {
			member := Camel(m.Name)
			if other, dup := seen[member]; dup {
				return nil, fmt.Errorf("hubgen: %s: methods %s and %s are both %s in TypeScript; rename one", it.Name, other, m.Name, member)
			}
			seen[member] = m.Name
		}
	}
	e.findUsed()
	e.nameDecls()
	return e, nil
}

func (e *emitter) ifaces() []*model.Interface {
	var out []*model.Interface
	for _, it := range []*model.Interface{e.spec.Server, e.spec.Client} {
		if it != nil {
			out = append(out, it)
		}
	}
	return out
}

// findUsed renders every type once, recording the declarations that the
// output refers to, and the ones their declarations refer to in turn.
func (e *emitter) findUsed() {
	seen := make(map[string]bool)
	var queue []string
	e.types.used = func(k string) {
		if !seen[k] {
			seen[k] = true
			queue = append(queue, k)
		}
	}
	for _, it := range e.ifaces() {
		for _, m := range it.Methods {
			for _, p := range m.Params {
				e.types.Value(p.Type)
			}
			for _, t := range []*model.Type{m.Result, m.Stream} {
				if t != nil {
					e.types.Value(t)
				}
			}
		}
	}
	for len(queue) > 0 {
		k := queue[0]
		queue = queue[1:]
		if d := e.types.decls[k]; d != nil {
			e.decl(d)
		}
		e.used = append(e.used, k)
	}
	e.types.used = func(k string) {
		if !seen[k] && e.missing == "" {
			e.missing = k
		}
	}
}

// nameDecls gives every declaration in use its TypeScript name: its Go name,
// unless that is taken (by a generated name, a TypeScript type, or a type of
// the contract package or of a package earlier in path order), else the name
// prefixed by its package's name, else by more elements of its path, else
// numbered.
func (e *emitter) nameDecls() {
	taken := make(map[string]bool)
	for w := range typeWords {
		taken[w] = true
	}
	for w := range reservedWords {
		taken[w] = true
	}
	for _, it := range e.ifaces() {
		taken[it.Name] = true
		taken["create"+it.Name+"Proxy"] = true // enums' const objects are values
		taken["register"+it.Name] = true
	}
	slices.SortFunc(e.used, func(x, y string) int {
		dx, dy := e.types.decls[x], e.types.decls[y]
		if dx == nil || dy == nil {
			return cmp.Compare(x, y)
		}
		return cmp.Or(
			cmp.Compare(boolInt(dx.Path != e.spec.Package.Path), boolInt(dy.Path != e.spec.Package.Path)),
			cmp.Compare(dx.Path, dy.Path),
			cmp.Compare(dx.Name, dy.Name))
	})
	for _, k := range e.used {
		d := e.types.decls[k]
		if d == nil {
			continue
		}
		name := d.Name
		if taken[name] {
			name = ""
			elems := strings.Split(d.Path, "/")
			cand := d.Name
			for i := len(elems) - 1; i >= 0 && name == ""; i-- {
				prefix := upperFirst(elems[i])
				if prefix == "" || strings.HasPrefix(strings.ToLower(cand), strings.ToLower(prefix)) {
					continue // event.Event: Event says event already
				}
				cand = prefix + cand
				if !taken[cand] && identifier.MatchString(cand) {
					name = cand
				}
			}
			if name == "" {
				name = fresh(d.Name, taken)
			}
		}
		taken[name] = true
		e.types.names[k] = name
	}
	slices.SortFunc(e.used, func(x, y string) int { return cmp.Compare(e.types.names[x], e.types.names[y]) })
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Decl is a TypeScript declaration of a Go named type or alias: an
// interface with Fields, or a type alias of Type; for an enum, Type is the
// union of its values and Consts name them in a const object.
type Decl struct {
	Name      string // with its type parameters
	Doc       string
	Interface bool
	Fields    []Field
	Type      string
	Consts    []Const
}

// Const is a property of an enum's const object: a Go constant.
type Const struct {
	Name  string
	Value string // a JSON literal
	Doc   string
}

// decl renders the declaration of d.
func (e *emitter) decl(d *model.Decl) Decl {
	k := key(d.Path, d.Name)
	name := e.types.names[k]
	if name == "" {
		name = d.Name
	}
	out := Decl{Name: name, Doc: d.Doc}
	if len(d.Params) > 0 {
		out.Name += "<" + strings.Join(d.Params, ", ") + ">"
	}
	if out.Doc == "" && d.Path != e.spec.Package.Path {
		out.Doc = name + " is " + d.Path + "." + d.Name + "."
	}
	switch {
	case d.Marshal == model.MarshalText:
		out.Type = "string"
		out.Doc = strings.TrimSpace(out.Doc) + "\n\nIn Go, " + d.Name + " encodes itself as text (MarshalText): a JSON string."
	case d.Marshal == model.MarshalJSON || d.Type == nil:
		out.Type = "unknown"
		out.Doc = strings.TrimSpace(out.Doc) + "\n\nIn Go, " + d.Name + " encodes itself (MarshalJSON): its JSON form is up to its methods."
	case len(d.Consts) > 0:
		out.Type, out.Consts = enum(d)
	case d.Type.Kind == model.Struct:
		out.Fields = e.types.Fields(d.Type)
		out.Interface = !d.Alias && len(out.Fields) > 0
		if !out.Interface {
			out.Type = e.types.object(d.Type, 1)
		}
	default:
		out.Type = e.types.NonNull(d.Type)
	}
	return out
}

// enum returns the union of an enum's values, with its zero value when no
// constant has it (a Go value may be zero), and its constants, named by
// their Go names less the type's name when all of them start with it
// (StatusDone is Status.Done).
func enum(d *model.Decl) (string, []Const) {
	zero := "0"
	if d.Type.Kind == model.Basic && d.Type.Name == "string" {
		zero = `""`
	}
	var values []string
	trim := true
	for _, c := range d.Consts {
		if !slices.Contains(values, c.Value) {
			values = append(values, c.Value)
		}
		rest, ok := strings.CutPrefix(c.Name, d.Name)
		trim = trim && ok && identifier.MatchString(rest) && !strings.HasPrefix(rest, "_")
	}
	if !slices.Contains(values, zero) {
		values = append(values, zero)
	}
	consts := make([]Const, len(d.Consts))
	for i, c := range d.Consts {
		consts[i] = Const{Name: c.Name, Value: c.Value, Doc: c.Doc}
		if trim {
			consts[i].Name = strings.TrimPrefix(c.Name, d.Name)
		}
	}
	return strings.Join(values, " | "), consts
}

// decls renders the declarations in use, sorted by name.
func (e *emitter) decls() []Decl {
	var out []Decl
	for _, k := range e.used {
		if d := e.types.decls[k]; d != nil {
			out = append(out, e.decl(d))
		}
	}
	return out
}

// imports lists what the file imports from Module, as types.
func (e *emitter) imports() []string {
	out := []string{"HubConnection"}
	if e.spec.Server != nil {
		for _, m := range e.spec.Server.Methods {
			if m.Stream != nil && !slices.Contains(out, "IStreamResult") {
				out = append(out, "IStreamResult")
			}
		}
		for _, m := range e.spec.Server.Methods {
			if uploads(m) && !slices.Contains(out, "Subject") {
				out = append(out, "Subject")
			}
		}
	}
	return out
}

func uploads(m model.Method) bool {
	return slices.ContainsFunc(m.Params, func(p model.Param) bool { return p.Stream })
}

// params names m's parameters: as declared, unless that is a reserved word,
// a local of the generated functions or another parameter's name; "argN"
// for a parameter without a name.
func (e *emitter) params(m model.Method) []string {
	taken := make(map[string]bool)
	for l := range locals {
		taken[l] = true
	}
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
			out[i] = fresh(name, taken)
			taken[out[i]] = true
		}
	}
	return out
}

// paramList writes m's parameters with their types.
func (e *emitter) paramList(m model.Method) string {
	names := e.params(m)
	parts := make([]string, len(names))
	for i, p := range m.Params {
		t := e.types.Value(p.Type)
		if p.Stream {
			t = "Subject<" + t + ">"
		}
		parts[i] = names[i] + ": " + t
	}
	return strings.Join(parts, ", ")
}

// result is the TypeScript type of m's result, or "void".
func (e *emitter) result(m model.Method) string {
	if m.Result == nil {
		return "void"
	}
	return e.types.Value(m.Result)
}

// returns writes what a member returns: for the server interface, a
// promise of the hub's completion or a stream; for the client interface,
// what the receiver returns (its result, or a promise of it).
func (e *emitter) returns(m model.Method) string {
	switch m.Kind {
	case model.ServerStream:
		return "IStreamResult<" + e.types.Value(m.Stream) + ">"
	case model.Send, model.ClientResult:
		r := e.result(m)
		return r + " | Promise<" + r + ">"
	}
	return "Promise<" + e.result(m) + ">"
}

// call writes the proxy's call of m over connection: stream for a server
// stream, invoke for everything else, so that the hub's errors reject the
// promise.
func (e *emitter) call(m model.Method) string {
	args := append([]string{strconv.Quote(m.Wire)}, e.params(m)...)
	if m.Kind == model.ServerStream {
		return "connection.stream<" + e.types.Value(m.Stream) + ">(" + strings.Join(args, ", ") + ")"
	}
	return "connection.invoke<" + e.result(m) + ">(" + strings.Join(args, ", ") + ")"
}

// funcs are the helpers the templates call.
func (e *emitter) funcs() template.FuncMap {
	return template.FuncMap{
		"header":   func() string { return model.Header },
		"source":   func() string { return e.spec.Source() },
		"module":   func() string { return strconv.Quote(Module) },
		"imports":  func() string { return strings.Join(e.imports(), ", ") },
		"decls":    e.decls,
		"doc":      Doc,
		"member":   func(m model.Method) string { return Camel(m.Name) },
		"wire":     func(m model.Method) string { return strconv.Quote(m.Wire) },
		"params":   e.paramList,
		"args":     func(m model.Method) string { return strings.Join(e.params(m), ", ") },
		"returns":  e.returns,
		"call":     e.call,
		"proxy":    func(name string) string { return "create" + name + "Proxy" },
		"register": func(name string) string { return "register" + name },
		"prop":     func(f Field) string { return f.property() },
		"key":      Prop,
	}
}

var (
	trailingSpace = regexp.MustCompile(`(?m)[ \t]+$`)
	blankLines    = regexp.MustCompile(`\n{3,}`)
)

// tidy removes trailing spaces and repeated blank lines, and ends the file
// with one line break.
func tidy(b []byte) []byte {
	b = trailingSpace.ReplaceAll(b, nil)
	b = blankLines.ReplaceAll(b, []byte("\n\n"))
	return append(bytes.TrimSpace(b), '\n')
}
