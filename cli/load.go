package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/syncaudit/syncaudit/critpath"
	"github.com/syncaudit/syncaudit/decode"
	"github.com/syncaudit/syncaudit/fetch"
	"github.com/syncaudit/syncaudit/ingest"
	"github.com/syncaudit/syncaudit/render/format"
	"github.com/syncaudit/syncaudit/repair"
	"github.com/syncaudit/syncaudit/trace"
)

// loadFlags are the input and repair flags shared by the commands that read traces.
type loadFlags struct {
	format        string
	jaegerCompat  compatMode
	maxSkew       time.Duration
	skewTolerance time.Duration
	traceID       string
	// jaeger, when --jaeger or --jaeger-grpc is given, adds the traces
	// fetched from Jaeger to the inputs (see fetch.go).
	jaeger jaegerFlags
}

// loadSources says which optional input flags a command takes.
type loadSources struct {
	traceID bool // --trace-id
	jaeger  bool // --jaeger and the other fetch flags
}

func (f *loadFlags) register(fs *pflag.FlagSet, src loadSources) {
	d := repair.DefaultOptions()
	fs.StringVar(&f.format, "format", "auto", "input format: auto, otlp-json, otlp-proto, jaeger, zipkin")
	fs.Var(&f.jaegerCompat, "jaeger-compat", "reproduce a peer's critical path: ui (Jaeger UI, span for span) or crisp (CRISP; the bare flag); both truncate/drop children that overflow their parent instead of marking them async")
	fs.Lookup("jaeger-compat").NoOptDefVal = "crisp"
	fs.DurationVar(&f.maxSkew, "max-skew", d.MaxSkew, "largest clock-skew correction applied to a server span outside its client parent (0 disables)")
	fs.DurationVar(&f.skewTolerance, "skew-tolerance", d.SkewTolerance, "how long a child may outlive its parent (or 1% of the parent, if larger) before it counts as fire-and-forget")
	if src.traceID {
		fs.StringVar(&f.traceID, "trace-id", "", "only this trace (hex)")
	}
	if src.jaeger {
		f.jaeger.register(fs, "jaeger-timeout")
	}
}

func (f *loadFlags) options() (ingest.Options, error) {
	var o ingest.Options
	fm, err := decode.ParseFormat(f.format)
	if err != nil {
		return o, usageErrorf("--format: %v", err)
	}
	o.Decode.Format = fm
	o.Repair = repair.DefaultOptions()
	o.Repair.JaegerCompat = f.jaegerCompat.on()
	o.Repair.JaegerUI = f.jaegerCompat.mode() == critpath.JaegerUI
	o.Repair.MaxSkew = f.maxSkew
	o.Repair.SkewTolerance = f.skewTolerance
	if f.maxSkew < 0 || f.skewTolerance < 0 {
		return o, usageErrorf("--max-skew and --skew-tolerance must not be negative")
	}
	if f.traceID != "" {
		id, nonHex, err := trace.ParseTraceID(f.traceID)
		if err != nil || nonHex {
			return o, usageErrorf("--trace-id %q: want 1 to 32 hex digits", f.traceID)
		}
		o.TraceID = id
	}
	return o, nil
}

// compatMode is the value of --jaeger-compat[=ui|crisp]: the critical-path
// mode whose peer to reproduce, critpath.Default when the flag is off. The
// bare flag means crisp, what it meant before it took a value; true and
// false, which the boolean flag took, still mean crisp and off.
type compatMode critpath.Mode

func (m *compatMode) Set(s string) error {
	switch s {
	case "crisp", "true":
		*m = compatMode(critpath.CRISP)
	case "ui":
		*m = compatMode(critpath.JaegerUI)
	case "false":
		*m = compatMode(critpath.Default)
	default:
		return fmt.Errorf("want ui or crisp")
	}
	return nil
}

func (m compatMode) String() string {
	if !m.on() {
		return ""
	}
	return m.mode().String()
}

func (m compatMode) Type() string { return "ui|crisp" }

func (m compatMode) on() bool { return m.mode() != critpath.Default }

func (m compatMode) mode() critpath.Mode { return critpath.Mode(m) }

// load reads the inputs, reports problems and a summary on errOut, and
// returns the result plus the exit code the command should end with when
// its own work succeeds (ExitOK, ExitInput or ExitNoData).
func load(ctx context.Context, ios *IOStreams, paths []string, f *loadFlags) (*ingest.Result, int, error) {
	return loadWith(ctx, ios, paths, f, 0, ingest.Load)
}

// loader reads inputs as ingest.Load does; it may analyse them on the way
// (audit.Audit).
type loader func(ctx context.Context, paths []string, stdin io.Reader, opt ingest.Options) (*ingest.Result, error)

// loadWith is load with a memory limit for ingest (0: none) and the
// function that reads the inputs.
func loadWith(ctx context.Context, ios *IOStreams, paths []string, f *loadFlags, memoryLimit int64, read loader) (*ingest.Result, int, error) {
	opt, err := f.options()
	if err != nil {
		return nil, 0, err
	}
	opt.MemoryLimit = memoryLimit
	opt.OnSpill = tightenMemoryLimit
	opt.OnLarge = collectForMemory
	var jaeger *jaegerStream
	if f.jaeger.enabled() {
		// The traces stream from Jaeger into the decoders as they arrive:
		// no temporary file.
		if jaeger, err = streamJaeger(ctx, ios, &f.jaeger); err != nil {
			return nil, 0, err
		}
		opt.Streams = append(opt.Streams, jaeger.input)
	} else if ch := f.jaeger.changed(); len(ch) > 0 {
		return nil, 0, usageErrorf("%s need --jaeger URL (or --jaeger-grpc HOST:PORT)", strings.Join(ch, ", "))
	}
	prog := newProgress(ios)
	if prog != nil {
		opt.Progress = prog.files
	}
	res, err := read(ctx, paths, ios.In, opt)
	prog.done()
	if jaeger != nil {
		// The fetch's own outcome replaces what decoding its stream said.
		ferr := jaeger.wait()
		if res != nil {
			res.Errors = jaeger.drop(res.Errors)
		}
		if ferr != nil {
			if !errors.Is(ferr, fetch.ErrNoTraces) || len(paths) == 0 {
				return nil, 0, fetchError(ferr, jaeger.c, &jaeger.q, "")
			}
			fmt.Fprintf(ios.ErrOut, "warning: Jaeger holds no traces for %s\n", describe(jaeger.c, &jaeger.q))
			if res != nil {
				res.Summary.Files--
			}
		} else {
			summarize(ios.ErrOut, jaeger.stats, &jaeger.q, "")
		}
	}
	if err != nil {
		return nil, 0, err
	}
	printErrors(ios.ErrOut, res.Errors)
	printSummary(ios.ErrOut, &res.Summary)
	code := ExitOK
	switch {
	case len(res.Errors) > 0:
		code = ExitInput
	case res.Summary.SpansInTraces == 0:
		code = ExitNoData
		fmt.Fprintln(ios.ErrOut, "syncaudit: the inputs hold no usable spans")
	}
	return res, code, nil
}

const maxErrorsShown = 20

func printErrors(w io.Writer, errs []error) {
	for i, err := range errs {
		if i == maxErrorsShown {
			fmt.Fprintf(w, "error: ... and %d more input errors\n", len(errs)-i)
			break
		}
		fmt.Fprintf(w, "error: %v\n", err)
	}
}

func printSummary(w io.Writer, s *ingest.Summary) {
	fmt.Fprintf(w, "read %d file(s), %d span(s): %d in %d trace(s) (%d partial), %d rejected",
		s.Files, s.SpansRead, s.SpansInTraces, s.Traces, s.PartialTraces, s.SpansRejected)
	if len(s.Rejected) > 0 {
		fmt.Fprintf(w, " (%s)", format.JoinCounts(s.Rejected))
	}
	fmt.Fprintln(w)
	if len(s.Warnings) > 0 {
		fmt.Fprintf(w, "repairs: %s\n", format.JoinCounts(s.Warnings))
	}
	if s.SpansWithoutKind > 0 {
		fmt.Fprintf(w, "span kinds: %d of %d span(s) had none; %d inferred from service boundaries (kind-inferred)\n",
			s.SpansWithoutKind, s.SpansInTraces, s.Warnings[trace.WarnKindInferred.String()])
	}
}
