// Package clock is the contract of a clock hub.
package clock

import (
	"context"
	"time"
)

// Clock is what the server calls on connected clients.
type Clock interface {
	// ShowTime shows the server's time on the client.
	ShowTime(ctx context.Context, now time.Time) error
	// Confirm asks the user of the client a yes/no question.
	//
	// The server waits for the answer.
	Confirm(ctx context.Context, question string) (bool, error)
	Tick(ctx context.Context) error
}

// ClockHub is what clients may call on the server.
type ClockHub interface {
	// Now returns the server's time.
	Now(ctx context.Context) (time.Time, error)
	// SetAlarm sets an alarm at a time, with a label.
	SetAlarm(ctx context.Context, at time.Time, label string) error
	// Alarms lists the alarms set.
	//hubgen:name listAlarms
	Alarms(ctx context.Context) ([]Alarm, error)
	Reset(ctx context.Context) error
}

// Alarm is an alarm set on the server.
type Alarm struct {
	At    time.Time `json:"at"`
	Label string    `json:"label,omitempty"`
}
