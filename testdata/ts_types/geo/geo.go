// Package geo has types that the contract embeds and refers to.
package geo

// Point is a point on a map.
type Point struct {
	Lat float64 `json:"lat"`
	Lng float64 `json:"lng"`
}

// Base is embedded by a struct of the contract.
type Base struct {
	ID      string `json:"id"`
	Created int64  `json:"created,omitempty"`
	// Name is hidden by the embedding struct's own Name.
	Name string `json:"name"`
}

// Audit is embedded through a pointer.
type Audit struct {
	By string `json:"by"`
}

// Shape clashes with the contract's Shape.
type Shape struct {
	Sides int `json:"sides"`
}
