// Package types uses types of many kinds in a hub contract.
package types

import (
	"context"
	"encoding/json"
	"time"

	"example.com/golden/foreign_types/hub"
	"example.com/golden/foreign_types/page"
	event "example.com/golden/foreign_types/v1/event"
	event2 "example.com/golden/foreign_types/v2/event"
)

// ID is a named basic type.
type ID string

// Old is an alias of a type from another package.
type Old = event.Event

// Pages is an alias of an instance of a generic type.
type Pages = page.Page[event2.Event]

// List is a generic alias.
type List[T any] = page.Page[T]

// Node is a recursive type.
type Node struct {
	Value    int     `json:"value"`
	Children []*Node `json:"children,omitempty"`
	cache    func()
}

// Store has methods with types of many kinds.
type Store interface {
	// Put stores data.
	Put(ctx context.Context, id ID, data []byte, at time.Time) error
	Get(ctx context.Context, id ID) (*event.Event, error)
	Convert(ctx context.Context, old Old) (event2.Event, error)
	List(ctx context.Context, p page.Page[event.Event], ids List[ID]) (Pages, error)
	Rooms(ctx context.Context, rooms map[string][]*hub.Room) (map[ID]int, error)
	Raw(ctx context.Context, raw json.RawMessage, v any, fixed [4]byte) (interface{}, error)
	Point(ctx context.Context, p struct {
		X int `json:"x"`
		Y int `json:"y" xml:"why"`
	}) error
	Durations(ctx context.Context, d time.Duration, ds []time.Duration) (float64, error)
	Tree(ctx context.Context, root *Node) (Node, error)
}

// Watcher is told about changes.
type Watcher interface {
	Changed(ctx context.Context, e event.Event, e2 *event2.Event, r hub.Room) error
	Choose(ctx context.Context, options []event2.Event) (event.Event, error)
}
