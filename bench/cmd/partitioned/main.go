// Command partitioned runs decode → spill → group → repair → per-request
// analysis partition by partition (bench.AnalyzePartitioned) and prints
// the endpoint statistics, to measure the memory of the partitioned
// pipeline on inputs larger than memory:
//
//	/usr/bin/time -v go run ./bench/cmd/partitioned -memory-limit 1GiB out/bench/order-spans10000000-seed42.jsonl
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/syncaudit/syncaudit/bench"
	"github.com/syncaudit/syncaudit/ingest"
	"github.com/syncaudit/syncaudit/repair"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "partitioned: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	limit := flag.String("memory-limit", "1GiB", "ingest.Options.MemoryLimit: spill when the spans would take more than a third of it (bytes, or with a KiB/MiB/GiB suffix)")
	spill := flag.String("spill-dir", "", "directory for the partition files (default: the system's temporary directory)")
	workers := flag.Int("workers", 0, "parallelism (0: GOMAXPROCS)")
	flag.Parse()
	if flag.NArg() == 0 {
		return fmt.Errorf("usage: partitioned [-memory-limit SIZE] FILE...")
	}
	n, err := parseSize(*limit)
	if err != nil {
		return err
	}
	start := time.Now()
	opt := ingest.Options{Repair: repair.DefaultOptions(), MemoryLimit: n, SpillDir: *spill, Workers: *workers}
	p, err := bench.AnalyzePartitioned(context.Background(), flag.Args(), opt, *workers)
	if err != nil {
		return err
	}
	for _, e := range p.Errors {
		fmt.Fprintf(os.Stderr, "error: %v\n", e)
	}
	fmt.Fprintf(os.Stderr, "read %d span(s) in %d trace(s), %d request(s), %d partition(s) in %.2f s\n",
		p.Summary.SpansRead, p.Summary.Traces, p.Requests, p.Partitions, time.Since(start).Seconds())
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(p.Endpoints)
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	for suffix, m := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30} {
		if v, ok := strings.CutSuffix(s, suffix); ok {
			s, mult = v, m
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("-memory-limit %q: want bytes or a KiB/MiB/GiB size", s)
	}
	return n * mult, nil
}
