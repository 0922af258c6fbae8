package types

import (
	"context"
	"fmt"
	"unsafe"

	"example.com/golden/bad_types/other"
)

// Event has a field that cannot cross the wire.
type Event struct {
	Name    string
	Inner   Inner
	skipped chan int
	Ignored func() `json:"-" msgpack:"-"`
}

// Half keeps a field off JSON only: MessagePack would still encode it.
type Half struct {
	Name string
	C    chan int `json:"-"`
}

// Opaque has no field that crosses the wire: it would arrive empty.
type Opaque struct{ a, b int }

// Inner is nested in Event.
type Inner struct {
	Done chan struct{}
}

// Key is neither a string nor an integer, and has no MarshalText.
type Key float64

// Types takes and returns what cannot cross the wire.
type Types interface {
	other.Watcher
	Chan(ctx context.Context, c chan int) error
	Func(ctx context.Context, f func()) error
	Complex(ctx context.Context, z complex128) error
	Pointer(ctx context.Context, p unsafe.Pointer, u uintptr) error
	MapKey(ctx context.Context, m map[Key]string) error
	Error(ctx context.Context, err error) error
	Iface(ctx context.Context, s fmt.Stringer) error
	Nested(ctx context.Context, e []Event) error
	Result(ctx context.Context) (chan int, error)
	Half(ctx context.Context, h Half) error
	Opaque(ctx context.Context, o Opaque) error
}

// Client has a result that cannot cross.
type Client interface {
	Get(ctx context.Context) (func() int, error)
	Fine(ctx context.Context, v any) error
}
