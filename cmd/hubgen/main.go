// Command hubgen generates typed SignalR hubs from Go interfaces: a server
// dispatcher and typed client targets over github.com/hubgen/hubgen/runtime/hub,
// and a client stub and receiver registration over
// github.com/hubgen/hubgen/runtime/client, with no reflection at run time.
//
// Usage:
//
//	hubgen -server IFACE -client IFACE [-o FILE] [-ts DIR] [-tags TAGS] [-json] [PACKAGE]
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

	"github.com/hubgen/hubgen/internal/emit/ts"
	"github.com/hubgen/hubgen/internal/gen"
	"github.com/hubgen/hubgen/internal/model"
	"github.com/hubgen/hubgen/internal/version"
)

const usage = `usage: hubgen [-server IFACE] [-client IFACE] [-o FILE] [-ts DIR] [-tags TAGS] [-json] [PACKAGE]
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

The file is written only if its content changed. Problems are reported as
file:line:col: message (HGnnn), all of them, and then nothing is written.

With -ts DIR, hubgen also writes a TypeScript client for @microsoft/signalr
into DIR, as <lower-case server interface, or else client interface>.ts:
the interfaces, createIFACEProxy(connection) for the server's,
registerIFACE(connection, receiver) for the client's, and the types their
methods reach, as encoding/json writes them. It never overwrites a file
that hubgen did not write.

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
	fs := flag.NewFlagSet("hubgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg gen.Config
	var asJSON, showVersion bool
	var tsDir string
	fs.StringVar(&cfg.Server, "server", "", "the server `interface`, which clients call")
	fs.StringVar(&cfg.Client, "client", "", "the client `interface`, which the server calls")
	fs.StringVar(&cfg.Output, "o", "", "the output `file`, in the package's directory (a relative name is relative to the current one); - for standard output\n(default: <lower-case server interface, or else client interface>_hubgen.go in the package's directory)")
	fs.StringVar(&cfg.Tags, "tags", "", "comma-separated build `tags` for loading the package")
	fs.StringVar(&tsDir, "ts", "", "also write a TypeScript client for @microsoft/signalr into `directory`")
	fs.BoolVar(&asJSON, "json", false, "print the model hubgen generates from as JSON, instead of writing Go")
	fs.BoolVar(&showVersion, "version", false, "print hubgen's version and exit")
	fs.Usage = func() {} // printed below, once
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
	if showVersion {
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

	res, err := gen.Run(cfg, asJSON)
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
	if asJSON {
		b, err := gen.JSON(res.Spec)
		if err != nil {
			fmt.Fprintln(stderr, "hubgen:", err)
			return 1
		}
		stdout.Write(b)
		return 0
	}
	var tsFile string
	var tsCode []byte
	if tsDir != "" {
		tsFile = filepath.Join(tsDir, ts.FileName(res.Spec))
		if tsCode, err = ts.Generate(res.Spec); err == nil {
			err = ownedOrAbsent(tsFile)
		}
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
	}
	if toStdout {
		stdout.Write(res.Code)
	} else if err := writeIfChanged(res.Output, res.Code); err != nil {
		fmt.Fprintln(stderr, "hubgen:", err)
		return 1
	}
	if tsFile != "" {
		if err := writeIfChanged(tsFile, tsCode); err != nil {
			fmt.Fprintln(stderr, "hubgen:", err)
			return 1
		}
	}
	return 0
}

// ownedOrAbsent returns an error if the file name exists and hubgen did not
// write it: its first line is not model.Header.
func ownedOrAbsent(name string) error {
	b, err := os.ReadFile(name)
	if errors.Is(err, os.ErrNotExist) || err == nil && bytes.HasPrefix(b, []byte(model.Header+"\n")) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("hubgen: -ts: %w", err)
	}
	return fmt.Errorf("hubgen: -ts: %s exists, and hubgen did not write it (its first line is not %q); move it, or write into another directory", name, model.Header)
}

// writeIfChanged writes data to name unless the file already holds exactly
// data, so that an unchanged file keeps its modification time and the build
// cache stays warm.
func writeIfChanged(name string, data []byte) error {
	if old, err := os.ReadFile(name); err == nil && bytes.Equal(old, data) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	return os.WriteFile(name, data, 0o644)
}
