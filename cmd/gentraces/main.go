// Command gentraces writes a synthetic OTLP trace export for benchmarks
// (see package bench).
//
//	gentraces -shape order -traces 10000 -o orders.jsonl
//	gentraces -shape order -spans 10000000 -o 10m.jsonl.gz -gzip
//	gentraces -shape wide -spans 1001001 -o wide.jsonl
//	gentraces -shape order -traces 1000 -format otlp-proto -o orders.pb
//	gentraces -shape order -traces 10000 -format jaeger -o orders.json
//	gentraces -shape order -traces 10000 -format jaeger -dir crisp/   # one file per trace
//
// It prints what it wrote (traces, spans, batches, bytes) on stderr.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/syncaudit/syncaudit/bench"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "gentraces: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gentraces", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		opt    bench.Options
		shape  = fs.String("shape", string(bench.ShapeOrder), "workload: order (many 26-span requests) or wide (one trace, sequential order subtrees under one root)")
		format = fs.String("format", string(bench.FormatJSONLines), "output: otlp-jsonl, otlp-proto (Collector file exporter framing) or jaeger (Jaeger UI JSON)")
		out    = fs.String("o", "-", "output `FILE` (- for stdout)")
		dir    = fs.String("dir", "", "write one file per trace into `DIR` instead of -o (trace-NNNNNN.json, .jsonl or .pb)")
	)
	fs.IntVar(&opt.Traces, "traces", 0, "order: number of traces")
	fs.IntVar(&opt.Spans, "spans", 0, "wide: spans in the trace (1 + 26k); order: approximate total when -traces is not set")
	fs.Uint64Var(&opt.Seed, "seed", 42, "random seed: the same flags give the same bytes")
	fs.BoolVar(&opt.Gzip, "gzip", false, "gzip the output")
	fs.IntVar(&opt.MinBatch, "min-batch", 100, "fewest spans per line/message")
	fs.IntVar(&opt.MaxBatch, "max-batch", 500, "most spans per line/message")
	fs.IntVar(&opt.Concurrency, "concurrency", 64, "order: mean requests in flight (how much traces interleave)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	opt.Shape, opt.Format = bench.Shape(*shape), bench.Format(*format)
	if *dir != "" {
		st, err := bench.GenerateFiles(*dir, opt)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "gentraces: %d traces, %d spans, %d files, %d bytes\n", st.Traces, st.Spans, st.Batches, st.Bytes)
		return nil
	}

	var w io.Writer = stdout
	var f *os.File
	if *out != "-" {
		var err error
		// Write to a temporary name and rename, so an interrupted run
		// never leaves a truncated file that a cache would trust.
		if f, err = os.Create(*out + ".tmp"); err != nil {
			return err
		}
		defer os.Remove(*out + ".tmp")
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	st, err := bench.Generate(bw, opt)
	if err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if f != nil {
		if err := f.Close(); err != nil {
			return err
		}
		if err := os.Rename(*out+".tmp", *out); err != nil {
			return err
		}
	}
	fmt.Fprintf(stderr, "gentraces: %d traces, %d spans, %d batches, %d bytes\n", st.Traces, st.Spans, st.Batches, st.Bytes)
	return nil
}
