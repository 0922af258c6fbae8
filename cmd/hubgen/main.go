// Command hubgen generates typed SignalR hubs from Go interfaces: a server
// dispatcher and typed client targets over github.com/hubgen/hubgen/runtime/hub,
// and a client stub and receiver registration over
// github.com/hubgen/hubgen/runtime/client, with no reflection at run time.
//
// Usage:
//
//	hubgen -server IFACE -client IFACE [-o FILE] [-ts DIR [-ts-protocol messagepack]] [-tags TAGS] [-json] [-check] [PACKAGE]
//
// Run hubgen -h for the details. hubgen is usually run by go generate, from a
// line in the contract package:
//
//	//go:generate go run github.com/hubgen/hubgen/cmd/hubgen -server ClockHub -client Clock
//
// or, with "tool github.com/hubgen/hubgen/cmd/hubgen" in go.mod:
//
//	//go:generate go tool hubgen -server ClockHub -client Clock
//
// The command only parses flags and writes files; internal/gen does the rest.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/hubgen/hubgen/internal/emit/ts"
	"github.com/hubgen/hubgen/internal/gen"
	"github.com/hubgen/hubgen/internal/model"
	"github.com/hubgen/hubgen/internal/version"
)

const usage = `usage: hubgen [-server IFACE] [-client IFACE] [-o FILE] [-ts DIR [-ts-protocol messagepack]] [-tags TAGS] [-json] [-check] [PACKAGE]
       hubgen -version

hubgen reads two Go interfaces of PACKAGE (default ".", the directory go generate
runs in) and writes typed SignalR hub code beside them, in one file:

  -server IFACE  what clients call on the server. Generates IFACEServer and
                 NewIFACEServer (the hub's http.Handler, dispatching to an IFACE),
                 IFACEMethods (its dispatch table), and IFACEClient and
                 NewIFACEClient (an IFACE that calls the hub over a client
                 connection). If the implementation also has methods
                 OnConnected(ctx) error or OnDisconnected(ctx, err), they run
                 when a connection opens or closes.
  -client IFACE  what the server calls on clients. Generates IFACEClients and
                 NewIFACEClients (typed targets: All, Group, Caller, ...),
                 IFACETarget (many connections: methods that return only an
                 error), IFACEClient (one connection: all methods, results too),
                 IFACEHandlers (an IFACE's methods as the handlers of a client
                 connection, for client.Options.Handlers, registered before it
                 opens) and RegisterIFACE (routes the hub's calls on an open
                 connection to an IFACE).

At least one of -server and -client is needed. Methods take ctx
context.Context first and return error last, with at most one value before it.
On the server interface, a method may instead return iter.Seq2[T, error] alone
(a stream from the server, which the client stops with break or ctx), and
parameters of type iter.Seq2[T, error] are streams the client uploads.

The file is written only if its content changed, and never over a file
hubgen did not write (the contract, say). Problems are reported as
file:line:col: message (HGnnn), all of them, and then nothing is written.
With -check, or with $HUBGEN_CHECK set (HUBGEN_CHECK=1 go generate ./...,
in CI), nothing is written either: hubgen exits 1, naming the files, when
a generated file is not up to date.

With -ts DIR, hubgen also writes a TypeScript client for @microsoft/signalr
into DIR, as <lower-case server interface, or else client interface>.ts:
the interfaces, createIFACEProxy(connection) for the server's,
registerIFACE(connection, receiver) for the client's, and the types their
methods reach, as encoding/json writes them. When other go:generate lines
of the package run hubgen with the same -ts folder, the types of all of
them go to one file, <package>.types.ts, which each hub's file imports and
each line writes alike. The types describe the JSON hub protocol; with
-ts-protocol messagepack, they describe the MessagePack one instead (Go or
msgpack-tag names, Date, Uint8Array). It never overwrites a file that
hubgen did not write.

Example, in the contract package:

  //go:generate go run github.com/hubgen/hubgen/cmd/hubgen -server ClockHub -client Clock

or, with "tool github.com/hubgen/hubgen/cmd/hubgen" in go.mod:

  //go:generate go tool hubgen -server ClockHub -client Clock

Flags:
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run runs hubgen with args and returns the exit code: 0 on success, 1 when
// the package has problems or a file cannot be written, 2 for bad usage.
func run(args []string, stdout, stderr io.Writer) int {
	var f gen.Flags
	fs := f.FlagSet("hubgen")
	fs.SetOutput(stderr)
	cfg := &f.Config
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fmt.Fprint(stdout, usage)
			fs.PrintDefaults()
			return 0
		}
		fmt.Fprintln(stderr, "hubgen -h explains the flags")
		return 2
	}
	if f.Version {
		fmt.Fprintln(stdout, version.String())
		return 0
	}
	switch fs.NArg() {
	case 0:
	case 1:
		cfg.Pattern = fs.Arg(0)
	default:
		fmt.Fprintf(stderr, "hubgen: one package at a time, not %d\n", fs.NArg())
		return 2
	}
	if cfg.Server == "" && cfg.Client == "" {
		fmt.Fprintln(stderr, "hubgen: name an interface with -server, -client or both (hubgen -h explains)")
		return 2
	}
	toStdout := cfg.Output == "-"
	if toStdout {
		cfg.Output = ""
	}

	protocol, err := ts.ParseProtocol(cfg.TSProtocol)
	if err == nil && protocol != ts.JSON && cfg.TS == "" {
		err = errors.New("hubgen: -ts-protocol is for the TypeScript client: give -ts DIR too")
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	cfg.TSProtocol = string(protocol)
	res, err := gen.Run(*cfg, f.JSON)
	if err != nil {
		if ds, ok := gen.Diagnostics(err); ok {
			wd, _ := os.Getwd()
			fmt.Fprint(stderr, ds.Relative(wd).String())
			fmt.Fprintf(stderr, "hubgen: %d problem(s); nothing written\n", len(ds))
		} else {
			fmt.Fprintln(stderr, err)
		}
		return 1
	}
	if f.JSON {
		b, err := gen.JSON(res.Spec)
		if err != nil {
			fmt.Fprintln(stderr, "hubgen:", err)
			return 1
		}
		stdout.Write(b)
		return 0
	}
	files := res.Files
	if toStdout {
		files = files[1:] // the Go file, which goes to standard output
	}
	for _, f := range files {
		if err := ownedOrAbsent(f); err != nil {
			fmt.Fprintln(stderr, "hubgen:", err)
			return 1
		}
	}
	if f.Check {
		var stale []string
		for _, f := range files {
			if !current(f) {
				stale = append(stale, relative(f.Name))
			}
		}
		if len(stale) > 0 {
			fmt.Fprintf(stderr, "hubgen: not up to date (run go generate): %s\n", strings.Join(stale, ", "))
			return 1
		}
		return 0
	}
	if toStdout {
		stdout.Write(res.Code)
	}
	for _, f := range files {
		if err := writeIfChanged(f); err != nil {
			fmt.Fprintln(stderr, "hubgen:", err)
			return 1
		}
	}
	return 0
}

// ownedOrAbsent returns an error if the file exists and hubgen did not write
// it (its first line is not model.Header): hubgen never overwrites a user's
// file, such as the contract itself given as -o.
func ownedOrAbsent(f gen.File) error {
	b, err := os.ReadFile(f.Name)
	if errors.Is(err, os.ErrNotExist) || err == nil && bytes.HasPrefix(b, []byte(model.Header+"\n")) {
		return nil
	}
	flag := f.Flag
	if err != nil {
		return fmt.Errorf("%s: %w", flag, err)
	}
	return fmt.Errorf("%s: %s exists, and hubgen did not write it (its first line is not %q); move it, or write to another name", flag, relative(f.Name), model.Header)
}

// relative returns name relative to the current directory when it is below
// it, as go vet prints paths.
func relative(name string) string {
	wd, err := os.Getwd()
	if err != nil {
		return name
	}
	if rel, err := filepath.Rel(wd, name); err == nil && filepath.IsLocal(rel) {
		return rel
	}
	return name
}

// current reports whether the file exists and holds exactly its content.
func current(f gen.File) bool {
	old, err := os.ReadFile(f.Name)
	return err == nil && bytes.Equal(old, f.Code)
}

// writeIfChanged writes the file unless it is current, so that an unchanged
// file keeps its modification time and the build cache stays warm.
func writeIfChanged(f gen.File) error {
	if current(f) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(f.Name), 0o755); err != nil {
		return err
	}
	return os.WriteFile(f.Name, f.Code, 0o644)
}
