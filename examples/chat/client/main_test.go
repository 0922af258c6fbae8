package main

import (
	"context"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hubgen/hubgen/examples/chat"
	"github.com/hubgen/hubgen/runtime/hub"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fakeHub is a ChatHub that notes each call it gets, and answers as the
// chat server would for a room with alice alone in it.
type fakeHub struct {
	srv   *chat.ChatHubServer
	calls chan string
}

func newFakeHub(t *testing.T) *fakeHub {
	h := &fakeHub{calls: make(chan string, 100)}
	h.srv = chat.NewChatHubServer(h, hub.Options{
		// Only the token /token gives alice.
		Authenticate: func(r *http.Request) (*hub.Identity, error) {
			if hub.BearerToken(r) != "alice's token" {
				return nil, fmt.Errorf("not alice's token")
			}
			return &hub.Identity{UserID: "alice"}, nil
		},
		MaxParallelInvocations: 2, // Who asks its caller
		Logger:                 slog.New(slog.DiscardHandler),
	})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		h.srv.Shutdown(ctx)
	})
	return h
}

func (h *fakeHub) note(format string, args ...any) { h.calls <- fmt.Sprintf(format, args...) }

func (h *fakeHub) Join(ctx context.Context, room string) error {
	h.note("Join %s", room)
	return nil
}

func (h *fakeHub) Leave(ctx context.Context, room string) error {
	h.note("Leave %s", room)
	return nil
}

func (h *fakeHub) Send(ctx context.Context, room, text string) error {
	h.note("Send %s %s", room, text)
	return h.srv.Clients.Caller(ctx).Receive(ctx, chat.Message{Room: room, From: "alice", Text: text})
}

func (h *fakeHub) Whisper(ctx context.Context, user, text string) error {
	h.note("Whisper %s %s", user, text)
	return h.srv.Clients.Caller(ctx).Receive(ctx, chat.Message{From: "alice", To: user, Text: text})
}

func (h *fakeHub) History(ctx context.Context, room string) (iter.Seq2[chat.Message, error], error) {
	h.note("History %s", room)
	return func(yield func(chat.Message, error) bool) {
		yield(chat.Message{Room: room, From: "bob", Text: "earlier", Sent: time.Now()}, nil)
	}, nil
}

func (h *fakeHub) Post(ctx context.Context, room string, texts iter.Seq2[string, error]) (int, error) {
	n := 0
	for text, err := range texts {
		if err != nil {
			return n, err
		}
		h.note("Post %s %s", room, text)
		n++
	}
	return n, nil
}

func (h *fakeHub) Who(ctx context.Context, room string) ([]chat.Member, error) {
	status, err := h.srv.Clients.Caller(ctx).Status(ctx)
	return []chat.Member{{User: "alice", Status: status}}, err
}

// expect fails the test unless the hub's next call is want.
func (h *fakeHub) expect(t *testing.T, want string) {
	t.Helper()
	select {
	case got := <-h.calls:
		if got != want {
			t.Fatalf("the hub got %q, want %q", got, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("the hub never got %q", want)
	}
}

// lines is an io.Writer that sends each write on a channel: the console
// writes a line at a time.
type lines chan string

func (l lines) Write(p []byte) (int, error) {
	l <- strings.TrimSuffix(string(p), "\n")
	return len(p), nil
}

// expect fails the test unless the next line printed matches pattern.
func (l lines) expect(t *testing.T, pattern string) {
	t.Helper()
	select {
	case got := <-l:
		if !regexp.MustCompile("^" + pattern + "$").MatchString(got) {
			t.Fatalf("printed %q, want %s", got, pattern)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("printed nothing, want %s", pattern)
	}
}

// server serves /token, which signs alice in, and the hub that current
// points to.
func server(t *testing.T, current *atomic.Pointer[fakeHub]) string {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		if r.PostFormValue("user") != "alice" {
			http.Error(w, "who?", http.StatusBadRequest)
			return
		}
		io.WriteString(w, "alice's token")
	})
	hubs := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { current.Load().srv.ServeHTTP(w, r) })
	mux.Handle("/hubs/chat", hubs)
	mux.Handle("/hubs/chat/negotiate", hubs)
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts.URL
}

// TestConsole types every command into the console client and sees what
// it calls on the hub and what it prints. Then the server goes away and
// another takes its place: the client reconnects and joins its room again.
func TestConsole(t *testing.T) {
	first, second := newFakeHub(t), newFakeHub(t)
	var current atomic.Pointer[fakeHub]
	current.Store(first)
	url := server(t, &current)

	in, typing := io.Pipe()
	out := make(lines, 100)
	done := make(chan error, 1)
	go func() { done <- run(context.Background(), url, "alice", "general", in, out) }()
	typeLine := func(line string) {
		t.Helper()
		if _, err := io.WriteString(typing, line+"\n"); err != nil {
			t.Fatal(err)
		}
	}

	first.expect(t, "Join general")
	out.expect(t, "joined general")
	out.expect(t, "signed in as alice; type /help for commands")

	typeLine("hello")
	first.expect(t, "Send general hello")
	out.expect(t, `\[general\] alice: hello`)

	typeLine("/msg bob lunch?")
	first.expect(t, "Whisper bob lunch?")
	out.expect(t, "alice → bob: lunch\\?")
	typeLine("/msg")
	out.expect(t, "! usage: /msg USER TEXT")

	typeLine("/status away")
	out.expect(t, "status: away")
	typeLine("/who")
	out.expect(t, `general: alice \(away\)`)

	typeLine("/history")
	first.expect(t, "History general")
	out.expect(t, `\d\d:\d\d \[general\] bob: earlier`)

	file := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(file, []byte("a\n\n  \nb\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	typeLine("/post " + file)
	first.expect(t, "Post general a")
	first.expect(t, "Post general b")
	out.expect(t, regexp.QuoteMeta("posted 2 messages from "+file))
	typeLine("/post " + file + ".missing")
	out.expect(t, "! open .*: no such file or directory")

	typeLine("/join random")
	first.expect(t, "Join random")
	out.expect(t, "joined random")
	typeLine("/leave")
	first.expect(t, "Leave random")
	out.expect(t, "left random")
	typeLine("/nope")
	out.expect(t, regexp.QuoteMeta("! no such command: /nope (/help lists them)"))

	// The first server shuts down, which lets clients reconnect; they
	// reach the second, and the console joins its room there.
	current.Store(second)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	first.srv.Shutdown(ctx)
	out.expect(t, "! connection lost .*, reconnecting")
	second.expect(t, "Join random")
	out.expect(t, "joined random")

	// The end of input stops the client.
	typing.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run goes on after the end of its input")
	}
}

// TestCtrlC: the client stops when its ctx ends, waiting for no input.
func TestCtrlC(t *testing.T) {
	var current atomic.Pointer[fakeHub]
	current.Store(newFakeHub(t))
	url := server(t, &current)
	in, typing := io.Pipe()
	defer typing.Close() // ends the goroutine that reads the input
	out := make(lines, 100)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, url, "alice", "general", in, out) }()
	out.expect(t, "joined general")
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run goes on after its ctx ended")
	}
}
