// Package event is version 2 of the events, with the same package name.
package event

// Event happened, at a time.
type Event struct {
	Name string `json:"name"`
	At   int64  `json:"at"`
}
