package main

import (
	"errors"
	"net/http"
	"regexp"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/hubgen/hubgen/runtime/hub"
)

// claims are what a chat token says: who the user is (sub), until when
// (exp), and which rooms the user may join.
type claims struct {
	Rooms []string `json:"rooms"`
	jwt.RegisteredClaims
}

// tokens signs and checks the chat's tokens, JWTs signed with an HMAC key
// (HS256) that only the server knows.
type tokens struct {
	key []byte
	ttl time.Duration
}

// sign returns a token for a user who may join the given rooms.
func (t tokens) sign(user string, rooms []string) (string, error) {
	now := time.Now()
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims{
		Rooms: rooms,
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   user,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(t.ttl)),
		},
	}).SignedString(t.key)
}

// authenticate is the hub's Options.Authenticate: it checks the token a
// request carries (hub.BearerToken reads the Authorization header, or the
// access_token parameter that browsers' WebSockets and event streams send)
// and turns it into the connection's identity. An error answers 401.
func (t tokens) authenticate(r *http.Request) (*hub.Identity, error) {
	var c claims
	_, err := jwt.ParseWithClaims(hub.BearerToken(r), &c,
		func(*jwt.Token) (any, error) { return t.key, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired())
	if err != nil {
		return nil, err
	}
	if c.Subject == "" {
		return nil, errors.New("the token names no user")
	}
	return &hub.Identity{
		UserID:  c.Subject,
		Claims:  map[string]any{"rooms": c.Rooms},
		Expires: c.ExpiresAt.Time,
	}, nil
}

// roomsOf returns the rooms an identity may join.
func roomsOf(id *hub.Identity) []string {
	if id == nil {
		return nil
	}
	rooms, _ := id.Claims["rooms"].([]string)
	return rooms
}

// userName is what a user name may be.
var userName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// policy says which rooms each user may join.
type policy struct {
	open  []string // rooms anyone may join
	staff []string // users who may also join the room "staff"
}

// rooms returns the rooms a user may join.
func (p policy) rooms(user string) []string {
	rooms := slices.Clone(p.open)
	if slices.Contains(p.staff, user) {
		rooms = append(rooms, "staff")
	}
	return rooms
}

// signIn is POST /token with a form value user: it answers with a token for
// that user, as text. It is the stand-in, for the example, of a real identity
// provider: it believes any name it is given. A real deployment checks a
// password or a single sign-on first, or lets the identity provider sign the
// tokens and gives the hub only the key to check them.
func signIn(t tokens, p policy) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "POST a form with a user", http.StatusMethodNotAllowed)
			return
		}
		user := r.PostFormValue("user")
		if !userName.MatchString(user) {
			http.Error(w, "a user name is 1 to 32 letters, digits, - or _", http.StatusBadRequest)
			return
		}
		token, err := t.sign(user, p.rooms(user))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Write([]byte(token))
	})
}
