package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hubgen/hubgen/runtime/protocol"
)

// maxRedirects caps the negotiate redirects one attempt follows, as in the
// JavaScript client.
const maxRedirects = 100

// maxNegotiateSize caps the negotiate response body that is read.
const maxNegotiateSize = 1 << 20

// negotiation is what negotiate found: where and how to open the transport.
type negotiation struct {
	url        *url.URL // the hub URL, after redirects
	token      string   // connection token for the id query parameter; "" without negotiate
	id         string   // connection id, the connection's public name
	bearer     string   // access token to send
	transports []availableTransport
}

type availableTransport struct {
	Transport       string   `json:"transport"`
	TransferFormats []string `json:"transferFormats"`
}

// connectURL returns the hub URL with the connection token, as every request
// of the connection's transport carries it.
func (n *negotiation) connectURL() *url.URL {
	u := *n.url
	if n.token != "" {
		if u.RawQuery != "" {
			u.RawQuery += "&"
		}
		u.RawQuery += "id=" + url.QueryEscape(n.token)
	}
	return &u
}

// negotiateResponse is any answer to negotiate: a connection, a redirect, or
// an error.
type negotiateResponse struct {
	NegotiateVersion    int                  `json:"negotiateVersion"`
	ConnectionID        string               `json:"connectionId"`
	ConnectionToken     string               `json:"connectionToken"`
	AvailableTransports []availableTransport `json:"availableTransports"`
	URL                 string               `json:"url"`
	AccessToken         string               `json:"accessToken"`
	Error               string               `json:"error"`
	ProtocolVersion     json.RawMessage      `json:"ProtocolVersion"` // old ASP.NET SignalR
}

// connect makes one connection: negotiate, transport, handshake. It returns
// the running session.
func (c *Conn) connect(ctx context.Context) (*session, error) {
	bearer := ""
	if c.opts.AccessToken != nil {
		var err error
		if bearer, err = c.opts.AccessToken(ctx); err != nil {
			return nil, fmt.Errorf("client: cannot get an access token: %w", err)
		}
	}
	n := &negotiation{url: c.url, bearer: bearer}
	var t transport
	var err error
	if c.opts.SkipNegotiation {
		if t, err = dialWebSocket(ctx, c, n); err != nil {
			err = fmt.Errorf("client: %w", err)
		}
	} else if n, err = c.negotiate(ctx, c.url, bearer); err == nil {
		t, n, err = c.dialTransport(ctx, n)
	}
	if err != nil {
		return nil, err
	}
	rest, err := c.handshake(ctx, t)
	if err != nil {
		t.abort()
		return nil, err
	}
	return c.newSession(t, n.id, rest), nil
}

// negotiate asks the hub at u for a connection, following redirects.
func (c *Conn) negotiate(ctx context.Context, u *url.URL, bearer string) (*negotiation, error) {
	for range maxRedirects {
		r, err := c.negotiateAt(ctx, u, bearer)
		if err != nil {
			return nil, fmt.Errorf("client: failed to complete negotiation with the server: %w", err)
		}
		if r.URL == "" {
			n := &negotiation{url: u, bearer: bearer, id: r.ConnectionID, token: r.ConnectionToken, transports: r.AvailableTransports}
			if r.NegotiateVersion < 1 {
				n.token = r.ConnectionID // version 0: the id is the token
			}
			if n.token == "" {
				return nil, errors.New("client: failed to complete negotiation with the server: the response has no connection token")
			}
			return n, nil
		}
		if u, err = url.Parse(r.URL); err != nil {
			return nil, fmt.Errorf("client: negotiate redirected to an invalid URL: %w", err)
		}
		if r.AccessToken != "" {
			bearer = r.AccessToken
		}
	}
	return nil, errors.New("client: negotiate redirection limit exceeded")
}

// negotiateAt sends one negotiate request for the hub at u.
func (c *Conn) negotiateAt(ctx context.Context, u *url.URL, bearer string) (*negotiateResponse, error) {
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
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, nu.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header = c.header(bearer)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxNegotiateSize))
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
	if r.ProtocolVersion != nil {
		return nil, errors.New("detected a connection attempt to an ASP.NET SignalR server: this client only supports connecting to an ASP.NET Core SignalR server")
	}
	return &r, nil
}

// header returns the headers of a request to the server.
func (c *Conn) header(bearer string) http.Header {
	h := c.opts.Header.Clone()
	if h == nil {
		h = make(http.Header)
	}
	if bearer != "" {
		h.Set("Authorization", "Bearer "+bearer)
	}
	return h
}

// handshake sends the handshake request and reads the response. It returns the
// bytes that followed the response, the first records of the connection.
func (c *Conn) handshake(ctx context.Context, t transport) ([]byte, error) {
	timer := time.AfterFunc(c.opts.HandshakeTimeout, t.abort)
	stop := context.AfterFunc(ctx, t.abort)
	rest, err := exchangeHandshake(t, c.opts.Protocol)
	timedOut, canceled := !timer.Stop(), !stop()
	switch {
	case canceled:
		return nil, fmt.Errorf("client: handshake: %w", ctx.Err())
	case timedOut:
		return nil, fmt.Errorf("client: handshake timed out after %v", c.opts.HandshakeTimeout)
	}
	return rest, err
}

func exchangeHandshake(t transport, p protocol.Protocol) ([]byte, error) {
	// Version 1: version 2 only asks for stateful reconnect.
	req := protocol.AppendHandshakeRequest(nil, protocol.HandshakeRequest{Protocol: p.Name(), Version: 1})
	if err := t.write(req); err != nil {
		return nil, fmt.Errorf("client: sending the handshake: %w", err)
	}
	var buf []byte
	for {
		var err error
		if buf, err = t.read(buf); err != nil {
			return nil, fmt.Errorf("client: the connection closed during the handshake: %w", err)
		}
		text, n, err := protocol.ParseHandshakeResponse(buf)
		switch {
		case err != nil:
			return nil, fmt.Errorf("client: invalid handshake response: %w", err)
		case n == 0:
			continue
		case text != "":
			return nil, fmt.Errorf("client: server returned handshake error: %s", text)
		}
		return buf[n:], nil
	}
}
