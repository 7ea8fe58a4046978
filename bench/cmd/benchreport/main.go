// Command benchreport turns scripts/bench.sh's results.tsv into a Markdown
// table (stdout) and the scaling chart (an SVG file).
//
//	go run ./bench/cmd/benchreport -results out/bench/results.tsv -svg docs/scaling.svg
//
// It uses the latest run of each case; the chart shows the order-1m,
// order-3m and order-10m cases (or those named with -scaling).
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

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "benchreport: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	results := flag.String("results", "out/bench/results.tsv", "results `FILE` written by scripts/bench.sh")
	svg := flag.String("svg", "", "write the scaling chart to `FILE`")
	scaling := flag.String("scaling", "order-1m,order-3m,order-10m", "comma-separated cases the chart shows")
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
	want := strings.Split(*scaling, ",")
	var pts []bench.Result
	for _, r := range latest {
		if slices.Contains(want, r.Case) {
			pts = append(pts, r)
		}
	}
	if len(pts) == 0 {
		return fmt.Errorf("no results for %s", *scaling)
	}
	var buf bytes.Buffer
	title := fmt.Sprintf("syncaudit analyze: time vs spans (%d cores)", pts[0].NProc)
	if err := bench.WriteScalingSVG(&buf, title, pts); err != nil {
		return err
	}
	return os.WriteFile(*svg, buf.Bytes(), 0o644)
}
