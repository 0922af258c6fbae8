// Package interop proves that the official JavaScript client, npm
// @microsoft/signalr, talks to hubgen's hub server unmodified: over WebSockets,
// Server-Sent Events and Long Polling with JSON, and over WebSockets and Long
// Polling with MessagePack (@microsoft/signalr-protocol-msgpack). Its test
// serves a Go hub and runs the Node test suite in node/ against it:
//
//	npm ci --prefix interop/node
//	go test ./interop/
package interop
