// Package event is version 1 of the events.
package event

// Event happened.
type Event struct {
	Name string `json:"name"`
}
