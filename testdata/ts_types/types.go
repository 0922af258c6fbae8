// Package shapes exercises the TypeScript type mapping (hubgen -ts): what
// encoding/json writes for each kind of Go type.
package shapes

import (
	"context"
	"encoding/json"
	"iter"
	"strings"
	"time"

	"example.com/golden/ts_types/geo"
	"example.com/golden/ts_types/other"
)

// Shape has a field of every kind.
type Shape struct {
	geo.Base           // promoted: id, created, but not name
	*geo.Audit         // promoted through a pointer: by is optional
	inner              // an unexported embedded struct: x is promoted
	Name       string  `json:"name"`
	Note       *string `json:"note"`       // string | null
	Hidden     string  `json:"-"`          // left out
	Dash       string  `json:"-,"`         // named "-"
	Kebab      string  `json:"kebab-case"` // quoted
	Bad        string  `json:"bad\\name"`  // an invalid name: Bad
	Plain      int     // no tag: Plain
	secret     string  // unexported: left out
	// Count is a number in a string.
	Count   int64              `json:"count,string"`
	MaybeN  *int               `json:"maybeN,string"`
	Tags    []string           `json:"tags"`             // string[] | null
	Labels  []string           `json:"labels,omitempty"` // labels?: string[]
	Attrs   map[string]any     `json:"attrs"`
	Grid    [2][3]int          `json:"grid"`
	Empty   [0]int             `json:"empty,omitempty"`
	Data    []byte             `json:"data"`  // base64
	Bytes   Bytes              `json:"bytes"` // base64 too
	Raw     json.RawMessage    `json:"raw"`
	Num     json.Number        `json:"num"`
	At      time.Time          `json:"at,omitempty"` // a struct: never omitted
	When    *time.Time         `json:"when,omitempty"`
	Zero    time.Time          `json:"zero,omitzero"`
	Dur     time.Duration      `json:"dur"`
	Level   Level              `json:"level"`
	Blob    Blob               `json:"blob"`
	Where   geo.Point          `json:"where"`
	Others  []geo.Shape        `json:"others"`
	Rec     other.Record       `json:"rec"`
	Lit     struct{ A, B int } `json:"lit"`
	Ptrs    []*geo.Point       `json:"ptrs"`
	Deep    **int              `json:"deep"`
	Opt     *Color             `json:"opt,omitempty"`
	Color   Color              `json:"color"`
	Set     Set                `json:"set,omitempty"`
	Page    Page[geo.Point]    `json:"page"`
	Pairs   Pairs              `json:"pairs"`
	Same                       // an embedded struct whose fields clash: both left out
	Tagged                     // wins over Same's Twin: tagged
	AsField Named              `json:"asField"` // an embedded struct with a name is a field
	Dup1
	Dup2
	ByID    map[int64]string `json:"byID"`    // integer keys are decimal strings
	ByLevel map[Level]int    `json:"byLevel"` // MarshalText keys are strings
	ByColor map[Color]Key    `json:"byColor"`
	ByKey   map[Key]bool     `json:"byKey"` // a named string key keeps its name
}

type inner struct {
	X int `json:"x"`
}

// Same and Tagged both have a field twin at the same depth; Tagged's is tagged.
type Same struct {
	Twin  string
	Alone string `json:"alone"`
}

// Tagged has a tagged twin.
type Tagged struct {
	Twin string `json:"Twin"`
}

// Dup1 and Dup2 clash on dup, untagged at the same depth: it is left out.
type Dup1 struct{ Dup string }

// Dup2 clashes with Dup1.
type Dup2 struct{ Dup string }

// Named is used as a named field.
type Named struct {
	V bool `json:"v"`
}

// Bytes is base64 in JSON, as []byte is.
type Bytes []byte

// Level encodes itself as text.
type Level int

// MarshalText writes the level's name.
func (l Level) MarshalText() ([]byte, error) { return []byte(strings.Repeat("!", int(l))), nil }

// UnmarshalText reads a level's name.
func (l *Level) UnmarshalText(b []byte) error { *l = Level(len(b)); return nil }

// Blob encodes itself as JSON.
type Blob struct{ n int }

// MarshalJSON writes the blob.
func (b Blob) MarshalJSON() ([]byte, error) { return []byte("1"), nil }

// Color is a named number.
type Color int

// Key is a named string, a map key.
type Key string

// Set is a named map.
type Set map[string]bool

// Page is a generic page.
type Page[T any] struct {
	Items []T    `json:"items"`
	Next  *Token `json:"next,omitempty"`
	Total int    `json:"total"`
}

// Token continues a page.
type Token = string

// Pairs is an alias of a generic instance.
type Pairs = Page[[2]string]

// Shapes is what clients call on the server.
type Shapes interface {
	// Get gets a shape.
	Get(ctx context.Context, name string) (*Shape, error)
	Put(ctx context.Context, s Shape, new bool, connection string) error
	List(ctx context.Context, page Page[*Shape]) (Page[Shape], error)
	Watch(ctx context.Context, filter map[string][]int) iter.Seq2[geo.Point, error]
	Upload(ctx context.Context, points iter.Seq2[*geo.Point, error], receiver string) (int, error)
	// HTTPStatus has an initialism in its name.
	//hubgen:name status
	HTTPStatus(ctx context.Context) (map[Key]string, error)
	IDs(ctx context.Context) ([]string, error)
}

// Viewer is what the server calls on clients.
type Viewer interface {
	Show(ctx context.Context, s *Shape, at time.Time) error
	Pick(ctx context.Context, options []geo.Point) (geo.Point, error)
	Ask(ctx context.Context, q string) (*Color, error)
}
