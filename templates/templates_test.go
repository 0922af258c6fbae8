package templates

import (
	"io/fs"
	"slices"
	"testing"
)

func TestFS(t *testing.T) {
	got, err := fs.Glob(FS, "ts/*.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ts/client.ts.tmpl", "ts/helpers.ts.tmpl", "ts/hub.ts.tmpl", "ts/server.ts.tmpl", "ts/types.ts.tmpl"}
	if !slices.Equal(got, want) {
		t.Errorf("templates: %q, want %q (and the package doc lists them)", got, want)
	}
}
