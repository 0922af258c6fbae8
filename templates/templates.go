// Package templates holds the templates hubgen renders its TypeScript client
// from (hubgen -ts), as text/template files embedded in FS:
//
//	ts/hub.ts.tmpl     a hub's file (header, imports, then the parts below), and
//	                   the file of the types hubs in one folder share
//	ts/server.ts.tmpl  the server interface and createIFACEProxy
//	ts/client.ts.tmpl  the client interface and registerIFACE
//	ts/types.ts.tmpl   the types the interfaces' signatures reach
//	ts/helpers.ts.tmpl the functions the proxy calls for streams and uploads
//
// The templates only lay text out. Names, TypeScript types and doc comments
// come from helpers in github.com/hubgen/hubgen/internal/emit/ts, which
// renders them; go:embed cannot reach outside a package's directory, so the
// files live in this package of their own.
package templates

import "embed"

// FS holds the TypeScript templates, under ts/.
//
//go:embed ts/*.tmpl
var FS embed.FS
