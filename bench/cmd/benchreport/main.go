// Command benchreport turns scripts/bench.sh's results.tsv into a Markdown
// table (stdout) and the scaling chart (an SVG file).
//
//	go run ./bench/cmd/benchreport -results out/bench/results.tsv -svg docs/scaling.svg
//
// It uses the latest run of each case; the chart shows `syncaudit analyze`
// and analyze --memory-limit on 1M, 3M and 10M spans (or the series named
// with -scaling).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/syncaudit/syncaudit/bench"
)

const defaultScaling = "syncaudit analyze=order-1m,order-3m,order-10m;" +
	"analyze --memory-limit 1536MiB=order-1m-partitioned,order-3m-partitioned,order-10m-partitioned"

var colors = []string{"#1f77b4", "#2ca02c", "#d62728", "#9467bd"}

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "benchreport: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	results := flag.String("results", "out/bench/results.tsv", "results `FILE` written by scripts/bench.sh")
	svg := flag.String("svg", "", "write the scaling chart to `FILE`")
	scaling := flag.String("scaling", defaultScaling, "series the chart shows: LABEL=CASE,CASE;LABEL=CASE,...")
	flag.Parse()
	f, err := os.Open(*results)
	if err != nil {
		return err
	}
	defer f.Close()
	all, err := bench.ReadResults(f)
	if err != nil {
		return err
	}
	latest := bench.Latest(all)
	if err := bench.WriteTable(os.Stdout, latest); err != nil {
		return err
	}
	if *svg == "" {
		return nil
	}
	var series []bench.Series
	nproc := 0
	for i, group := range strings.Split(*scaling, ";") {
		label, cases, _ := strings.Cut(group, "=")
		want := strings.Split(cases, ",")
		s := bench.Series{Label: label, Color: colors[i%len(colors)]}
		for _, r := range latest {
			if slices.Contains(want, r.Case) {
				s.Results = append(s.Results, r)
				nproc = r.NProc
			}
		}
		series = append(series, s)
	}
	var buf bytes.Buffer
	title := fmt.Sprintf("syncaudit: time vs spans, %d cores", nproc)
	if err := bench.WriteScalingSVG(&buf, title, series); err != nil {
		return err
	}
	return os.WriteFile(*svg, buf.Bytes(), 0o644)
}
