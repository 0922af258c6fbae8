// Command bench measures hubgen's runtime side by side with its peers: raw
// gorilla/websocket (the ceiling), github.com/philippseith/signalr and
// github.com/centrifugal/centrifuge. Each server runs in a process of its own
// and the load comes from this one, over loopback, in one run; the report gives
// the figures and their ratios to hubgen's.
//
//	cd bench && go run . [-o ../BENCHMARKS.md -chart ../benchmarks.png]
//
// This is a module of its own so that the peers never enter hubgen's
// dependencies.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strings"
	"time"
)

// peers are the servers measured, hubgen first.
var peers = []string{"hubgen", "gorilla", "philippseith", "centrifuge"}

func main() {
	serveMode := flag.String("serve", "", "run as the server of this kind instead of the load")
	echoFor := flag.Duration("echo", 5*time.Second, "length of each echo run")
	deliveries := flag.Int("deliveries", 1_000_000, "deliveries per broadcast run")
	idle := flag.Int("idle", 10000, "idle connections for the memory run")
	out := flag.String("o", "", "write the report to this file as well as stdout")
	chart := flag.String("chart", "", "draw the ratios to hubgen as a PNG chart in this file")
	stateful := flag.Bool("stateful", false, "measure only hubgen with stateful reconnect against hubgen without, and print that table")
	flag.DurationVar(&ackInterval, "ack", ackInterval, "how often the load's stateful connections acknowledge what they received (the official clients: 1s)")
	flag.Parse()
	if *serveMode != "" {
		if err := serve(*serveMode); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	if *stateful {
		if err := statefulReport(os.Stdout, *deliveries, *idle); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	r := &report{}
	if err := r.run(*echoFor, *deliveries, *idle); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	var buf bytes.Buffer
	r.write(io.MultiWriter(os.Stdout, &buf))
	if *out != "" {
		if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
	}
	if *chart != "" {
		if err := r.chart(*chart); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
	}
}

// row is one measure for every peer that has it.
type row struct {
	name   string
	unit   string
	higher bool               // higher is better
	values map[string]float64 // by peer
}

// report collects rows and notes.
type report struct {
	rows  []row
	notes []string
}

func (r *report) add(name, unit string, higher bool, values map[string]float64) {
	r.rows = append(r.rows, row{name, unit, higher, values})
}

// each starts a fresh server per peer, so that no run warms the next, and
// calls f with it.
func each(f func(t *target) error) error {
	for _, p := range peers {
		t, err := start(p)
		if err != nil {
			return err
		}
		err = f(t)
		t.stop()
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
	}
	return nil
}

func (r *report) run(echoFor time.Duration, deliveries, idleConns int) error {
	for _, conns := range []int{1, 64} {
		rate, p50, p99, allocs := map[string]float64{}, map[string]float64{}, map[string]float64{}, map[string]float64{}
		err := each(func(t *target) error {
			res, err := t.echo(conns, echoFor)
			rate[t.mode], p50[t.mode], p99[t.mode], allocs[t.mode] = res.rate, us(res.p50), us(res.p99), res.allocsPerCall
			return err
		})
		if err != nil {
			return err
		}
		r.add(fmt.Sprintf("echo, %d conn: round trips/s", conns), "/s", true, rate)
		r.add(fmt.Sprintf("echo, %d conn: p50 latency", conns), "µs", false, p50)
		r.add(fmt.Sprintf("echo, %d conn: p99 latency", conns), "µs", false, p99)
		if conns == 64 {
			r.add("server allocations per invocation", "", false, allocs)
		}
	}
	for _, conns := range []int{1000, 10000} {
		rate, disorder := map[string]float64{}, map[string]float64{}
		err := each(func(t *target) error {
			res, err := t.broadcast(conns, deliveries/conns, 100)
			rate[t.mode], disorder[t.mode] = res.rate, float64(res.outOfOrder)
			if res.lost > 0 {
				r.notes = append(r.notes, fmt.Sprintf("%s lost %d of %d deliveries at %d connections.", t.mode, res.lost, deliveries, conns))
			}
			return err
		})
		if err != nil {
			return err
		}
		r.add(fmt.Sprintf("broadcast, %d conns: deliveries/s", conns), "/s", true, rate)
		r.add(fmt.Sprintf("broadcast, %d conns: out of order", conns), "", false, disorder)
	}
	heap, rss, goroutines := map[string]float64{}, map[string]float64{}, map[string]float64{}
	err := each(func(t *target) error {
		res, err := t.idle(idleConns)
		heap[t.mode], rss[t.mode], goroutines[t.mode] = res.heap/1024, res.rss/1024, res.goroutines
		return err
	})
	if err != nil {
		return err
	}
	r.add(fmt.Sprintf("idle, %d conns: heap+stack per conn", idleConns), "KiB", false, heap)
	r.add(fmt.Sprintf("idle, %d conns: RSS per conn", idleConns), "KiB", false, rss)
	r.add(fmt.Sprintf("idle, %d conns: goroutines per conn", idleConns), "", false, goroutines)
	gen, err := generatorRatio()
	if err != nil {
		return err
	}
	r.add("hubgen run time / go/packages load, 50 methods", "×", false, map[string]float64{"hubgen": gen})
	return nil
}

func (r *report) write(w io.Writer) {
	fmt.Fprintf(w, "# Benchmarks\n\nMeasured %s on %s/%s, %d CPUs, %s, by `cd bench && go run .`: each server in a process of its own, the load in another, over loopback, all in one run. Ratios are hubgen's figure over the peer's: above 1 means hubgen is higher.\n\n",
		time.Now().UTC().Format("2006-01-02"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
	fmt.Fprint(w, "| measure |")
	for _, p := range peers {
		fmt.Fprintf(w, " %s |", p)
	}
	for _, p := range peers[1:] {
		fmt.Fprintf(w, " hubgen / %s |", p)
	}
	fmt.Fprint(w, "\n|---|")
	for range 2*len(peers) - 1 {
		fmt.Fprint(w, "---:|")
	}
	fmt.Fprintln(w)
	for _, r := range r.rows {
		fmt.Fprintf(w, "| %s |", r.name)
		for _, p := range peers {
			if v, ok := r.values[p]; ok {
				fmt.Fprintf(w, " %s |", format(v, r.unit))
			} else {
				fmt.Fprint(w, " |")
			}
		}
		for _, p := range peers[1:] {
			h, ok1 := r.values["hubgen"]
			v, ok2 := r.values[p]
			if ok1 && ok2 && v != 0 {
				fmt.Fprintf(w, " %.2f |", h/v)
			} else {
				fmt.Fprint(w, " |")
			}
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
	for _, n := range r.notes {
		fmt.Fprintln(w, "- "+n)
	}
	fmt.Fprint(w, "\n![The ratios as a chart: how many times better hubgen is than each peer](benchmarks.png)\n\n## Targets\n\n| target | measured | holds |\n|---|---|---|\n")
	for _, t := range goals {
		got, ok := t.check(r)
		fmt.Fprintf(w, "| %s | %s | %s |\n", t.name, got, map[bool]string{true: "yes", false: "**no**"}[ok])
	}
	fmt.Fprint(w, reproduce)
}

// value returns a row's figure for a peer.
func (r *report) value(prefix, peer string) float64 {
	for _, rw := range r.rows {
		if strings.HasPrefix(rw.name, prefix) {
			return rw.values[peer]
		}
	}
	return 0
}

// goal is a target the report checks.
type goal struct {
	name  string
	check func(r *report) (string, bool)
}

// ratioAtLeast checks hubgen's figure against min times a peer's.
func ratioAtLeast(name, row, peer string, min float64) goal {
	return goal{name, func(r *report) (string, bool) {
		h, p := r.value(row, "hubgen"), r.value(row, peer)
		if p == 0 {
			return "not measured", false
		}
		return fmt.Sprintf("%.2f", h/p), h/p >= min
	}}
}

// atMost checks hubgen's figure, as the table shows it (one decimal), against
// a bound: allocations per invocation count the server's background work too
// (its heartbeat, the stats request), some thousandths of one.
func atMost(name, row string, max float64) goal {
	return goal{name, func(r *report) (string, bool) {
		h := math.Round(r.value(row, "hubgen")*10) / 10
		return fmt.Sprintf("%.1f", h), h <= max
	}}
}

var goals = []goal{
	ratioAtLeast("echo throughput, 64 conns: at least 0.8 of raw gorilla", "echo, 64 conn: round trips/s", "gorilla", 0.8),
	ratioAtLeast("echo throughput, 64 conns: at least 4 times philippseith", "echo, 64 conn: round trips/s", "philippseith", 4),
	ratioAtLeast("broadcast, 1,000 conns: at least centrifuge", "broadcast, 1000 conns: deliveries/s", "centrifuge", 1),
	ratioAtLeast("broadcast, 1,000 conns: at least 0.8 of raw gorilla", "broadcast, 1000 conns: deliveries/s", "gorilla", 0.8),
	ratioAtLeast("broadcast, 10,000 conns: at least raw gorilla's naive broadcast", "broadcast, 10000 conns: deliveries/s", "gorilla", 1),
	atMost("broadcast: no message out of order, 1,000 conns", "broadcast, 1000 conns: out of order", 0),
	atMost("broadcast: no message out of order, 10,000 conns", "broadcast, 10000 conns: out of order", 0),
	atMost("idle memory: at most 12 KiB RSS per connection", "idle, 10000 conns: RSS per conn", 12),
	atMost("idle: at most 2 goroutines per connection", "idle, 10000 conns: goroutines per conn", 2),
	atMost("at most 5 server allocations per invocation, end to end", "server allocations per invocation", 5),
	atMost("generator: at most 1.3 times the go/packages load", "hubgen run time / go/packages load", 1.3),
}

const reproduce = `
## Reproduce

	cd bench && go run . -o ../BENCHMARKS.md -chart ../benchmarks.png

` + "`go run . -h`" + ` lists the knobs (echo length, deliveries per broadcast run, idle
connections). Run it on a quiet machine: the servers and the load share the cores, so
other work moves the figures (about ±20% between runs here); the ratios, measured in one
run, move less. Each server is started afresh for each scenario. The servers expose
/debug/pprof for profiling a run by hand.

In-process benchmarks, run with ` + "`go test -run '^$' -bench . -benchmem`" + `:

- runtime/hub: BenchmarkDispatch (one invocation without a socket: parse, dispatch,
  decode, call, encode), BenchmarkDispatchProtocols (JSON against MessagePack),
  BenchmarkBroadcast (a broadcast to 10,000 connections without sockets).
- runtime/client: BenchmarkInvoke64 (the Go client against the Go hub, 64 callers, as a
  ratio to raw gorilla echo), BenchmarkInvokeProtocols, BenchmarkStream (stream items per
  second against raw gorilla writes).
- internal/gen: BenchmarkGenerate50 (hubgen against the go/packages load),
  BenchmarkDispatch (generated dispatch against reflection).
- runtime/redishub: BenchmarkBroadcast (cross-server broadcast against one server and
  against PUBLISH; set REDIS_ADDR for a real Redis).
`

func format(v float64, unit string) string {
	switch {
	case unit == "/s" && v >= 1e6:
		return fmt.Sprintf("%.2f M/s", v/1e6)
	case unit == "/s":
		return fmt.Sprintf("%.1f k/s", v/1e3)
	case unit == "":
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.1f %s", v, unit)
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
