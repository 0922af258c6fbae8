package transport

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzNegotiate sends negotiate requests with arbitrary methods, query
// strings, bodies and CORS headers: the server must never panic, must always
// answer with a well-formed response, and must never log a secret of the
// query (RedactURL).
func FuzzNegotiate(f *testing.F) {
	for _, seed := range []struct {
		method                   byte
		query, body              string
		origin, requestedHeaders string
	}{
		{'P', "negotiateVersion=1", "", "", ""},
		{'P', "", "", "", ""},
		{'P', "NegotiateVersion=5&useStatefulReconnect=true", "{}", "https://app.example", ""},
		{'P', "negotiateVersion=-1", "", "", ""},
		{'P', "negotiateVersion=1&access_token=a.b.c&id=x", "ignored", "https://evil.example", ""},
		{'O', "negotiateVersion=1", "", "https://app.example", "x-signalr-user-agent, authorization"},
		{'O', "", "", "https://app.example", "bad header;"},
		{'G', "negotiateVersion=1", "", "", ""},
		{'P', "negotiateVersion=99999999999999999999", "", "", ""},
		{'P', "%zz=1&access_token=%41&ID=%", "\x00\xff", "null", ""},
	} {
		f.Add(seed.method, seed.query, []byte(seed.body), seed.origin, seed.requestedHeaders)
	}
	s := New(HandlerFunc(func(*Conn) {}), Options{
		Logger:         slog.New(slog.DiscardHandler),
		AllowedOrigins: []string{"https://app.example"},
		Authenticate: func(r *http.Request) (*Identity, error) {
			return &Identity{UserID: BearerToken(r)}, nil
		},
	})
	f.Cleanup(func() { s.Shutdown(context.Background()) })
	methods := map[byte]string{'P': "POST", 'G': "GET", 'O': "OPTIONS", 'D': "DELETE"}
	f.Fuzz(func(t *testing.T, method byte, query string, body []byte, origin, requestedHeaders string) {
		m, ok := methods[method]
		if !ok {
			m = "PUT"
		}
		r := httptest.NewRequest(m, "/hub/negotiate", bytes.NewReader(body))
		r.URL.RawQuery = query
		if origin != "" {
			r.Header.Set("Origin", origin)
			r.Header.Set("Access-Control-Request-Method", "POST")
		}
		if requestedHeaders != "" {
			r.Header.Set("Access-Control-Request-Headers", requestedHeaders)
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		s.mu.Lock()
		clear(s.pending) // keep MaxPending out of the way
		s.mu.Unlock()

		checkNegotiateResponse(t, m, w)
		checkCORS(t, origin, w.Header())
		checkRedacted(t, r.URL)
	})
}

func checkNegotiateResponse(t *testing.T, method string, w *httptest.ResponseRecorder) {
	switch w.Code {
	case http.StatusOK:
		if method != "POST" {
			t.Fatalf("%s answered 200", method)
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/json" {
			t.Fatalf("Content-Type %q", ct)
		}
		// A refused version: a body holding only the error, as ASP.NET Core's.
		var refused map[string]any
		if json.Unmarshal(w.Body.Bytes(), &refused) == nil && refused["error"] != nil {
			if text, _ := refused["error"].(string); len(refused) != 1 || !strings.HasPrefix(text, "The client requested ") {
				t.Fatalf("error body %q", w.Body)
			}
			return
		}
		var resp negotiateResponse
		dec := json.NewDecoder(w.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&resp); err != nil {
			t.Fatalf("body %q: %v", w.Body, err)
		}
		if resp.NegotiateVersion != 0 && resp.NegotiateVersion != 1 || len(resp.ConnectionID) != 22 || len(resp.AvailableTransports) == 0 {
			t.Fatalf("body %q", w.Body)
		}
		if (resp.NegotiateVersion == 1) != (len(resp.ConnectionToken) == 22) || resp.ConnectionToken == resp.ConnectionID {
			t.Fatalf("token in %q", w.Body)
		}
	case http.StatusNoContent:
		if method != "OPTIONS" || w.Body.Len() != 0 {
			t.Fatalf("%s answered 204 with %q", method, w.Body)
		}
	case http.StatusBadRequest, http.StatusMethodNotAllowed:
		if !strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") || w.Body.Len() == 0 {
			t.Fatalf("%d: %v %q", w.Code, w.Header(), w.Body)
		}
	default:
		t.Fatalf("%s answered %d %q", method, w.Code, w.Body)
	}
}

func checkCORS(t *testing.T, origin string, h http.Header) {
	acao := h.Get("Access-Control-Allow-Origin")
	if strings.EqualFold(origin, "https://app.example") {
		if acao != origin || h.Get("Access-Control-Allow-Credentials") != "true" {
			t.Fatalf("an allowed origin got %v", h)
		}
	} else if acao != "" || h.Get("Access-Control-Allow-Credentials") != "" || h.Get("Access-Control-Allow-Headers") != "" {
		t.Fatalf("origin %q got %v", origin, h)
	}
	if allow := h.Get("Access-Control-Allow-Headers"); allow != "" && !isHeaderList(allow) {
		t.Fatalf("Access-Control-Allow-Headers %q", allow)
	}
}

func checkRedacted(t *testing.T, u *url.URL) {
	redacted := RedactURL(u)
	_, query, _ := strings.Cut(redacted, "?")
	for part := range strings.SplitSeq(query, "&") {
		key, value, _ := strings.Cut(part, "=")
		if k, err := url.QueryUnescape(key); err == nil && isSecretParam(k) && value != "REDACTED" {
			t.Fatalf("RedactURL(%q) = %q", u, redacted)
		}
	}
}
