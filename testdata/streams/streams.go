package streams

import (
	"context"
	"iter"
)

// Streams streams, which is not supported yet.
type Streams interface {
	Download(ctx context.Context, n int) iter.Seq2[int, error]
	Upload(ctx context.Context, items iter.Seq2[string, error]) error
	Seq(ctx context.Context) iter.Seq[int]
	NotError(ctx context.Context) iter.Seq2[int, string]
	WithError(ctx context.Context) (iter.Seq2[int, error], error)
	Nested(ctx context.Context, s []iter.Seq2[int, error]) error
	BadElem(ctx context.Context) iter.Seq2[chan int, error]
}

// Client cannot stream.
type Client interface {
	Feed(ctx context.Context) iter.Seq2[int, error]
}
