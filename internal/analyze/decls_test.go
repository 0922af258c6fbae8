package analyze

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestDecls(t *testing.T) {
	p := check(t, `
// Page is a page.
type Page[T any] struct {
	// Items are the page's items.
	Items []T `+"`json:\"items\"`"+`
	Next  *Cursor // the next page
	cache func()
	Skip  chan int `+"`json:\"-\" msgpack:\"-\"`"+`
	inner
}

type inner struct{ Deep Deep }

// Deep is reached through an unexported embedded struct.
type Deep struct{ N json.Number }

// Cursor is an alias.
type Cursor = string

// Stamp encodes itself as JSON.
type Stamp struct{ t time.Time }

func (Stamp) MarshalJSON() ([]byte, error) { return nil, nil }

// Level encodes itself as text.
type Level int

func (*Level) UnmarshalText([]byte) error { return nil }

type Items = iter.Seq2[Page[Level], error]

type S interface {
	Get(ctx context.Context, p Page[Stamp]) (map[string]Level, error)
	Stream(ctx context.Context) Items
	Again(ctx context.Context, p *Page[Stamp], d time.Duration) error
}`)
	spec, ds := Analyze(p, Config{Server: "S"})
	if len(ds) > 0 {
		t.Fatal(ds)
	}
	var got []string
	for _, d := range spec.Types {
		s := d.Path + "." + d.Name + " " + string(d.Kind)
		if d.Alias {
			s += " alias"
		}
		if len(d.Params) > 0 {
			s += " [" + strings.Join(d.Params, ",") + "]"
		}
		if d.Marshal != "" {
			s += " marshal=" + string(d.Marshal)
		}
		if d.Type != nil {
			s += " = " + d.Type.String()
		}
		got = append(got, s)
	}
	want := []string{
		"encoding/json.Number basic = string",
		"example.com/c.Cursor basic alias = string",
		"example.com/c.Deep struct = struct{N json.Number}",
		"example.com/c.Level basic marshal=text",
		`example.com/c.Page struct [T] = struct{Items []T "json:\"items\""; Next *c.Cursor; c.inner}`,
		"example.com/c.Stamp struct marshal=json",
		"example.com/c.inner struct = struct{Deep c.Deep}",
		"time.Duration basic = int64",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
	for _, d := range spec.Types {
		if d.Name != "Page" {
			continue
		}
		if d.Doc != "Page is a page.\n" || d.Type.Fields[0].Doc != "Items are the page's items.\n" || d.Type.Fields[1].Doc != "the next page\n" {
			b, _ := json.MarshalIndent(d, "", "  ")
			t.Errorf("docs:\n%s", b)
		}
	}

	// With problems, no declarations.
	p = check(t, `type S interface { Get(ctx context.Context) (chan int, error) }`)
	if spec, ds := Analyze(p, Config{Server: "S"}); len(ds) == 0 || spec.Types != nil {
		t.Errorf("got %v, %v", ds, spec.Types)
	}
}
