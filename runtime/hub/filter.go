package hub

import (
	"context"
	"errors"
	"iter"
)

// Filter is middleware around a hub's methods and its connection events, as
// ASP.NET Core's hub filters are. Each func is optional. A filter goes on by
// calling next, possibly with a derived context; it stops the call by
// returning without calling next. Options.Filters run in onion order: the
// first filter is the outermost.
type Filter struct {
	// Invoke wraps every invocation of a hub method, server streams and
	// methods with upload streams included; Options.Authorize has allowed it.
	// What it returns is the invocation's outcome: an error reaches the client
	// as the method's own would, so a *Error vetoes the call with its message.
	// For a streaming method next returns the stream, an iter.Seq2[any, error],
	// and the filter sees its start, not its items.
	Invoke func(ctx context.Context, inv *Invocation, next func(context.Context) (any, error)) (any, error)
	// Connect wraps Options.OnConnected. An error closes the connection, as
	// an error of OnConnected does.
	Connect func(ctx context.Context, c *Conn, next func(context.Context) error) error
	// Disconnect wraps Options.OnDisconnected; cause says why the connection
	// closed, nil for a clean close.
	Disconnect func(ctx context.Context, c *Conn, cause error, next func(ctx context.Context, cause error))
}

// Invocation is a call of a hub method, as filters see it.
type Invocation struct {
	// Conn is the calling connection.
	Conn *Conn
	// Method is the method's name as the hub declares it, whatever case the
	// client used.
	Method string
	// Args are the call's arguments, still encoded.
	Args Args
	// Stream reports a streaming method.
	Stream bool
}

// unauthorizedError marks an invocation refused by Options.Authorize.
type unauthorizedError struct{ err error }

func (e *unauthorizedError) Error() string { return "hub: unauthorized: " + e.err.Error() }
func (e *unauthorizedError) Unwrap() error { return e.err }

// guarded reports whether invocations go through Authorize or filters.
func (s *Server) guarded() bool {
	return s.opts.Authorize != nil || len(s.invokeFilters) > 0
}

// invokeVia runs a method through Options.Authorize and the Invoke filters;
// final calls the method itself.
func (s *Server) invokeVia(ctx context.Context, inv *Invocation, final func(context.Context) (any, error)) (any, error) {
	if s.opts.Authorize != nil {
		if err := s.opts.Authorize(ctx, inv.Conn, inv.Method); err != nil {
			return nil, &unauthorizedError{err}
		}
	}
	return invokeFilters(s.invokeFilters, ctx, inv, final)
}

func invokeFilters(filters []Filter, ctx context.Context, inv *Invocation, final func(context.Context) (any, error)) (any, error) {
	if len(filters) == 0 {
		return final(ctx)
	}
	rest := filters[1:]
	return filters[0].Invoke(ctx, inv, func(ctx context.Context) (any, error) {
		return invokeFilters(rest, ctx, inv, final)
	})
}

// connectVia runs OnConnected through the Connect filters.
func (s *Server) connectVia(ctx context.Context, c *Conn) error {
	return connectFilters(s.connectFilters, ctx, c, func(ctx context.Context) error {
		if s.opts.OnConnected == nil {
			return nil
		}
		return s.opts.OnConnected(ctx, c)
	})
}

func connectFilters(filters []Filter, ctx context.Context, c *Conn, final func(context.Context) error) error {
	if len(filters) == 0 {
		return final(ctx)
	}
	rest := filters[1:]
	return filters[0].Connect(ctx, c, func(ctx context.Context) error {
		return connectFilters(rest, ctx, c, final)
	})
}

// disconnectVia runs OnDisconnected through the Disconnect filters.
func (s *Server) disconnectVia(ctx context.Context, c *Conn, cause error) {
	disconnectFilters(s.disconnectFilters, ctx, c, cause, func(ctx context.Context, cause error) {
		if s.opts.OnDisconnected != nil {
			s.opts.OnDisconnected(ctx, c, cause)
		}
	})
}

func disconnectFilters(filters []Filter, ctx context.Context, c *Conn, cause error, final func(context.Context, error)) {
	if len(filters) == 0 {
		final(ctx, cause)
		return
	}
	rest := filters[1:]
	filters[0].Disconnect(ctx, c, cause, func(ctx context.Context, cause error) {
		disconnectFilters(rest, ctx, c, cause, final)
	})
}

// splitFilters keeps, for each kind of filter, those that have one.
func (s *Server) splitFilters() {
	for _, f := range s.opts.Filters {
		if f.Invoke != nil {
			s.invokeFilters = append(s.invokeFilters, f)
		}
		if f.Connect != nil {
			s.connectFilters = append(s.connectFilters, f)
		}
		if f.Disconnect != nil {
			s.disconnectFilters = append(s.disconnectFilters, f)
		}
	}
}

// errNotAStream is the error of an Invoke filter that replaced a stream with
// something else.
var errNotAStream = errors.New("hub: an Invoke filter returned something other than the stream of a streaming method")

// asStream turns what the filters returned for a streaming method back into
// its stream.
func asStream(v any) (iter.Seq2[any, error], error) {
	seq, ok := v.(iter.Seq2[any, error])
	if !ok {
		return nil, errNotAStream
	}
	return seq, nil
}
