package bad

import "context"

// Bad breaks the shape rules, one per method.
type Bad interface {
	NoContext(n int) error
	NoParams() error
	NoError(ctx context.Context) int
	Nothing(ctx context.Context)
	ErrorFirst(ctx context.Context) (error, int)
	Three(ctx context.Context) (int, string, error)
	Variadic(ctx context.Context, xs ...int) error
	LateContext(ctx context.Context, other context.Context) error
	unexported(ctx context.Context) error
	Fine(ctx context.Context) error
}
