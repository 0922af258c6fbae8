package hub

// OpenConns returns the number of connections the server holds, handshake
// done or not, for tests that check a connection is gone.
func OpenConns(s *Server) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Beating reports whether the server's heartbeat goroutine runs.
func Beating(s *Server) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.beating
}

// Queued returns the bytes waiting to be written to the connection with the
// given id, or -1 when there is none.
func Queued(s *Server, id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if c.id == id {
			return c.q.Len()
		}
	}
	return -1
}

// Deposed reports whether a standby reader has taken over the socket of the
// connection with the given id while its reader handles a frame.
func Deposed(s *Server, id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if c.id == id {
			return c.handling.Load() == readerDeposed
		}
	}
	return false
}
