package hub_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/hubgen/hubgen/runtime/client"
	"github.com/hubgen/hubgen/runtime/hub"
)

// jwtAuth authenticates HS256 JWTs; the identity expires with the token.
func jwtAuth(key []byte) func(*http.Request) (*hub.Identity, error) {
	return func(r *http.Request) (*hub.Identity, error) {
		claims := new(jwt.RegisteredClaims)
		_, err := jwt.ParseWithClaims(hub.BearerToken(r), claims,
			func(*jwt.Token) (any, error) { return key, nil },
			jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired())
		if err != nil {
			return nil, err
		}
		return &hub.Identity{UserID: claims.Subject, Expires: claims.ExpiresAt.Time}, nil
	}
}

func signJWT(t *testing.T, key []byte, user string, expires time.Time) string {
	t.Helper()
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
		Subject: user, ExpiresAt: jwt.NewNumericDate(expires),
	}).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

// With CloseOnAuthenticationExpiration, a connection whose JWT expires is
// closed with a Close message, over every transport: the client learns why,
// the hub's OnDisconnected runs, and the user's other connection with a
// longer token stays.
func TestCloseOnAuthenticationExpiration(t *testing.T) {
	key := []byte("a key of at least 32 bytes for the expiry test")
	for name, tr := range map[string]client.Transports{"WebSockets": client.WebSockets, "ServerSentEvents": client.ServerSentEvents, "LongPolling": client.LongPolling} {
		t.Run(name, func(t *testing.T) {
			disconnected := make(chan error, 2)
			h := newTestHub(t, hub.Options{
				Logger:                          quietLogger(),
				Authenticate:                    jwtAuth(key),
				CloseOnAuthenticationExpiration: true,
				DetailedErrors:                  true,
				OnDisconnected:                  func(ctx context.Context, c *hub.Conn, err error) { disconnected <- err },
			}, echo)
			// JWTs carry whole seconds: expire at the next second but one.
			expires := time.Now().Truncate(time.Second).Add(2 * time.Second)
			short := signJWT(t, key, "u", expires)
			closed := make(chan error, 1)
			conn, err := client.Dial(context.Background(), h.url, client.Options{
				Transports:  tr,
				AccessToken: func(context.Context) (string, error) { return short, nil },
				Reconnect:   client.NoReconnect,
				Logger:      quietLogger(),
				OnClosed:    func(err error) { closed <- err },
			})
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			long := signJWT(t, key, "u", time.Now().Add(time.Hour))
			other, err := client.Dial(context.Background(), h.url, client.Options{
				Transports:  tr,
				AccessToken: func(context.Context) (string, error) { return long, nil },
				Reconnect:   client.NoReconnect,
				Logger:      quietLogger(),
			})
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
			err = <-closed
			if time.Now().Before(expires) {
				t.Errorf("closed at %v, before the token expired at %v", time.Now(), expires)
			}
			if err == nil || !strings.Contains(err.Error(), "Connection closed with an error.") || !strings.Contains(err.Error(), "authentication expired") {
				t.Errorf("OnClosed(%v), want the server's Close with its reason", err)
			}
			if err := <-disconnected; err == nil || !strings.Contains(err.Error(), "authentication expired") {
				t.Errorf("OnDisconnected(%v), want the expiry", err)
			}
			var s string
			if err := other.Invoke(context.Background(), "Echo", &s, "still here"); err != nil || s != "still here" {
				t.Errorf("the connection with a valid token: %q %v", s, err)
			}
		})
	}
}
