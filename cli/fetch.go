package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/syncaudit/syncaudit/decode"
	"github.com/syncaudit/syncaudit/fetch"
)

// TokenEnv is the environment variable holding a bearer token for Jaeger,
// used when --token is not given.
const TokenEnv = "SYNCAUDIT_JAEGER_TOKEN"

// defaultSince is the time range searched when neither --since nor
// --start/--end is given.
const defaultSince = time.Hour

// jaegerFlags name a Jaeger query service and a search. `fetch` registers
// them, and so do the commands that read traces (through loadFlags), where
// --jaeger adds the fetched traces to the inputs.
type jaegerFlags struct {
	fs         *pflag.FlagSet
	timeoutArg string

	url, grpcAddr      string
	grpcTLS            bool
	api                string
	service, operation string
	since              time.Duration
	start, end         string
	limit, pageSize    int
	tags               []string
	timeout            time.Duration
	token              string
}

// jaegerFlagNames lists the flags that only make sense with --jaeger or
// --jaeger-grpc; timeoutName is the name of the timeout flag.
func jaegerFlagNames(timeoutName string) []string {
	return []string{"jaeger", "jaeger-grpc", "grpc-tls", "api", "service", "operation", "since", "start", "end",
		"limit", "page-size", "tag", "token", timeoutName}
}

// register adds the flags to fs; the per-request timeout is called
// timeoutName (`analyze` already has a --timeout).
func (f *jaegerFlags) register(fs *pflag.FlagSet, timeoutName string) {
	f.fs, f.timeoutArg = fs, timeoutName
	fs.StringVar(&f.url, "jaeger", "", "Jaeger query service `URL` to read traces from (HTTP, e.g. http://localhost:16686)")
	fs.StringVar(&f.grpcAddr, "jaeger-grpc", "", "Jaeger query gRPC address `HOST:PORT` (api_v3, port 16685 by default); implies --api grpc")
	fs.BoolVar(&f.grpcTLS, "grpc-tls", false, "use TLS for --jaeger-grpc")
	fs.StringVar(&f.api, "api", "", "Jaeger query API: v3 (/api/v3/traces, default with --jaeger), grpc (api_v3 FindTraces, default with --jaeger-grpc) or classic (/api/traces, for Jaeger < 1.35)")
	fs.StringVar(&f.service, "service", "", "Jaeger: fetch traces with a span of this `SERVICE` (required with --jaeger)")
	fs.StringVar(&f.operation, "operation", "", "Jaeger: only traces where SERVICE's span has this `OPERATION` name")
	fs.DurationVar(&f.since, "since", 0, "Jaeger: traces from this long ago until now (default 1h; excludes --start/--end)")
	fs.StringVar(&f.start, "start", "", "Jaeger: start of the time range (`RFC3339`, e.g. 2026-11-27T09:00:00Z)")
	fs.StringVar(&f.end, "end", "", "Jaeger: end of the time range (`RFC3339`; default now)")
	fs.IntVar(&f.limit, "limit", 1000, "Jaeger: fetch at most `N` traces (0: no limit)")
	fs.IntVar(&f.pageSize, "page-size", fetch.DefaultPageSize, "Jaeger: traces asked for per request; fuller time windows are split")
	fs.StringArrayVar(&f.tags, "tag", nil, "Jaeger: only traces with a span carrying `KEY=VALUE` (repeatable; all must match)")
	fs.DurationVar(&f.timeout, timeoutName, fetch.DefaultTimeout, "Jaeger: give up on a request after this long")
	fs.StringVar(&f.token, "token", "", "Jaeger: bearer `TOKEN` for an authenticating proxy (default $"+TokenEnv+"; the variable keeps it out of ps)")
}

// enabled says whether a Jaeger source was named.
func (f *jaegerFlags) enabled() bool { return f.url != "" || f.grpcAddr != "" }

// changed lists the Jaeger flags given on the command line.
func (f *jaegerFlags) changed() []string {
	if f.fs == nil {
		return nil
	}
	var out []string
	for _, n := range jaegerFlagNames(f.timeoutArg) {
		if f.fs.Changed(n) {
			out = append(out, "--"+n)
		}
	}
	return out
}

// build validates the flags and returns the client and query. Every
// error is a usage error.
func (f *jaegerFlags) build(ios *IOStreams, now time.Time) (*fetch.Client, fetch.Query, error) {
	var q fetch.Query
	if !f.enabled() {
		return nil, q, usageErrorf("--jaeger URL (or --jaeger-grpc HOST:PORT) is required")
	}
	c := &fetch.Client{URL: f.url, GRPCAddr: f.grpcAddr, GRPCTLS: f.grpcTLS, Timeout: f.timeout, Retries: 2}
	switch {
	case f.api != "":
		api, err := fetch.ParseAPI(f.api)
		if err != nil {
			return nil, q, usageErrorf("--api: %v", err)
		}
		c.API = api
	case f.url == "":
		c.API = fetch.APIGRPC
	default:
		c.API = fetch.APIv3
	}
	switch c.API {
	case fetch.APIGRPC:
		if f.grpcAddr == "" {
			return nil, q, usageErrorf("--api grpc needs --jaeger-grpc HOST:PORT (Jaeger's query gRPC port, %d by default)", fetch.DefaultGRPCPort)
		}
		if strings.Contains(f.grpcAddr, "://") {
			return nil, q, usageErrorf("--jaeger-grpc %q: want HOST:PORT, without a scheme", f.grpcAddr)
		}
	default:
		if f.url == "" {
			return nil, q, usageErrorf("--api %s needs --jaeger URL (Jaeger's query HTTP address, port %d by default)", c.API, fetch.DefaultHTTPPort)
		}
		if _, err := fetch.ParseURL(f.url); err != nil {
			return nil, q, usageErrorf("--jaeger: %v", err)
		}
		if f.grpcTLS {
			return nil, q, usageErrorf("--grpc-tls applies to --api grpc only")
		}
	}
	q.Service = strings.TrimSpace(f.service)
	q.Operation = f.operation
	if q.Service == "" {
		return nil, q, usageErrorf("--service is required with --jaeger: Jaeger searches traces by service")
	}
	if f.since != 0 && (f.start != "" || f.end != "") {
		return nil, q, usageErrorf("--since and --start/--end are exclusive")
	}
	switch {
	case f.start != "":
		t, err := parseTime(f.start)
		if err != nil {
			return nil, q, usageErrorf("--start: %v", err)
		}
		q.Start, q.End = t, now
		if f.end != "" {
			if q.End, err = parseTime(f.end); err != nil {
				return nil, q, usageErrorf("--end: %v", err)
			}
		}
		if !q.Start.Before(q.End) {
			return nil, q, usageErrorf("--start %s is not before --end %s", q.Start.Format(time.RFC3339Nano), q.End.Format(time.RFC3339Nano))
		}
	case f.end != "":
		return nil, q, usageErrorf("--end needs --start")
	default:
		since := f.since
		if since == 0 {
			since = defaultSince
		}
		if since < 0 {
			return nil, q, usageErrorf("--since must be positive")
		}
		q.Start, q.End = now.Add(-since), now
	}
	if f.limit < 0 {
		return nil, q, usageErrorf("--limit must not be negative (0: no limit)")
	}
	if f.pageSize < 1 {
		return nil, q, usageErrorf("--page-size must be at least 1")
	}
	if f.timeout <= 0 {
		return nil, q, usageErrorf("--%s must be positive", f.timeoutArg)
	}
	q.Limit, q.PageSize = f.limit, f.pageSize
	tags, err := fetch.ParseTags(f.tags)
	if err != nil {
		return nil, q, usageErrorf("--tag: %v", err)
	}
	q.Tags = tags
	c.Token = f.token
	if c.Token == "" && ios.Getenv != nil {
		c.Token = strings.TrimSpace(ios.Getenv(TokenEnv))
	}
	return c, q, nil
}

// parseTime reads RFC 3339 (with or without fractional seconds).
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil {
		return t, fmt.Errorf("%q is not an RFC 3339 time such as 2026-11-27T09:00:00Z or 2026-11-27T10:00:00+01:00", s)
	}
	return t, nil
}

// describe names the search for messages.
func describe(c *fetch.Client, q *fetch.Query) string {
	var b strings.Builder
	fmt.Fprintf(&b, "service %q", q.Service)
	if q.Operation != "" {
		fmt.Fprintf(&b, ", operation %q", q.Operation)
	}
	for _, t := range q.Tags {
		fmt.Fprintf(&b, ", tag %s=%s", t.Key, t.Value)
	}
	fmt.Fprintf(&b, " between %s and %s", q.Start.UTC().Format(time.RFC3339), q.End.UTC().Format(time.RFC3339))
	where := c.URL
	if c.API == fetch.APIGRPC {
		where = c.GRPCAddr
	}
	fmt.Fprintf(&b, " (%s, api %s)", where, c.API)
	return b.String()
}

// fetchError maps a fetch failure to an exit code and a message; dest,
// when set, is the output the user asked for.
func fetchError(err error, c *fetch.Client, q *fetch.Query, dest string) error {
	var fe *fetch.Error
	var pe *fetch.PartialError
	switch {
	case errors.Is(err, fetch.ErrNoTraces):
		return withCode(ExitNoData, fmt.Errorf("Jaeger holds no traces for %s", describe(c, q)))
	case errors.As(err, &pe):
		if dest != "" {
			err = fmt.Errorf("%w; nothing was written to %s", err, dest)
		}
		return withCode(ExitUnavailable, err)
	case errors.As(err, &fe):
		return withCode(ExitUnavailable, err)
	}
	return err
}

// summarize prints what a fetch did on w.
func summarize(w io.Writer, st fetch.Stats, q *fetch.Query, dest string) {
	fmt.Fprintf(w, "fetched %d trace(s), %d span(s) in %d request(s), %s", st.Traces, st.Spans, st.Requests, st.Elapsed.Round(time.Millisecond))
	if dest != "" {
		fmt.Fprintf(w, " -> %s", dest)
	}
	fmt.Fprintln(w)
	if st.Filtered > 0 {
		fmt.Fprintf(w, "note: %d trace(s) without the --tag attributes dropped (Jaeger's HTTP api_v3 does not filter by tag)\n", st.Filtered)
	}
	if st.LimitReached {
		fmt.Fprintf(w, "warning: stopped at --limit %d; more traces may match (raise --limit, or 0 for no limit)\n", q.Limit)
	}
	if st.Saturated > 0 {
		fmt.Fprintf(w, "warning: %d time window(s) held more than --page-size %d traces starting in the same instant; some traces there may be missing (raise --page-size)\n", st.Saturated, q.PageSize)
	}
}

// FetchOptions are the options of `syncaudit fetch`.
type FetchOptions struct {
	IO *IOStreams
	// OutFile receives the traces ("-" for stdout).
	OutFile string
	jaeger  jaegerFlags
	// now is the clock for --since (replaced in tests).
	now func() time.Time
}

// NewCmdFetch builds `syncaudit fetch`. runF replaces the run function in tests.
func NewCmdFetch(io *IOStreams, runF func(*FetchOptions) error) *cobra.Command {
	opts := &FetchOptions{IO: io, now: time.Now}
	cmd := &cobra.Command{
		Use:   "fetch --jaeger URL --service SERVICE -o FILE",
		Short: "Fetch traces from a running Jaeger into an OTLP/JSON lines file",
		Long: `Fetch the traces of a service from a running Jaeger's query service and write
them as OTLP/JSON lines (one trace per line), which 'syncaudit analyze' reads.
'syncaudit analyze --jaeger URL --service SERVICE' does both in one step.

Jaeger v2 and v1 >= 1.35 are read over api_v3 (HTTP by default, or gRPC with
--jaeger-grpc); older versions with --api classic (the Jaeger UI's API, times
rounded to microseconds). Long time ranges are fetched in windows: a window
holding --page-size traces or more is split in two until none is full, and
traces found in two windows are written once.

The file appears only when the whole fetch succeeded: traces are written to
FILE.tmp and renamed at the end; after a failure nothing is left behind.`,
		Example: `  syncaudit fetch --jaeger http://localhost:16686 --service order --since 2h -o order.jsonl
  syncaudit analyze order.jsonl

  # A fixed range, one operation, only requests answered 503, over gRPC
  syncaudit fetch --jaeger-grpc localhost:16685 --service order --operation 'POST /checkout' \
    --tag http.response.status_code=503 --start 2026-11-27T09:00:00Z --end 2026-11-27T10:00:00Z -o failed.jsonl.gz

  # Behind an authenticating proxy
  SYNCAUDIT_JAEGER_TOKEN=... syncaudit fetch --jaeger https://jaeger.example.com --service order -o order.jsonl`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.OutFile == "" {
				return usageErrorf("-o FILE is required (- for stdout)")
			}
			if _, _, err := opts.jaeger.build(opts.IO, opts.now()); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return fetchRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVarP(&opts.OutFile, "output", "o", "", "write the traces to `FILE` (.gz or .zst compresses; - for stdout)")
	opts.jaeger.register(cmd.Flags(), "timeout")
	return cmd
}

func fetchRun(ctx context.Context, opts *FetchOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	c, q, err := opts.jaeger.build(opts.IO, opts.now())
	if err != nil {
		return err
	}
	prog := newProgress(opts.IO)
	if prog != nil {
		c.Progress = prog.fetched
	}
	var st fetch.Stats
	dest := opts.OutFile
	if dest == "-" {
		st, err = c.Write(ctx, q, opts.IO.Out)
		dest = ""
	} else {
		st, err = c.WriteFile(ctx, q, dest)
	}
	prog.done()
	if err != nil {
		return fetchError(err, c, &q, dest)
	}
	summarize(opts.IO.ErrOut, st, &q, dest)
	return nil
}

// jaegerStream is a fetch from Jaeger streaming into the decoders through
// a pipe, as OTLP/JSON lines (fetch.Client.Write).
type jaegerStream struct {
	c     *fetch.Client
	q     fetch.Query
	input decode.Input
	pr    *io.PipeReader
	done  chan struct{}
	stats fetch.Stats
	err   error
}

// streamJaeger starts fetching what f asks for; the traces are read from
// the returned stream's input while they arrive.
func streamJaeger(ctx context.Context, ios *IOStreams, f *jaegerFlags) (*jaegerStream, error) {
	c, q, err := f.build(ios, time.Now())
	if err != nil {
		return nil, err
	}
	pr, pw := io.Pipe()
	js := &jaegerStream{c: c, q: q, pr: pr, done: make(chan struct{})}
	js.input = decode.ReaderInput(describe(c, &q), pr)
	go func() {
		defer close(js.done)
		js.stats, js.err = c.Write(ctx, q, pw)
		pw.CloseWithError(js.err)
	}()
	return js, nil
}

// wait waits for the fetch to end (closing the stream first, in case the
// reader stopped early) and returns its error.
func (js *jaegerStream) wait() error {
	js.pr.CloseWithError(io.ErrClosedPipe)
	<-js.done
	if errors.Is(js.err, io.ErrClosedPipe) {
		return nil // the reader stopped first: its own error says why
	}
	return js.err
}

// drop removes the errors decoding reported for the stream: the fetch's
// error, reported by wait, is the one that says what went wrong.
func (js *jaegerStream) drop(errs []error) []error {
	if js.err == nil {
		return errs
	}
	prefix := js.input.Name + ":"
	return slices.DeleteFunc(errs, func(e error) bool { return strings.HasPrefix(e.Error(), prefix) })
}

// fetched reports fetch progress: the part of the time range done, traces
// and spans so far.
func (p *progress) fetched(fp fetch.Progress) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.due(false)
	if !ok {
		return
	}
	p.draw(fmt.Sprintf("fetching [%s] %3.0f%% of the range, %d traces, %d spans, %d requests, %s",
		progressBar(int(float64(progressWidth)*fp.Covered)), 100*fp.Covered, fp.Traces, fp.Spans, fp.Requests, t.Sub(p.start).Round(100*time.Millisecond)))
}
