package ts

import (
	"bytes"
	"strings"
	"testing"

	"github.com/hubgen/hubgen/internal/model"
)

func spec() *model.Spec {
	item := func(path string) *model.Type {
		return &model.Type{Kind: model.Named, Path: path, Pkg: path[strings.LastIndexByte(path, '/')+1:], Name: "Item"}
	}
	return &model.Spec{
		Package: model.Package{Path: "example.com/c", Name: "c"},
		Server: &model.Interface{Name: "Hub", Methods: []model.Method{
			{Name: "Get", Wire: "get", Kind: model.Invoke, Params: []model.Param{{Name: "new", Type: str}, {Type: str}}, Result: item("example.com/a/v1")},
			{Name: "Put", Wire: "Put", Kind: model.Invoke, Params: []model.Param{{Name: "a", Type: item("example.com/a/v2")}, {Name: "b", Type: item("example.com/c")}}},
			{Name: "Wait", Wire: "Wait", Kind: model.Invoke, Params: []model.Param{{Name: "p", Type: &model.Type{Kind: model.Named, Path: "example.com/c", Name: "Promise"}}}},
		}},
		Client: &model.Interface{Name: "Item", Methods: []model.Method{
			{Name: "Show", Wire: "Show", Kind: model.Send, Params: []model.Param{{Name: "receiver", Type: str}}},
		}},
		Types: []model.Decl{
			{Path: "example.com/a/v1", Pkg: "v1", Name: "Item", Kind: model.Basic, Type: str},
			{Path: "example.com/a/v2", Pkg: "v2", Name: "Item", Kind: model.Basic, Type: i64},
			{Path: "example.com/c", Pkg: "c", Name: "Item", Kind: model.Basic, Type: str},
			{Path: "example.com/c", Pkg: "c", Name: "Promise", Kind: model.Basic, Type: str},
			{Path: "example.com/c", Pkg: "c", Name: "Unused", Kind: model.Basic, Type: str},
		},
	}
}

func TestGenerate(t *testing.T) {
	s := spec()
	code, err := Generate(s)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Generate(s)
	if !bytes.Equal(code, again) {
		t.Error("two runs differ")
	}
	for _, want := range []string{
		model.Header + "\n",
		"// Source: example.com/c (-server Hub -client Item)\n",
		`import type { HubConnection } from "@microsoft/signalr";`,
		"  get(new2: string, arg2: string): Promise<V1Item>;\n",
		"  put(a: V2Item, b: CItem): Promise<void>;\n",
		"  wait(p: CPromise): Promise<void>;\n",
		`    get: (new2: string, arg2: string) => connection.invoke<V1Item>("get", new2, arg2),`,
		`    ["Show", (receiver2: string) => receiver.show(receiver2)],`,
		"export type V1Item = string;\n",
		"export type V2Item = number;\n",
		"export type CItem = string;\n",
		"export type CPromise = string;\n",
	} {
		if !bytes.Contains(code, []byte(want)) {
			t.Errorf("no %q in\n%s", want, code)
		}
	}
	if bytes.Contains(code, []byte("Unused")) {
		t.Error("declares a type nothing uses")
	}
	if got := FileName(s); got != "hub.ts" {
		t.Errorf("FileName = %q", got)
	}
	s.Server = nil
	if got := FileName(s); got != "item.ts" {
		t.Errorf("FileName without a server = %q", got)
	}
}

func TestGenerateRefusesMemberClash(t *testing.T) {
	s := &model.Spec{Server: &model.Interface{Name: "Hub", Methods: []model.Method{
		{Name: "ID", Wire: "a", Kind: model.Invoke},
		{Name: "Id", Wire: "b", Kind: model.Invoke},
	}}}
	if _, err := Generate(s); err == nil || !strings.Contains(err.Error(), "methods ID and Id are both id in TypeScript") {
		t.Errorf("got %v", err)
	}
}

func TestTidy(t *testing.T) {
	got := tidy([]byte("\na  \n\n\n\nb\t\n\n"))
	if string(got) != "a\n\nb\n" {
		t.Errorf("tidy: %q", got)
	}
}
