// Package streams has every stream shape of the server interface.
package streams

import (
	"context"
	"iter"
	"time"
)

// Item is an element of streams.
type Item struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
}

// Ints is an alias of a stream type.
type Ints = iter.Seq2[int, error]

// Streams is what clients call on the server, streams in both directions.
type Streams interface {
	// Counter streams the numbers from 0 to n-1.
	Counter(ctx context.Context, n int) iter.Seq2[int, error]
	// Concat joins the parts the client uploads with sep.
	Concat(ctx context.Context, sep string, parts iter.Seq2[string, error]) (string, error)
	// Ticks streams the time until the client stops it.
	//hubgen:name ticks
	Ticks(ctx context.Context) iter.Seq2[time.Time, error]
	Store(ctx context.Context, items iter.Seq2[Item, error]) error
	Scale(ctx context.Context, factor float64, in iter.Seq2[Item, error]) iter.Seq2[*Item, error]
	// Merge takes two uploads among other arguments.
	Merge(ctx context.Context, a iter.Seq2[int, error], sep string, b iter.Seq2[[]int, error], limit int) ([]int, error)
	Count(context.Context, iter.Seq2[string, error]) (int, error)
	// Shadow has parameters named like what the generated code uses.
	Shadow(ctx context.Context, client string, iter int, c Ints) Ints
	// Plain is not a stream.
	Plain(ctx context.Context, n int) (int, error)
}

// Watcher is what the server calls on clients.
type Watcher interface {
	// Notify notifies.
	Notify(ctx context.Context, n int) error
}
