package main

import (
	"fmt"
	"io"
	"slices"
)

// statefulRounds is how many times each server runs each scenario, in turn,
// so that a slow moment of the machine does not fall on one of them only;
// the medians are reported.
const statefulRounds = 5

// statefulReport measures hubgen with stateful reconnect on against off, in
// the same run, each scenario on a fresh server: broadcast throughput to
// 1,000 connections (the load acknowledges once a second, as the official
// clients do) and the memory of idle connections, both negotiated. It writes
// the table.
func statefulReport(w io.Writer, deliveries, idleConns int) error {
	modes := []string{"hubgen", "hubgen-stateful"}
	rate, heap, rss := map[string][]float64{}, map[string][]float64{}, map[string][]float64{}
	const conns = 1000
	run := func(mode string, f func(t *target) error) error {
		t, err := start(mode)
		if err != nil {
			return err
		}
		t.negotiate = true // both alike: the stateful connections must
		err = f(t)
		t.stop()
		if err != nil {
			return fmt.Errorf("%s: %w", mode, err)
		}
		return nil
	}
	for range statefulRounds {
		for _, mode := range modes {
			err := run(mode, func(t *target) error {
				res, err := t.broadcast(conns, deliveries/conns, 100)
				if err == nil && (res.lost > 0 || res.outOfOrder > 0) {
					err = fmt.Errorf("lost %d, out of order %d", res.lost, res.outOfOrder)
				}
				rate[mode] = append(rate[mode], res.rate)
				return err
			})
			if err != nil {
				return err
			}
			err = run(mode, func(t *target) error {
				res, err := t.idle(idleConns)
				heap[mode] = append(heap[mode], res.heap/1024)
				rss[mode] = append(rss[mode], res.rss/1024)
				return err
			})
			if err != nil {
				return err
			}
		}
	}
	med := func(v []float64) float64 {
		v = slices.Sorted(slices.Values(v))
		return v[len(v)/2]
	}
	fmt.Fprintf(w, "| measure (median of %d rounds) | off | on | on / off |\n|---|---:|---:|---:|\n", statefulRounds)
	for _, r := range []struct {
		name string
		v    map[string][]float64
		unit string
	}{
		{fmt.Sprintf("broadcast, %d conns: deliveries/s", conns), rate, "/s"},
		{fmt.Sprintf("idle, %d conns: heap+stack per conn", idleConns), heap, "KiB"},
		{fmt.Sprintf("idle, %d conns: RSS per conn", idleConns), rss, "KiB"},
	} {
		off, on := med(r.v["hubgen"]), med(r.v["hubgen-stateful"])
		fmt.Fprintf(w, "| %s | %s | %s | %.2f |\n", r.name, format(off, r.unit), format(on, r.unit), on/off)
	}
	return nil
}
