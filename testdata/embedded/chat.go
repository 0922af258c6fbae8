package chat

import (
	"context"

	"example.com/golden/embedded/base"
)

// Sender sends messages.
type Sender interface {
	// Send sends a message to everyone.
	Send(ctx context.Context, text string) error
}

// ChatHub embeds interfaces from this package and from base.
type ChatHub interface {
	Sender
	base.Pinger
	// History returns the last messages.
	History(ctx context.Context, n int) ([]string, error)
}

// Receiver receives messages.
type Receiver interface {
	// Receive receives a message.
	Receive(ctx context.Context, from base.User, text string) error
}

// Chat is what the server calls on clients.
type Chat interface {
	Receiver
	base.Presence
}
