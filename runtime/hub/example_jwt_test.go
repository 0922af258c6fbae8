package hub_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/hubgen/hubgen/runtime/client"
	"github.com/hubgen/hubgen/runtime/hub"
)

// A hub whose users prove who they are with a JWT signed with HS256. The
// token's sub claim becomes the user id, which the User and Users targets
// reach and hub methods read from the connection's Identity. Clients send the
// token as "Authorization: Bearer" or, from a browser's WebSocket or event
// stream, as the access_token query parameter: BearerToken takes either.
func ExampleBearerToken_jwt() {
	key := []byte("a key of at least 32 bytes, from the configuration")
	authenticate := func(r *http.Request) (*hub.Identity, error) {
		claims := new(jwt.RegisteredClaims)
		_, err := jwt.ParseWithClaims(hub.BearerToken(r), claims,
			func(*jwt.Token) (any, error) { return key, nil },
			jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired())
		if err != nil {
			return nil, err // 401, with an empty body
		}
		return &hub.Identity{UserID: claims.Subject}, nil
	}
	var srv *hub.Server
	srv = hub.New([]hub.Method{{
		Name: "Ping",
		Void: true,
		Call: func(ctx context.Context, _ hub.Args) (any, error) {
			user := hub.ConnFromContext(ctx).Identity().UserID
			// Every connection of the user hears it, on any of its devices.
			return nil, srv.Clients().User(user).Send(ctx, "Pong", "hello, "+user)
		},
	}}, hub.Options{Authenticate: authenticate})
	mux := http.NewServeMux()
	srv.Mount(mux, "/chat")
	ts := httptest.NewServer(mux)
	defer ts.Close()
	defer srv.Shutdown(context.Background())

	sign := func(user string, key []byte) string {
		token := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
			Subject:   user,
			ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour)),
		})
		signed, err := token.SignedString(key)
		if err != nil {
			log.Fatal(err)
		}
		return signed
	}

	// No token, and a token signed with another key: negotiate answers 401.
	for _, token := range []string{"", sign("mallory", []byte("another key, just as long as the real one"))} {
		req, _ := http.NewRequest("POST", ts.URL+"/chat/negotiate?negotiateVersion=1", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
		fmt.Println(resp.StatusCode)
	}

	ctx := context.Background()
	pongs := make(chan string, 1)
	conn, err := client.Dial(ctx, ts.URL+"/chat", client.Options{
		AccessToken: func(context.Context) (string, error) { return sign("alice", key), nil },
		Handlers: map[string]client.Handler{"Pong": func(ctx context.Context, args client.Args) (any, error) {
			text, err := client.Arg[string](args, 0)
			pongs <- text
			return nil, err
		}},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	if err := conn.Invoke(ctx, "Ping", nil); err != nil {
		log.Fatal(err)
	}
	fmt.Println(<-pongs)
	// Output:
	// 401
	// 401
	// hello, alice
}
