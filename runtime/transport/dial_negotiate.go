package transport

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// maxNegotiateRedirects caps the negotiate redirects one Dial follows, as in
// the JavaScript client.
const maxNegotiateRedirects = 100

// maxNegotiateResponse caps the negotiate response body that is read.
const maxNegotiateResponse = 1 << 20

// negotiated is what negotiate found: where and how to open the transport.
type negotiated struct {
	url        *url.URL // the hub URL, after redirects
	token      string   // connection token for the id query parameter; "" without negotiate
	id         string   // connection id, the connection's public name
	bearer     string   // access token to send
	transports []availableTransport
	stateful   bool // the server agreed to stateful reconnect
}

// connectURL returns the hub URL with the connection token, as every request
// of the connection's transport carries it.
func (n *negotiated) connectURL() *url.URL {
	u := *n.url
	if n.token != "" {
		if u.RawQuery != "" {
			u.RawQuery += "&"
		}
		u.RawQuery += "id=" + url.QueryEscape(n.token)
	}
	return &u
}

// negotiate asks the hub at u for a connection, following redirects.
func (cfg *dialConfig) negotiate(ctx context.Context, u *url.URL, bearer string) (*negotiated, error) {
	for range maxNegotiateRedirects {
		r, err := cfg.negotiateAt(ctx, u, bearer)
		if err != nil {
			return nil, fmt.Errorf("failed to complete negotiation with the server: %w", err)
		}
		if r.URL == "" {
			n := &negotiated{url: u, bearer: bearer, id: r.ConnectionID, token: r.ConnectionToken, transports: r.AvailableTransports, stateful: r.UseStatefulReconnect}
			if r.NegotiateVersion < 1 {
				n.token = r.ConnectionID // version 0: the id is the token
			}
			if n.token == "" {
				return nil, errors.New("failed to complete negotiation with the server: the response has no connection token")
			}
			return n, nil
		}
		if u, err = url.Parse(r.URL); err != nil {
			return nil, fmt.Errorf("negotiate redirected to an invalid URL: %w", err)
		}
		if r.AccessToken != "" {
			bearer = r.AccessToken
		}
	}
	return nil, errors.New("negotiate redirection limit exceeded")
}

// negotiateAt sends one negotiate request for the hub at u.
func (cfg *dialConfig) negotiateAt(ctx context.Context, u *url.URL, bearer string) (*negotiateResponse, error) {
	nu := *u
	switch nu.Scheme {
	case "ws":
		nu.Scheme = "http"
	case "wss":
		nu.Scheme = "https"
	}
	nu.Path = strings.TrimSuffix(nu.Path, "/") + "/negotiate"
	nu.RawPath = ""
	if nu.RawQuery != "" {
		nu.RawQuery += "&"
	}
	nu.RawQuery += "negotiateVersion=1"
	if cfg.opts.StatefulReconnect {
		nu.RawQuery += "&useStatefulReconnect=true"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, nu.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header = cfg.header(bearer)
	resp, err := cfg.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxNegotiateResponse))
	if resp.StatusCode != http.StatusOK {
		return nil, newHTTPError(resp, body)
	}
	if err != nil {
		return nil, err
	}
	var r negotiateResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("invalid negotiate response: %w", err)
	}
	if r.Error != "" {
		return nil, errors.New(r.Error)
	}
	if r.UseStatefulReconnect && !cfg.opts.StatefulReconnect {
		//lint:ignore ST1005 the text is the official clients'
		return nil, errors.New("Client didn't negotiate Stateful Reconnect but the server did.")
	}
	if r.ProtocolVersion != nil {
		return nil, errors.New("detected a connection attempt to an ASP.NET SignalR server: this client only supports connecting to an ASP.NET Core SignalR server")
	}
	return &r, nil
}

// open opens the first transport of those the server offers, in the server's
// order, that the options allow and that carries their transfer format, as
// the JavaScript client does. When one fails to start it negotiates again,
// for a new connection, before it tries the next.
func (cfg *dialConfig) open(ctx context.Context, n *negotiated) (*ClientConn, error) {
	format := cfg.opts.Format
	var errs dialErrors
	fresh := true // n has not been used for an attempt yet
	for _, at := range n.transports {
		kind := ParseTransport(at.Transport)
		switch {
		case kind == 0:
			errs = append(errs, fmt.Errorf("skipping transport '%s' because it is not supported by this client", at.Transport))
			continue
		case kind&cfg.opts.Transports == 0:
			errs = append(errs, fmt.Errorf("'%s' is disabled by the client", at.Transport))
			continue
		case !slices.Contains(at.TransferFormats, format.String()) || !kind.Supports(format):
			errs = append(errs, fmt.Errorf("'%s' does not support %s", at.Transport, format))
			continue
		}
		if !fresh {
			next, err := cfg.negotiate(ctx, n.url, n.bearer)
			if err != nil {
				return nil, err
			}
			next.transports = n.transports // the first answer's list is walked
			n = next
		}
		fresh = false
		t, err := cfg.openTransport(ctx, kind, n)
		if err == nil {
			c := &ClientConn{t: t, id: n.id, kind: kind, format: format, cfg: cfg}
			if ws, ok := t.(*clientWS); ok && n.stateful {
				s := &clientSwap{cfg: cfg, n: n}
				s.cur.Store(ws)
				c.t, c.swap = s, s
			}
			return c, nil
		}
		if ctx.Err() != nil {
			return nil, err
		}
		cfg.log.Debug("transport: a transport failed to start", "transport", at.Transport, "error", err)
		errs = append(errs, fmt.Errorf("%s failed: %w", at.Transport, err))
	}
	if len(errs) == 0 {
		return nil, errors.New("none of the transports supported by the client are supported by the server")
	}
	return nil, fmt.Errorf("unable to connect to the server with any of the available transports: %w", errs)
}

// openTransport opens a transport of kind for a negotiated connection.
func (cfg *dialConfig) openTransport(ctx context.Context, kind Transports, n *negotiated) (clientTransport, error) {
	switch kind {
	case WebSockets:
		return cfg.dialWebSocket(ctx, n)
	case ServerSentEvents:
		return cfg.dialServerSentEvents(ctx, n)
	default:
		return cfg.dialLongPolling(ctx, n)
	}
}

// dialErrors are why each transport the server offers was not used.
type dialErrors []error

func (e dialErrors) Error() string {
	texts := make([]string, len(e))
	for i, err := range e {
		texts[i] = err.Error()
	}
	return strings.Join(texts, "; ")
}

func (e dialErrors) Unwrap() []error { return e }
