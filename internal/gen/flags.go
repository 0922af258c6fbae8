package gen

import (
	"flag"
	"os"
)

// Flags are hubgen's command-line flags, defined once: cmd/hubgen parses its
// arguments with them, and a run reads the contract package's other
// //go:generate lines with them too (siblings.go), so that a flag added here
// is understood in both.
type Flags struct {
	Config       // -server, -client, -o, -tags, -ts, -ts-protocol (as given: the command checks it)
	JSON    bool // -json: print the model
	Version bool // -version
	Check   bool // -check, or $HUBGEN_CHECK: write nothing, report stale files
}

// FlagSet returns a flag set, named name, that parses hubgen's flags into f.
// It prints nothing on errors and has no usage: the caller decides both.
func (f *Flags) FlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {}
	fs.StringVar(&f.Server, "server", "", "the server `interface`, which clients call")
	fs.StringVar(&f.Client, "client", "", "the client `interface`, which the server calls")
	fs.StringVar(&f.Output, "o", "", "the output `file`, in the package's directory (a relative name is relative to the current one); - for standard output\n(default: <lower-case server interface, or else client interface>_hubgen.go in the package's directory)")
	fs.StringVar(&f.Tags, "tags", "", "comma-separated build `tags` for loading the package")
	fs.StringVar(&f.TS, "ts", "", "also write a TypeScript client for @microsoft/signalr into `directory`")
	fs.StringVar(&f.Config.TSProtocol, "ts-protocol", "json", "the hub `protocol` the TypeScript types describe: json or messagepack")
	fs.BoolVar(&f.JSON, "json", false, "print the model hubgen generates from as JSON, instead of writing Go")
	fs.BoolVar(&f.Version, "version", false, "print hubgen's version and exit")
	fs.BoolVar(&f.Check, "check", os.Getenv("HUBGEN_CHECK") != "", "write nothing; exit 1, naming the files, if a generated file is not up to date\n(default true when $HUBGEN_CHECK is set, so that HUBGEN_CHECK=1 go generate ./... checks every directive)")
	return fs
}
