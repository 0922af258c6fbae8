package main

import (
	"fmt"
	"image/color"
	"os/exec"
	"regexp"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// generatorRatio runs hubgen's generator benchmark in the main module and
// returns its run time over the go/packages load of the same package.
func generatorRatio() (float64, error) {
	cmd := exec.Command("go", "test", "-run", "^$", "-bench", "^BenchmarkGenerate50$", "-benchtime", "10x", "./internal/gen")
	cmd.Dir = ".."
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("generator benchmark: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`([\d.]+) x-load`).FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("generator benchmark: no x-load in\n%s", out)
	}
	return strconv.ParseFloat(string(m[1]), 64)
}

// clip is the top of the chart's scale.
const clip = 4

// chart draws, for each measure, how many times better hubgen is than each
// peer: the ratio for throughput, its inverse for latency and memory. Above 1,
// hubgen is better.
func (r *report) chart(file string) error {
	p := plot.New()
	p.Title.Text = "hubgen against its peers: above 1, hubgen is better (bars clipped at 4; the table has the figures)"
	p.Y.Label.Text = "times better than the peer"
	var names []string
	var rows []row
	for _, rw := range r.rows {
		if strings.Contains(rw.name, "out of order") || len(rw.values) < 2 {
			continue
		}
		rows = append(rows, rw)
		names = append(names, shortName(rw.name))
	}
	colors := []color.Color{color.RGBA{90, 120, 200, 255}, color.RGBA{220, 110, 60, 255}, color.RGBA{80, 170, 90, 255}}
	width := vg.Points(14)
	for i, peer := range peers[1:] {
		values := make(plotter.Values, len(rows))
		for j, rw := range rows {
			h, v := rw.values["hubgen"], rw.values[peer]
			switch {
			case h == 0 || v == 0:
				values[j] = 0
			case rw.higher:
				values[j] = h / v
			default:
				values[j] = v / h
			}
			values[j] = min(values[j], clip)
		}
		bars, err := plotter.NewBarChart(values, width)
		if err != nil {
			return err
		}
		bars.Color = colors[i]
		bars.LineStyle.Width = 0
		bars.Offset = vg.Length(i-1) * width
		p.Add(bars)
		p.Legend.Add(peer, bars)
	}
	one := plotter.NewFunction(func(float64) float64 { return 1 })
	one.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(one)
	p.Legend.Top, p.Legend.Left = true, true
	p.Y.Min, p.Y.Max = 0, clip
	p.NominalX(names...)
	p.X.Tick.Label.Rotation = 0.6
	p.X.Tick.Label.XAlign = -0.9
	return p.Save(11*vg.Inch, 6*vg.Inch, file)
}

// shortName abbreviates a measure for the chart's axis.
func shortName(s string) string {
	r := strings.NewReplacer(": round trips/s", "", ": deliveries/s", "", " per conn", "", "latency", "",
		"server allocations per invocation", "allocs/invocation", "hubgen run time / go/packages load, 50 methods", "generator")
	return strings.TrimSpace(r.Replace(s))
}
