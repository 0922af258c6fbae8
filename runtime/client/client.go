// Package client is the Go client of SignalR hubs. It connects to a hub served
// by hubgen's hub package or by ASP.NET Core SignalR, invokes the hub's methods,
// and runs handlers for the methods the hub calls on the client. hubgen
// generates typed wrappers over it; it is also usable by hand:
//
//	conn, err := client.Dial(ctx, "https://example.com/chat", client.Options{})
//	if err != nil {
//		return err
//	}
//	defer conn.Close()
//	conn.On("ReceiveMessage", func(ctx context.Context, args client.Args) (any, error) {
//		text, err := client.Arg[string](args, 0)
//		fmt.Println(text)
//		return nil, err
//	})
//	var n int
//	err = conn.Invoke(ctx, "SendMessage", &n, "hello")
//
// Dial negotiates (POST {url}/negotiate), opens a transport (a WebSocket,
// Server-Sent Events or Long Polling, as the server offers and
// Options.Transports allow) and completes the hub protocol's handshake. The
// connection then sends a Ping after Options.KeepAliveInterval without sending,
// and ends with ErrServerTimeout after Options.ServerTimeout without receiving
// (neither on Long Polling, whose polls keep it alive).
//
// Negotiate and the transports are the connections layer's: package
// github.com/hubgen/hubgen/runtime/transport, whose Dial opens a raw
// connection, for a protocol of your own over SignalR's transports.
//
// # Reconnecting
//
// When an established connection is lost, the Conn reconnects as its
// Options.Reconnect policy says: by default after about 0, 2, 10 and 30
// seconds, then it gives up and closes. Each attempt is a new connection, with a
// new id; handlers stay registered. Invocations pending when the connection
// drops fail at once with an error that wraps ErrConnectionClosed, and calls made
// while reconnecting fail with ErrReconnecting. A server that closes the
// connection with a Close message reconnects the client only if the message
// allows it. Options.OnReconnecting, OnReconnected and OnClosed report each step.
//
// With Options.StatefulReconnect and a server that allows it, over
// WebSockets, a dropped socket is first reopened once, at once: the
// connection goes on with the same id, its pending invocations waiting, and
// what either side had not acknowledged is sent again, duplicates dropped
// (Options.OnReattached). Only if that fails does the reconnect above begin.
//
// # Goroutines
//
// A Conn has a goroutine that reads from the server, one that runs handlers
// and one that watches the connection and reconnects. Messages are encoded by
// the goroutine that sends them, outside every lock, and queued; a writer
// goroutine, started when something is queued and none is at work, sends all
// that is queued in one frame. A value that cannot be encoded (a MarshalJSON
// or EncodeMsgpack that fails or panics, a NaN in JSON, a channel) fails that
// one call, never the connection. Invoke, Send, StreamOf and uploads wait, as
// long as their ctx allows, while 1 MiB or more is queued and not yet written.
// Close stops the goroutines before it returns.
//
// No lock of the client's is held while user code runs: handlers, encoders
// and decoders of values, sequences of uploads, the callbacks of Options, the
// reconnect policy, the logger.
//
// # Streams
//
// StreamOf calls a streaming method and yields its items; UploadOf makes a
// sequence an argument that streams to the server, on a goroutine of its own
// that stops with the call or the connection, at the sequence's next item
// (Close does not wait for a sequence that blocks). A stream whose consumer is
// behind holds up the connection's reader, for a while: see StreamOf.
package client

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hubgen/hubgen/runtime/protocol"
	connections "github.com/hubgen/hubgen/runtime/transport"
)

// State is the state of a connection.
type State int

// The states of a connection.
const (
	Disconnected State = iota // closed, or not connected yet
	Connecting                // opening the first connection
	Connected                 // connected; calls go through
	Reconnecting              // lost; reconnecting as the policy says
)

// String returns the state's name.
func (s State) String() string {
	switch s {
	case Disconnected:
		return "Disconnected"
	case Connecting:
		return "Connecting"
	case Connected:
		return "Connected"
	case Reconnecting:
		return "Reconnecting"
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// Conn is a connection to a hub. It is safe for concurrent use.
type Conn struct {
	url  string
	opts Options
	dial connections.DialOptions // for each connection
	log  *slog.Logger

	ids        atomic.Uint64 // the next invocation id; never reset, as in the official clients
	handlers   handlerTable
	jobs       jobQueue
	dispatcher atomic.Uint64 // the id of the handlers' goroutine
	watcher    atomic.Uint64 // the id of the watching goroutine, which runs the callbacks

	handlerClose   sync.Once
	handlerClosing chan struct{} // closed when a handler calls Close

	onHandlersFull func() // for tests: called when the reader waits for the handlers

	stop   context.Context // ends with Close: stops reconnecting
	cancel context.CancelFunc

	mu      sync.Mutex
	state   State
	sess    *session // the connection; nil while Reconnecting or Disconnected
	closing bool     // Close was called

	dispatched chan struct{} // closed when the handlers' goroutine has ended
	done       chan struct{} // closed when the watching goroutine has ended
}

// Dial connects to the hub at url (http, https, or with SkipNegotiation also ws
// or wss): it negotiates, opens a transport and completes the handshake. ctx
// bounds the dial only; once Dial returns, the connection lives until Close.
func Dial(ctx context.Context, url string, opts Options) (*Conn, error) {
	c, err := newConn(url, opts)
	if err != nil {
		return nil, err
	}
	for name, h := range c.opts.Handlers {
		c.On(name, h)
	}
	c.state = Connecting
	s, err := c.connect(ctx)
	if err != nil {
		c.cancel()
		return nil, err
	}
	c.sess, c.state = s, Connected
	go c.dispatch()
	go c.watch(s)
	return c, nil
}

// newConn returns a Conn for the hub at rawURL, not connected yet. The
// connections layer checks the URL and the options of its own when the Conn
// connects.
func newConn(rawURL string, opts Options) (*Conn, error) {
	c := &Conn{
		url:            rawURL,
		opts:           opts.withDefaults(),
		jobs:           newJobQueue(),
		handlerClosing: make(chan struct{}),
		dispatched:     make(chan struct{}),
		done:           make(chan struct{}),
	}
	c.log = c.opts.Logger
	c.stop, c.cancel = context.WithCancel(context.Background())
	c.dial = connections.DialOptions{
		Transports:        c.opts.Transports,
		Format:            connections.Format(c.opts.Protocol.Format()),
		SkipNegotiation:   c.opts.SkipNegotiation,
		AccessToken:       c.opts.AccessToken,
		Header:            c.opts.Header,
		HTTPClient:        c.opts.HTTPClient,
		Dialer:            c.opts.Dialer,
		WriteTimeout:      c.opts.ServerTimeout,
		StatefulReconnect: c.opts.StatefulReconnect,
		Logger:            c.log,
	}
	return c, nil
}

// ID returns the connection id, the name the server knows the connection by.
// It is "" when the Conn is not connected, and with SkipNegotiation.
func (c *Conn) ID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess == nil {
		return ""
	}
	return c.sess.id
}

// State returns the connection's state.
func (c *Conn) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// session returns the current connection, or the error of a call made when
// there is none.
func (c *Conn) session() (*session, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.sess != nil:
		return c.sess, nil
	case c.state == Reconnecting:
		return nil, ErrReconnecting
	}
	return nil, ErrConnectionClosed
}

// Invoke calls method on the server with args and waits for its completion. It
// decodes the result into the value result points to, unless result is nil. A
// method that fails on the server returns an *Error with the server's text.
// When ctx ends first, Invoke returns ctx.Err() at once and sends the server a
// CancelInvocation, as .NET 11's clients do: a hubgen hub cancels the method's
// ctx if it runs on a goroutine of its own (MaxParallelInvocations above 1, or
// uploads); older servers ignore it and run the method to its end. Arguments made by UploadOf stream to the server until Invoke returns;
// see UploadOf.
func (c *Conn) Invoke(ctx context.Context, method string, result any, args ...any) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s, err := c.session()
	if err != nil {
		return err
	}
	args, ups := c.takeUploads(args)
	id := c.nextID()
	cl := &call{target: method, result: result, done: make(chan error, 1)}
	if err := s.post(ctx, ups.message(protocol.Invocation, id, method, args), cl); err != nil {
		return err
	}
	if ups != nil {
		stop := s.upload(ctx, ups)
		defer stop()
	}
	select {
	case err := <-cl.done:
		return err
	case <-ctx.Done():
		if s.forget(id) {
			// As .NET 11's clients do: the hub cancels the method's ctx
			// (older servers ignore it).
			s.push(protocol.Message{Type: protocol.CancelInvocation, InvocationID: id})
			return ctx.Err()
		}
		return <-cl.done // completing now
	}
}

// Send calls method on the server with args without waiting for it: the server
// sends no answer, not even an error. It returns once the call is queued for
// sending; it waits, as long as ctx allows, only when much is queued already.
// Arguments made by UploadOf go on streaming to the server after Send returns,
// until their sequences end or ctx ends; see UploadOf.
func (c *Conn) Send(ctx context.Context, method string, args ...any) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s, err := c.session()
	if err != nil {
		return err
	}
	args, ups := c.takeUploads(args)
	if err := s.post(ctx, ups.message(protocol.Invocation, "", method, args), nil); err != nil {
		return err
	}
	if ups != nil {
		s.upload(ctx, ups)
	}
	return nil
}

// Close closes the connection: it sends a Close message to the server, closes
// the transport, stops reconnecting, fails pending invocations, ends the ctx of
// the handlers, and waits for the Conn's goroutines to end, the running
// handler and OnClosed included. A handler that ignores its ctx holds Close up
// until it returns. Close called from a handler does not wait for that handler
// (nor for the handlers' goroutine); called from a callback, it does not wait
// for the callback. Closing a closed Conn does nothing.
func (c *Conn) Close() error {
	c.mu.Lock()
	first := !c.closing
	c.closing = true
	s := c.sess
	c.mu.Unlock()
	if first {
		// The session ends first: the handlers that see their ctx end answer
		// no more.
		if s != nil {
			s.close()
		}
		c.cancel()
		c.jobs.close()
	}
	me := goid()
	inHandler, inCallback := me == c.dispatcher.Load(), me == c.watcher.Load()
	if inHandler {
		c.handlerClose.Do(func() { close(c.handlerClosing) })
	}
	if !inCallback {
		<-c.done
	}
	switch {
	case inHandler:
	case inCallback:
		// A handler that calls Close waits for the callbacks.
		select {
		case <-c.dispatched:
		case <-c.handlerClosing:
		}
	default:
		<-c.dispatched
	}
	return nil
}

// watch follows the connection from Dial to the end: when a session ends it
// reconnects, or closes the Conn for good.
func (c *Conn) watch(s *session) {
	c.watcher.Store(goid())
	var err error
	for s != nil {
		select {
		case <-s.done:
		case <-s.reattached:
			for range s.reattaches.Swap(0) {
				c.callback(func() {
					if c.opts.OnReattached != nil {
						c.opts.OnReattached()
					}
				})
			}
			continue
		}
		retry, cause := s.result()
		c.mu.Lock()
		closing := c.closing
		c.mu.Unlock()
		switch {
		case closing:
			s, err = nil, nil
		case !retry:
			s, err = nil, cause
		default:
			s, err = c.reconnect(cause)
		}
	}
	c.mu.Lock()
	c.sess, c.state = nil, Disconnected
	c.mu.Unlock()
	c.cancel()
	c.jobs.close()
	c.callback(func() {
		if c.opts.OnClosed != nil {
			c.opts.OnClosed(err)
		}
	})
	close(c.done)
}

// reconnect makes new connections as the policy says, until one succeeds, the
// policy gives up, or Close is called. It returns the new session, or nil and
// the error that closes the Conn.
func (c *Conn) reconnect(reason error) (*session, error) {
	delay, ok := c.opts.Reconnect(0, 0, reason)
	if !ok {
		return nil, reason
	}
	if !c.become(Reconnecting, nil) {
		return nil, nil
	}
	c.log.Warn("client: connection lost; reconnecting", "error", reason)
	c.callback(func() {
		if c.opts.OnReconnecting != nil {
			c.opts.OnReconnecting(reason)
		}
	})
	start := time.Now()
	for retries := 1; ; retries++ {
		timer := time.NewTimer(delay)
		select {
		case <-c.stop.Done():
			timer.Stop()
			return nil, nil
		case <-timer.C:
		}
		s, err := c.connect(c.stop)
		if c.stop.Err() != nil {
			if s != nil {
				s.close()
				<-s.done
			}
			return nil, nil
		}
		if err == nil {
			if !c.become(Connected, s) {
				s.close()
				<-s.done
				return nil, nil
			}
			c.log.Info("client: reconnected", "conn", s.id, "attempts", retries)
			c.callback(func() {
				if c.opts.OnReconnected != nil {
					c.opts.OnReconnected(s.id)
				}
			})
			return s, nil
		}
		c.log.Debug("client: reconnect attempt failed", "attempt", retries, "error", err)
		if delay, ok = c.opts.Reconnect(retries, time.Since(start), err); !ok {
			return nil, fmt.Errorf("client: reconnecting failed after %d attempts: %w", retries, err)
		}
	}
}

// become moves to state, with s as the current session, unless Close was
// called.
func (c *Conn) become(state State, s *session) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return false
	}
	c.sess, c.state = s, state
	return true
}

// callback runs a callback of the user's, on the watching goroutine, with no
// lock held; a panic is logged, and the connection goes on.
func (c *Conn) callback(f func()) {
	defer func() {
		if v := recover(); v != nil {
			c.log.Error("client: a callback panicked", "panic", v, "stack", string(debug.Stack()))
		}
	}()
	f()
}
