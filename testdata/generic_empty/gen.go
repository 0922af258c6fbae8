package gen

import "context"

// Gen is generic.
type Gen[T any] interface {
	Get(ctx context.Context) (T, error)
}

// Empty has no methods.
type Empty interface{}
