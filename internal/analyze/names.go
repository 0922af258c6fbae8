package analyze

import (
	"go/token"
	"go/types"

	"github.com/hubgen/hubgen/internal/diag"
	"github.com/hubgen/hubgen/internal/model"
)

// Predeclared lists the predeclared identifiers that generated code uses
// without qualification; the package must not redeclare them.
var Predeclared = []string{"any", "error", "nil", "string"}

// names checks the names the generated file declares against each other and
// against the package's own declarations (except those in cfg.Output, which
// the generated file replaces).
func (a *analyzer) names(n model.Names, cfg Config, serverPos, clientPos token.Pos) {
	replaced := func(obj types.Object) bool { return a.replaced(obj, cfg) }
	scope := a.p.Types.Scope()
	seen := make(map[string]model.NamedThing)
	for _, t := range n.List() {
		if prev, dup := seen[t.Name]; dup {
			pos := clientPos
			if !pos.IsValid() {
				pos = serverPos
			}
			a.errorf(pos, diag.NameClash, "hubgen would name both %s and %s %s; rename one of the interfaces", prev.What, t.What, t.Name)
			continue
		}
		seen[t.Name] = t
		if obj := scope.Lookup(t.Name); obj != nil && !replaced(obj) {
			if a.p.Generated(a.position(obj.Pos()).Filename) {
				a.errorf(obj.Pos(), diag.NameTaken, "%s is declared here, in another file hubgen generated, and hubgen generates %s with that name; regenerate this file with -o, or delete it", t.Name, t.What)
				continue
			}
			a.errorf(obj.Pos(), diag.NameTaken, "%s is declared here, but hubgen generates %s with that name; rename this declaration or the interface", t.Name, t.What)
		}
	}
	for _, name := range Predeclared {
		if obj := scope.Lookup(name); obj != nil && !replaced(obj) {
			a.errorf(obj.Pos(), diag.Shadowed, "%s redeclares the predeclared %s, which generated code uses; rename it", name, name)
		}
	}
}
