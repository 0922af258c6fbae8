package hub

import (
	"net/http"
	"net/url"

	"github.com/hubgen/hubgen/runtime/transport"
)

// Transports is a set of transports a hub accepts.
type Transports = transport.Transports

// The transports, as the official clients number them.
const (
	WebSockets       = transport.WebSockets
	ServerSentEvents = transport.ServerSentEvents
	LongPolling      = transport.LongPolling
	AllTransports    = transport.AllTransports
)

// Identity is who a connection belongs to, as Options.Authenticate found.
type Identity = transport.Identity

// Router is where a hub is mounted: an *http.ServeMux, a *transport.Mux
// (which matches the hub's paths ignoring case), or any router with the same
// Handle method.
type Router = transport.Router

// BearerToken returns the bearer token a request carries; see
// transport.BearerToken.
func BearerToken(r *http.Request) string { return transport.BearerToken(r) }

// RedactURL returns u as a string for logs, without its secrets; see
// transport.RedactURL.
func RedactURL(u *url.URL) string { return transport.RedactURL(u) }
