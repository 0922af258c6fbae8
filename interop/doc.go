// Package interop proves that the official JavaScript client, npm
// @microsoft/signalr, talks to hubgen's servers unmodified: to hubs over
// WebSockets, Server-Sent Events and Long Polling with JSON, and over
// WebSockets and Long Polling with MessagePack
// (@microsoft/signalr-protocol-msgpack); and, with its raw HttpConnection and
// with plain WebSockets, to a raw connection endpoint of runtime/transport
// that echoes what it receives, in both transfer formats, as the official
// client's own functional tests do against ASP.NET Core. Its test serves the Go
// hubs and endpoints on one transport.Mux and runs the Node test suite in
// node/ against them:
//
//	npm ci --prefix interop/node
//	go test ./interop/
package interop
