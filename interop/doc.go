// Package interop proves that the official JavaScript client, npm
// @microsoft/signalr, talks to hubgen's hub server unmodified. Its test serves a
// Go hub and runs the Node test suite in node/ against it:
//
//	npm ci --prefix interop/node
//	go test ./interop/
package interop
