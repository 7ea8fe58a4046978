package fetch

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

var allAPIs = []API{APIv3, APIGRPC, APIClassic}

// TestFetchPaging: a range holding many more traces than a page is split
// until no window is full; every trace arrives once and whole, also the
// ones whose service has spans in two windows.
func TestFetchPaging(t *testing.T) {
	data := dataset(60, time.Second)
	for _, api := range allAPIs {
		t.Run(string(api), func(t *testing.T) {
			f := &fakeJaeger{t: t, traces: data, honourTags: true}
			c := f.client(t, api)
			q := Query{Service: "order", Start: base, End: base.Add(80 * time.Second), PageSize: 7}
			got, st, err := collect(t, c, q)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(data) || st.Traces != len(data) {
				t.Fatalf("got %d traces (stats %d), want %d", len(got), st.Traces, len(data))
			}
			wantSpans := 0
			for i, d := range data {
				wantSpans += len(d.spans)
				tr, ok := got[d.id]
				if !ok {
					t.Fatalf("trace %d missing", i)
				}
				if tr.Spans != len(d.spans) || len(tr.Data) == 0 {
					t.Errorf("trace %d: %d spans, want %d", i, tr.Spans, len(d.spans))
				}
				start := d.spans[0].start
				if api == APIClassic {
					start = start.Truncate(time.Microsecond)
				}
				if !tr.Start.Equal(start) {
					t.Errorf("trace %d: start %v, want %v", i, tr.Start, start)
				}
			}
			if st.Spans != wantSpans {
				t.Errorf("spans %d, want %d", st.Spans, wantSpans)
			}
			if st.Splits == 0 || st.Duplicates == 0 || st.Saturated != 0 || st.LimitReached {
				t.Errorf("stats %+v: want splits and duplicates, nothing saturated", st)
			}
			if st.Requests != f.requests || st.Requests != 2*st.Splits+1 {
				t.Errorf("requests: stats %d, server %d, splits %d", st.Requests, f.requests, st.Splits)
			}
			for _, fq := range f.queries {
				if fq.depth != 7 || fq.service != "order" {
					t.Errorf("query %+v: want depth 7 for order", fq)
				}
			}
		})
	}
}

// TestFetchBounds: both ends of the range are inclusive, as in Jaeger.
func TestFetchBounds(t *testing.T) {
	data := dataset(3, time.Second)
	for _, api := range allAPIs {
		t.Run(string(api), func(t *testing.T) {
			f := &fakeJaeger{t: t, traces: data}
			c := f.client(t, api)
			first, last := data[0].spans[0].start, data[2].spans[0].start
			if api == APIClassic {
				first = first.Truncate(time.Microsecond)
			}
			got, _, err := collect(t, c, Query{Service: "order", Operation: "POST /checkout", Start: first, End: last})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 3 {
				t.Errorf("got %d traces, want 3", len(got))
			}
		})
	}
}

func TestFetchLimit(t *testing.T) {
	data := dataset(40, time.Second)
	for _, api := range allAPIs {
		t.Run(string(api), func(t *testing.T) {
			f := &fakeJaeger{t: t, traces: data}
			c := f.client(t, api)
			got, st, err := collect(t, c, Query{Service: "order", Start: base, End: base.Add(time.Minute), Limit: 5})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 5 || !st.LimitReached || st.Requests != 1 {
				t.Errorf("got %d traces, stats %+v; want 5 in one request and LimitReached", len(got), st)
			}
			if f.queries[0].depth != 5 {
				t.Errorf("asked for %d traces, want 5", f.queries[0].depth)
			}
		})
	}
}

// TestFetchSaturated: more traces than a page starting in the same
// instant cannot be split apart; the fetch says so instead of looping.
func TestFetchSaturated(t *testing.T) {
	data := dataset(10, 0)
	f := &fakeJaeger{t: t, traces: data}
	c := f.client(t, APIv3)
	got, st, err := collect(t, c, Query{Service: "order", Start: base, End: base.Add(time.Second), PageSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	if st.Saturated == 0 || len(got) < 3 || len(got) >= 10 {
		t.Errorf("got %d traces, stats %+v: want a saturated window", len(got), st)
	}
}

// TestFetchTags: --tag is honoured by every API; Jaeger v2's HTTP api_v3
// ignores query.attributes, so the client filters its answers.
func TestFetchTags(t *testing.T) {
	data := dataset(20, time.Second)
	for _, api := range allAPIs {
		t.Run(string(api), func(t *testing.T) {
			f := &fakeJaeger{t: t, traces: data, honourTags: api != APIv3}
			c := f.client(t, api)
			q := Query{Service: "order", Start: base, End: base.Add(time.Minute), Tags: []Tag{{"tier", "gold"}}}
			got, st, err := collect(t, c, q)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 10 {
				t.Errorf("got %d traces, want the 10 gold ones", len(got))
			}
			for i, d := range data {
				if _, ok := got[d.id]; ok != (i%2 == 1) {
					t.Errorf("trace %d: fetched=%v", i, ok)
				}
			}
			if want := map[string]string{"tier": "gold"}; fmt.Sprint(f.queries[0].tags) != fmt.Sprint(want) {
				t.Errorf("server saw tags %v, want %v", f.queries[0].tags, want)
			}
			if (api == APIv3) != (st.Filtered > 0) {
				t.Errorf("filtered %d client-side", st.Filtered)
			}
		})
	}
}

// TestMatches covers the client-side filter's rules.
func TestMatches(t *testing.T) {
	tr := dataset(1, time.Second)[0] // trace 0: order root tier=silver, payment child with error status
	td := tr.traces(0)
	day := Query{Service: "order", Start: base, End: base.Add(time.Hour)}
	tests := []struct {
		name string
		q    Query
		want bool
	}{
		{"service", day, true},
		{"other service", Query{Service: "email", Start: base, End: base.Add(time.Hour)}, false},
		{"operation", Query{Service: "order", Operation: "POST /checkout", Start: base, End: base.Add(time.Hour)}, true},
		{"wrong operation", Query{Service: "order", Operation: "GET /", Start: base, End: base.Add(time.Hour)}, false},
		{"tag", Query{Service: "order", Start: base, End: base.Add(time.Hour), Tags: []Tag{{"tier", "silver"}}}, true},
		{"tag value", Query{Service: "order", Start: base, End: base.Add(time.Hour), Tags: []Tag{{"tier", "gold"}}}, false},
		{"resource attribute", Query{Service: "order", Start: base, End: base.Add(time.Hour), Tags: []Tag{{"service.name", "order"}}}, true},
		{"error status on another service", Query{Service: "order", Start: base, End: base.Add(time.Hour), Tags: []Tag{{"error", "true"}}}, false},
		{"error status", Query{Service: "payment", Start: base, End: base.Add(time.Hour), Tags: []Tag{{"error", "true"}}}, true},
		{"error=false", Query{Service: "order", Start: base, End: base.Add(time.Hour), Tags: []Tag{{"error", "false"}}}, true},
		{"span outside window", Query{Service: "order", Start: base.Add(time.Second), End: base.Add(2 * time.Second), Tags: []Tag{{"tier", "silver"}}}, false},
	}
	for _, tt := range tests {
		if got := matches(td, &tt.q, tt.q.Start, tt.q.End); got != tt.want {
			t.Errorf("%s: matches=%v, want %v", tt.name, got, tt.want)
		}
	}
}

// errCase is one failure a user can meet, per API.
type errCase struct {
	name string
	apis []API
	// setup prepares the fake and the client; it may replace c.URL or
	// c.GRPCAddr.
	setup func(t *testing.T, f *fakeJaeger, c *Client)
	// service to query (default "order").
	service string
	// check inspects the error.
	check func(t *testing.T, err error)
}

func wantKind(k Kind, msgs ...string) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		var fe *Error
		if !errors.As(err, &fe) || fe.Kind != k {
			t.Fatalf("error %v (%T), want a %s *Error", err, err, k)
		}
		for _, m := range msgs {
			if !strings.Contains(err.Error(), m) {
				t.Errorf("error %q does not mention %q", err, m)
			}
		}
	}
}

func wantPartial(k Kind) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		var pe *PartialError
		if !errors.As(err, &pe) || pe.Requests == 0 || pe.Traces == 0 {
			t.Fatalf("error %v (%T), want a *PartialError after some traces", err, err)
		}
		wantKind(k)(t, err)
	}
}

func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func httpOnly(t *testing.T, c *Client, h http.HandlerFunc) {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c.URL = srv.URL
}

// cutOff answers with a Content-Length larger than what it sends, then
// drops the connection.
func cutOff(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			panic(err)
		}
		fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body)*2, body)
		buf.Flush()
		conn.Close()
	}
}

var errCases = []errCase{
	{name: "refused", apis: allAPIs, setup: func(t *testing.T, f *fakeJaeger, c *Client) {
		c.URL, c.GRPCAddr = "http://"+closedAddr(t), closedAddr(t)
	}, check: wantKind(KindUnreachable, "connection refused", "is Jaeger running")},
	{name: "404 html", apis: []API{APIv3, APIClassic}, setup: func(t *testing.T, f *fakeJaeger, c *Client) {
		httpOnly(t, c, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(404)
			io.WriteString(w, "<!DOCTYPE html><html><head><title>Page not found</title></head><body>nope</body></html>")
		})
	}, check: wantKind(KindNotJaeger, "is this a Jaeger query URL?", `HTML page titled "Page not found"`)},
	{name: "200 html", apis: []API{APIv3, APIClassic}, setup: func(t *testing.T, f *fakeJaeger, c *Client) {
		httpOnly(t, c, func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "<html><body>Grafana</body></html>")
		})
	}, check: wantKind(KindNotJaeger, "is this a Jaeger query URL?", "HTTP 200")},
	{name: "other json", apis: []API{APIv3, APIClassic}, setup: func(t *testing.T, f *fakeJaeger, c *Client) {
		httpOnly(t, c, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"status":"ok"}`) })
	}, check: wantKind(KindNotJaeger, "is this a Jaeger query URL?")},
	{name: "grpc unimplemented", apis: []API{APIGRPC}, setup: func(t *testing.T, f *fakeJaeger, c *Client) {
		c.GRPCAddr = f.serveGRPC(t, false)
	}, check: wantKind(KindNotJaeger, "try --api classic")},
	{name: "grpc to an http port", apis: []API{APIGRPC}, setup: func(t *testing.T, f *fakeJaeger, c *Client) {
		srv := httptest.NewServer(f)
		t.Cleanup(srv.Close)
		c.GRPCAddr = strings.TrimPrefix(srv.URL, "http://")
	}, check: wantKind(KindNotJaeger, "not the HTTP port")},
	{name: "401 without token", apis: allAPIs, setup: func(t *testing.T, f *fakeJaeger, c *Client) {
		f.token = "s3cret"
	}, check: wantKind(KindAuth, "--token", "SYNCAUDIT_JAEGER_TOKEN")},
	{name: "wrong token", apis: allAPIs, setup: func(t *testing.T, f *fakeJaeger, c *Client) {
		f.token, c.Token = "s3cret", "guess"
	}, check: wantKind(KindAuth, "not accepted")},
	{name: "empty", apis: allAPIs, service: "nosuch", check: func(t *testing.T, err error) {
		if !errors.Is(err, ErrNoTraces) {
			t.Fatalf("error %v, want ErrNoTraces", err)
		}
	}},
	{name: "cut-off body", apis: []API{APIv3, APIClassic}, setup: func(t *testing.T, f *fakeJaeger, c *Client) {
		httpOnly(t, c, cutOff(`{"result":{"resourceSpans":[{"resource":{}`))
	}, check: wantKind(KindBadResponse, "cut off")},
	{name: "truncated json", apis: []API{APIv3, APIClassic}, setup: func(t *testing.T, f *fakeJaeger, c *Client) {
		httpOnly(t, c, func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"result":{"resourceSpans":[{"resource":{},"scopeSpans":[`)
		})
	}, check: wantKind(KindBadResponse, "incomplete JSON")},
	{name: "page size above max_traces", apis: []API{APIv3, APIGRPC}, setup: func(t *testing.T, f *fakeJaeger, c *Client) {
		f.maxTraces = 3
	}, check: wantKind(KindServer, "lower --page-size")},
	{name: "proxy 503", apis: []API{APIv3, APIClassic}, setup: func(t *testing.T, f *fakeJaeger, c *Client) {
		f.fail = func(n int, w http.ResponseWriter) bool {
			w.WriteHeader(503)
			io.WriteString(w, "<html><title>503 Service Unavailable</title></html>")
			return true
		}
	}, check: wantKind(KindServer, "HTTP 503")},
	{name: "fails mid-way", apis: allAPIs, setup: func(t *testing.T, f *fakeJaeger, c *Client) {
		f.fail = func(n int, w http.ResponseWriter) bool {
			if n == 1 {
				return false
			}
			v3Error(w, 500, "storage failed")
			return true
		}
	}, check: wantPartial(KindServer)},
	{name: "timeout", apis: []API{APIv3, APIClassic}, setup: func(t *testing.T, f *fakeJaeger, c *Client) {
		c.Timeout = 100 * time.Millisecond
		httpOnly(t, c, func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		})
	}, check: wantKind(KindTimeout, "--timeout")},
}

// TestFetchErrors: every failure is classified, and WriteFile leaves
// neither the output nor its temporary file behind — an existing file at
// the output path is left untouched.
func TestFetchErrors(t *testing.T) {
	data := dataset(30, time.Second)
	for _, tc := range errCases {
		for _, api := range tc.apis {
			t.Run(tc.name+"/"+string(api), func(t *testing.T) {
				f := &fakeJaeger{t: t, traces: data}
				c := f.client(t, api)
				if tc.setup != nil {
					tc.setup(t, f, c)
				}
				svc := tc.service
				if svc == "" {
					svc = "order"
				}
				q := Query{Service: svc, Start: base, End: base.Add(time.Minute), PageSize: 5}
				dir := t.TempDir()
				out := filepath.Join(dir, "out.jsonl")
				if err := os.WriteFile(out, []byte("previous\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				_, err := c.WriteFile(t.Context(), q, out)
				tc.check(t, err)
				if b, _ := os.ReadFile(out); string(b) != "previous\n" {
					t.Errorf("output changed to %q", b)
				}
				if _, err := os.Stat(out + ".tmp"); !os.IsNotExist(err) {
					t.Errorf("temporary file left behind: %v", err)
				}
			})
		}
	}
}

// TestFetchRetry: a transient failure is retried, a permanent one is not.
func TestFetchRetry(t *testing.T) {
	data := dataset(3, time.Second)
	f := &fakeJaeger{t: t, traces: data}
	f.fail = func(n int, w http.ResponseWriter) bool {
		if n == 1 {
			w.WriteHeader(503)
			return true
		}
		return false
	}
	c := f.client(t, APIv3)
	c.Retries = 2
	got, st, err := collect(t, c, Query{Service: "order", Start: base, End: base.Add(time.Minute)})
	if err != nil || len(got) != 3 || st.Retries != 1 || st.Requests != 1 {
		t.Errorf("got %d traces, stats %+v, err %v; want 3 after one retry", len(got), st, err)
	}

	f = &fakeJaeger{t: t, traces: data}
	f.fail = func(n int, w http.ResponseWriter) bool {
		v3Error(w, 400, "malformed parameter query.start_time_min")
		return true
	}
	c = f.client(t, APIv3)
	c.Retries = 2
	_, _, err = collect(t, c, Query{Service: "order", Start: base, End: base.Add(time.Minute)})
	if err == nil || f.requests != 1 {
		t.Errorf("err %v after %d requests; want one failed request", err, f.requests)
	}

	// A refused connection on the first request fails at once.
	c = &Client{API: APIv3, URL: "http://" + closedAddr(t), Retries: 5, sleep: func(context.Context, time.Duration) error {
		t.Error("slept before retrying a refused first request")
		return nil
	}}
	if _, _, err := collect(t, c, Query{Service: "order", Start: base, End: base.Add(time.Minute)}); err == nil {
		t.Error("no error from a closed port")
	}
}

func TestFetchCancel(t *testing.T) {
	f := &fakeJaeger{t: t, traces: dataset(50, time.Second)}
	c := f.client(t, APIv3)
	ctx, cancel := context.WithCancel(t.Context())
	n := 0
	_, err := c.Fetch(ctx, Query{Service: "order", Start: base, End: base.Add(time.Minute), PageSize: 5}, func(Trace) error {
		if n++; n == 3 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
}

func TestFetchEmitError(t *testing.T) {
	f := &fakeJaeger{t: t, traces: dataset(5, time.Second)}
	c := f.client(t, APIv3)
	boom := errors.New("disk full")
	_, err := c.Fetch(t.Context(), Query{Service: "order", Start: base, End: base.Add(time.Minute)}, func(Trace) error { return boom })
	if !errors.Is(err, boom) {
		t.Errorf("error %v, want the emit error", err)
	}
}

// TestWriteFile: one trace per line, each line a TracesData pdata reads
// back; .gz output is compressed.
func TestWriteFile(t *testing.T) {
	data := dataset(12, time.Second)
	for _, name := range []string{"out.jsonl", "out.jsonl.gz"} {
		t.Run(name, func(t *testing.T) {
			f := &fakeJaeger{t: t, traces: data}
			c := f.client(t, APIv3)
			path := filepath.Join(t.TempDir(), name)
			st, err := c.WriteFile(t.Context(), Query{Service: "order", Start: base, End: base.Add(time.Minute), PageSize: 4}, path)
			if err != nil {
				t.Fatal(err)
			}
			fh, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer fh.Close()
			var r io.Reader = fh
			if strings.HasSuffix(name, ".gz") {
				zr, err := gzip.NewReader(fh)
				if err != nil {
					t.Fatal(err)
				}
				r = zr
			}
			sc := bufio.NewScanner(r)
			sc.Buffer(nil, 1<<20)
			ids := map[pcommon.TraceID]bool{}
			lines, spans := 0, 0
			var prev time.Time
			for sc.Scan() {
				lines++
				td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(sc.Bytes())
				if err != nil {
					t.Fatalf("line %d: %v", lines, err)
				}
				p := newPage()
				p.add(td)
				if len(p.order) != 1 {
					t.Fatalf("line %d holds %d traces", lines, len(p.order))
				}
				ids[p.order[0]] = true
				spans += p.traces[p.order[0]].SpanCount()
				if s := traceStart(p.traces[p.order[0]]).AsTime(); s.Before(prev) && st.Splits == 0 {
					t.Errorf("line %d out of time order", lines)
				} else {
					prev = s
				}
			}
			if err := sc.Err(); err != nil {
				t.Fatal(err)
			}
			if lines != 12 || len(ids) != 12 || spans != st.Spans {
				t.Errorf("%d lines, %d trace IDs, %d spans; stats %+v", lines, len(ids), spans, st)
			}
		})
	}
}

func TestWriteToWriter(t *testing.T) {
	f := &fakeJaeger{t: t, traces: dataset(2, time.Second)}
	c := f.client(t, APIClassic)
	var sb strings.Builder
	st, err := c.Write(t.Context(), Query{Service: "order", Start: base, End: base.Add(time.Minute)}, &sb)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(sb.String(), "\n"); n != 2 || st.Traces != 2 {
		t.Errorf("%d lines, stats %+v", n, st)
	}
	// The classic API's traces are written as Jaeger sent them: Jaeger UI
	// JSON lines, which decode/jaeger reads back.
	if !strings.Contains(sb.String(), `"traceID":"`+hexID(traceID(0))) || !strings.HasPrefix(sb.String(), "{") {
		t.Errorf("output lacks the Jaeger trace: %.300s", sb.String())
	}
}

func hexID(id pcommon.TraceID) string { return fmt.Sprintf("%x", id[:]) }

func TestQueryValidate(t *testing.T) {
	ok := Query{Service: "a", Start: base, End: base.Add(time.Second)}
	tests := []struct {
		name string
		mod  func(*Query)
		want string
	}{
		{"ok", func(*Query) {}, ""},
		{"no service", func(q *Query) { q.Service = " " }, "service"},
		{"no times", func(q *Query) { q.Start = time.Time{} }, "start and an end"},
		{"reversed", func(q *Query) { q.End = base }, "not before"},
		{"negative limit", func(q *Query) { q.Limit = -1 }, "limit"},
		{"negative page", func(q *Query) { q.PageSize = -1 }, "page size"},
	}
	for _, tt := range tests {
		q := ok
		tt.mod(&q)
		err := q.Validate()
		if (err == nil) != (tt.want == "") || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestClientConfig(t *testing.T) {
	q := Query{Service: "a", Start: base, End: base.Add(time.Second)}
	tests := []struct {
		c    Client
		want string
	}{
		{Client{API: APIv3}, "HTTP URL"},
		{Client{API: APIGRPC}, "gRPC address"},
		{Client{API: "soap", URL: "http://x"}, "unknown API"},
		{Client{API: APIClassic, URL: "ftp://x"}, "http://"},
	}
	for _, tt := range tests {
		_, err := tt.c.Fetch(t.Context(), q, func(Trace) error { return nil })
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: error %v, want %q", tt.c, err, tt.want)
		}
	}
}

func TestParseURL(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{"http://localhost:16686", "http://localhost:16686", ""},
		{"localhost:16686", "http://localhost:16686", ""},
		{"https://jaeger.example.com/jaeger/", "https://jaeger.example.com/jaeger", ""},
		{"grpc://x:16685", "", "http://"},
		{"http://", "", "no host"},
		{"http://x/search?service=a", "", "without ?query"},
	}
	for _, tt := range tests {
		u, err := ParseURL(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: error %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || u.String() != tt.want {
			t.Errorf("%q: %v %v, want %s", tt.in, u, err, tt.want)
		}
	}
	// The base path is kept when building API URLs.
	u, _ := ParseURL("http://h/jaeger")
	if got := v3URL(u, &Query{Service: "s"}, base, base, 1); !strings.HasPrefix(got, "http://h/jaeger/api/v3/traces?") {
		t.Errorf("v3 URL %s", got)
	}
}
