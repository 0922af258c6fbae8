package analyze

import (
	"fmt"
	"go/token"
	"go/types"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hubgen/hubgen/internal/diag"
	"github.com/hubgen/hubgen/internal/load"
	"github.com/hubgen/hubgen/internal/model"
)

// Config names the interfaces to analyze.
type Config struct {
	// Server and Client name interfaces of the package; either may be empty.
	Server string
	Client string
	// Output is the file the generated code will replace, if any: names
	// declared in it do not count as taken.
	Output string
}

// side is which interface a method belongs to.
type side int

const (
	serverSide side = iota
	clientSide
)

func (s side) flag() string {
	if s == clientSide {
		return "-client"
	}
	return "-server"
}

type analyzer struct {
	p  *load.Package
	ds diag.List
}

// Analyze checks the interfaces cfg names and builds the spec to generate
// from. The spec is complete only when there are no diagnostics.
func Analyze(p *load.Package, cfg Config) (*model.Spec, diag.List) {
	a := &analyzer{p: p}
	spec := &model.Spec{Package: model.Package{Path: p.Path, Name: p.Name}}
	var serverPos, clientPos token.Pos
	if cfg.Server != "" {
		spec.Server, serverPos = a.iface(cfg.Server, serverSide)
	}
	if cfg.Client != "" {
		spec.Client, clientPos = a.iface(cfg.Client, clientSide)
	}
	if spec.Server != nil && spec.Client != nil && hubLike(cfg.Client) && !hubLike(cfg.Server) {
		a.errorf(clientPos, diag.Swapped, "-client %s: %s is named like a hub, and -server %s is not: are -server and -client swapped? -server names what clients call on the hub, -client what the hub calls on clients", cfg.Client, cfg.Client, cfg.Server)
	}
	spec.Names = model.NamesFor(cfg.Server, cfg.Client)
	a.names(spec.Names, cfg, serverPos, clientPos)
	scope := p.Types.Scope()
	for _, n := range scope.Names() { // sorted
		if !a.replaced(scope.Lookup(n), cfg) {
			spec.Package.Declared = append(spec.Package.Declared, n)
		}
	}
	if len(a.ds) == 0 {
		spec.Types = a.decls(spec)
	}
	return spec, a.ds.Sorted()
}

// replaced reports whether obj is declared in the file being generated.
func (a *analyzer) replaced(obj types.Object, cfg Config) bool {
	return cfg.Output != "" && a.position(obj.Pos()).Filename == cfg.Output
}

func (a *analyzer) position(pos token.Pos) token.Position { return a.p.Fset.Position(pos) }

func (a *analyzer) errorf(pos token.Pos, code diag.Code, format string, args ...any) {
	a.ds.Add(a.position(pos), code, format, args...)
}

// qualifier writes types of the contract package unqualified.
func (a *analyzer) qualifier(p *types.Package) string {
	if p == a.p.Types {
		return ""
	}
	return p.Name()
}

func (a *analyzer) typeString(t types.Type) string { return types.TypeString(t, a.qualifier) }

// iface finds the interface name and analyzes its methods.
func (a *analyzer) iface(name string, s side) (*model.Interface, token.Pos) {
	obj := a.p.Types.Scope().Lookup(name)
	if obj == nil {
		a.ds.Add(token.Position{}, diag.NotFound, "%s %s: %s declares no %s%s",
			s.flag(), name, a.p, name, a.suggest(name))
		return nil, token.NoPos
	}
	pos := obj.Pos()
	tn, ok := obj.(*types.TypeName)
	if !ok {
		a.errorf(pos, diag.NotInterface, "%s %s: %s is a %s, not an interface type", s.flag(), name, name, objectKind(obj))
		return nil, pos
	}
	it, ok := tn.Type().Underlying().(*types.Interface)
	if !ok {
		a.errorf(pos, diag.NotInterface, "%s %s: %s is a %s type, not an interface", s.flag(), name, name, typeKind(tn.Type().Underlying()))
		return nil, pos
	}
	if !it.IsMethodSet() {
		a.errorf(pos, diag.NotInterface, "%s %s: %s is a constraint interface (it lists types); hub interfaces list only methods", s.flag(), name, name)
		return nil, pos
	}
	if hasTypeParams(tn.Type()) {
		a.errorf(pos, diag.Generic, "%s %s: %s has type parameters; hub interfaces cannot be generic", s.flag(), name, name)
		return nil, pos
	}
	if !tn.Exported() {
		a.errorf(pos, diag.UnexportedIface, "%s %s: %s is not exported; the generated New%sServer and the other names would be exported and expose it: export it (%s)", s.flag(), name, name, name, exported(name))
		return nil, pos
	}
	if it.NumMethods() == 0 {
		a.errorf(pos, diag.NoMethods, "%s %s: %s has no methods; add some, or leave out %s", s.flag(), name, name, s.flag())
		return nil, pos
	}
	out := &model.Interface{Name: name}
	if ts := a.p.TypeSpec(name); ts != nil && ts.Doc != nil {
		out.Doc = ts.Doc.Text()
	}
	ms := a.declOrder(tn.Type())
	wires := make(map[string]string) // lower-case wire name → Go name
	for _, m := range ms {
		meth, site, ok := a.method(name, m, s)
		key := strings.ToLower(meth.Wire)
		if other, dup := wires[key]; dup {
			a.errorf(site, diag.DuplicateWire, "method %s: wire name %q is also method %s's, ignoring case (servers and JavaScript clients match names ignoring case); give one a different //hubgen:name", m.Name(), meth.Wire, other)
			continue
		}
		wires[key] = m.Name()
		if ok {
			out.Methods = append(out.Methods, meth)
		}
	}
	return out, pos
}

// suggest lists the interfaces of the package, to help with a misspelt name.
func (a *analyzer) suggest(name string) string {
	var ifaces []string
	scope := a.p.Types.Scope()
	for _, n := range scope.Names() {
		if tn, ok := scope.Lookup(n).(*types.TypeName); ok && types.IsInterface(tn.Type()) {
			if strings.EqualFold(n, name) {
				return fmt.Sprintf("; did you mean %s?", n)
			}
			ifaces = append(ifaces, n)
		}
	}
	if len(ifaces) == 0 {
		return "; it declares no interfaces"
	}
	return "; its interfaces are " + strings.Join(ifaces, ", ")
}

func hasTypeParams(t types.Type) bool {
	switch t := t.(type) {
	case *types.Named:
		return t.TypeParams().Len() > 0
	case *types.Alias:
		return t.TypeParams().Len() > 0
	}
	return false
}

func objectKind(obj types.Object) string {
	switch obj.(type) {
	case *types.Func:
		return "function"
	case *types.Var:
		return "variable"
	case *types.Const:
		return "constant"
	}
	return "name"
}

func typeKind(t types.Type) string {
	switch t := t.(type) {
	case *types.Struct:
		return "struct"
	case *types.Signature:
		return "func"
	case *types.Map:
		return "map"
	case *types.Slice:
		return "slice"
	case *types.Array:
		return "array"
	case *types.Chan:
		return "channel"
	case *types.Pointer:
		return "pointer"
	case *types.Basic:
		return t.Name()
	}
	return "non-interface"
}

// hubLike reports whether an interface's name says it is a hub's, as
// ClockHub and IChatHub do.
func hubLike(name string) bool { return strings.HasSuffix(name, "Hub") }

// exported returns name with its first letter in upper case.
func exported(name string) string {
	r, size := utf8.DecodeRuneInString(name)
	return string(unicode.ToUpper(r)) + name[size:]
}
