package client_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hubgen/hubgen/runtime/client"
)

// answer is a response to a poll, or chunks of an event stream.
type answer struct {
	status int
	body   string
}

// rawHTTPServer is a Long Polling or Server-Sent Events server written for a
// test. It answers negotiate with the one transport, answers polls in turn
// with what the test queued in answers, or writes them to the event stream,
// and hands the test every send and DELETE.
type rawHTTPServer struct {
	url     string
	answers chan answer
	posts   chan string
	deletes chan *http.Request
}

func newRawHTTPServer(t *testing.T, transport string, answers ...answer) *rawHTTPServer {
	t.Helper()
	s := &rawHTTPServer{answers: make(chan answer, 16), posts: make(chan string, 16), deletes: make(chan *http.Request, 1)}
	for _, a := range answers {
		s.answers <- a
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /raw/negotiate", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"negotiateVersion":1,"connectionId":"raw-id","connectionToken":"raw-token","availableTransports":[{"transport":"` + transport + `","transferFormats":["Text"]}]}`))
	})
	mux.HandleFunc("/raw", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("id") != "raw-token" {
			http.Error(w, "No Connection with that ID", http.StatusNotFound)
			return
		}
		switch r.Method {
		case http.MethodPost:
			body, _ := io.ReadAll(r.Body)
			s.posts <- string(body)
		case http.MethodDelete:
			s.deletes <- r
			w.WriteHeader(http.StatusAccepted)
		case http.MethodGet:
			if transport == "ServerSentEvents" {
				w.Header().Set("Content-Type", "text/event-stream")
				w.WriteHeader(http.StatusOK)
				for {
					select {
					case a := <-s.answers:
						if a.status != 0 {
							return // the stream ends
						}
						w.Write([]byte(a.body))
						w.(http.Flusher).Flush()
					case <-r.Context().Done():
						return
					}
				}
			}
			select {
			case a := <-s.answers:
				w.WriteHeader(a.status)
				w.Write([]byte(a.body))
			case <-r.Context().Done():
			}
		}
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	s.url = ts.URL + "/raw"
	return s
}

const (
	handshakeRequest = `{"protocol":"json","version":1}` + "\x1e"
	notifyA          = `{"type":1,"target":"Notify","arguments":["a"]}` + "\x1e"
)

// notified returns handlers that pass the argument of each call of Notify to
// the channel.
func notified() (map[string]client.Handler, chan string) {
	got := make(chan string, 8)
	return map[string]client.Handler{"Notify": func(ctx context.Context, a client.Args) (any, error) {
		s, err := client.Arg[string](a, 0)
		got <- s
		return nil, err
	}}, got
}

func TestLongPollingStatus(t *testing.T) {
	tests := []struct {
		name string
		last answer // the answer to the poll after a Notify
		want string // the error OnClosed gets
	}{
		{"204", answer{http.StatusNoContent, ""}, "client: the server ended the long polling connection"},
		{"500", answer{http.StatusInternalServerError, "poll broke"}, "poll broke: Status code '500'"},
		{"202", answer{http.StatusAccepted, ""}, "client: unexpected status 202 of a poll"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newRawHTTPServer(t, "LongPolling",
				answer{200, ""},       // the first poll
				answer{200, "{}\x1e"}, // the handshake response
				answer{200, ""},       // a poll that timed out on the server
				answer{200, notifyA},  // a call
			)
			handlers, got := notified()
			closed := make(chan error, 1)
			dial(t, s.url, client.Options{
				Handlers:  handlers,
				Reconnect: client.NoReconnect,
				OnClosed:  func(err error) { closed <- err },
			})
			if p := recv(t, s.posts, "the handshake"); p != handshakeRequest {
				t.Errorf("handshake request %q", p)
			}
			if a := recv(t, got, "Notify"); a != "a" {
				t.Errorf("Notify got %q", a)
			}
			s.answers <- tt.last
			err := recv(t, closed, "OnClosed")
			if err == nil || err.Error() != tt.want {
				t.Errorf("OnClosed(%v), want %q", err, tt.want)
			}
			var he *client.HTTPError
			if tt.last.status == 500 && (!errors.As(err, &he) || he.StatusCode != 500) {
				t.Errorf("OnClosed(%#v), want an *HTTPError", err)
			}
		})
	}
}

func TestLongPollingDelete(t *testing.T) {
	s := newRawHTTPServer(t, "LongPolling", answer{200, ""}, answer{200, "{}\x1e"})
	c := dial(t, s.url, client.Options{
		Header:      http.Header{"X-Tenant": {"blue"}},
		AccessToken: func(context.Context) (string, error) { return "secret", nil },
	})
	recv(t, s.posts, "the handshake")
	closed := make(chan struct{})
	go func() {
		c.Close()
		close(closed)
	}()
	if p := recv(t, s.posts, "the Close message"); p != `{"type":7}`+"\x1e" {
		t.Errorf("sent %q, want a Close message", p)
	}
	// This server does not end the connection on a Close message: the client
	// asks it to.
	r := recv(t, s.deletes, "DELETE")
	if r.Header.Get("Authorization") != "Bearer secret" || r.Header.Get("X-Tenant") != "blue" {
		t.Errorf("DELETE without the access token or the header: %v", r.Header)
	}
	s.answers <- answer{http.StatusNoContent, ""}
	recv(t, closed, "Close to return")
	checkNoClientGoroutines(t)
}

func TestLongPollingFirstPoll(t *testing.T) {
	s := newRawHTTPServer(t, "LongPolling", answer{http.StatusForbidden, "no polls for you"})
	_, err := client.Dial(testCtx(t), s.url, client.Options{Logger: quiet})
	want := "client: unable to connect to the server with any of the available transports: LongPolling failed: long polling failed to connect: no polls for you: Status code '403'"
	if err == nil || err.Error() != want {
		t.Errorf("Dial:\n got %v\nwant %s", err, want)
	}
}

func TestServerSentEventsStream(t *testing.T) {
	s := newRawHTTPServer(t, "ServerSentEvents",
		answer{0, "\uFEFF:\r\n"},
		answer{0, "retry: 1000\nid: 7\n"},
		answer{0, "data: {}\x1e\n\n"},
		answer{0, "event: other\ndata: " + notifyA + "\n\n"}, // not a message: ignored
		answer{0, "data:{\"type\":1,\"target\":\"Notify\",\r\ndata: \"arguments\":[\"split\"]}\x1e\r\n"},
		answer{0, "\r\n"},
		answer{0, "data: " + strings.Replace(notifyA, `"a"`, `"cr"`, 1) + "\r\r"},
	)
	handlers, got := notified()
	closed := make(chan error, 1)
	dial(t, s.url, client.Options{
		Handlers:  handlers,
		Reconnect: client.NoReconnect,
		OnClosed:  func(err error) { closed <- err },
	})
	if p := recv(t, s.posts, "the handshake"); p != handshakeRequest {
		t.Errorf("handshake request %q", p)
	}
	for _, want := range []string{"split", "cr"} {
		if a := recv(t, got, "Notify"); a != want {
			t.Errorf("Notify got %q, want %q", a, want)
		}
	}
	// The stream ends in the middle of an event, which is dropped.
	s.answers <- answer{0, "data: " + strings.Replace(notifyA, `"a"`, `"unfinished"`, 1) + "\n"}
	s.answers <- answer{-1, ""}
	if err := recv(t, closed, "OnClosed"); err == nil || err.Error() != "client: the server ended the event stream" {
		t.Errorf("OnClosed(%v)", err)
	}
	select {
	case a := <-got:
		t.Errorf("Notify got %q", a)
	default:
	}
}

func TestServerSentEventsOpen(t *testing.T) {
	notStream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/negotiate") {
			w.Write([]byte(`{"negotiateVersion":1,"connectionId":"a","connectionToken":"b","availableTransports":[{"transport":"ServerSentEvents","transferFormats":["Text"]}]}`))
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("hello"))
	}))
	defer notStream.Close()
	_, err := client.Dial(testCtx(t), notStream.URL+"/hub", client.Options{Logger: quiet})
	want := `client: unable to connect to the server with any of the available transports: ServerSentEvents failed: EventSource failed to connect: the response is not an event stream: Content-Type "text/plain"`
	if err == nil || err.Error() != want {
		t.Errorf("Dial:\n got %v\nwant %s", err, want)
	}
}
