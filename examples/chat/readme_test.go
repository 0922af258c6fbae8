package chat_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestREADMEQuotesTheServer: the Go snippets of the README's chat section
// are quoted from the server's and the console client's code as it is, so
// that they compile.
func TestREADMEQuotesTheServer(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## A second example: chat\n")
	if !ok {
		t.Fatal(`the README has no section "A second example: chat"`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var code strings.Builder
	for _, file := range []string{"server/hub.go", "server/auth.go", "server/main.go", "client/main.go"} {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		code.Write(src)
	}
	snippets := regexp.MustCompile("(?s)\n( *)```go\n(.*?)\n *```").FindAllStringSubmatch(section, -1)
	if len(snippets) == 0 {
		t.Fatal("the chat section has no Go snippet")
	}
	for _, s := range snippets {
		indent, body := s[1], s[2]
		var lines []string
		for line := range strings.Lines(body) {
			lines = append(lines, strings.TrimPrefix(line, indent))
		}
		quoted := strings.Join(lines, "")
		// A snippet's lines are the code's, each at the code's own indent
		// plus the snippet's.
		re := regexp.MustCompile(`(?m)^\t*` + strings.ReplaceAll(regexp.QuoteMeta(quoted), "\n", `\n\t*`))
		if !re.MatchString(code.String()) {
			t.Errorf("the README quotes code that is not in the server:\n%s", quoted)
		}
	}
}
