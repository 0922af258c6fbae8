package thing

import "context"

// Thing is not an interface.
type Thing struct{}

// ThingHub is an interface close to the missing name.
type ThingHub interface {
	Do(ctx context.Context) error
}
