package names

import "context"

// Chat is both interfaces, so two generated names are the same.
type Chat interface {
	Send(ctx context.Context, text string) error
}

// ChatServer takes a generated name.
type ChatServer struct{}

// RegisterChat takes a generated name.
func RegisterChat() {}

// any shadows the predeclared any.
type any = int
