package protocol

import (
	"bytes"
	"strconv"
)

// HandshakeRequest is the first message a client sends: the protocol it wants.
// It is always JSON followed by the record separator, whatever the protocol.
type HandshakeRequest struct {
	Protocol string
	Version  int
}

// ParseHandshakeRequest parses a handshake request at the start of data and
// returns the number of bytes it used, or 0 when the request is not complete.
// As in ASP.NET Core's HandshakeProtocol, protocol must be a string (null is
// refused) and version a 32-bit integer or null (which counts as missing), a
// repeated property replaces what came before, and whatever follows the
// object in its record is ignored. JSON that is not well-formed is reported
// as the JsonReaderException that ASP.NET Core passes on, with a text of
// hubgen's own.
func ParseHandshakeRequest(data []byte) (HandshakeRequest, int, error) {
	var req HandshakeRequest
	end := bytes.IndexByte(data, RecordSeparator)
	if end < 0 {
		return req, 0, nil
	}
	var seenProtocol, seenVersion bool
	s := scanner{data: data[:end], maxDepth: DefaultMaxDepth}
	err := s.object(func(key []byte) error {
		var err error
		switch string(key) {
		case "protocol":
			req.Protocol, err = s.stringStrict("protocol")
			seenProtocol = true
		case "version":
			var v int64
			var null bool
			v, null, err = s.intValue("version", 32)
			req.Version, seenVersion = int(v), !null
		default:
			err = s.skip(1)
		}
		return err
	})
	err = handshakeError(err)
	if err == nil && !seenProtocol {
		err = errorf("Missing required property 'protocol'. Message content: %s", data[:end])
	}
	if err == nil && !seenVersion {
		err = errorf("Missing required property 'version'. Message content: %s", data[:end])
	}
	return req, end + 1, err
}

// handshakeError names JSON that is not well-formed as the exception ASP.NET
// Core's HandshakeProtocol lets through from System.Text.Json.
func handshakeError(err error) error {
	if pe, ok := err.(*Error); ok && pe.syntax {
		return &Error{Msg: pe.Msg, kind: "JsonReaderException"}
	}
	return err
}

// AppendHandshakeRequest appends a handshake request.
func AppendHandshakeRequest(dst []byte, req HandshakeRequest) []byte {
	dst = append(dst, `{"protocol":`...)
	dst = appendString(dst, req.Protocol)
	dst = append(dst, `,"version":`...)
	dst = strconv.AppendInt(dst, int64(req.Version), 10)
	return append(dst, '}', RecordSeparator)
}

// AppendHandshakeResponse appends a handshake response: success when errText is
// empty, and otherwise the error that refuses the connection.
func AppendHandshakeResponse(dst []byte, errText string) []byte {
	if errText == "" {
		return append(dst, '{', '}', RecordSeparator)
	}
	dst = append(dst, `{"error":`...)
	dst = appendString(dst, errText)
	return append(dst, '}', RecordSeparator)
}

// ParseHandshakeResponse parses the server's handshake response at the start of
// data. It returns the error text the server sent (empty on success) and the
// number of bytes used, or 0 when the response is not complete; err reports a
// response that is not a handshake response at all. As in ASP.NET Core, an
// error must be a string (null is refused).
func ParseHandshakeResponse(data []byte) (errText string, n int, err error) {
	end := bytes.IndexByte(data, RecordSeparator)
	if end < 0 {
		return "", 0, nil
	}
	s := scanner{data: data[:end], maxDepth: DefaultMaxDepth}
	err = s.object(func(key []byte) error {
		var err error
		switch string(key) {
		case "error":
			errText, err = s.stringStrict("error")
		case "type":
			err = errorf("Expected a handshake response from the server.")
		default:
			err = s.skip(1)
		}
		return err
	})
	return errText, end + 1, handshakeError(err)
}
