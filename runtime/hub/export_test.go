package hub

// OpenConns returns the number of connections the server serves, handshake
// done or not, for tests that check a connection is gone.
func OpenConns(s *Server) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.open)
}

// Queued returns the bytes waiting to be written to the connection with the
// given id, or -1 when there is none.
func Queued(s *Server, id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.open {
		if c.id == id {
			return c.q.Len()
		}
	}
	return -1
}
