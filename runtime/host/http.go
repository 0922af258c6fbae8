package host

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
)

// HTTPServer returns a [Service] that serves srv on srv.Addr (":http" if
// empty), with TLS if srv.TLSConfig is set (it must hold the certificates).
//
// Start listens before it returns, so an address that cannot be bound fails
// Start; it then serves in a goroutine. Serving ending for any reason but
// Stop is a failure reported to the host (see [FailurePolicy]). Stop calls
// srv.Shutdown, which closes the listener and waits for active requests to
// finish; if the stop context is done first, Stop closes srv and returns
// the context's error.
//
// Shutdown neither closes nor waits for hijacked connections, such as
// WebSockets. Use srv.RegisterOnShutdown to close them, for example to send
// clients a close message; Shutdown calls the registered functions without
// waiting for them. Work that Stop must wait for belongs in a separate
// Service added after the server, which the host stops before it.
func HTTPServer(srv *http.Server) Service {
	return &httpServer{srv: srv}
}

// HTTPServerListener is like [HTTPServer] but serves on ln, which it closes
// at Stop.
func HTTPServerListener(srv *http.Server, ln net.Listener) Service {
	return &httpServer{srv: srv, ln: ln}
}

type httpServer struct {
	srv  *http.Server
	ln   net.Listener
	done chan struct{} // closed when serving has ended
}

func (s *httpServer) Start(ctx context.Context) error {
	if s.ln == nil {
		var lc net.ListenConfig
		ln, err := lc.Listen(ctx, "tcp", cmp.Or(s.srv.Addr, ":http"))
		if err != nil {
			return fmt.Errorf("http server: %w", err)
		}
		s.ln = ln
	}
	report := envFrom(ctx).report
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		var err error
		if s.srv.TLSConfig != nil {
			err = s.srv.ServeTLS(s.ln, "", "")
		} else {
			err = s.srv.Serve(s.ln)
		}
		s.ln.Close() // in case serving failed before it began
		if !errors.Is(err, http.ErrServerClosed) {
			report(fmt.Errorf("http server %s: %w", s.ln.Addr(), err))
		}
	}()
	return nil
}

func (s *httpServer) Stop(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if err != nil {
		err = fmt.Errorf("http server %s: shutdown: %w", s.ln.Addr(), errors.Join(err, s.srv.Close()))
	}
	<-s.done
	return err
}
