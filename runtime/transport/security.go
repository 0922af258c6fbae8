package transport

import (
	"net/http"
	"net/url"
	"strings"
)

// BearerToken returns the bearer token a request carries: the credentials of
// an "Authorization: Bearer" header or, without one, the access_token query
// parameter, which browsers must use for WebSockets and Server-Sent Events
// since they cannot set headers on those. It returns "" when there is none.
// Cookies are read with r.Cookie.
func BearerToken(r *http.Request) string {
	const scheme = "Bearer "
	if h := r.Header.Get("Authorization"); len(h) > len(scheme) && strings.EqualFold(h[:len(scheme)], scheme) {
		return strings.TrimSpace(h[len(scheme):])
	}
	return r.URL.Query().Get("access_token")
}

// secretParams are the query parameters whose values are secrets: the bearer
// token browsers send, and the connection token that routes a connection's
// requests (the connection id is public; the token is not).
var secretParams = []string{"access_token", "id"}

func isSecretParam(key string) bool {
	for _, p := range secretParams {
		if strings.EqualFold(key, p) {
			return true
		}
	}
	return false
}

// RedactURL returns u as a string for logs: the values of its access_token and
// id (connection token) query parameters are replaced with "REDACTED", and
// any user info is dropped. The other parameters stay as they were.
func RedactURL(u *url.URL) string {
	v := *u
	v.User = nil
	if v.RawQuery != "" {
		parts := strings.Split(v.RawQuery, "&")
		for i, part := range parts {
			key, _, _ := strings.Cut(part, "=")
			if k, err := url.QueryUnescape(key); err == nil {
				key = k
			}
			if isSecretParam(key) {
				parts[i] = url.QueryEscape(key) + "=REDACTED"
			}
		}
		v.RawQuery = strings.Join(parts, "&")
	}
	return v.String()
}

// Scrub replaces in s the secrets r carries (its bearer token, and the values
// of its access_token and id query parameters) with "REDACTED", for logging
// texts that may quote them, such as the error of an authenticator.
func Scrub(s string, r *http.Request) string {
	var secrets []string
	if t := BearerToken(r); t != "" {
		secrets = append(secrets, t)
	}
	for k, vs := range r.URL.Query() {
		if isSecretParam(k) {
			secrets = append(secrets, vs...)
		}
	}
	for _, secret := range secrets {
		if len(secret) >= 4 {
			s = strings.ReplaceAll(s, secret, "REDACTED")
		}
	}
	return s
}

// reject answers a request with an error status and text, and logs it without
// its secrets.
func (s *Server) reject(w http.ResponseWriter, r *http.Request, text string, status int) {
	s.log.Debug("transport: request refused", "method", r.Method, "url", RedactURL(r.URL), "status", status, "reason", text)
	http.Error(w, text, status)
}

// The CORS answers, as the official clients need them: they send credentials
// (withCredentials defaults to true), their own headers, and a bearer token.
const (
	corsMethods = "GET, POST, DELETE"
	corsHeaders = "X-SignalR-User-Agent, X-Requested-With, Authorization, Content-Type"
)

// cors adds the CORS headers to a request from an allowed origin, and answers
// OPTIONS requests: a preflight from an allowed origin gets 204 with what the
// official clients need, any other OPTIONS 204 without CORS headers, which a
// browser takes for a refusal. It reports whether it answered the request.
func (s *Server) cors(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	allowed := origin != "" && s.corsAllowed(origin)
	h := w.Header()
	if len(s.opts.AllowedOrigins) > 0 {
		h.Add("Vary", "Origin")
	}
	if allowed {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	if r.Method != http.MethodOptions {
		return false
	}
	h.Set("Allow", corsMethods+", OPTIONS")
	if allowed && r.Header.Get("Access-Control-Request-Method") != "" {
		h.Set("Access-Control-Allow-Methods", corsMethods)
		headers := corsHeaders
		if req := r.Header.Get("Access-Control-Request-Headers"); req != "" && isHeaderList(req) {
			headers = req
		}
		h.Set("Access-Control-Allow-Headers", headers)
	} else if origin != "" {
		s.log.Debug("transport: CORS preflight refused", "origin", origin, "url", RedactURL(r.URL))
	}
	w.WriteHeader(http.StatusNoContent)
	return true
}

// corsAllowed reports whether origin is one of Options.AllowedOrigins.
func (s *Server) corsAllowed(origin string) bool {
	for _, o := range s.opts.AllowedOrigins {
		if o == "*" || strings.EqualFold(o, origin) {
			return true
		}
	}
	return false
}

// sameHost reports whether origin names host.
func sameHost(origin, host string) bool {
	u, err := url.Parse(origin)
	return err == nil && strings.EqualFold(u.Host, host)
}

// isHeaderList reports whether v is a comma-separated list of header names,
// safe to echo in Access-Control-Allow-Headers.
func isHeaderList(v string) bool {
	for name := range strings.SplitSeq(v, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			return false
		}
		for i := 0; i < len(name); i++ {
			if !isTokenChar(name[i]) {
				return false
			}
		}
	}
	return true
}

// isTokenChar reports whether b may appear in an HTTP token (RFC 9110).
func isTokenChar(b byte) bool {
	switch {
	case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", b) >= 0
}
