// Package names declares names that generated code must not shadow.
package names

import (
	"context"
	"time"
)

// Package-level names that clash with the names of runtime packages and of
// generated locals.
var (
	hub    = "hub"
	client = "client"
	args   = 1
	impl   = 2
)

// Names has parameters named like packages, predeclared identifiers and
// generated locals, and parameters without names.
type Names interface {
	Shadow(ctx context.Context, time time.Time, string string, len int, hub string) (time.Time, error)
	Unnamed(context.Context, string, int) error
	Blank(_ context.Context, _ string, _ int) (string, error)
	Locals(ctx context.Context, c, t, result, err, nil string) error
	Renamed(ctx context.Context, arg1 string, _ string) error
}

// Receiver is the client interface.
type Receiver interface {
	Shadow(ctx context.Context, time time.Time, string string) (time.Time, error)
	Locals(ctx context.Context, c, t, result, err string) (int, error)
}

var _, _, _, _ = hub, client, args, impl
