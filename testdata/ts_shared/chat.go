// Package chat is the case for hubs that share a TypeScript folder: the
// two lines with -ts web write rooms.ts and admin.ts, which import their
// types from chat.types.ts; the line with another folder is on its own.
package chat

//go:generate go run github.com/hubgen/hubgen/cmd/hubgen -server Rooms -client Members -ts web
//go:generate go tool hubgen -server Admin -ts "web"
//go:generate go tool hubgen -server Elsewhere -ts other

import (
	"context"
	"time"
)

// User is a member of rooms. Rooms only sends it, Admin receives it: in the
// shared file it has both forms.
type User struct {
	Name   string    `json:"name"`
	Joined time.Time `json:"joined"`
	Role   Role      `json:"role"`
}

// Role is what a user may do.
type Role string

// The roles.
const (
	Guest Role = "guest"
	Owner Role = "owner"
)

// Room is a chat room.
type Room struct {
	Name    string `json:"name"`
	Members int    `json:"members"`
}

// Ban keeps a user out until a time.
type Ban struct {
	User  User      `json:"user"`
	Until time.Time `json:"until"`
}

// Rooms is what members call.
type Rooms interface {
	Join(ctx context.Context, room string, as User) (Room, error)
}

// Members is what the server calls on members.
type Members interface {
	Joined(ctx context.Context, room Room) error
}

// Admin is what administrators call.
type Admin interface {
	Ban(ctx context.Context, b Ban) error
	Users(ctx context.Context, room string) ([]User, error)
	Rooms(ctx context.Context) ([]Room, error)
}

// Elsewhere writes its TypeScript into another folder: its file has its
// types.
type Elsewhere interface {
	Find(ctx context.Context, name string) (Room, error)
}
