package gen

import (
	"slices"
	"testing"
)

func TestSplitGenerate(t *testing.T) {
	for _, tt := range []struct {
		line string
		want []string
		ok   bool
	}{
		{"go tool hubgen -server A -ts web", []string{"go", "tool", "hubgen", "-server", "A", "-ts", "web"}, true},
		{"\tgo  run x/cmd/hubgen@v1 -ts \"my web\"", []string{"go", "run", "x/cmd/hubgen@v1", "-ts", "my web"}, true},
		{`hubgen -ts "a\"b"`, []string{"hubgen", "-ts", `a"b`}, true},
		{`hubgen -ts "open`, nil, false},
	} {
		got, ok := splitGenerate(tt.line)
		if ok != tt.ok || !slices.Equal(got, tt.want) {
			t.Errorf("splitGenerate(%q) = %q, %v; want %q, %v", tt.line, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseDirective(t *testing.T) {
	for _, tt := range []struct {
		words []string
		ok    bool
	}{
		{[]string{"-server", "A", "-ts", "web"}, true},
		{[]string{"-client", "C", "-json", "-ts", "web", "."}, true},
		{[]string{"-server", "A"}, false},                      // no -ts
		{[]string{"-ts", "web"}, false},                        // no interface
		{[]string{"-server", "A", "-ts", "web", "./x"}, false}, // another package
		{[]string{"-server", "A", "-nosuchflag", "-ts", "web"}, false},
		// Every flag of the command is one of these (both parse with Flags).
		{[]string{"-server", "A", "-client", "C", "-o", "x_hubgen.go", "-tags", "t", "-ts", "web", "-ts-protocol", "messagepack", "-check", "-json", "-version"}, true},
	} {
		if _, ok := parseDirective(tt.words); ok != tt.ok {
			t.Errorf("parseDirective(%q): %v, want %v", tt.words, ok, tt.ok)
		}
	}
	for _, w := range []string{"hubgen", "github.com/hubgen/hubgen/cmd/hubgen", "github.com/hubgen/hubgen/cmd/hubgen@v0.3.0", "./bin/hubgen"} {
		if !isHubgen(w) {
			t.Errorf("isHubgen(%q) is false", w)
		}
	}
	if isHubgen("stringer") {
		t.Error("isHubgen(stringer)")
	}
}
