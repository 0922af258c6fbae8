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
	"github.com/hubgen/hubgen/internal/wire"
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

// TypesFileName returns the name of the file that holds the types of the
// hubs of spec's package that share a folder: the package's name followed by
// .types.ts.
func TypesFileName(spec *model.Spec) string {
	return spec.Package.Name + ".types.ts"
}

// Protocol is the hub protocol the types describe.
type Protocol string

// The hub protocols.
const (
	// JSON, the official client's default: what encoding/json writes.
	JSON Protocol = "json"
	// MessagePack, with @microsoft/signalr-protocol-msgpack: what the
	// runtime's MessagePack codec writes (Go or msgpack-tag names, Date,
	// Uint8Array).
	MessagePack Protocol = "messagepack"
)

// ParseProtocol returns the protocol a -ts-protocol flag names: json (or
// empty) or messagepack.
func ParseProtocol(s string) (Protocol, error) {
	switch Protocol(s) {
	case "", JSON:
		return JSON, nil
	case MessagePack:
		return MessagePack, nil
	}
	return "", fmt.Errorf("hubgen: -ts-protocol %q: the protocols are json and messagepack", s)
}

// File is a TypeScript file to write: its name in the -ts folder, and its
// content.
type File struct {
	Name string
	Code []byte
}

// Generate returns the TypeScript file for spec alone, with its types,
// rendered from the templates in package templates.
func Generate(spec *model.Spec) ([]byte, error) {
	files, err := GenerateShared(spec, nil, JSON)
	if err != nil {
		return nil, err
	}
	return files[0].Code, nil
}

// GenerateShared returns the files of spec's hub, with types that describe
// protocol, when hubs, which include spec, share its folder. With one hub (or none given), it is one file
// with the types, as Generate writes it. With more, it is the hub's file,
// which imports its types, and the types file (TypesFileName) of every
// hub's types, which each of them writes alike.
func GenerateShared(spec *model.Spec, hubs []*model.Spec, protocol Protocol) ([]File, error) {
	if len(hubs) == 0 {
		hubs = []*model.Spec{spec}
	}
	e, err := newEmitter(spec, hubs, protocol)
	if err != nil {
		return nil, err
	}
	tmpl, err := template.New("hub").Funcs(e.funcs()).ParseFS(templates.FS, "ts/*.tmpl")
	if err != nil {
		return nil, fmt.Errorf("hubgen: the TypeScript templates: %w", err)
	}
	render := func(name string, data any) ([]byte, error) {
		var buf bytes.Buffer
		if err := tmpl.ExecuteTemplate(&buf, name, data); err != nil {
			return nil, fmt.Errorf("hubgen: rendering TypeScript for %s: %w", spec.Package.Path, err)
		}
		if e.missing != "" {
			return nil, fmt.Errorf("hubgen: rendering TypeScript for %s: type %s is used but not declared", spec.Package.Path, e.missing)
		}
		return tidy(buf.Bytes()), nil
	}
	code, err := render("hub.ts", spec)
	if err != nil {
		return nil, err
	}
	files := []File{{Name: FileName(spec), Code: code}}
	if e.shared() {
		code, err := render("types.ts", spec)
		if err != nil {
			return nil, err
		}
		files = append(files, File{Name: TypesFileName(spec), Code: code})
	}
	return files, nil
}

// emitter holds what the templates' helpers need: the names of the
// declarations in use and of every method's members and parameters.
type emitter struct {
	spec    *model.Spec
	hubs    []*model.Spec // the hubs sharing spec's folder, spec included
	types   *types
	used    []string // form keys of the declarations in use, sorted by TypeScript name
	own     []string // with shared types, the TypeScript names spec's interfaces refer to, sorted
	missing string   // a declaration referred to but not in use (a bug)
}

// locals are the names generated functions declare around the parameters of
// the arrow functions they build, and the helpers they call, which
// parameters must not shadow.
var locals = map[string]bool{
	"connection": true, "receiver": true,
	"signal": true, "stream": true, "upload": true, "uploading": true, "streamUploading": true, "send": true,
}

func newEmitter(spec *model.Spec, hubs []*model.Spec, protocol Protocol) (*emitter, error) {
	var decls []model.Decl
	seen := make(map[string]bool)
	for _, h := range hubs {
		for _, d := range h.Types {
			if k := wire.Key(d.Path, d.Name); !seen[k] {
				seen[k] = true
				decls = append(decls, d)
			}
		}
	}
	e := &emitter{spec: spec, hubs: hubs, types: newTypes(decls)}
	e.types.msgpack = protocol == MessagePack
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
	if e.shared() {
		e.findOwn()
	}
	return e, nil
}

// shared reports whether the types go to a file of their own.
func (e *emitter) shared() bool { return len(e.hubs) > 1 }

// ifaces returns spec's interfaces.
func (e *emitter) ifaces() []*model.Interface { return interfaces(e.spec) }

// allIfaces returns the interfaces of every hub sharing the folder.
func (e *emitter) allIfaces() []*model.Interface {
	var out []*model.Interface
	for _, h := range e.hubs {
		out = append(out, interfaces(h)...)
	}
	return out
}

func interfaces(spec *model.Spec) []*model.Interface {
	var out []*model.Interface
	for _, it := range []*model.Interface{spec.Server, spec.Client} {
		if it != nil {
			out = append(out, it)
		}
	}
	return out
}

// findOwn records the declarations that spec's interfaces refer to, which
// its file imports from the types file.
func (e *emitter) findOwn() {
	check := e.types.used
	names := make(map[string]bool)
	e.types.used = func(k string) {
		check(k)
		names[e.types.names[k]] = true
	}
	for _, it := range e.ifaces() {
		for _, m := range it.Methods {
			e.paramList(m)
			e.returns(m)
			e.call(m)
		}
	}
	e.types.used = check
	for n := range names {
		e.own = append(e.own, n)
	}
	slices.Sort(e.own)
}

// findUsed renders every type once, recording the declarations that the
// output refers to, and the ones their declarations refer to in turn, in
// the form (sent or received) each is used in.
func (e *emitter) findUsed() {
	seen := make(map[string]bool)
	var queue []string
	e.types.used = func(k string) {
		if !seen[k] {
			seen[k] = true
			queue = append(queue, k)
		}
	}
	for _, it := range e.allIfaces() {
		for _, m := range it.Methods {
			for _, p := range m.Params {
				e.types.as(m.Kind != model.Send && m.Kind != model.ClientResult).Value(p.Type)
			}
			if m.Result != nil {
				e.types.as(m.Kind == model.ClientResult).Value(m.Result)
			}
			if m.Stream != nil {
				e.types.Value(m.Stream)
			}
		}
	}
	for len(queue) > 0 {
		k := queue[0]
		queue = queue[1:]
		if d, _ := e.types.declForm(k); d != nil {
			e.decl(k)
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
	for _, it := range e.allIfaces() {
		taken[it.Name] = true
		taken["create"+it.Name+"Proxy"] = true // enums' const objects are values
		taken["register"+it.Name] = true
	}
	slices.SortFunc(e.used, func(x, y string) int {
		dx, sx := e.types.declForm(x)
		dy, sy := e.types.declForm(y)
		if dx == nil || dy == nil {
			return cmp.Compare(x, y)
		}
		return cmp.Or(
			cmp.Compare(boolInt(dx.Path != e.spec.Package.Path), boolInt(dy.Path != e.spec.Package.Path)),
			cmp.Compare(dx.Path, dy.Path),
			cmp.Compare(dx.Name, dy.Name),
			cmp.Compare(boolInt(sx), boolInt(sy)))
	})
	for _, k := range e.used {
		d, sent := e.types.declForm(k)
		if d == nil {
			continue
		}
		if received, ok := e.types.names[strings.TrimSuffix(k, inputSuffix)]; sent && ok {
			// Used both ways: the sent form is the received one's name
			// with Input.
			name := fresh(received+"Input", taken)
			taken[name] = true
			e.types.names[k] = name
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

// decl renders the declaration in use under form key k: a declaration's
// received form, or its sent form (see types.sent), which is the received
// one's name with Input when both are in use.
func (e *emitter) decl(k string) Decl {
	d, sent := e.types.declForm(k)
	ts := e.types.as(sent)
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
	if received, both := e.types.names[strings.TrimSuffix(k, inputSuffix)]; sent && both {
		out.Doc = name + " is " + received + " as the client sends it, where a time.Time may also be a Date.\n\n" + strings.TrimSpace(out.Doc)
	} else if sent {
		out.Doc = strings.TrimSpace(out.Doc) + "\n\nOnly the client sends it: a time.Time may also be a Date."
	}
	switch {
	case d.Marshal == model.MarshalText:
		out.Type = "string"
		out.Doc = strings.TrimSpace(out.Doc) + "\n\nIn Go, " + d.Name + " encodes itself as text (MarshalText): a JSON string."
	case (d.Marshal == model.MarshalJSON || d.Type == nil) && ts.msgpack:
		out.Type = "unknown"
		out.Doc = strings.TrimSpace(out.Doc) + "\n\nIn Go, " + d.Name + " encodes itself as JSON (MarshalJSON), which MessagePack does not use: its form is up to its Go type."
	case d.Marshal == model.MarshalJSON || d.Type == nil:
		out.Type = "unknown"
		out.Doc = strings.TrimSpace(out.Doc) + "\n\nIn Go, " + d.Name + " encodes itself (MarshalJSON): its JSON form is up to its methods."
	case len(d.Consts) > 0:
		out.Type, out.Consts = enum(d)
	case d.Type.Kind == model.Struct:
		out.Fields = ts.Fields(d.Type)
		out.Interface = !d.Alias && len(out.Fields) > 0
		if !out.Interface {
			out.Type = ts.object(d.Type, 1)
		}
	default:
		out.Type = ts.NonNull(d.Type)
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
		if d, _ := e.types.declForm(k); d != nil {
			out = append(out, e.decl(k))
		}
	}
	return out
}

// imports lists what the file imports from Module, as types.
func (e *emitter) imports() []string {
	out := []string{"HubConnection"}
	if e.streams() {
		out = append(out, "IStreamResult", "IStreamSubscriber", "ISubscription")
	}
	if e.uploads() {
		if !e.streams() {
			out = append(out, "IStreamSubscriber")
		}
		out = append(out, "Subject")
	}
	return out
}

// streams reports whether the server interface has a stream, for which the
// file declares the stream helper.
func (e *emitter) streams() bool {
	return e.spec.Server != nil && slices.ContainsFunc(e.spec.Server.Methods, func(m model.Method) bool { return m.Kind == model.ServerStream })
}

// uploads reports whether the server interface has an upload, for which the
// file declares the upload helpers.
func (e *emitter) uploads() bool {
	return e.spec.Server != nil && slices.ContainsFunc(e.spec.Server.Methods, uploads)
}

// invokeUploads reports whether a method of the server interface that is
// not a stream has an upload, for which the file declares uploading.
func (e *emitter) invokeUploads() bool {
	return e.spec.Server != nil && slices.ContainsFunc(e.spec.Server.Methods, func(m model.Method) bool {
		return m.Kind != model.ServerStream && uploads(m)
	})
}

// streamUploads reports whether a stream of the server interface has an
// upload, for which the file declares streamUploading.
func (e *emitter) streamUploads() bool {
	return e.spec.Server != nil && slices.ContainsFunc(e.spec.Server.Methods, func(m model.Method) bool {
		return m.Kind == model.ServerStream && uploads(m)
	})
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

// paramList writes m's parameters with their types: what the client sends
// for a server method, what it receives for a client one.
func (e *emitter) paramList(m model.Method) string {
	names := e.params(m)
	parts := make([]string, len(names))
	ts := e.types.as(m.Kind != model.Send && m.Kind != model.ClientResult)
	for i, p := range m.Params {
		t := ts.Value(p.Type)
		if p.Stream {
			t = uploadType(t)
		}
		parts[i] = names[i] + ": " + t
	}
	if m.Kind == model.ServerStream {
		parts = append(parts, "signal?: AbortSignal")
	}
	return strings.Join(parts, ", ")
}

// uploadType is the type of an upload of elem: a Subject the caller pushes
// to once the call has started, or the items, which the proxy sends.
func uploadType(elem string) string {
	return "Subject<" + elem + "> | AsyncIterable<" + elem + "> | Iterable<" + elem + ">"
}

// result is the TypeScript type of m's result, or "void": what the client
// sends for a client result, what it receives otherwise.
func (e *emitter) result(m model.Method) string {
	if m.Result == nil {
		return "void"
	}
	return e.types.as(m.Kind == model.ClientResult).Value(m.Result)
}

// returns writes what a member returns: for the server interface, a
// promise of the hub's completion or a stream; for the client interface,
// what the receiver returns (its result, or a promise of it).
func (e *emitter) returns(m model.Method) string {
	switch m.Kind {
	case model.ServerStream:
		t := e.types.Value(m.Stream)
		return "IStreamResult<" + t + "> & AsyncIterable<" + t + ">"
	case model.Send, model.ClientResult:
		r := e.result(m)
		return r + " | Promise<" + r + ">"
	}
	return "Promise<" + e.result(m) + ">"
}

// call writes the proxy's call of m over connection: stream for a server
// stream, invoke for everything else, so that the hub's errors reject the
// promise. Uploads go through the upload helpers, which start the call
// before they send the items, and a stream through the stream helper.
func (e *emitter) call(m model.Method) string {
	args := []string{strconv.Quote(m.Wire)}
	for i, name := range e.params(m) {
		switch {
		case !m.Params[i].Stream:
			args = append(args, name)
		default:
			args = append(args, "send("+name+")")
		}
	}
	if m.Kind == model.ServerStream {
		call := "connection.stream<" + e.types.Value(m.Stream) + ">(" + strings.Join(args, ", ") + ")"
		if uploads(m) {
			return "streamUploading((send) => " + call + ", signal)"
		}
		return "stream(" + call + ", signal)"
	}
	call := "connection.invoke<" + e.result(m) + ">(" + strings.Join(args, ", ") + ")"
	if uploads(m) {
		return "uploading((send) => " + call + ")"
	}
	return call
}

// typesSource is the Source line of the types file: the package and every
// hub's flags, and the release of hubgen as Spec.Source writes it.
func (e *emitter) typesSource() string {
	flags := make([]string, len(e.hubs))
	for i, h := range e.hubs {
		flags[i] = h.Flags()
	}
	src := e.spec.Package.Path + " (the types of " + strings.Join(flags, "; ") + ")"
	if e.spec.Generator != "" {
		src += ", hubgen " + e.spec.Generator
	}
	return src
}

// funcs are the helpers the templates call.
func (e *emitter) funcs() template.FuncMap {
	return template.FuncMap{
		"header":        func() string { return model.Header },
		"source":        func() string { return e.spec.Source() },
		"msgpack":       func() bool { return e.types.msgpack },
		"shared":        e.shared,
		"streams":       e.streams,
		"uploads":       e.uploads,
		"invokeUploads": e.invokeUploads,
		"streamUploads": e.streamUploads,
		"own":           func() string { return strings.Join(e.own, ", ") },
		"typesModule": func() string {
			return strconv.Quote("./" + strings.TrimSuffix(TypesFileName(e.spec), ".ts") + ".js")
		},
		"typesSource": e.typesSource,
		"module":      func() string { return strconv.Quote(Module) },
		"imports":     func() string { return strings.Join(e.imports(), ", ") },
		"decls":       e.decls,
		"doc":         Doc,
		"member":      func(m model.Method) string { return Camel(m.Name) },
		"wire":        func(m model.Method) string { return strconv.Quote(m.Wire) },
		"params":      e.paramList,
		"args":        func(m model.Method) string { return strings.Join(e.params(m), ", ") },
		"returns":     e.returns,
		"call":        e.call,
		"proxy":       func(name string) string { return "create" + name + "Proxy" },
		"register":    func(name string) string { return "register" + name },
		"prop":        func(f Field) string { return f.property() },
		"key":         Prop,
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
