// Package stale has an out-of-date generated file, which does not compile
// any more; hubgen must replace it all the same.
package stale

import "context"

// StaleHub lost a method since the file was generated.
type StaleHub interface {
	// Current is what is left.
	Current(ctx context.Context) (int, error)
}
