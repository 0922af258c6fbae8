package transport

import (
	"encoding/json"
	"strings"
	"time"
)

// Transports is a set of transports, numbered as the official clients number
// them (HttpTransportType).
type Transports int

// The transports.
const (
	WebSockets       Transports = 1
	ServerSentEvents Transports = 2
	LongPolling      Transports = 4
	AllTransports               = WebSockets | ServerSentEvents | LongPolling
)

// transportNames are the transports by the names negotiate uses, in the order
// clients should try them.
var transportNames = []struct {
	t    Transports
	name string
}{
	{WebSockets, "WebSockets"},
	{ServerSentEvents, "ServerSentEvents"},
	{LongPolling, "LongPolling"},
}

// String returns the names of the transports in t, as negotiate writes them,
// separated by commas.
func (t Transports) String() string {
	var names []string
	for _, n := range transportNames {
		if t&n.t != 0 {
			names = append(names, n.name)
		}
	}
	return strings.Join(names, ", ")
}

// ParseTransport returns the transport that negotiate names name, or 0.
func ParseTransport(name string) Transports {
	for _, n := range transportNames {
		if n.name == name {
			return n.t
		}
	}
	return 0
}

// Format is the kind of data a connection carries: text (UTF-8) or binary.
type Format int

// The transfer formats, numbered as the official clients number them.
const (
	Text   Format = 1
	Binary Format = 2
)

// String returns "Text" or "Binary", as negotiate writes them.
func (f Format) String() string {
	switch f {
	case Text:
		return "Text"
	case Binary:
		return "Binary"
	}
	return "Unknown"
}

// formats returns the transfer formats transport t carries.
func (t Transports) formats() []Format {
	if t == ServerSentEvents {
		return []Format{Text}
	}
	return []Format{Text, Binary}
}

// Supports reports whether transport t carries format f: Server-Sent Events
// carry only text.
func (t Transports) Supports(f Format) bool {
	return f == Text || f == Binary && t != ServerSentEvents
}

// Identity is who a connection belongs to, as the server's authenticator
// found.
type Identity struct {
	// UserID names the user, for sends to a user's connections.
	UserID string
	// Claims hold whatever else the authenticator knows.
	Claims map[string]any
	// Expires, when not zero, is when the identity stops being valid (a JWT's
	// exp claim, say). With Options.CloseOnAuthenticationExpiration a
	// connection closes when it passes; without, requests after it are
	// refused with 401, as ASP.NET Core does.
	Expires time.Time
}

// negotiateResponse is any answer to negotiate: a connection, a redirect
// (URL, with AccessToken), or an error. The server writes only the fields of
// a connection or an error. ProtocolVersion is only read: a body that has it
// comes from an old ASP.NET SignalR server, which the client refuses.
type negotiateResponse struct {
	NegotiateVersion     int                  `json:"negotiateVersion"`
	ConnectionID         string               `json:"connectionId,omitempty"`
	ConnectionToken      string               `json:"connectionToken,omitempty"`
	AvailableTransports  []availableTransport `json:"availableTransports,omitempty"`
	URL                  string               `json:"url,omitempty"`
	AccessToken          string               `json:"accessToken,omitempty"`
	Error                string               `json:"error,omitempty"`
	ProtocolVersion      json.RawMessage      `json:"ProtocolVersion,omitempty"`
	UseStatefulReconnect bool                 `json:"useStatefulReconnect,omitempty"`
}

// availableTransport is one transport a negotiate response offers.
type availableTransport struct {
	Transport       string   `json:"transport"`
	TransferFormats []string `json:"transferFormats"`
}

// available lists the transports of t as negotiate describes them.
func (t Transports) available() []availableTransport {
	var list []availableTransport
	for _, n := range transportNames {
		if t&n.t == 0 {
			continue
		}
		var formats []string
		for _, f := range n.t.formats() {
			formats = append(formats, f.String())
		}
		list = append(list, availableTransport{n.name, formats})
	}
	return list
}
