package host

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// The limits [HTTPServer] and [HTTPServerListener] give an [http.Server] on
// which the field is zero.
const (
	// DefaultReadHeaderTimeout bounds the time a client has to send a
	// request's line and headers, so that clients that send them slowly, or
	// never finish, cannot hold connections (and file descriptors) forever.
	DefaultReadHeaderTimeout = 10 * time.Second
	// DefaultIdleTimeout bounds the time a kept-alive connection may wait
	// for its next request.
	DefaultIdleTimeout = 120 * time.Second
	// DefaultMaxHeaderBytes caps a request's line and headers; net/http's
	// own default, [http.DefaultMaxHeaderBytes], is 1 MiB. 64 KiB leaves room
	// for large cookies and access tokens in the URL.
	DefaultMaxHeaderBytes = 64 << 10
)

// HTTPServer returns a [Service] that serves srv on srv.Addr (":http" if
// empty), with TLS if srv.TLSConfig is set (it must hold the certificates).
//
// HTTPServer sets safe limits on srv itself, when called, where the caller
// left them zero; a non-zero value is kept:
//   - ReadHeaderTimeout: [DefaultReadHeaderTimeout], unless ReadTimeout is
//     positive (net/http then bounds the headers by ReadTimeout);
//   - IdleTimeout: [DefaultIdleTimeout], unless ReadTimeout is positive
//     (net/http then uses it as the idle timeout);
//   - MaxHeaderBytes: [DefaultMaxHeaderBytes].
//
// To opt out of a timeout, set it negative: net/http then applies none. To
// allow net/http's 1 MiB of headers, set MaxHeaderBytes to
// [http.DefaultMaxHeaderBytes] (net/http also reads a negative value as
// that). ReadTimeout and WriteTimeout get no default (zero: no timeout),
// because they bound a whole request and its response: they would cut the
// long-lived responses of a hub, Server-Sent Events streams and long polls
// (which wait up to the hub's PollTimeout), as they do when set by the
// caller. ReadHeaderTimeout and IdleTimeout only run while the server waits
// for a request's headers, so they cut no response, nor a WebSocket
// (net/http clears the connection's deadlines when the hub takes it over).
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
	setDefaults(srv)
	return &httpServer{srv: srv}
}

// HTTPServerListener is like [HTTPServer], with the same defaults, but
// serves on ln, which it closes at Stop.
func HTTPServerListener(srv *http.Server, ln net.Listener) Service {
	setDefaults(srv)
	return &httpServer{srv: srv, ln: ln}
}

// setDefaults fills in the limits HTTPServer documents.
func setDefaults(srv *http.Server) {
	if srv.ReadTimeout <= 0 {
		if srv.ReadHeaderTimeout == 0 {
			srv.ReadHeaderTimeout = DefaultReadHeaderTimeout
		}
		if srv.IdleTimeout == 0 {
			srv.IdleTimeout = DefaultIdleTimeout
		}
	}
	if srv.MaxHeaderBytes == 0 {
		srv.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
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
			return fmt.Errorf("%s: %w", s, err)
		}
		s.ln = ln
	}
	e := envFrom(ctx)
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
			e.fail(fmt.Errorf("%s: %w", s, err), e.policy)
		}
	}()
	return nil
}

func (s *httpServer) String() string {
	if s.ln == nil {
		return fmt.Sprintf("http server %s", cmp.Or(s.srv.Addr, ":http"))
	}
	return fmt.Sprintf("http server %s", s.ln.Addr())
}

func (s *httpServer) stopsInTime() {}

func (s *httpServer) Stop(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if err != nil {
		err = fmt.Errorf("%s: shutdown: %w", s, errors.Join(err, s.srv.Close()))
	}
	<-s.done
	return err
}
