// Package store is the case for the TypeScript of the MessagePack protocol
// (-ts-protocol messagepack): names from msgpack tags or Go names, Date,
// Uint8Array, msgpack's omitempty and inlining.
package store

import (
	"context"
	"encoding/json"
	"iter"
	"time"
)

// Base is inlined into Item.
type Base struct {
	ID string `json:"id" msgpack:"id"`
}

// Audit is inlined through a pointer: its fields may be left out or null.
type Audit struct {
	By string `msgpack:"by,omitempty"`
}

// Meta has a field named like one of Item's, so it is not inlined.
type Meta struct {
	Name string
}

// Kept is embedded with noinline: a field of its own.
type Kept struct {
	K int
}

// Kind is an enum.
type Kind string

// The kinds.
const (
	KindBook Kind = "book"
	KindDisc Kind = "disc"
)

// Item has a field of each kind that MessagePack writes its own way.
type Item struct {
	Base
	*Audit
	Name string `json:"name"`
	Meta
	Kept `msgpack:",noinline"`
	// Hidden is left out of JSON, not of MessagePack.
	Hidden string `json:"-"`
	// NoPack is left out of MessagePack, not of JSON.
	NoPack string `msgpack:"-"`
	// Tags is optional in JSON only: MessagePack writes a nil slice as nil.
	Tags []string `json:"tags,omitempty"`
	// Labels is optional in MessagePack.
	Labels []string        `msgpack:"labels,omitempty"`
	At     time.Time       `json:"at"`
	When   *time.Time      `json:"when,omitempty"`
	Data   []byte          `json:"data"`
	Hash   [4]byte         `json:"hash"`
	Count  int64           `json:"count,string"`
	Raw    json.RawMessage `json:"raw"`
	Num    json.Number     `json:"num"`
	Kind   Kind            `json:"kind"`
	ByKind map[Kind]int    `json:"byKind"`
	ByID   map[int]string  `json:"byID"`
	Parent *Item           `json:"parent"`
}

// Store is what clients call.
type Store interface {
	Put(ctx context.Context, it Item, at time.Time) (Item, error)
	Watch(ctx context.Context) iter.Seq2[Item, error]
}

// Feed is what the server calls on clients.
type Feed interface {
	Added(ctx context.Context, it Item) error
}
