package clock_test

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestREADMEQuotesNodeConsole: the README's TypeScript snippet of the Node
// console client is quoted from node/watch.ts, line by line and in order, so
// that what a reader copies is what TestNodeConsole compiles and runs.
func TestREADMEQuotesNodeConsole(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("node/watch.ts")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "`examples/clock/node/watch.ts`")
	if !ok {
		t.Fatal("the README does not mention examples/clock/node/watch.ts")
	}
	m := regexp.MustCompile("(?s)```ts\n(.*?)```").FindStringSubmatch(after)
	if m == nil {
		t.Fatal("no ts snippet follows the README's mention of node/watch.ts")
	}
	code := strings.Split(string(src), "\n")
	at := 0
	for line := range strings.Lines(m[1]) {
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			continue
		}
		i := slices.Index(code[at:], line)
		if i < 0 {
			t.Fatalf("the README's line %q is not in node/watch.ts (after line %d)", line, at)
		}
		at += i + 1
	}
}
