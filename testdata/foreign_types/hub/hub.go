// Package hub has the name of hubgen's runtime package.
package hub

// Room is a chat room.
type Room struct {
	Name string `json:"name"`
}
