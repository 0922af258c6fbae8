// Package clock is the contract of the clock example: the ASP.NET Core
// background-service sample, ported to Go. The server's worker calls ShowTime on
// every client each second; clients may ask the server for the time.
package clock

import (
	"context"
	"time"
)

//go:generate go run github.com/hubgen/hubgen/cmd/hubgen -server ClockHub -client Clock -ts ts

// Clock is what the server calls on connected clients.
type Clock interface {
	// ShowTime shows the server's time.
	ShowTime(ctx context.Context, now time.Time) error
}

// ClockHub is what clients may call on the server.
type ClockHub interface {
	// Now returns the server's time.
	Now(ctx context.Context) (time.Time, error)
}
