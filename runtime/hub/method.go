package hub

import (
	"context"
	"fmt"
	"iter"
	"strings"

	"github.com/hubgen/hubgen/runtime/protocol"
)

// Method is one entry of a hub's dispatch table: what a client may invoke, by
// wire name. Generated code builds the table; each Call decodes its own
// arguments into their Go types and calls the user's method, so the runtime
// dispatches without reflection.
type Method struct {
	// Name is the wire name. Clients' calls match it case-insensitively.
	Name string
	// Args is the number of arguments the method takes.
	Args int
	// Void methods complete without a result.
	Void bool
	// Call runs the method. ctx is the caller's connection context; args holds
	// exactly Args arguments. The result goes into the Completion unless Void.
	Call func(ctx context.Context, args Args) (any, error)
	// Stream, set instead of Call, makes a server-to-client streaming method:
	// clients call it with a StreamInvocation and receive its items. ctx ends
	// when the client cancels the stream or the connection closes. An error
	// fails the invocation before its first item; a nil sequence without one is
	// an empty stream.
	Stream func(ctx context.Context, args Args) (iter.Seq2[any, error], error)
	// Uploads is the number of client-to-server streams the method takes,
	// read with Upload.
	Uploads int
}

// Args are the encoded arguments of an invocation, and its upload streams.
type Args struct {
	proto   protocol.Protocol
	raw     []protocol.Raw
	uploads []*upload
}

// Len returns the number of arguments.
func (a Args) Len() int { return len(a.raw) }

// Decode decodes argument i into the value v points to. Its error makes the
// invocation fail as a binding failure, as ASP.NET Core reports it.
func (a Args) Decode(i int, v any) error {
	if i < 0 || i >= len(a.raw) {
		return &bindError{index: i, err: fmt.Errorf("no argument %d: the invocation has %d", i, len(a.raw))}
	}
	if err := a.proto.Decode(a.raw[i], v); err != nil {
		return &bindError{index: i, err: err}
	}
	return nil
}

// Arg decodes argument i as a T.
func Arg[T any](a Args, i int) (T, error) {
	var v T
	// A string decodes without its header escaping to the heap, when the
	// protocol can.
	if p, ok := any(&v).(*string); ok && i >= 0 && i < len(a.raw) {
		if d, ok := a.proto.(stringDecoder); ok {
			s, err := d.DecodeString(a.raw[i])
			if err != nil {
				return v, &bindError{index: i, err: err}
			}
			*p = s
			return v, nil
		}
	}
	pv := new(T)
	err := a.Decode(i, pv)
	return *pv, err
}

// stringDecoder is a protocol that decodes strings without a pointer.
type stringDecoder interface {
	DecodeString(protocol.Raw) (string, error)
}

// NewArgs returns Args over encoded values, for tests and transports of other
// kinds.
func NewArgs(p protocol.Protocol, raw []protocol.Raw) Args {
	return Args{proto: p, raw: raw}
}

// methodTable finds methods by wire name, ignoring case.
type methodTable struct {
	exact map[string]*Method
	fold  map[string]*Method
}

func newMethodTable(methods []Method) (methodTable, error) {
	t := methodTable{exact: make(map[string]*Method, len(methods)), fold: make(map[string]*Method, len(methods))}
	for i := range methods {
		m := &methods[i]
		if m.Name == "" || (m.Call == nil) == (m.Stream == nil) {
			return t, fmt.Errorf("hub: method %d needs a Name and either a Call or a Stream", i)
		}
		key := strings.ToLower(m.Name)
		if prev, ok := t.fold[key]; ok {
			return t, fmt.Errorf("hub: methods %q and %q have the same name ignoring case", prev.Name, m.Name)
		}
		t.exact[m.Name] = m
		t.fold[key] = m
	}
	return t, nil
}

// lookup finds a method without allocating when the name matches exactly.
func (t methodTable) lookup(name string) *Method {
	if m, ok := t.exact[name]; ok {
		return m
	}
	return t.fold[strings.ToLower(name)]
}
