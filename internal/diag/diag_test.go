package diag

import (
	"go/token"
	"testing"
)

func TestList(t *testing.T) {
	var l List
	l.Add(token.Position{Filename: "/m/b.go", Line: 2, Column: 1}, NoError, "second")
	l.Add(token.Position{Filename: "/m/a.go", Line: 9, Column: 3}, NoContext, "first %s", "file")
	l.Add(token.Position{Filename: "/m/b.go", Line: 2, Column: 1}, NoError, "second")
	l.Add(token.Position{}, NotFound, "-server X: no X")
	l.Add(token.Position{Filename: "/elsewhere/c.go", Line: 1, Column: 1}, Load, "outside")
	got := l.Sorted().Relative("/m").String()
	want := "-server X: no X (HG002)\n" +
		"/elsewhere/c.go:1:1: outside (HG001)\n" +
		"a.go:9:3: first file (HG011)\n" +
		"b.go:2:1: second (HG012)\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if l.Error() == "" {
		t.Error("empty Error")
	}
}

// TestCodes checks that the codes are distinct and in order, and that no code
// is reused: HG030 is retired.
func TestCodes(t *testing.T) {
	for i, c := range Codes {
		if len(c) != 5 || c[:2] != "HG" {
			t.Errorf("malformed code %q", c)
		}
		if i > 0 && Codes[i-1] >= c {
			t.Errorf("%s after %s", c, Codes[i-1])
		}
		if c == "HG030" {
			t.Errorf("HG030 is retired; use a new code")
		}
	}
}
