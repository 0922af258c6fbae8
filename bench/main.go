// Command bench measures hubgen's runtime against raw gorilla/websocket, each
// server in a process of its own and the load in this one, and prints the
// figures and their ratios as a Markdown table.
//
//	cd bench && go run . [-echo 5s] [-broadcast 1000] [-idle 10000]
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"
)

func main() {
	serveMode := flag.String("serve", "", "run as the server of this kind (hubgen or gorilla) instead of the load")
	echoFor := flag.Duration("echo", 5*time.Second, "length of each echo run")
	bconns := flag.Int("broadcast", 1000, "connections receiving broadcasts")
	msgs := flag.Int("msgs", 1000, "messages per broadcast run")
	idle := flag.Int("idle", 10000, "idle connections for the memory run")
	flag.Parse()
	if *serveMode != "" {
		if err := serve(*serveMode); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	if err := run(*echoFor, *bconns, *msgs, *idle); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// row is one line of the report: a figure for hubgen and for the baseline.
type row struct {
	name           string
	hubgen, raw    float64
	unit           string
	higherIsBetter bool
}

func run(echoFor time.Duration, bconns, msgs, idleConns int) error {
	fmt.Printf("# hubgen runtime vs raw gorilla/websocket\n\n%s, %s/%s, %d CPUs, Go %s\n\n",
		time.Now().UTC().Format("2006-01-02"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
	var rows []row
	var extra []string
	for _, scenario := range []func(hub, raw *target) error{
		func(hub, raw *target) error {
			for _, conns := range []int{1, 64} {
				h, err := hub.echo(conns, echoFor)
				if err != nil {
					return err
				}
				r, err := raw.echo(conns, echoFor)
				if err != nil {
					return err
				}
				rows = append(rows,
					row{fmt.Sprintf("echo, %d conn: round trips/s", conns), h.rate, r.rate, "/s", true},
					row{fmt.Sprintf("echo, %d conn: p50", conns), us(h.p50), us(r.p50), "µs", false},
					row{fmt.Sprintf("echo, %d conn: p99", conns), us(h.p99), us(r.p99), "µs", false},
				)
				if conns == 64 {
					rows = append(rows, row{"server allocations per invocation", h.allocsPerCall, r.allocsPerCall, "", false})
				}
			}
			return nil
		},
		func(hub, raw *target) error {
			h, err := hub.broadcast(bconns, msgs, 100)
			if err != nil {
				return err
			}
			r, err := raw.broadcast(bconns, msgs, 100)
			if err != nil {
				return err
			}
			rows = append(rows, row{fmt.Sprintf("broadcast to %d conns: deliveries/s", bconns), h.rate, r.rate, "/s", true})
			extra = append(extra, fmt.Sprintf("broadcast: hubgen %d out of order, %d lost; gorilla %d out of order, %d lost",
				h.outOfOrder, h.lost, r.outOfOrder, r.lost))
			return nil
		},
		func(hub, raw *target) error {
			h, err := hub.idle(idleConns)
			if err != nil {
				return err
			}
			r, err := raw.idle(idleConns)
			if err != nil {
				return err
			}
			rows = append(rows,
				row{fmt.Sprintf("idle, %d conns: heap+stack per conn", idleConns), h.heap / 1024, r.heap / 1024, "KiB", false},
				row{fmt.Sprintf("idle, %d conns: RSS per conn", idleConns), h.rss / 1024, r.rss / 1024, "KiB", false},
				row{fmt.Sprintf("idle, %d conns: goroutines per conn", idleConns), h.goroutines, r.goroutines, "", false},
			)
			return nil
		},
	} {
		// Fresh servers for each scenario, so that one does not warm the next.
		hub, err := start("hubgen")
		if err != nil {
			return err
		}
		raw, err := start("gorilla")
		if err != nil {
			hub.stop()
			return err
		}
		err = scenario(hub, raw)
		hub.stop()
		raw.stop()
		if err != nil {
			return err
		}
	}
	fmt.Println("| scenario | hubgen | raw gorilla | ratio |")
	fmt.Println("|---|---:|---:|---:|")
	for _, r := range rows {
		ratio := r.hubgen / r.raw
		fmt.Printf("| %s | %.1f %s | %.1f %s | %.2f |\n", r.name, r.hubgen, r.unit, r.raw, r.unit, ratio)
	}
	fmt.Println()
	for _, e := range extra {
		fmt.Println(e)
	}
	return nil
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
