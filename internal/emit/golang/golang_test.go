package golang

import (
	"bytes"
	"maps"
	"strings"
	"testing"

	"github.com/hubgen/hubgen/internal/model"
)

func named(path, pkg, name string) *model.Type {
	return &model.Type{Kind: model.Named, Path: path, Pkg: pkg, Name: name}
}

func basic(name string) *model.Type { return &model.Type{Kind: model.Basic, Name: name} }

// spec returns a spec whose server interface has one method per parameter
// list given.
func spec(declared []string, params ...[]model.Param) *model.Spec {
	s := &model.Spec{
		Package: model.Package{Path: "example.com/c", Name: "c", Declared: declared},
		Server:  &model.Interface{Name: "S"},
		Names:   model.NamesFor("S", ""),
	}
	for i, ps := range params {
		s.Server.Methods = append(s.Server.Methods, model.Method{Name: "M" + string(rune('A'+i)), Wire: "M", Kind: model.Invoke, Params: ps})
	}
	return s
}

func TestImportNames(t *testing.T) {
	s := spec([]string{"fmt", "S"}, []model.Param{
		{Name: "a", Type: named("encoding/json", "json", "RawMessage")},
		{Name: "b", Type: named("example.com/a/json", "json", "Doc")},
		{Name: "c", Type: named("example.com/b/json", "json", "Doc")},
		{Name: "d", Type: named("example.com/x/hub", "hub", "Room")},
		{Name: "e", Type: named("example.com/args", "args", "A")},
		{Name: "f", Type: named("example.com/c", "c", "Local")},
		{Name: "g", Type: named("example.com/v2", "v2", "T")},
	})
	got := newEmitter(s).imports
	want := map[string]string{
		"context":            "context",
		"fmt":                "fmt2",
		HubPath:              "hub",
		ClientPath:           "client",
		"encoding/json":      "json",
		"example.com/a/json": "ajson",
		"example.com/b/json": "bjson",
		"example.com/x/hub":  "xhub",
		"example.com/args":   "examplecomargs",
		"example.com/v2":     "v2",
	}
	if !maps.Equal(got, want) {
		t.Errorf("imports\n got %v\nwant %v", got, want)
	}
}

func TestFresh(t *testing.T) {
	e := newEmitter(spec(nil))
	taken := map[string]bool{"x": true, "x2": true, "a1": true}
	for in, want := range map[string]string{"y": "y", "x": "x3", "a1": "a1_2", "type": "type2"} {
		if got := e.fresh(in, taken); got != want {
			t.Errorf("fresh(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParamNames(t *testing.T) {
	s := spec([]string{"Result"}, []model.Param{
		{Name: "_", Type: basic("int")},
		{Name: "arg1", Type: basic("int")},
		{Name: "ctx", Type: basic("int")},
		{Name: "time", Type: basic("int")},
		{Name: "Result", Type: basic("int")},
		{Name: "nil", Type: basic("int")},
		{Name: "", Type: basic("int")},
	})
	m := &s.Server.Methods[0]
	m.Result = &model.Type{Kind: model.Slice, Elem: named("time", "time", "Time")}
	got := newEmitter(s).paramNames(m, "c", "ctx", "result", "err")
	want := []string{"arg1_2", "arg1", "ctx2", "time2", "Result", "nil2", "arg7"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("param names %v, want %v", got, want)
	}
}

func TestDeterministic(t *testing.T) {
	s := spec(nil, []model.Param{{Name: "b", Type: named("example.com/b/json", "json", "Doc")}, {Name: "a", Type: named("example.com/a/json", "json", "Doc")}})
	first, err := Generate(s)
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		again, err := Generate(s)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, again) {
			t.Fatal("two runs differ")
		}
	}
}

func TestDoc(t *testing.T) {
	var b bytes.Buffer
	s := spec(nil)
	s.Server.Methods = []model.Method{{Name: "M", Wire: "M", Kind: model.Invoke, Doc: "M does it.\n\nFor example:\n\tM(ctx)\n"}}
	code, err := Generate(s)
	if err != nil {
		t.Fatal(err)
	}
	b.Write(code)
	if !strings.Contains(b.String(), "// M does it.\n//\n// For example:\n//\n//\tM(ctx)\nfunc (c *SClient) M(") {
		t.Errorf("doc comment not carried over:\n%s", b.String())
	}
}

// TestStreamNames checks the names in a streaming stub: parameters that would
// shadow the client package or the stream's element type are renamed, and iter
// is imported only by a spec with streams.
func TestStreamNames(t *testing.T) {
	s := spec(nil, []model.Param{
		{Name: "client", Type: basic("string")},
		{Name: "Item", Type: basic("int")},
		{Name: "iter", Type: basic("int"), Stream: true},
	})
	m := &s.Server.Methods[0]
	m.Kind, m.Stream = model.ServerStream, named("example.com/c", "c", "Item")
	e := newEmitter(s)
	if got, want := strings.Join(e.paramNames(m, "c", "ctx", "result", "err"), " "), "client2 Item2 iter"; got != want {
		t.Errorf("param names %s, want %s", got, want)
	}
	if e.imports["iter"] != "iter" {
		t.Errorf("iter imported as %q", e.imports["iter"])
	}
	if _, ok := newEmitter(spec(nil, []model.Param{{Name: "n", Type: basic("int")}})).imports["iter"]; ok {
		t.Error("iter imported without streams")
	}
	code, err := Generate(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"func (c *SClient) MA(ctx context.Context, client2 string, Item2 int, iter iter.Seq2[int, error]) iter.Seq2[Item, error] {\n" +
			"\treturn client.StreamOf[Item](ctx, c.conn, \"M\", client2, Item2, client.UploadOf(iter))\n}",
		"\t\tName:    \"M\",\n\t\tArgs:    2,\n\t\tUploads: 1,\n\t\tStream: func(ctx context.Context, args hub.Args) (iter.Seq2[any, error], error) {",
		"return hub.StreamOf(impl.MA(ctx, a0, a1, hub.Upload[int](args, 0))), nil",
	} {
		if !strings.Contains(string(code), want) {
			t.Errorf("no %q in\n%s", want, code)
		}
	}
}
