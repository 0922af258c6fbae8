package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hubgen/hubgen/examples/chat"
	"github.com/hubgen/hubgen/runtime/client"
	"github.com/hubgen/hubgen/runtime/hub"
)

// testPolicy lets everyone join general and random, and alice staff too.
var testPolicy = policy{open: []string{"general", "random"}, staff: []string{"alice"}}

// testServer is the chat server, in process: the hub and /token.
type testServer struct {
	url    string // the server's base URL
	tokens tokens
}

var quiet = slog.New(slog.DiscardHandler)

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	tk := tokens{key: []byte("a key of at least 32 bytes, for the tests"), ttl: time.Hour}
	srv := newServer(hub.Options{Authenticate: tk.authenticate, Logger: quiet})
	mux := http.NewServeMux()
	srv.Mount(mux, "/hubs/chat")
	mux.Handle("/token", signIn(tk, testPolicy))
	ts := httptest.NewServer(mux)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		ts.Close()
	})
	return &testServer{url: ts.URL, tokens: tk}
}

// event is a call of the server on a client, as a user sees it.
type event struct {
	kind string // "receive", "joined" or "left"
	room string
	user string
	msg  chat.Message
}

// user is a signed-in client: the generated ChatHub stub over its
// connection, and the events its Chat receives.
type user struct {
	chat.ChatHub
	name   string
	conn   *client.Conn
	events chan event
	status string // what it answers Status with
}

func (u *user) Receive(ctx context.Context, m chat.Message) error {
	u.events <- event{kind: "receive", room: m.Room, user: m.From, msg: m}
	return nil
}

func (u *user) Joined(ctx context.Context, room, name string) error {
	u.events <- event{kind: "joined", room: room, user: name}
	return nil
}

func (u *user) Left(ctx context.Context, room, name string) error {
	u.events <- event{kind: "left", room: room, user: name}
	return nil
}

func (u *user) Status(ctx context.Context) (string, error) { return u.status, nil }

// signIn gets a token from /token, as the console client and the page do.
func (s *testServer) signIn(ctx context.Context, name string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", s.url+"/token", strings.NewReader(url.Values{"user": {name}}.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("POST /token: %s: %s", resp.Status, body)
	}
	return string(body), err
}

// dial connects a client with the given token source.
func (s *testServer) dial(t *testing.T, token func(context.Context) (string, error), handlers map[string]client.Handler) (*client.Conn, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return client.Dial(ctx, s.url+"/hubs/chat", client.Options{
		AccessToken: token,
		Handlers:    handlers,
		Reconnect:   client.NoReconnect,
		Logger:      quiet,
	})
}

// connect signs a user in and connects it, until the test ends.
func (s *testServer) connect(t *testing.T, name string) *user {
	t.Helper()
	u := &user{name: name, events: make(chan event, 100), status: "here"}
	conn, err := s.dial(t, func(ctx context.Context) (string, error) { return s.signIn(ctx, name) }, chat.ChatHandlers(u))
	if err != nil {
		t.Fatalf("%s cannot connect: %v", name, err)
	}
	t.Cleanup(func() { conn.Close() })
	u.conn = conn
	u.ChatHub = chat.NewChatHubClient(conn)
	return u
}

// next returns the user's next event, failing the test after 10 s.
func (u *user) next(t *testing.T) event {
	t.Helper()
	select {
	case e := <-u.events:
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no event arrived")
		panic("unreachable")
	}
}

// expect fails the test unless the user's next event is the one given.
func (u *user) expect(t *testing.T, kind, room, name, text string) {
	t.Helper()
	e := u.next(t)
	if e.kind != kind || e.room != room || e.user != name || e.msg.Text != text {
		t.Fatalf("got %s %q %q %q, want %s %q %q %q", e.kind, e.room, e.user, e.msg.Text, kind, room, name, text)
	}
}

// ctx is a test's context, which ends with it.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// join makes each user join a room, and consumes the Joined events the
// users who were there already see.
func join(t *testing.T, ctx context.Context, room string, users ...*user) {
	t.Helper()
	for i, u := range users {
		if err := u.Join(ctx, room); err != nil {
			t.Fatal(err)
		}
		for _, before := range users[:i] {
			before.expect(t, "joined", room, u.name, "")
		}
	}
}

// TestUnauthenticatedRefused: a client without a token, with a token signed
// with another key, or with an expired one is refused before it connects:
// negotiate answers 401.
func TestUnauthenticatedRefused(t *testing.T) {
	s := newTestServer(t)
	forged := tokens{key: []byte("another key, just as long as the real one"), ttl: time.Hour}
	expired := tokens{key: s.tokens.key, ttl: -time.Minute}
	for name, token := range map[string]func() (string, error){
		"no token":      func() (string, error) { return "", nil },
		"forged token":  func() (string, error) { return forged.sign("mallory", []string{"staff"}) },
		"expired token": func() (string, error) { return expired.sign("alice", testPolicy.rooms("alice")) },
		"garbage":       func() (string, error) { return "not.a.jwt", nil },
	} {
		t.Run(name, func(t *testing.T) {
			conn, err := s.dial(t, func(context.Context) (string, error) { return token() }, nil)
			if err == nil {
				conn.Close()
				t.Fatal("connected")
			}
			var httpErr *client.HTTPError
			if !errors.As(err, &httpErr) || httpErr.StatusCode != http.StatusUnauthorized {
				t.Fatalf("Dial = %v, want a 401", err)
			}
		})
	}
}

// TestSignIn: /token refuses a user name it cannot use.
func TestSignIn(t *testing.T) {
	s := newTestServer(t)
	for _, name := range []string{"", "a b", strings.Repeat("x", 33), "<script>"} {
		if _, err := s.signIn(testCtx(t), name); err == nil || !strings.Contains(err.Error(), "400") {
			t.Errorf("signIn(%q) = %v, want a 400", name, err)
		}
	}
}

// TestRoom: users in a room hear who joins, what is said and who leaves;
// a user in another room hears none of it.
func TestRoom(t *testing.T) {
	s := newTestServer(t)
	ctx := testCtx(t)
	alice, bob, carol := s.connect(t, "alice"), s.connect(t, "bob"), s.connect(t, "carol")
	join(t, ctx, "general", alice, bob)
	join(t, ctx, "random", carol)

	if err := alice.Send(ctx, "general", "hello"); err != nil {
		t.Fatal(err)
	}
	alice.expect(t, "receive", "general", "alice", "hello")
	bob.expect(t, "receive", "general", "alice", "hello")
	if err := bob.Leave(ctx, "general"); err != nil {
		t.Fatal(err)
	}
	alice.expect(t, "left", "general", "bob", "")
	if err := alice.Send(ctx, "general", "bye"); err != nil {
		t.Fatal(err)
	}
	alice.expect(t, "receive", "general", "alice", "bye")

	// Carol, and bob since he left, get the next message in their own room
	// before anything else: nothing of general's reached them.
	if err := carol.Send(ctx, "random", "anyone?"); err != nil {
		t.Fatal(err)
	}
	carol.expect(t, "receive", "random", "carol", "anyone?")
	if err := bob.Join(ctx, "random"); err != nil {
		t.Fatal(err)
	}
	carol.expect(t, "joined", "random", "bob", "")
	if err := carol.Send(ctx, "random", "hi bob"); err != nil {
		t.Fatal(err)
	}
	bob.expect(t, "receive", "random", "carol", "hi bob")
}

// TestMayNotJoin: bob's token does not list the room staff, so he may not
// join it, nor speak in a room he has not joined; alice, who is staff, may.
func TestMayNotJoin(t *testing.T) {
	s := newTestServer(t)
	ctx := testCtx(t)
	alice, bob := s.connect(t, "alice"), s.connect(t, "bob")
	join(t, ctx, "staff", alice)
	err := bob.Join(ctx, "staff")
	if err == nil || !strings.Contains(err.Error(), `bob may not join "staff"`) {
		t.Fatalf("bob joins staff: %v, want a refusal", err)
	}
	for _, room := range []string{"staff", "general", "nowhere"} {
		if err := bob.Send(ctx, room, "psst"); err == nil || !strings.Contains(err.Error(), "join "+fmt.Sprintf("%q", room)+" first") {
			t.Errorf("bob speaks in %s: %v, want a refusal", room, err)
		}
	}
	// The refusals closed nothing, and alice heard none of it.
	if err := alice.Send(ctx, "staff", "all clear"); err != nil {
		t.Fatal(err)
	}
	alice.expect(t, "receive", "staff", "alice", "all clear")
}

// TestWhisper: a direct message reaches every connection of its user, and
// the sender's, and no one else.
func TestWhisper(t *testing.T) {
	s := newTestServer(t)
	ctx := testCtx(t)
	alice, bob, bobsPhone, carol := s.connect(t, "alice"), s.connect(t, "bob"), s.connect(t, "bob"), s.connect(t, "carol")
	if err := alice.Whisper(ctx, "bob", "lunch?"); err != nil {
		t.Fatal(err)
	}
	for _, u := range []*user{alice, bob, bobsPhone} {
		e := u.next(t)
		if e.kind != "receive" || e.msg.From != "alice" || e.msg.To != "bob" || e.msg.Room != "" || e.msg.Text != "lunch?" || e.msg.Sent.IsZero() {
			t.Errorf("%s got %+v, want alice's whisper to bob", u.name, e)
		}
	}
	// Carol's first message is one she is sent later.
	if err := bob.Whisper(ctx, "carol", "hi"); err != nil {
		t.Fatal(err)
	}
	if e := carol.next(t); e.msg.From != "bob" || e.msg.Text != "hi" {
		t.Errorf("carol got %+v, want bob's whisper", e)
	}
	if err := alice.Whisper(ctx, "bob", ""); err == nil || !strings.Contains(err.Error(), "needs some text") {
		t.Errorf("an empty whisper: %v", err)
	}
	if err := alice.Whisper(ctx, "", "hello?"); err == nil || !strings.Contains(err.Error(), `"" is not a user name`) {
		t.Errorf("a whisper to no one: %v", err)
	}
}

// TestHistory: a member of a room gets its latest messages as a stream,
// oldest first; a user who is not in the room gets an error instead.
func TestHistory(t *testing.T) {
	s := newTestServer(t)
	ctx := testCtx(t)
	alice, bob := s.connect(t, "alice"), s.connect(t, "bob")
	join(t, ctx, "general", alice)
	var said []string
	for i := range historySize + 3 {
		text := fmt.Sprintf("message %d", i)
		if err := alice.Send(ctx, "general", text); err != nil {
			t.Fatal(err)
		}
		said = append(said, text)
	}

	join(t, ctx, "general", bob)
	history, err := bob.History(ctx, "general")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for m, err := range history {
		if err != nil {
			t.Fatal(err)
		}
		if m.From != "alice" || m.Room != "general" {
			t.Errorf("history has %+v", m)
		}
		got = append(got, m.Text)
	}
	if want := said[len(said)-historySize:]; !slices.Equal(got, want) {
		t.Errorf("history = %q,\nwant the last %d: %q", got, historySize, want)
	}

	// Breaking out of the loop stops the stream.
	history, _ = bob.History(ctx, "general")
	for m := range history {
		if m.Text != said[3] {
			t.Errorf("first of the history = %q", m.Text)
		}
		break
	}

	carol := s.connect(t, "carol")
	history, _ = carol.History(ctx, "general")
	for _, err := range history {
		if err == nil || !strings.Contains(err.Error(), `join "general" first`) {
			t.Errorf("carol's history: %v, want a refusal", err)
		}
	}
}

// TestPost: a batch of messages, uploaded as a stream, is said in the room
// one by one, in order, and the hub counts them.
func TestPost(t *testing.T) {
	s := newTestServer(t)
	ctx := testCtx(t)
	alice, bob := s.connect(t, "alice"), s.connect(t, "bob")
	join(t, ctx, "general", alice, bob)
	batch := []string{"first", "second", "third"}
	texts := func(yield func(string, error) bool) {
		for _, text := range batch {
			if !yield(text, nil) {
				return
			}
		}
	}
	n, err := alice.Post(ctx, "general", texts)
	if err != nil || n != len(batch) {
		t.Fatalf("Post = %d, %v, want %d", n, err, len(batch))
	}
	for _, text := range batch {
		bob.expect(t, "receive", "general", "alice", text)
	}

	// An upload that fails ends the call with its error, after what came
	// before it was said.
	failing := func(yield func(string, error) bool) {
		if yield("last words", nil) {
			yield("", errors.New("the file is unreadable"))
		}
	}
	n, err = alice.Post(ctx, "general", failing)
	if err == nil || !strings.Contains(err.Error(), "the file is unreadable") || n != 0 {
		t.Errorf("a failed upload: %d, %v", n, err)
	}
	bob.expect(t, "receive", "general", "alice", "last words")

	// A non-member may not post.
	if _, err := s.connect(t, "carol").Post(ctx, "general", texts); err == nil || !strings.Contains(err.Error(), "first") {
		t.Errorf("carol posts: %v, want a refusal", err)
	}
}

// TestWho: the hub asks every member of a room for its status, the caller
// included, and lists them with their answers; a client that has no answer to
// give is listed without one.
func TestWho(t *testing.T) {
	s := newTestServer(t)
	ctx := testCtx(t)
	alice, bob := s.connect(t, "alice"), s.connect(t, "bob")
	bob.status = "away"
	join(t, ctx, "general", alice, bob)

	// dave's client handles no calls at all: it cannot answer Status.
	token := func(ctx context.Context) (string, error) { return s.signIn(ctx, "dave") }
	dave, err := s.dial(t, token, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dave.Close()
	if err := chat.NewChatHubClient(dave).Join(ctx, "general"); err != nil {
		t.Fatal(err)
	}
	alice.expect(t, "joined", "general", "dave", "")

	who, err := alice.Who(ctx, "general")
	if err != nil {
		t.Fatal(err)
	}
	want := []chat.Member{{User: "alice", Status: "here"}, {User: "bob", Status: "away"}, {User: "dave", Status: "(no answer)"}}
	if !slices.Equal(who, want) {
		t.Errorf("Who = %+v, want %+v", who, want)
	}
}

// TestDisconnectLeaves: a user whose connection closes leaves its rooms, and
// their members hear it.
func TestDisconnectLeaves(t *testing.T) {
	s := newTestServer(t)
	ctx := testCtx(t)
	alice, bob := s.connect(t, "alice"), s.connect(t, "bob")
	join(t, ctx, "general", alice, bob)
	join(t, ctx, "random", alice, bob)
	bob.conn.Close()
	got := []event{alice.next(t), alice.next(t)}
	slices.SortFunc(got, func(a, b event) int { return strings.Compare(a.room, b.room) })
	for i, room := range []string{"general", "random"} {
		if got[i].kind != "left" || got[i].room != room || got[i].user != "bob" {
			t.Errorf("alice got %+v, want bob leaving %s", got[i], room)
		}
	}
	who, err := alice.Who(ctx, "general")
	if err != nil || len(who) != 1 || who[0].User != "alice" {
		t.Errorf("Who = %+v, %v, want alice alone", who, err)
	}
}
