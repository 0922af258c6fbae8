package analyze

import (
	"go/ast"
	"go/token"
	"strings"

	"github.com/hubgen/hubgen/internal/diag"
)

// directivePrefix starts every hubgen directive in a method's doc comment.
const directivePrefix = "//hubgen:"

// directives reads the //hubgen: lines of a method's doc comment and returns
// the wire name one of them sets. Problems are reported at the line when the
// method is declared in the package (local), else at site.
func (a *analyzer) directives(doc *ast.CommentGroup, method string, local bool, site token.Pos) (wire string, ok bool) {
	if doc == nil {
		return "", false
	}
	for _, c := range doc.List {
		if !strings.HasPrefix(c.Text, directivePrefix) {
			continue
		}
		pos := site
		if local {
			pos = c.Pos()
		}
		verb, arg, _ := strings.Cut(c.Text[len(directivePrefix):], " ")
		if verb != "name" {
			a.errorf(pos, diag.UnknownDirective, "%s: unknown directive %s%s; the one hubgen knows is //hubgen:name wireName", method, directivePrefix, verb)
			continue
		}
		fields := strings.Fields(arg)
		switch {
		case len(fields) != 1:
			a.errorf(pos, diag.BadDirective, "%s: //hubgen:name takes one wire name, as in //hubgen:name showTime", method)
		case !validWire(fields[0]):
			a.errorf(pos, diag.BadDirective, "%s: wire name %q must start with a letter or _ and hold only letters, digits, _, . and -", method, fields[0])
		case ok:
			a.errorf(pos, diag.BadDirective, "%s: more than one //hubgen:name; keep one", method)
		default:
			wire, ok = fields[0], true
		}
	}
	return wire, ok
}

// validWire reports whether s is a wire name hubgen accepts: an identifier in
// the broad sense, which every SignalR client can spell.
func validWire(s string) bool {
	for i, r := range s {
		switch {
		case r == '_', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case i > 0 && (r >= '0' && r <= '9' || r == '.' || r == '-'):
		default:
			return false
		}
	}
	return s != ""
}
