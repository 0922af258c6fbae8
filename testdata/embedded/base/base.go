// Package base holds interfaces that hubs embed.
package base

import "context"

// Pinger is embedded by hubs in other packages.
type Pinger interface {
	// Ping checks that the hub answers.
	//hubgen:name ping
	Ping(ctx context.Context) error
}

// Presence is embedded by clients in other packages.
type Presence interface {
	// Joined tells that a user joined.
	Joined(ctx context.Context, user User) error
}

// User is someone.
type User struct {
	Name string `json:"name"`
}
