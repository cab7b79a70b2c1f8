// Command benchratio reads the output of BenchmarkHTTPServer and
// BenchmarkHTTPServerParallel (several runs, in any order) and prints, as
// Markdown, the median of every figure of every variant and the ratios the
// performance targets are stated in: each handler's cost over the bare mux,
// divided by that of otelhttp and of the hand-written stack, in wall time
// and in process CPU time, and the allocations over the bare mux.
//
//	go run ./internal/benchratio < bench.txt
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// group is one benchmark function at one GOMAXPROCS with one sampler:
// "BenchmarkHTTPServer", 2, "always".
type group struct {
	bench   string
	procs   int
	sampler string
}

// samples holds every value seen for each unit of one variant.
type samples map[string][]float64

func main() {
	if err := run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "benchratio:", err)
		os.Exit(1)
	}
}

func run(in io.Reader, out io.Writer) error {
	data := map[group]map[string]samples{}
	var order []group
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 3 || !strings.HasPrefix(f[0], "BenchmarkHTTPServer") {
			continue
		}
		failed := f[1] == "---" && f[2] == "FAIL:"
		if failed {
			// "BenchmarkX/a/b-2 --- FAIL: BenchmarkX/a/b-2": the run
			// delivered less than it should.
			f = f[:1]
		}
		name, procs := f[0], 1
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if p, err := strconv.Atoi(name[i+1:]); err == nil {
				name, procs = name[:i], p
			}
		}
		parts := strings.Split(name, "/")
		if len(parts) != 3 {
			continue
		}
		g := group{bench: parts[0], procs: procs, sampler: parts[1]}
		if data[g] == nil {
			data[g] = map[string]samples{}
			order = append(order, g)
		}
		v := data[g][parts[2]]
		if v == nil {
			v = samples{}
			data[g][parts[2]] = v
		}
		if failed {
			v["invalid"] = append(v["invalid"], 1)
			continue
		}
		for i := 2; i+1 < len(f); i += 2 {
			x, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return fmt.Errorf("%s: value %q: %w", f[0], f[i], err)
			}
			v[f[i+1]] = append(v[f[i+1]], x)
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if len(order) == 0 {
		return fmt.Errorf("no BenchmarkHTTPServer results on standard input")
	}
	sort.SliceStable(order, func(i, j int) bool {
		a, b := order[i], order[j]
		if a.bench != b.bench {
			return a.bench < b.bench
		}
		return a.procs < b.procs
	})
	variants := []string{"bare", "otelhttp", "stack", "observe", "observe-nolog"}
	fmt.Fprintln(out, "| benchmark | cpu | sampler | handler | runs | invalid | ns/op | cpu-ns/op | B/op | allocs/op | spans/op | logs/op |")
	fmt.Fprintln(out, "| --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, g := range order {
		for _, v := range variants {
			s := data[g][v]
			if s == nil {
				continue
			}
			fmt.Fprintf(out, "| %s | %d | %s | %s | %d | %d | %.0f | %.0f | %.0f | %.0f | %.4f | %.4f |\n",
				strings.TrimPrefix(g.bench, "Benchmark"), g.procs, g.sampler, v, len(s["ns/op"]), len(s["invalid"]),
				median(s["ns/op"]), median(s["cpu-ns/op"]), median(s["B/op"]), median(s["allocs/op"]),
				minimum(s["spans/op"]), minimum(s["logs/op"]))
		}
	}
	fmt.Fprintln(out)
	fmt.Fprintln(out, "Cost over the bare mux, as a ratio of medians (wall time; process CPU time):")
	fmt.Fprintln(out)
	fmt.Fprintln(out, "| benchmark | cpu | sampler | observe / stack | observe / otelhttp | nolog / otelhttp | allocs over bare |")
	fmt.Fprintln(out, "| --- | ---: | --- | --- | --- | --- | ---: |")
	for _, g := range order {
		d := data[g]
		ratio := func(a, b, unit string) string {
			if d[a] == nil || d[b] == nil || d["bare"] == nil {
				return "-"
			}
			base := median(d["bare"][unit])
			return fmt.Sprintf("%.2f", (median(d[a][unit])-base)/(median(d[b][unit])-base))
		}
		both := func(a, b string) string { return ratio(a, b, "ns/op") + "; " + ratio(a, b, "cpu-ns/op") }
		allocs := "-"
		if d["observe"] != nil && d["bare"] != nil {
			allocs = fmt.Sprintf("%.0f", median(d["observe"]["allocs/op"])-median(d["bare"]["allocs/op"]))
		}
		fmt.Fprintf(out, "| %s | %d | %s | %s | %s | %s | %s |\n", strings.TrimPrefix(g.bench, "Benchmark"), g.procs, g.sampler,
			both("observe", "stack"), both("observe", "otelhttp"), both("observe-nolog", "otelhttp"), allocs)
	}
	return nil
}

func median(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	s := slices.Clone(x)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// minimum is the least delivery seen among the valid runs; the invalid
// ones are counted apart.
func minimum(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	return slices.Min(x)
}
