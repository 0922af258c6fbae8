// Package other has a type named like a TypeScript type.
package other

// Record clashes with TypeScript's Record.
type Record struct {
	Key string `json:"key"`
}
