package broken

import "context"

// Hub is fine, but the package does not type-check.
type Hub interface {
	Do(ctx context.Context) error
}

var x int = "not an int"
