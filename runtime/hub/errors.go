package hub

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/hubgen/hubgen/runtime/protocol"
)

// Error is an error meant for the client: its message is always sent, whether or
// not detailed errors are on, as a HubException's is in ASP.NET Core. Return one
// from a hub method to tell the caller what went wrong.
type Error struct {
	Message string
}

// Errorf returns an *Error with a formatted message.
func Errorf(format string, args ...any) *Error {
	return &Error{Message: fmt.Sprintf(format, args...)}
}

func (e *Error) Error() string { return e.Message }

// The texts clients see, as ASP.NET Core writes them.
const (
	textInvokeFailed     = "An unexpected error occurred invoking '%s' on the server."
	textBindFailed       = "Failed to invoke '%s' due to an error on the server."
	textConnectionClosed = "Connection closed with an error."
	textHandshakeFailed  = "An unexpected error occurred during connection handshake."
	textHandshakeTimeout = "Handshake was canceled."
	textMethodMissing    = "Method does not exist."
	textStreamingMethod  = "The client attempted to invoke the streaming '%s' method with a non-streaming invocation."
	textNonStreaming     = "The client attempted to invoke the non-streaming '%s' method with a streaming invocation."
	textArgCount         = "Invocation provides %d argument(s) but target expects %d."
	textBindArguments    = "Error binding arguments. Make sure that the types of the provided values match the types of the hub method being invoked."
	textStreamCount      = "Client sent %d stream(s), Hub method expects %d."
	textStreamFailed     = "An error occurred on the server while streaming results."
	textTooManyStreams   = "The connection has too many streams open."
	textMessageTooBig    = "The maximum message size of %dB was exceeded. The message size can be configured in AddHubOptions."
	textUnauthorized     = "Failed to invoke '%s' because user is unauthorized"
	textTruncated        = "Connection terminated while reading a message."
	textInvalidUTF8      = "Invalid UTF-8 in a message of a text protocol."
)

// clientText builds the text a client sees for err: prefix, then the error's own
// message when it is an *Error or when detailed errors are on, as ASP.NET
// Core's ErrorMessageHelper does.
func clientText(prefix string, err error, detailed bool) string {
	var he *Error
	if errors.As(err, &he) {
		return prefix + " HubException: " + he.Message
	}
	if detailed && err != nil {
		return prefix + " " + errorKind(err) + ": " + err.Error()
	}
	return prefix
}

// kinded errors name their own kind in detailed texts.
type kinded interface{ Kind() string }

func errorKind(err error) string {
	var k kinded
	if errors.As(err, &k) {
		return k.Kind()
	}
	// A message that breaks the protocol is an InvalidDataException in
	// ASP.NET Core.
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return "InvalidDataException"
	}
	return "Error"
}

// detailError is an error whose kind is given, such as "InvalidDataException".
type detailError struct {
	kind string
	msg  string
}

func (e *detailError) Error() string { return e.msg }
func (e *detailError) Kind() string  { return e.kind }

func invalidData(format string, args ...any) error {
	return &detailError{kind: "InvalidDataException", msg: fmt.Sprintf(format, args...)}
}

// PanicError is a panic in hub code, recovered into an error.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// Kind names the error in detailed texts.
func (e *PanicError) Kind() string { return "Panic" }

// bindError is an argument that could not be decoded into its Go type. Its
// text is ASP.NET Core's, which names neither; logs get both.
type bindError struct {
	index int
	err   error
}

func (e *bindError) Error() string { return textBindArguments }

func (e *bindError) Unwrap() error { return e.err }
func (e *bindError) Kind() string  { return "InvalidDataException" }

// LogValue says which argument, and why.
func (e *bindError) LogValue() slog.Value {
	return slog.StringValue(fmt.Sprintf("argument %d: %v", e.index, e.err))
}
