// Package tasks exercises enums, map keys and times in TypeScript (hubgen
// -ts): named strings and integers with constants become unions.
package tasks

import (
	"context"
	"iter"
	"time"
)

// Status is a task's state.
type Status string

// The states of a task.
const (
	// Pending is not started.
	Pending Status = "pending"
	Done    Status = "done" // finished
	// Finished is Done by another name: one value in the union, two names.
	Finished = Done
)

// Priority counts from 1: its zero value is not one of its constants.
type Priority int

// Priorities.
const (
	PriorityLow Priority = iota + 1
	PriorityHigh
)

// Code is a named string whose constants do not make it an enum.
//
//hubgen:noenum
type Code string

// CodeOK is a Code.
const CodeOK Code = "ok"

// Level encodes itself as text: never an enum.
type Level int

// LevelOne is a Level.
const LevelOne Level = 1

// MarshalText writes the level.
func (l Level) MarshalText() ([]byte, error) { return []byte("one"), nil }

// UnmarshalText reads a level.
func (l *Level) UnmarshalText([]byte) error { *l = LevelOne; return nil }

// Task has a field of each.
type Task struct {
	ID       int                 `json:"id"`
	Status   Status              `json:"status"`
	Priority Priority            `json:"priority,omitempty"`
	Code     Code                `json:"code"`
	Level    Level               `json:"level"`
	Month    time.Month          `json:"month"` // a foreign enum, from export data
	Due      time.Time           `json:"due"`
	Done     *time.Time          `json:"done,omitempty"`
	Counts   map[Status]int      `json:"counts"`
	ByPrio   map[Priority]string `json:"byPrio"`
	ByLevel  map[Level]bool      `json:"byLevel"`
	ByID     map[uint16]string   `json:"byID"`
}

// Tasks is what clients call on the server.
type Tasks interface {
	// Add adds a task and returns it as stored.
	Add(ctx context.Context, t Task) (Task, error)
	Due(ctx context.Context, before time.Time, status Status) ([]Task, error)
	Watch(ctx context.Context, p Priority) iter.Seq2[Task, error]
	Import(ctx context.Context, tasks iter.Seq2[Task, error]) (int, error)
}

// Board is what the server calls on clients.
type Board interface {
	Moved(ctx context.Context, id int, to Status, at time.Time) error
}
