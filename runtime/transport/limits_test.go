package transport

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"
)

func (s *Server) pendingCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending)
}

func negotiateOnce(s *Server) (*httptest.ResponseRecorder, string) {
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest("POST", "/hub/negotiate?negotiateVersion=1", nil))
	var n struct{ ConnectionToken string }
	json.Unmarshal(w.Body.Bytes(), &n)
	return w, n.ConnectionToken
}

// age makes every pending negotiation older by d, as if d had passed.
func (s *Server) age(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for token, p := range s.pending {
		p.created = p.created.Add(-d)
		s.pending[token] = p
	}
}

// Clients that negotiate and never connect cost nothing after
// DisconnectTimeout, and no more than MaxPending of them are kept meanwhile:
// an unauthenticated client cannot grow the server's memory with negotiates.
//
// The disconnect timeout is long, so that none expires while the test fills
// the cap however slow the machine; the test then ages them past it. The
// short keep-alive interval makes the heartbeat, which expires them, tick
// often.
func TestPendingNegotiationsExpireAndAreCapped(t *testing.T) {
	const timeout = time.Hour
	s := New(HandlerFunc(func(*Conn) {}), Options{DisconnectTimeout: timeout, Heartbeat: 10 * time.Millisecond, MaxPending: 1000, Logger: slog.New(slog.DiscardHandler)})
	defer s.Shutdown(context.Background())
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var tokens []string
	for range 1000 {
		w, token := negotiateOnce(s)
		if w.Code != 200 {
			t.Fatalf("negotiate: %d %s", w.Code, w.Body)
		}
		tokens = append(tokens, token)
	}
	var during runtime.MemStats
	runtime.ReadMemStats(&during)
	t.Logf("1000 pending negotiations: %d pending, heap in use %+d KiB", s.pendingCount(), (int64(during.HeapInuse)-int64(before.HeapInuse))>>10)
	if n := s.pendingCount(); n != 1000 {
		t.Errorf("%d negotiations pending, want 1000", n)
	}
	if w, _ := negotiateOnce(s); w.Code != http.StatusServiceUnavailable {
		t.Errorf("negotiate past MaxPending: %d, want 503", w.Code)
	}
	// The heartbeat drops them once they are older than the handshake
	// timeout.
	s.age(timeout + time.Second)
	deadline := time.Now().Add(10 * time.Second)
	for s.pendingCount() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d negotiations still pending", s.pendingCount())
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Their tokens are worthless now, and there is room for new clients.
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest("GET", "/hub?id="+tokens[0], nil))
	if w.Code != http.StatusNotFound {
		t.Errorf("an expired token: %d, want 404", w.Code)
	}
	if w, _ := negotiateOnce(s); w.Code != 200 {
		t.Errorf("negotiate after expiry: %d", w.Code)
	}
}

// The default cap is a bound on memory: measure what a pending negotiation
// costs.
func TestPendingNegotiationCost(t *testing.T) {
	if testing.Short() {
		t.Skip("measures memory")
	}
	s := New(HandlerFunc(func(*Conn) {}), Options{Logger: slog.New(slog.DiscardHandler)})
	defer s.Shutdown(context.Background())
	const n = 20000
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range n {
		negotiateOnce(s)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / n
	t.Logf("a pending negotiation costs about %d bytes: %d MiB at the default cap of %d", per, per*DefaultMaxPending>>20, DefaultMaxPending)
	if per > 1024 {
		t.Errorf("a pending negotiation costs %d bytes", per)
	}
}
