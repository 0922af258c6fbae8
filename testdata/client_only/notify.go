package notify

import "context"

// Notifier is told about things.
type Notifier interface {
	// Notify tells the client about a thing.
	Notify(ctx context.Context, what string, count int) error
	// Ask asks the client a question.
	Ask(ctx context.Context, question string) (string, error)
}
