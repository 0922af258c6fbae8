package streams

import (
	"context"
	"iter"
)

// Streams has malformed streams, one per method.
type Streams interface {
	Seq(ctx context.Context) iter.Seq[int]
	NotError(ctx context.Context) iter.Seq2[int, string]
	WithError(ctx context.Context) (iter.Seq2[int, string], error)
	Nested(ctx context.Context, s []iter.Seq2[int, error]) error
	BadElem(ctx context.Context) iter.Seq2[chan int, error]
	SeqParam(ctx context.Context, s iter.Seq[int]) error
	BadParamElem(ctx context.Context, s iter.Seq2[func(), error]) (int, error)
	Fine(ctx context.Context, s iter.Seq2[int, error]) iter.Seq2[int, error]
}

// Client cannot stream, either way.
type Client interface {
	Feed(ctx context.Context) iter.Seq2[int, error]
	Take(ctx context.Context, s iter.Seq2[int, error]) error
	Start(ctx context.Context) (iter.Seq2[int, error], error)
	Fine(ctx context.Context, n int) error
}
