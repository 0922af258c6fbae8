package transport

import (
	"net/http"
	"strings"
	"sync"
)

// Mux is an http.ServeMux on which the endpoints registered with Mount match
// ignoring case, as ASP.NET Core's routing matches them: a client sent to
// /ChatHub by a negotiate redirect reaches the endpoint mounted at /chathub.
// Every other pattern routes as on http.ServeMux.
type Mux struct {
	mux    http.ServeMux
	mu     sync.RWMutex
	mounts map[string]http.Handler // by lower-case path, with and without /negotiate
}

// NewMux returns an empty Mux.
func NewMux() *Mux { return &Mux{mounts: make(map[string]http.Handler)} }

// Handle registers h for pattern, as http.ServeMux.Handle does.
func (m *Mux) Handle(pattern string, h http.Handler) { m.mux.Handle(pattern, h) }

// HandleFunc registers f for pattern, as http.ServeMux.HandleFunc does.
func (m *Mux) HandleFunc(pattern string, f func(http.ResponseWriter, *http.Request)) {
	m.mux.HandleFunc(pattern, f)
}

// Mount registers h at path and at path + "/negotiate", both matched ignoring
// case. It panics if the path is mounted already, as http.ServeMux panics on
// a pattern registered twice.
func (m *Mux) Mount(path string, h http.Handler) {
	path = strings.ToLower(strings.TrimSuffix(path, "/"))
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.mounts[path]; ok {
		panic("transport: " + path + " is mounted already")
	}
	m.mounts[path] = h
	m.mounts[path+"/negotiate"] = h
}

// ServeHTTP routes r to the endpoint mounted at its path, ignoring case, or
// else as http.ServeMux does.
func (m *Mux) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.mu.RLock()
	h := m.mounts[strings.ToLower(r.URL.Path)]
	m.mu.RUnlock()
	if h != nil {
		h.ServeHTTP(w, r)
		return
	}
	m.mux.ServeHTTP(w, r)
}
