package readme

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// snippet is a fenced block of README.md: its language, the line it starts
// on, and its lines with the block's own indent removed.
type snippet struct {
	lang  string
	line  int
	lines []string
}

// snippets returns the README's fenced blocks of the given languages.
func snippets(t *testing.T, readme string, langs ...string) []snippet {
	t.Helper()
	var out []snippet
	var cur *snippet
	indent := ""
	for i, line := range strings.Split(readme, "\n") {
		trimmed := strings.TrimLeft(line, " ")
		switch {
		case cur == nil && strings.HasPrefix(trimmed, "```") && trimmed != "```":
			if lang := strings.TrimPrefix(trimmed, "```"); slices.Contains(langs, lang) {
				cur = &snippet{lang: lang, line: i + 1}
			} else {
				cur = &snippet{line: i + 1} // another language: skipped
			}
			indent = line[:len(line)-len(trimmed)]
		case cur != nil && trimmed == "```":
			if cur.lang != "" {
				out = append(out, *cur)
			}
			cur = nil
		case cur != nil:
			cur.lines = append(cur.lines, strings.TrimPrefix(line, indent))
		}
	}
	if cur != nil {
		t.Fatalf("README.md: the block of line %d is not closed", cur.line)
	}
	return out
}

// quotes reports whether every non-blank line of s is a line of src, ignoring
// leading white space, in order.
func quotes(src []string, s snippet) bool {
	at := 0
	for _, line := range s.lines {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		i := slices.IndexFunc(src[at:], func(l string) bool { return strings.TrimSpace(l) == line })
		if i < 0 {
			return false
		}
		at += i + 1
	}
	return true
}

// TestSnippetsAreQuoted: every Go and TypeScript snippet of README.md is
// quoted, line by line and in order, from one file of its language in the
// repository outside node_modules: the examples, the generated code, the
// test cases in testdata (which the golden tests build), and the Example
// functions that hold the README's shortened forms
// (examples/clock/readme_example_test.go).
func TestSnippetsAreQuoted(t *testing.T) {
	root := filepath.Join("..", "..")
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][][]string{} // by language
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if !d.IsDir() && (strings.HasSuffix(path, ".go") || strings.HasSuffix(path, ".ts")) {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			lang := strings.TrimPrefix(filepath.Ext(path), ".")
			files[lang] = append(files[lang], strings.Split(string(b), "\n"))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	blocks := snippets(t, string(readme), "go", "ts")
	if len(blocks) < 10 {
		t.Fatalf("README.md has %d Go and TypeScript snippets; the test expects the README's many", len(blocks))
	}
	for _, s := range blocks {
		if !slices.ContainsFunc(files[s.lang], func(src []string) bool { return quotes(src, s) }) {
			t.Errorf("README.md:%d: this snippet is not quoted from any %s file; put it in an example or an Example function that compiles, and quote that:\n%s",
				s.line, s.lang, strings.Join(s.lines, "\n"))
		}
	}
}

// TestQuotes checks the rule on small cases.
func TestQuotes(t *testing.T) {
	src := strings.Split("func f() {\n\ta := 1\n\tb := 2\n\treturn\n}", "\n")
	for _, tt := range []struct {
		lines []string
		want  bool
	}{
		{[]string{"a := 1", "b := 2"}, true},
		{[]string{"a := 1", "", "return"}, true},            // lines left out between
		{[]string{"    b := 2"}, true},                      // another indent
		{[]string{"b := 2", "a := 1"}, false},               // out of order
		{[]string{"a := 1", "c := 3"}, false},               // not in the file
		{[]string{"a := 1 // a comment of its own"}, false}, // changed
	} {
		if got := quotes(src, snippet{lines: tt.lines}); got != tt.want {
			t.Errorf("quotes(%q) = %v, want %v", tt.lines, got, tt.want)
		}
	}
	readme := "x\n```go\nA\n```\n  ```go\n  \tB\n  ```\n```sh\nC\n```\n"
	got := snippets(t, readme, "go")
	if len(got) != 2 || got[0].lines[0] != "A" || got[1].lines[0] != "\tB" || got[1].line != 5 {
		t.Errorf("snippets = %+v", got)
	}
}
