package hub_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hubgen/hubgen/runtime/hub"
)

// records is a slog.Handler that keeps every record, at every level, with
// its attributes as text.
type records struct {
	mu   sync.Mutex
	list []logRecord
}

type logRecord struct {
	level slog.Level
	msg   string
	attrs map[string]string
}

func (r *records) Enabled(context.Context, slog.Level) bool { return true }
func (r *records) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *records) WithGroup(string) slog.Handler            { return r }

func (r *records) Handle(_ context.Context, rec slog.Record) error {
	out := logRecord{level: rec.Level, msg: rec.Message, attrs: map[string]string{}}
	rec.Attrs(func(a slog.Attr) bool {
		out.attrs[a.Key] = a.Value.Resolve().String()
		return true
	})
	r.mu.Lock()
	r.list = append(r.list, out)
	r.mu.Unlock()
	return nil
}

func (r *records) all() []logRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.list)
}

// TestLogLevels checks what an operator sees at each level: a connection's
// start and end at Info, with its id, transport, protocol and user; a hub
// method's failure at Warn, with the error the client is not told; the access
// token nowhere.
func TestLogLevels(t *testing.T) {
	const token = "eyJhbGciOiJIUzI1NiJ9.bG9ncw.c2lnbmF0dXJl"
	logs := &records{}
	fail := hub.Method{Name: "Fail", Call: func(context.Context, hub.Args) (any, error) {
		return nil, fmt.Errorf("the database is down (token %s)", token)
	}}
	h := newTestHub(t, hub.Options{
		Logger: slog.New(logs),
		Authenticate: func(r *http.Request) (*hub.Identity, error) {
			if hub.BearerToken(r) != token {
				return nil, errors.New("bad token")
			}
			return &hub.Identity{UserID: "ada"}, nil
		},
	}, echo, fail)

	c := dial(t, h.url+"?access_token="+url.QueryEscape(token), nil)
	c.send(`{"protocol":"json","version":1}`)
	if got := c.record(); got != "{}" {
		t.Fatalf("handshake response = %q", got)
	}
	if m := c.invoke("1", "Fail"); m["error"] != "An unexpected error occurred invoking 'Fail' on the server." {
		t.Fatalf("Fail answered %v", m)
	}
	c.ws.Close()
	// Shutdown returns when the connection has ended and been forgotten.
	if err := h.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	list := logs.all()
	find := func(level slog.Level, msg string) logRecord {
		t.Helper()
		for _, r := range list {
			if r.level == level && r.msg == msg {
				return r
			}
		}
		t.Fatalf("no %v record %q in %v", level, msg, list)
		return logRecord{}
	}
	connected := find(slog.LevelInfo, "hub: connected")
	id := connected.attrs["conn"]
	want := map[string]string{"transport": "WebSockets", "protocol": "json", "user": "ada"}
	for k, v := range want {
		if connected.attrs[k] != v {
			t.Errorf("connected: %s = %q, want %q (%v)", k, connected.attrs[k], v, connected.attrs)
		}
	}
	if id == "" {
		t.Errorf("connected has no connection id: %v", connected.attrs)
	}
	failed := find(slog.LevelWarn, "hub: hub method failed")
	if failed.attrs["conn"] != id || failed.attrs["method"] != "Fail" || !strings.Contains(failed.attrs["error"], "the database is down") {
		t.Errorf("method failure logged as %v", failed.attrs)
	}
	disconnected := find(slog.LevelInfo, "hub: disconnected")
	if disconnected.attrs["conn"] != id || disconnected.attrs["user"] != "ada" {
		t.Errorf("disconnected logged as %v", disconnected.attrs)
	}
	for _, r := range list {
		for k, v := range r.attrs {
			if strings.Contains(v, token) {
				t.Errorf("%q's %s has the access token: %q", r.msg, k, v)
			}
		}
	}
}
