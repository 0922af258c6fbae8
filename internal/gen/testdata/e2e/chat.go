// Package chat is the contract of the end-to-end test.
package chat

import (
	"context"
	"iter"
	"time"
)

// Message is a chat message.
type Message struct {
	From string    `json:"from"`
	Text string    `json:"text"`
	At   time.Time `json:"at"`
}

// Chat is what the server calls on clients.
type Chat interface {
	// Receive delivers a message.
	Receive(ctx context.Context, m Message) error
	// Ask asks the client a question and waits for the answer.
	Ask(ctx context.Context, question string) (string, error)
}

// ChatHub is what clients call on the server.
type ChatHub interface {
	// Send sends a message to every connection.
	Send(ctx context.Context, text string) error
	// Echo returns s.
	Echo(ctx context.Context, s string) (string, error)
	// Add returns a+b.
	Add(ctx context.Context, a, b int) (int, error)
	// Poll asks the caller a question, through a client result.
	Poll(ctx context.Context, question string) (string, error)
	// Join adds the caller to a group.
	Join(ctx context.Context, group string) error
	// Fail fails with a message for the client.
	//hubgen:name fail
	Fail(ctx context.Context) error
	// Counter streams the numbers from 0 to n-1, or with n < 0 until the
	// client stops it.
	Counter(ctx context.Context, n int) iter.Seq2[int, error]
	// Concat joins the parts the client uploads with sep.
	Concat(ctx context.Context, sep string, parts iter.Seq2[string, error]) (string, error)
	// Scale streams back each number the client uploads, times factor.
	Scale(ctx context.Context, factor int, in iter.Seq2[int, error]) iter.Seq2[int, error]
	// Countdown streams the numbers from n down to 1. It fails before its
	// first item if n is negative (a hub error) or above 100 (another error).
	Countdown(ctx context.Context, n int) (iter.Seq2[int, error], error)
	// ScaleChecked is Scale, but fails before its first item if factor is 0.
	ScaleChecked(ctx context.Context, factor int, in iter.Seq2[int, error]) (iter.Seq2[int, error], error)
}
