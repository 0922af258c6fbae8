package ts

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Camel returns a Go name in camelCase, as TypeScript members are written:
// the leading upper-case run is lowered, except for its last letter when a
// lower-case letter follows (HTTPServer → httpServer), and a plural
// initialism is lowered whole (IDs → ids, URLs → urls).
func Camel(name string) string {
	runes := []rune(name)
	n := 0
	for n < len(runes) && unicode.IsUpper(runes[n]) {
		n++
	}
	switch {
	case n == 0:
		return name
	case n == len(runes), n > 1 && string(runes[n:]) == "s":
		n = len(runes)
	case n > 1:
		n-- // the last upper-case letter starts the next word
	}
	for i := range n {
		runes[i] = unicode.ToLower(runes[i])
	}
	return string(runes)
}

// reservedWords cannot name a parameter (or a type) in strict-mode
// TypeScript: JavaScript's reserved words, strict-mode ones and the names
// that are special in a parameter list.
var reservedWords = wordSet(`
	break case catch class const continue debugger default delete do else enum
	export extends false finally for function if import in instanceof new null
	return super switch this throw true try typeof var void while with yield
	implements interface let package private protected public static await
	arguments eval`)

// typeWords cannot name a declared type: TypeScript's own type names, and
// the global types and imports generated code refers to.
var typeWords = wordSet(`
	any unknown never object string number boolean symbol bigint undefined
	Promise Record HubConnection IStreamResult Subject`)

func wordSet(s string) map[string]bool {
	m := make(map[string]bool)
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// fresh returns name, or name with a number added, whichever taken does not
// hold and is not a reserved word; as the Go emitter names its locals.
func fresh(name string, taken map[string]bool) string {
	if !taken[name] && !reservedWords[name] {
		return name
	}
	sep := ""
	if last, _ := utf8.DecodeLastRuneInString(name); unicode.IsDigit(last) {
		sep = "_"
	}
	for i := 2; ; i++ {
		if cand := name + sep + strconv.Itoa(i); !taken[cand] {
			return cand
		}
	}
}

var identifier = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*$`)

// Prop writes a property name: bare when it is an identifier, else quoted
// (JSON names may hold any letter, digit or punctuation but quotes and
// backslashes).
func Prop(name string) string {
	if identifier.MatchString(name) {
		return name
	}
	return strconv.Quote(name)
}

// Doc writes text as a JSDoc comment indented by indent tabs' worth of two
// spaces each, with a line break after it; it returns "" for empty text.
func Doc(text string, indent int) string {
	text = strings.TrimSpace(text)
	if text == "" {
		return ""
	}
	text = strings.ReplaceAll(text, "*/", "*\\/")
	pad := strings.Repeat("  ", indent)
	lines := strings.Split(text, "\n")
	if len(lines) == 1 {
		return pad + "/** " + lines[0] + " */\n"
	}
	var b strings.Builder
	b.WriteString(pad + "/**\n")
	for _, l := range lines {
		l = strings.TrimRight(l, " \t")
		if l == "" {
			b.WriteString(pad + " *\n")
		} else {
			b.WriteString(pad + " * " + strings.ReplaceAll(l, "\t", "  ") + "\n")
		}
	}
	b.WriteString(pad + " */\n")
	return b.String()
}

var nonAlnum = regexp.MustCompile(`[^A-Za-z0-9]`)

// upperFirst returns a path element as the start of a type name: letters and
// digits only, the first upper-case.
func upperFirst(s string) string {
	s = nonAlnum.ReplaceAllString(s, "")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
