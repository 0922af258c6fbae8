// Package other has an interface with a method that a hub cannot have.
package other

import "context"

// Watcher watches.
type Watcher interface {
	// Watch takes a channel.
	Watch(ctx context.Context, done chan struct{}) error
}
