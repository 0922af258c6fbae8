// Package chat is the contract of the chat example, the second one beside the
// clock: users sign in with a JWT, join rooms (groups), talk in them, send
// each other direct messages, read a room's history (a stream), post a batch
// of messages at once (an upload), and see who is in a room, which the server
// learns by asking each member's client for its status (a client result).
package chat

import (
	"context"
	"iter"
	"time"
)

//go:generate go run github.com/hubgen/hubgen/cmd/hubgen -server ChatHub -client Chat -ts ts

// Message is one message: said in a room, or sent to a user.
type Message struct {
	// Room is where it was said; empty for a direct message.
	Room string `json:"room,omitempty"`
	// From is the user who wrote it.
	From string `json:"from"`
	// To is the user a direct message is for; empty in a room.
	To string `json:"to,omitempty"`
	// Text is what was said.
	Text string `json:"text"`
	// Sent is when the server received it.
	Sent time.Time `json:"sent"`
}

// Member is a connection in a room, as Who reports it.
type Member struct {
	// User is the member's user name.
	User string `json:"user"`
	// Status is what the member's client answered when asked, or
	// "(no answer)".
	Status string `json:"status"`
}

// ChatHub is what clients may call on the server. Every method but Join and
// Whisper needs the caller to be in the room it names.
type ChatHub interface {
	// Join adds the caller's connection to a room, if its token allows the
	// room, and tells the room's other members.
	Join(ctx context.Context, room string) error
	// Leave takes the caller's connection out of a room.
	Leave(ctx context.Context, room string) error
	// Send says text in a room.
	Send(ctx context.Context, room, text string) error
	// Whisper sends text to every connection of a user, and to the sender's.
	Whisper(ctx context.Context, user, text string) error
	// History streams a room's latest messages, oldest first.
	History(ctx context.Context, room string) (iter.Seq2[Message, error], error)
	// Post says each text the client uploads in a room, as it arrives, and
	// returns how many it said.
	Post(ctx context.Context, room string, texts iter.Seq2[string, error]) (int, error)
	// Who asks every member of a room for its status and returns the
	// members with their answers.
	Who(ctx context.Context, room string) ([]Member, error)
}

// Chat is what the server calls on connected clients.
type Chat interface {
	// Receive shows a message said in a room the client is in, or sent to
	// its user.
	Receive(ctx context.Context, m Message) error
	// Joined tells the members of a room that a user joined it.
	Joined(ctx context.Context, room, user string) error
	// Left tells the members of a room that a user left it.
	Left(ctx context.Context, room, user string) error
	// Status asks the client for its user's status ("here", "away", …): a
	// client result, which the server waits for.
	Status(ctx context.Context) (string, error)
}
