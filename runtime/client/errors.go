package client

import (
	"errors"

	connections "github.com/hubgen/hubgen/runtime/transport"
)

// Error is an invocation that the server completed with an error. Message is the
// server's text exactly, such as "An unexpected error occurred invoking 'Send' on
// the server. HubException: no such room".
type Error struct {
	Message string
}

// Error returns the server's text.
func (e *Error) Error() string { return e.Message }

// HTTPError is an HTTP request to the server (negotiate, the WebSocket
// upgrade, the event stream, a poll, a send) that got an unexpected status. Its
// text is the one the JavaScript client reports, such as "Unauthorized: Status
// code '401'". It is the connections layer's type.
type HTTPError = connections.HTTPError

var (
	// ErrConnectionClosed is the error of calls on a connection that is closed,
	// and, wrapped, of invocations that were pending when their connection ended.
	ErrConnectionClosed = errors.New("client: connection closed")

	// ErrReconnecting is the error of calls made while the connection is
	// reconnecting. Wait for Options.OnReconnected, or retry later.
	ErrReconnecting = errors.New("client: cannot send while the connection is reconnecting")

	// ErrServerTimeout ends a connection on which nothing arrived for
	// Options.ServerTimeout. Its text is the JavaScript client's.
	//
	//lint:ignore ST1005 the text is the official clients'
	ErrServerTimeout = errors.New("Server timeout elapsed without receiving a message from the server.")
)

// errServerClosed is why a connection ended when the server closed it with a
// Close message that holds no error.
var errServerClosed = errors.New("client: the server closed the connection")

// errClosedByUser is why a connection ended when Close ended it.
var errClosedByUser = errors.New("client: closed by Close")

// closedError is the error of a call that ended with its connection: it is
// ErrConnectionClosed and it wraps the cause.
type closedError struct {
	reason string
	cause  error
}

func (e *closedError) Error() string {
	if e.cause == nil {
		return "client: invocation canceled: " + e.reason
	}
	return "client: invocation canceled: " + e.reason + ": " + e.cause.Error()
}

func (e *closedError) Is(target error) bool { return target == ErrConnectionClosed }
func (e *closedError) Unwrap() error        { return e.cause }

// endedError returns the error of a call on a connection that ended for cause.
func endedError(cause error) error {
	if cause == errClosedByUser {
		return &closedError{reason: "the connection was closed"}
	}
	return &closedError{reason: "the connection was lost", cause: cause}
}
