// Package feeds has server streams that can fail before their first item.
package feeds

import (
	"context"
	"iter"
)

// Point is an element of streams.
type Point struct {
	X int `json:"x"`
	Y int `json:"y"`
}

// Points is an alias of a stream type.
type Points = iter.Seq2[Point, error]

// Feeds is what clients call on the server.
type Feeds interface {
	// Range streams the numbers from 0 to n-1, or fails at once if n < 0.
	Range(ctx context.Context, n int) (iter.Seq2[int, error], error)
	// Plain is a stream that can fail only once started.
	Plain(ctx context.Context, n int) iter.Seq2[int, error]
	// Shift streams back the points the client uploads, moved by dx, or fails
	// at once if dx is out of range.
	//hubgen:name shift
	Shift(ctx context.Context, dx int, in iter.Seq2[Point, error]) (Points, error)
	Live(context.Context) (iter.Seq2[*Point, error], error)
	// Shadow has parameters named like what the generated code uses.
	Shadow(ctx context.Context, result string, err int, c iter.Seq2[string, error]) (iter.Seq2[[]string, error], error)
}

// Viewer is what the server calls on clients.
type Viewer interface {
	// Show shows a point.
	Show(ctx context.Context, p Point) error
}
