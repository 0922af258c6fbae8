// Package golang emits the Go half of a hub: from a model.Spec, one file in
// the contract package with the server's dispatch table and typed targets
// over github.com/hubgen/hubgen/runtime/hub, and the client's stub and
// receiver registration over github.com/hubgen/hubgen/runtime/client. It
// builds the file with github.com/dave/jennifer and checks nothing: the spec
// comes from the analyze package, which has.
//
// Streams of the server interface become a hub.Method's Stream (a stream
// result, through hub.StreamOf) and hub.Upload sequences (upload parameters)
// on the server, and client.StreamOf and client.UploadOf calls in the stub.
//
// The output is deterministic: no dates, paths or versions. Generated code
// uses no reflection; it references the runtimes' version constants so that
// it fails to compile, by name, against a runtime that is too old.
package golang

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/hubgen/hubgen/internal/model"
)

// Import paths of the runtime packages generated code calls.
const (
	HubPath    = "github.com/hubgen/hubgen/runtime/hub"
	ClientPath = "github.com/hubgen/hubgen/runtime/client"
)

// Generate returns the gofmt-formatted Go file for spec.
func Generate(spec *model.Spec) ([]byte, error) {
	e := newEmitter(spec)
	f := e.f
	f.HeaderComment(model.Header)
	f.HeaderComment("// Source: " + spec.Source())
	f.Comment("Generated code needs runtime packages at least as new as the hubgen that wrote it.")
	f.Const().Defs(
		jen.Id("_").Op("=").Qual(HubPath, "IsAtLeastVersion0_1"),
		jen.Id("_").Op("=").Qual(ClientPath, "IsAtLeastVersion0_1"),
	)
	if spec.Server != nil {
		e.server()
		e.stub()
	}
	if spec.Client != nil {
		e.clients()
		e.targets()
		e.handlers()
		e.register()
	}
	var buf bytes.Buffer
	if err := f.Render(&buf); err != nil {
		return nil, fmt.Errorf("hubgen: rendering %s: %w", spec.Package.Path, err)
	}
	return groupImports(buf.Bytes()), nil
}

// groupImports puts the standard library's imports first and the others
// after a blank line, as goimports does; jennifer sorts them all together.
func groupImports(src []byte) []byte {
	start := bytes.Index(src, []byte("\nimport (\n"))
	if start < 0 {
		return src
	}
	start += len("\nimport (\n")
	end := bytes.Index(src[start:], []byte("\n)\n"))
	if end < 0 {
		return src
	}
	end += start
	var std, other []string
	for _, line := range strings.Split(string(src[start:end]), "\n") {
		path := line[strings.IndexByte(line, '"')+1:]
		if first, _, _ := strings.Cut(path, "/"); strings.Contains(first, ".") {
			other = append(other, line)
		} else {
			std = append(std, line)
		}
	}
	if len(std) == 0 || len(other) == 0 {
		return src
	}
	block := strings.Join(std, "\n") + "\n\n" + strings.Join(other, "\n")
	return append(append(append([]byte(nil), src[:start]...), block...), src[end:]...)
}

// doc returns a doc comment: text, or fallback when text is empty.
func doc(text, fallback string) jen.Code {
	text = strings.TrimSpace(text)
	if text == "" {
		text = fallback
	}
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		switch {
		case l == "":
			lines[i] = "//"
		case strings.HasPrefix(l, "\t"):
			lines[i] = "//" + l
		default:
			lines[i] = "// " + l
		}
	}
	return jen.Comment(strings.Join(lines, "\n"))
}

// fields renders a keyed composite literal's elements one per line, in the
// order given (jen.Dict sorts them).
func fields(kv ...any) *jen.Statement {
	items := make([]jen.Code, 0, len(kv)/2+1)
	for i := 0; i < len(kv); i += 2 {
		items = append(items, jen.Line().Id(kv[i].(string)).Op(":").Add(kv[i+1].(jen.Code)))
	}
	return jen.Values(append(items, jen.Line())...)
}

// plural returns "1 argument" or "n arguments".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
