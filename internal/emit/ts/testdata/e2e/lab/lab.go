// Package lab is the hub that TestNodeClient (internal/emit/ts/e2e_test.go)
// calls from Node through the generated TypeScript: every method shape, over
// types that exercise the JSON mapping.
package lab

import (
	"context"
	"errors"
	"iter"
	"strings"
	"time"
)

// Base is embedded in Record: its fields are Record's.
type Base struct {
	ID string `json:"id"`
}

// Audit is embedded in Record through a pointer: its fields are there only
// when it is set.
type Audit struct {
	By string `json:"by"`
}

// Record has fields of many kinds. Its name is TypeScript's Record too, so
// the TypeScript calls it LabRecord.
type Record struct {
	Base
	*Audit
	Name   string         `json:"name"`
	Tags   []string       `json:"tags"`
	Labels []string       `json:"labels,omitempty"`
	Attrs  map[string]int `json:"attrs"`
	At     time.Time      `json:"at"`
	When   *time.Time     `json:"when,omitempty"`
	Data   []byte         `json:"data"`
	Count  int64          `json:"count,string"`
	Note   *string        `json:"note"`
	Skip   string         `json:"-"`
	Kind   Kind           `json:"kind,omitempty"`
	Pos    Point          `json:"pos"`
}

// Kind is a named string.
type Kind string

// Point has fields without json tags.
type Point struct{ X, Y float64 }

// Sample has a field of every kind whose form differs between the JSON
// and the MessagePack protocols, for wire.test.ts, which checks what
// arrives over each against the types generated for it.
type Sample struct {
	Base
	*Audit
	Name     string         `json:"name"`
	Hidden   string         `json:"-"`                  // MessagePack only
	NoPack   string         `json:"noPack" msgpack:"-"` // JSON only
	Tags     []string       `json:"tags,omitempty"`
	Labels   []string       `json:"labels" msgpack:"labels,omitempty"`
	At       time.Time      `json:"at"`
	When     *time.Time     `json:"when,omitempty"`
	Data     []byte         `json:"data"`
	Hash     [4]byte        `json:"hash"`
	Count    int64          `json:"count,string"`
	Status   Status         `json:"status"`
	Priority Priority       `json:"priority"`
	ByStatus map[Status]int `json:"byStatus"`
	ByID     map[int]string `json:"byID"`
	Code     Code           `json:"code"`
	Points   []Point        `json:"points"`
	Note     *string        `json:"note"`
}

// Status is a string enum.
type Status string

// The statuses.
const (
	StatusOpen   Status = "open"
	StatusClosed Status = "closed"
)

// Priority is an integer enum.
type Priority int

// The priorities.
const (
	PriorityLow Priority = iota + 1
	PriorityHigh
)

// Code encodes itself as text, "A-B", in both protocols.
type Code struct{ A, B string }

// MarshalText writes A-B.
func (c Code) MarshalText() ([]byte, error) { return []byte(c.A + "-" + c.B), nil }

// UnmarshalText reads A-B.
func (c *Code) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*c = Code{}
		return nil
	}
	a, rest, ok := strings.Cut(string(b), "-")
	if !ok {
		return errors.New("a code is A-B")
	}
	*c = Code{a, rest}
	return nil
}

// Note is what the server tells every client.
type Note struct {
	From string `json:"from"`
	Text string `json:"text"`
}

// Reply is a client's answer.
type Reply struct {
	Text string `json:"text"`
	Sure bool   `json:"sure,omitempty"`
}

// Lab is what clients call on the server.
type Lab interface {
	// Echo returns the record it gets.
	Echo(ctx context.Context, r Record) (Record, error)
	// Zero returns the zero Record.
	Zero(ctx context.Context) (Record, error)
	// Fail fails with message.
	Fail(ctx context.Context, message string) error
	// Touch counts a touch.
	Touch(ctx context.Context) error
	// Touches returns how many touches there were.
	Touches(ctx context.Context) (int, error)
	// Broadcast has the server notify every client of text.
	Broadcast(ctx context.Context, text string) error
	// Ask asks the calling client question, and returns its answer.
	Ask(ctx context.Context, question string) (string, error)
	// Count streams the numbers from 0 to n-1.
	Count(ctx context.Context, n int) iter.Seq2[int, error]
	// Sum returns the sum of the numbers the client uploads, times scale.
	Sum(ctx context.Context, scale float64, nums iter.Seq2[float64, error]) (float64, error)
	// Forever streams 0, then waits for its ctx to end, which Ended reports.
	Forever(ctx context.Context, id string) iter.Seq2[int, error]
	// Ended returns once the ctx of the Forever stream with id has ended.
	Ended(ctx context.Context, id string) (bool, error)
	// Full returns a Sample with every field set.
	Full(ctx context.Context) (Sample, error)
	// Empty returns the zero Sample.
	Empty(ctx context.Context) (Sample, error)
	// Mirror returns the Sample it gets.
	Mirror(ctx context.Context, s Sample) (Sample, error)
	// Double streams back every point the client uploads, doubled.
	//hubgen:name double
	Double(ctx context.Context, in iter.Seq2[Point, error]) iter.Seq2[Point, error]
}

// Watcher is what the server calls on clients.
type Watcher interface {
	// Notify tells the client a note.
	Notify(ctx context.Context, n Note) error
	// Answer asks the client a question.
	Answer(ctx context.Context, question string) (*Reply, error)
}
