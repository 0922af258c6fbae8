// Package diag holds hubgen's diagnostics: problems found in the user's
// package, each at a source position and with a stable code. The codes and
// what to do about each are listed in the analyze package's documentation.
package diag

import (
	"cmp"
	"fmt"
	"go/token"
	"path/filepath"
	"slices"
	"strings"
)

// Code identifies a kind of problem, as "HG011".
type Code string

// The codes. internal/analyze's package documentation explains each. A code
// is never reused for another problem: HG030 (streams on the server
// interface, before hubgen supported them) is retired.
const (
	Load             Code = "HG001" // the package could not be loaded
	NotFound         Code = "HG002" // no type with the given name
	NotInterface     Code = "HG003" // the type is not a method-set interface
	Generic          Code = "HG004" // the interface has type parameters
	NoMethods        Code = "HG005" // the interface has no methods
	UnexportedIface  Code = "HG006" // the interface is not exported
	Swapped          Code = "HG007" // -server and -client look swapped
	Unexported       Code = "HG010" // a method is not exported
	NoContext        Code = "HG011" // the first parameter is not context.Context
	NoError          Code = "HG012" // the last result is not error
	TooManyResults   Code = "HG013" // more than one value besides error
	Variadic         Code = "HG014" // a variadic parameter
	LateContext      Code = "HG015" // context.Context after the first parameter
	NotWire          Code = "HG020" // a type that cannot cross the wire
	ClientStream     Code = "HG031" // a stream on the client interface
	BadStream        Code = "HG032" // a malformed stream type
	BadDirective     Code = "HG040" // a malformed //hubgen:name
	UnknownDirective Code = "HG041" // a //hubgen: directive hubgen does not know
	DuplicateWire    Code = "HG042" // two wire names equal ignoring case
	NameTaken        Code = "HG050" // a generated name is declared in the package
	NameClash        Code = "HG051" // two generated names are the same
	Shadowed         Code = "HG052" // the package redeclares a predeclared name
)

// Codes lists every code, in order.
var Codes = []Code{
	Load, NotFound, NotInterface, Generic, NoMethods,
	Unexported, NoContext, NoError, TooManyResults, Variadic, LateContext,
	NotWire, ClientStream, BadStream,
	BadDirective, UnknownDirective, DuplicateWire,
	NameTaken, NameClash, Shadowed,
}

// Diagnostic is one problem, at a position in the user's source.
type Diagnostic struct {
	// Pos is where the problem is. A position without a line names only a file
	// or a package.
	Pos     token.Position
	Code    Code
	Message string
}

// String formats d as file:line:col: message (HGnnn).
func (d Diagnostic) String() string {
	switch {
	case d.Pos.IsValid():
		return fmt.Sprintf("%s: %s (%s)", d.Pos, d.Message, d.Code)
	case d.Pos.Filename != "":
		return fmt.Sprintf("%s: %s (%s)", d.Pos.Filename, d.Message, d.Code)
	}
	return fmt.Sprintf("%s (%s)", d.Message, d.Code)
}

// List is the diagnostics of one run.
type List []Diagnostic

// Add appends a diagnostic at pos.
func (l *List) Add(pos token.Position, code Code, format string, args ...any) {
	*l = append(*l, Diagnostic{Pos: pos, Code: code, Message: fmt.Sprintf(format, args...)})
}

// Sorted returns the diagnostics ordered by position, then code and message,
// without duplicates.
func (l List) Sorted() List {
	out := slices.Clone(l)
	slices.SortStableFunc(out, func(a, b Diagnostic) int {
		return cmp.Or(
			cmp.Compare(a.Pos.Filename, b.Pos.Filename),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Column, b.Pos.Column),
			cmp.Compare(a.Code, b.Code),
			cmp.Compare(a.Message, b.Message),
		)
	})
	return slices.Compact(out)
}

// Relative returns the diagnostics with file names made relative to dir where
// they lie under it, as the go command prints them.
func (l List) Relative(dir string) List {
	out := slices.Clone(l)
	for i := range out {
		f := out[i].Pos.Filename
		if !filepath.IsAbs(f) {
			continue
		}
		if rel, err := filepath.Rel(dir, f); err == nil && !strings.HasPrefix(rel, "..") {
			out[i].Pos.Filename = rel
		}
	}
	return out
}

// String formats the diagnostics one per line.
func (l List) String() string {
	var b strings.Builder
	for _, d := range l {
		b.WriteString(d.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// Error lets a List travel as an error.
func (l List) Error() string { return strings.TrimSuffix(l.String(), "\n") }
