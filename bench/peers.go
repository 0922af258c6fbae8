package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/centrifugal/centrifuge"
	kitlog "github.com/go-kit/log"
	"github.com/philippseith/signalr"
)

// srHub is philippseith/signalr's hub: methods found by reflection.
type srHub struct{ signalr.Hub }

// Echo returns its argument.
func (h *srHub) Echo(s string) string { return s }

// srServer is github.com/philippseith/signalr, a Go SignalR server that
// dispatches by reflection.
type srServer struct {
	mux    *http.ServeMux
	server signalr.Server
}

func newSRServer() (*srServer, error) {
	server, err := signalr.NewServer(context.Background(),
		signalr.SimpleHubFactory(&srHub{}),
		signalr.Logger(kitlog.NewNopLogger(), false))
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	server.MapHTTP(signalr.WithHTTPServeMux(mux), "/hub")
	return &srServer{mux: mux, server: server}, nil
}

func (s *srServer) handler() http.Handler { return s.mux }

func (s *srServer) broadcast(n, size int) {
	payload := strings.Repeat("x", size)
	all := s.server.HubClients().All()
	for i := range n {
		all.Send("Data", i, payload)
	}
}

// cfServer is github.com/centrifugal/centrifuge: its own protocol, RPC for
// echo and a channel every client subscribes to for broadcasts.
type cfServer struct {
	node *centrifuge.Node
	h    http.Handler
}

// cfChannel is the channel broadcasts go to.
const cfChannel = "bench"

func newCFServer() (*cfServer, error) {
	node, err := centrifuge.New(centrifuge.Config{})
	if err != nil {
		return nil, err
	}
	node.OnConnecting(func(ctx context.Context, e centrifuge.ConnectEvent) (centrifuge.ConnectReply, error) {
		return centrifuge.ConnectReply{Credentials: &centrifuge.Credentials{UserID: ""}}, nil
	})
	node.OnConnect(func(c *centrifuge.Client) {
		c.OnRPC(func(e centrifuge.RPCEvent, cb centrifuge.RPCCallback) {
			cb(centrifuge.RPCReply{Data: e.Data}, nil)
		})
		c.OnSubscribe(func(e centrifuge.SubscribeEvent, cb centrifuge.SubscribeCallback) {
			cb(centrifuge.SubscribeReply{}, nil)
		})
	})
	if err := node.Run(); err != nil {
		return nil, err
	}
	h := centrifuge.NewWebsocketHandler(node, centrifuge.WebsocketConfig{ReadBufferSize: 1024, UseWriteBufferPool: true, WriteBufferSize: 4096})
	return &cfServer{node: node, h: h}, nil
}

func (s *cfServer) handler() http.Handler { return s.h }

func (s *cfServer) broadcast(n, size int) {
	payload := strings.Repeat("x", size)
	for i := range n {
		s.node.Publish(cfChannel, fmt.Appendf(nil, "[%d,%q]", i, payload))
	}
}
