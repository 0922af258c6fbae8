package echo

import "context"

// EchoHub echoes.
type EchoHub interface {
	// Echo returns s.
	Echo(ctx context.Context, s string) (string, error)
	// Add returns a+b.
	Add(ctx context.Context, a, b int) (int, error)
}
