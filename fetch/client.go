package fetch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Defaults used when the corresponding Client field is zero.
const (
	DefaultTimeout          = 30 * time.Second
	DefaultMaxResponseBytes = 1 << 30
	// DefaultGRPCPort and DefaultHTTPPort are Jaeger's query ports, named
	// in error hints.
	DefaultHTTPPort = 16686
	DefaultGRPCPort = 16685
)

// Client fetches traces from one Jaeger query service. The zero value is
// not usable: set API and URL (APIv3, APIClassic) or GRPCAddr (APIGRPC).
// A Client may be reused; it holds no state between Fetch calls.
type Client struct {
	API API
	// URL is the query service's HTTP base URL, e.g.
	// http://localhost:16686, including any --query.base-path.
	URL string
	// GRPCAddr is host:port of the query gRPC server (APIGRPC).
	GRPCAddr string
	// GRPCTLS dials gRPC over TLS (system roots) instead of plaintext.
	GRPCTLS bool
	// Token, when set, is sent as "Authorization: Bearer <Token>" (HTTP
	// header or gRPC metadata).
	Token string
	// Timeout bounds each request (connection, answer and body); 0 means
	// DefaultTimeout.
	Timeout time.Duration
	// Retries is how often a request that failed transiently (cut-off
	// answer, 502/503/504, connection lost) is repeated, with backoff. A
	// refused connection is only retried once a request has succeeded.
	Retries int
	// HTTPClient is used for HTTP APIs; nil means a client with its own
	// copy of http.DefaultTransport (proxies from the environment).
	HTTPClient *http.Client
	// MaxResponseBytes bounds one HTTP answer or gRPC message; 0 means
	// DefaultMaxResponseBytes.
	MaxResponseBytes int64
	// Progress, when set, is called after each request.
	Progress func(Progress)
	// sleep waits between retries; replaced in tests.
	sleep func(context.Context, time.Duration) error
}

// Format is the format of a Trace's Data.
type Format string

// Formats of Trace.Data.
const (
	FormatOTLPJSON Format = "otlp-json"
	FormatJaeger   Format = "jaeger"
)

var otlpJSON ptrace.JSONMarshaler

// Trace is one fetched trace: every span Jaeger holds for its ID, as one
// JSON document for the decoders: OTLP/JSON (a TracesData) from api_v3 and
// gRPC, the trace object of Jaeger's UI JSON from the classic API, as the
// server sent it.
type Trace struct {
	ID     pcommon.TraceID
	Format Format
	Data   []byte
	Spans  int
	// Start is the earliest span start.
	Start time.Time
}

// Stats describe a finished (or failed) fetch.
type Stats struct {
	// Requests counts answered requests; Retries the failed attempts that
	// were repeated.
	Requests, Retries int
	// Traces and Spans count the traces passed on (after de-duplication).
	Traces, Spans int
	// Duplicates counts traces seen again in a later time window.
	Duplicates int
	// Filtered counts traces dropped by the client-side tag filter (APIv3:
	// Jaeger v2's HTTP api_v3 ignores query.attributes).
	Filtered int
	// Splits counts time windows split in two because their answer was
	// full (possibly truncated).
	Splits int
	// Saturated counts windows still full at the smallest width (1 ns, or
	// 1 µs for APIClassic): traces may be missing there; raise PageSize.
	Saturated int
	// LimitReached says the fetch stopped at Query.Limit while more traces
	// may match.
	LimitReached bool
	Elapsed      time.Duration
}

// Progress is reported after each request.
type Progress struct {
	Requests, Traces, Spans int
	// Covered is the part of the time range fully fetched, from 0 to 1.
	Covered float64
	Elapsed time.Duration
}

// backend is one query API.
type backend interface {
	// find asks for at most depth traces with a matching span starting in
	// [from, to].
	find(ctx context.Context, q *Query, from, to time.Time, depth int) (*page, error)
	// resolution is the finest time step the API's parameters carry.
	resolution() time.Duration
	// endpoint names what is queried, for messages.
	endpoint() string
	close() error
}

func (c *Client) backend() (backend, error) {
	switch c.API {
	case APIv3, APIClassic:
		if c.URL == "" {
			return nil, fmt.Errorf("API %s needs the query service's HTTP URL", c.API)
		}
		u, err := ParseURL(c.URL)
		if err != nil {
			return nil, err
		}
		if c.API == APIv3 {
			return &v3Backend{httpBackend{c: c, base: u, hc: c.httpClient()}}, nil
		}
		return &classicBackend{httpBackend{c: c, base: u, hc: c.httpClient()}}, nil
	case APIGRPC:
		if c.GRPCAddr == "" {
			return nil, fmt.Errorf("API grpc needs the query service's gRPC address (host:port, port %d by default)", DefaultGRPCPort)
		}
		return newGRPCBackend(c)
	}
	return nil, fmt.Errorf("unknown API %q: want v3, grpc or classic", c.API)
}

// ParseURL checks a Jaeger query base URL: http or https, with a host. A
// bare host:port gets http://.
func ParseURL(s string) (*url.URL, error) {
	s = strings.TrimSpace(s)
	if s != "" && !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("Jaeger URL %q: %w", s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("Jaeger URL %q: want http:// or https://", s)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("Jaeger URL %q: no host", s)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("Jaeger URL %q: give the query service's base URL, without ?query or #fragment", s)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// window is a time range, both ends inclusive.
type window struct{ from, to time.Time }

// Fetch runs q and passes each matching trace to emit, once per trace ID,
// in time order within each window. It splits [q.Start, q.End] into
// windows as needed: a window whose answer holds as many traces as asked
// for may have been truncated by Jaeger, so it is halved and each half is
// asked again (its traces are passed on at once; de-duplication skips them
// when a half returns them again). Memory is bounded by one page.
//
// Fetch returns ErrNoTraces when nothing matched; a *PartialError when a
// request failed after others had succeeded; a *Error when the first
// request failed; ctx's error when cancelled. An error from emit stops
// the fetch and is returned as is.
func (c *Client) Fetch(ctx context.Context, q Query, emit func(Trace) error) (Stats, error) {
	t0 := time.Now()
	var st Stats
	if err := q.Validate(); err != nil {
		return st, err
	}
	b, err := c.backend()
	if err != nil {
		return st, err
	}
	defer b.close()
	err = c.run(ctx, b, &q, emit, &st, t0)
	st.Elapsed = time.Since(t0)
	if err == nil && st.Traces == 0 {
		err = ErrNoTraces
	}
	return st, err
}

func (c *Client) run(ctx context.Context, b backend, q *Query, emit func(Trace) error, st *Stats, t0 time.Time) error {
	res := b.resolution()
	first := window{q.Start.Truncate(res), ceil(q.End, res)}
	total := first.to.Sub(first.from)
	var covered time.Duration
	stack := []window{first}
	seen := map[pcommon.TraceID]struct{}{}
	for len(stack) > 0 {
		w := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		depth := q.pageSize(q.Limit - st.Traces)
		pg, err := c.request(ctx, b, q, w, depth, st)
		if err != nil {
			if ctx.Err() != nil {
				err = fmt.Errorf("fetch interrupted after %d request(s) and %d trace(s): %w", st.Requests, st.Traces, ctx.Err())
			} else if st.Requests > 0 {
				err = &PartialError{Traces: st.Traces, Requests: st.Requests, Err: err}
			}
			return err
		}
		st.Requests++
		st.Filtered += pg.filtered
		full := pg.returned >= depth
		traces := make([]Trace, 0, len(pg.order))
		for _, id := range pg.order {
			if _, dup := seen[id]; dup {
				st.Duplicates++
				continue
			}
			if raw, ok := pg.raw[id]; ok {
				traces = append(traces, Trace{ID: id, Format: FormatJaeger, Data: raw.json, Spans: raw.spans, Start: raw.start})
				continue
			}
			td := pg.traces[id]
			b, err := otlpJSON.MarshalTraces(td)
			if err != nil {
				return fmt.Errorf("encoding trace %s: %w", id, err)
			}
			traces = append(traces, Trace{ID: id, Format: FormatOTLPJSON, Data: b, Spans: td.SpanCount(), Start: traceStart(td).AsTime()})
		}
		pg = nil
		slices.SortFunc(traces, func(a, b Trace) int {
			if c := a.Start.Compare(b.Start); c != 0 {
				return c
			}
			return bytes.Compare(a.ID[:], b.ID[:])
		})
		for _, t := range traces {
			if q.Limit > 0 && st.Traces >= q.Limit {
				st.LimitReached = true // t itself was not passed on
				return nil
			}
			seen[t.ID] = struct{}{}
			if err := emit(t); err != nil {
				return err
			}
			st.Traces++
			st.Spans += t.Spans
		}
		if q.Limit > 0 && st.Traces >= q.Limit {
			st.LimitReached = len(stack) > 0 || full
			return nil
		}
		if full {
			if w.to.Sub(w.from) >= 2*res {
				mid := w.from.Add(w.to.Sub(w.from) / 2).Truncate(res)
				// The halves share mid: a span starting exactly there
				// must not fall between them (the classic API rounds to
				// microseconds); duplicates are dropped above.
				stack = append(stack, window{mid, w.to}, window{w.from, mid})
				st.Splits++
				c.report(st, covered, total, t0)
				continue
			}
			st.Saturated++
		}
		covered += w.to.Sub(w.from)
		c.report(st, covered, total, t0)
	}
	return nil
}

func (c *Client) report(st *Stats, covered, total time.Duration, t0 time.Time) {
	if c.Progress == nil {
		return
	}
	f := 1.0
	if total > 0 {
		f = min(float64(covered)/float64(total), 1)
	}
	c.Progress(Progress{Requests: st.Requests, Traces: st.Traces, Spans: st.Spans, Covered: f, Elapsed: time.Since(t0)})
}

// request runs one find with the per-request timeout, retrying transient
// failures.
func (c *Client) request(ctx context.Context, b backend, q *Query, w window, depth int, st *Stats) (*page, error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	for attempt := 0; ; attempt++ {
		rctx, cancel := context.WithTimeout(ctx, timeout)
		pg, err := b.find(rctx, q, w.from, w.to, depth)
		timedOut := rctx.Err() == context.DeadlineExceeded
		cancel()
		if err == nil {
			return pg, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if timedOut {
			return nil, &Error{Kind: KindTimeout, Endpoint: b.endpoint(), Err: err,
				Message: fmt.Sprintf("no complete answer within %v", timeout),
				Hint:    "raise --timeout, or narrow the time range or lower --page-size"}
		}
		var fe *Error
		if !errors.As(err, &fe) || !fe.retryable() || attempt >= c.Retries ||
			(fe.Kind == KindUnreachable && st.Requests == 0) {
			return nil, err
		}
		st.Retries++
		if err := c.wait(ctx, time.Duration(250<<attempt)*time.Millisecond); err != nil {
			return nil, err
		}
	}
}

func (c *Client) wait(ctx context.Context, d time.Duration) error {
	if c.sleep != nil {
		return c.sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// ceil rounds t up to a multiple of d.
func ceil(t time.Time, d time.Duration) time.Time {
	if r := t.Truncate(d); r.Before(t) {
		return r.Add(d)
	}
	return t
}
