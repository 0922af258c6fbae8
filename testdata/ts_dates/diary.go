// Package diary is the case for time.Time in TypeScript: what the client
// sends may be a Date, what it receives is a string.
package diary

import (
	"context"
	"iter"
	"time"
)

// Entry is sent and received: Entry is what arrives, EntryInput what the
// client sends.
type Entry struct {
	At    time.Time  `json:"at"`
	Until *time.Time `json:"until,omitempty"`
	Text  string     `json:"text"`
	Span  Span       `json:"span"`
}

// Span reaches a time.Time through its fields, so it has two forms too.
type Span struct {
	From time.Time `json:"from"`
}

// Query is only sent: one declaration, which takes a Date.
type Query struct {
	After time.Time   `json:"after"`
	Days  []time.Time `json:"days"`
}

// Stats is only received.
type Stats struct {
	Last  time.Time `json:"last"`
	Count int       `json:"count"`
}

// Note has no time.Time: it is the same both ways.
type Note struct {
	Text string `json:"text"`
}

// Diary is what clients call on the server.
type Diary interface {
	Add(ctx context.Context, e Entry) (Entry, error)
	Find(ctx context.Context, q Query) ([]Entry, error)
	Since(ctx context.Context, t time.Time) (Stats, error)
	Import(ctx context.Context, entries iter.Seq2[Entry, error]) (int, error)
	Tail(ctx context.Context, from time.Time) iter.Seq2[Entry, error]
	Annotate(ctx context.Context, n Note) (Note, error)
}

// Reader is what the server calls on clients.
type Reader interface {
	Show(ctx context.Context, e Entry) error
	// LastRead is a client result: the client sends it.
	LastRead(ctx context.Context) (time.Time, error)
}
