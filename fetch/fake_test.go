package fetch

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
)

// fakeSpan and fakeTrace are a test data set that the fake Jaeger below
// serves over all three APIs.
type fakeSpan struct {
	service, name string
	start         time.Time
	dur           time.Duration
	parent        int // index of the parent span, -1 for a root
	attrs         map[string]string
	err           bool
}

type fakeTrace struct {
	id    pcommon.TraceID
	spans []fakeSpan
}

func traceID(i int) pcommon.TraceID {
	var id pcommon.TraceID
	copy(id[:], fmt.Sprintf("t%015d", i))
	return id
}

func spanID(trace, span int) pcommon.SpanID {
	var id pcommon.SpanID
	id[0] = byte(trace >> 16)
	id[1] = byte(trace >> 8)
	id[2] = byte(trace)
	id[7] = byte(span + 1)
	return id
}

var base = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

// dataset builds n traces, trace i starting at base+i*step: an "order"
// root, a "payment" child, and — for every third trace — a second
// "order" span starting late (so the trace also matches a later window).
// Odd traces carry tier=gold; times have sub-microsecond digits.
func dataset(n int, step time.Duration) []fakeTrace {
	out := make([]fakeTrace, n)
	for i := range out {
		st := base.Add(time.Duration(i)*step + 123*time.Nanosecond)
		tier := "silver"
		if i%2 == 1 {
			tier = "gold"
		}
		spans := []fakeSpan{
			{service: "order", name: "POST /checkout", start: st, dur: 80 * time.Millisecond, parent: -1, attrs: map[string]string{"tier": tier}},
			{service: "payment", name: "POST /charge", start: st.Add(5 * time.Millisecond), dur: 40 * time.Millisecond, parent: 0, err: i%5 == 0},
		}
		if i%3 == 0 {
			spans = append(spans, fakeSpan{service: "order", name: "callback", start: st.Add(10 * step), dur: time.Millisecond, parent: 0})
		}
		out[i] = fakeTrace{id: traceID(i), spans: spans}
	}
	return out
}

func (t *fakeTrace) traces(ti int) ptrace.Traces {
	td := ptrace.NewTraces()
	rsOf := map[string]ptrace.ScopeSpans{}
	for si, s := range t.spans {
		ss, ok := rsOf[s.service]
		if !ok {
			rs := td.ResourceSpans().AppendEmpty()
			rs.Resource().Attributes().PutStr("service.name", s.service)
			ss = rs.ScopeSpans().AppendEmpty()
			ss.Scope().SetName("fake")
			rsOf[s.service] = ss
		}
		sp := ss.Spans().AppendEmpty()
		sp.SetTraceID(t.id)
		sp.SetSpanID(spanID(ti, si))
		sp.SetKind(ptrace.SpanKindServer)
		if s.parent >= 0 {
			sp.SetParentSpanID(spanID(ti, s.parent))
		}
		sp.SetName(s.name)
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(s.start))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(s.start.Add(s.dur)))
		for k, v := range s.attrs {
			sp.Attributes().PutStr(k, v)
		}
		if s.err {
			sp.Status().SetCode(ptrace.StatusCodeError)
			sp.Status().SetMessage("declined")
		}
	}
	return td
}

// fakeQuery is a search as the fake server understood it.
type fakeQuery struct {
	service, operation string
	tags               map[string]string
	min, max           time.Time
	depth              int
}

// fakeJaeger serves a data set like Jaeger's in-memory store: the most
// recently stored traces first, at most depth, a trace matching when one
// span of the service (and operation, tags) starts within [min, max].
type fakeJaeger struct {
	t      *testing.T
	traces []fakeTrace
	// honourTags filters by tags (gRPC and classic in Jaeger v2 do; the
	// HTTP api_v3 gateway does not).
	honourTags bool
	token      string
	// maxTraces, when set, rejects deeper searches as Jaeger's memory
	// store does (search depth above max_traces).
	maxTraces int

	mu       sync.Mutex
	requests int
	queries  []fakeQuery
	rawQuery []string
	// fail, when set, answers request number n (1-based) itself.
	fail func(n int, w http.ResponseWriter) bool
}

func (f *fakeJaeger) search(q fakeQuery) []int {
	var out []int
	for i := len(f.traces) - 1; i >= 0 && len(out) < q.depth; i-- {
		if f.match(&f.traces[i], q) {
			out = append(out, i)
		}
	}
	return out
}

func (f *fakeJaeger) match(t *fakeTrace, q fakeQuery) bool {
	for _, s := range t.spans {
		if s.service != q.service || (q.operation != "" && s.name != q.operation) {
			continue
		}
		if s.start.Before(q.min) || s.start.After(q.max) {
			continue
		}
		ok := true
		if f.honourTags {
			for k, v := range q.tags {
				if s.attrs[k] != v {
					ok = false
				}
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func (f *fakeJaeger) begin(w http.ResponseWriter, r *http.Request) (n int, done bool) {
	f.mu.Lock()
	f.requests++
	n = f.requests
	f.rawQuery = append(f.rawQuery, r.URL.RawQuery)
	fail := f.fail
	f.mu.Unlock()
	if f.token != "" && r.Header.Get("Authorization") != "Bearer "+f.token {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, "401 Unauthorized\n")
		return n, true
	}
	if fail != nil && fail(n, w) {
		return n, true
	}
	return n, false
}

func (f *fakeJaeger) record(q fakeQuery) {
	f.mu.Lock()
	f.queries = append(f.queries, q)
	f.mu.Unlock()
}

func (f *fakeJaeger) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/api/v3/traces":
		f.v3(w, r)
	case "/api/traces":
		f.classic(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeJaeger) v3(w http.ResponseWriter, r *http.Request) {
	if _, done := f.begin(w, r); done {
		return
	}
	p := r.URL.Query()
	q := fakeQuery{service: p.Get("query.service_name"), operation: p.Get("query.operation_name")}
	var err error
	if q.min, err = time.Parse(time.RFC3339Nano, p.Get("query.start_time_min")); err != nil {
		v3Error(w, 400, "malformed parameter query.start_time_min")
		return
	}
	if q.max, err = time.Parse(time.RFC3339Nano, p.Get("query.start_time_max")); err != nil {
		v3Error(w, 400, "malformed parameter query.start_time_max")
		return
	}
	if q.depth, _ = strconv.Atoi(p.Get("query.num_traces")); q.depth <= 0 || (f.maxTraces > 0 && q.depth > f.maxTraces) {
		v3Error(w, 500, "search depth must be greater than 0 and less than max traces")
		return
	}
	if a := p.Get("query.attributes"); a != "" {
		if err := json.Unmarshal([]byte(a), &q.tags); err != nil {
			f.t.Errorf("query.attributes %q: %v", a, err)
		}
	}
	f.record(q)
	hits := f.search(q)
	if len(hits) == 0 {
		v3Error(w, 404, "No traces found")
		return
	}
	all := ptrace.NewTraces()
	for _, i := range hits {
		f.traces[i].traces(i).ResourceSpans().MoveAndAppendTo(all.ResourceSpans())
	}
	b, err := (&ptrace.JSONMarshaler{}).MarshalTraces(all)
	if err != nil {
		f.t.Fatal(err)
	}
	fmt.Fprintf(w, `{"result":%s}`, b)
}

func v3Error(w http.ResponseWriter, code int, msg string) {
	b, _ := json.Marshal(map[string]any{"error": map[string]any{"httpCode": code, "message": msg}})
	http.Error(w, string(b), code)
}

func (f *fakeJaeger) classic(w http.ResponseWriter, r *http.Request) {
	if _, done := f.begin(w, r); done {
		return
	}
	p := r.URL.Query()
	q := fakeQuery{service: p.Get("service"), operation: p.Get("operation")}
	us := func(s string) time.Time {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			f.t.Errorf("classic time %q: %v", s, err)
		}
		return time.UnixMicro(n)
	}
	q.min, q.max = us(p.Get("start")), us(p.Get("end"))
	q.depth, _ = strconv.Atoi(p.Get("limit"))
	if t := p.Get("tags"); t != "" {
		if err := json.Unmarshal([]byte(t), &q.tags); err != nil {
			f.t.Errorf("tags %q: %v", t, err)
		}
	}
	f.record(q)
	data := []any{}
	for _, i := range f.search(q) {
		data = append(data, f.uiTrace(i))
	}
	b, _ := json.Marshal(map[string]any{"data": data, "total": len(data), "limit": 0, "offset": 0, "errors": nil})
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

// uiTrace renders trace i as Jaeger UI JSON, as Jaeger's OTLP-to-Jaeger
// translation does (span.kind, otel.scope.name, error and
// otel.status_description tags; microseconds).
func (f *fakeJaeger) uiTrace(i int) map[string]any {
	t := &f.traces[i]
	procs := map[string]any{}
	pid := map[string]string{}
	var spans []any
	for si, s := range t.spans {
		if _, ok := pid[s.service]; !ok {
			pid[s.service] = fmt.Sprintf("p%d", len(pid)+1)
			procs[pid[s.service]] = map[string]any{"serviceName": s.service, "tags": []any{}}
		}
		sid := spanID(i, si)
		tags := []any{
			map[string]any{"key": "otel.scope.name", "type": "string", "value": "fake"},
			map[string]any{"key": "span.kind", "type": "string", "value": "server"},
		}
		for k, v := range s.attrs {
			tags = append(tags, map[string]any{"key": k, "type": "string", "value": v})
		}
		if s.err {
			tags = append(tags, map[string]any{"key": "error", "type": "bool", "value": true},
				map[string]any{"key": "otel.status_description", "type": "string", "value": "declined"})
		}
		refs := []any{}
		if s.parent >= 0 {
			refs = append(refs, map[string]any{"refType": "CHILD_OF", "traceID": hex.EncodeToString(t.id[:]), "spanID": hex.EncodeToString(spanIDSlice(spanID(i, s.parent)))})
		}
		spans = append(spans, map[string]any{
			"traceID": hex.EncodeToString(t.id[:]), "spanID": hex.EncodeToString(sid[:]),
			"operationName": s.name, "references": refs,
			"startTime": s.start.UnixMicro(), "duration": s.dur.Microseconds(),
			"tags": tags, "logs": []any{}, "processID": pid[s.service], "warnings": nil,
		})
	}
	return map[string]any{"traceID": hex.EncodeToString(t.id[:]), "spans": spans, "processes": procs, "warnings": nil}
}

func spanIDSlice(id pcommon.SpanID) []byte { return id[:] }

// serveGRPC serves jaeger.api_v3.QueryService/FindTraces for f on a
// loopback port and returns its address.
func (f *fakeJaeger) serveGRPC(t *testing.T, withService bool) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer(grpc.ForceServerCodec(rawCodec{}))
	if withService {
		s.RegisterService(&grpc.ServiceDesc{
			ServiceName: "jaeger.api_v3.QueryService",
			HandlerType: (*any)(nil),
			Streams: []grpc.StreamDesc{{
				StreamName:    "FindTraces",
				ServerStreams: true,
				Handler:       func(_ any, stream grpc.ServerStream) error { return f.findTraces(stream) },
			}},
		}, struct{}{})
	}
	go s.Serve(ln)
	t.Cleanup(s.Stop)
	return ln.Addr().String()
}

func (f *fakeJaeger) findTraces(stream grpc.ServerStream) error {
	f.mu.Lock()
	f.requests++
	n := f.requests
	f.mu.Unlock()
	if f.token != "" {
		md, _ := metadata.FromIncomingContext(stream.Context())
		if a := md.Get("authorization"); len(a) != 1 || a[0] != "Bearer "+f.token {
			return status.Error(codes.Unauthenticated, "missing or bad token")
		}
	}
	var req []byte
	if err := stream.RecvMsg(&req); err != nil {
		return err
	}
	q, err := decodeFindTracesRequest(req)
	if err != nil {
		f.t.Errorf("decoding FindTracesRequest: %v", err)
		return status.Error(codes.InvalidArgument, err.Error())
	}
	f.record(q)
	if q.depth <= 0 || (f.maxTraces > 0 && q.depth > f.maxTraces) {
		return status.Error(codes.Unknown, "search depth must be greater than 0 and less than max traces")
	}
	for k, i := range f.search(q) {
		if f.fail != nil && n > 1 && k == 1 {
			return status.Error(codes.Internal, "storage failed")
		}
		b, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(f.traces[i].traces(i))
		if err != nil {
			return err
		}
		if err := stream.SendMsg(b); err != nil {
			return err
		}
	}
	return nil
}

// decodeFindTracesRequest is the inverse of EncodeFindTracesRequest,
// written against the field numbers of query_service.proto.
func decodeFindTracesRequest(b []byte) (fakeQuery, error) {
	var q fakeQuery
	var inner []byte
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, n uint64) error {
		if num == 1 && typ == protowire.BytesType {
			inner = v
		}
		return nil
	})
	if err != nil {
		return q, err
	}
	ts := func(v []byte) (time.Time, error) {
		var sec, nsec uint64
		err := fields(v, func(num protowire.Number, typ protowire.Type, _ []byte, n uint64) error {
			switch num {
			case 1:
				sec = n
			case 2:
				nsec = n
			}
			return nil
		})
		return time.Unix(int64(sec), int64(nsec)).UTC(), err
	}
	err = fields(inner, func(num protowire.Number, typ protowire.Type, v []byte, n uint64) error {
		var err error
		switch num {
		case 1:
			q.service = string(v)
		case 2:
			q.operation = string(v)
		case 3:
			var k, val string
			err = fields(v, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
				if num == 1 {
					k = string(v)
				} else if num == 2 {
					val = string(v)
				}
				return nil
			})
			if q.tags == nil {
				q.tags = map[string]string{}
			}
			q.tags[k] = val
		case 4:
			q.min, err = ts(v)
		case 5:
			q.max, err = ts(v)
		case 8:
			q.depth = int(int32(n))
		default:
			err = fmt.Errorf("unexpected field %d", num)
		}
		return err
	})
	return q, err
}

// fields walks the fields of a protobuf message: v holds the bytes of a
// length-delimited field, n the value of a varint.
func fields(b []byte, fn func(num protowire.Number, typ protowire.Type, v []byte, n uint64) error) error {
	for len(b) > 0 {
		num, typ, l := protowire.ConsumeTag(b)
		if l < 0 {
			return protowire.ParseError(l)
		}
		b = b[l:]
		var v []byte
		var n uint64
		switch typ {
		case protowire.VarintType:
			n, l = protowire.ConsumeVarint(b)
		case protowire.BytesType:
			v, l = protowire.ConsumeBytes(b)
		default:
			return fmt.Errorf("field %d: unexpected wire type %d", num, typ)
		}
		if l < 0 {
			return protowire.ParseError(l)
		}
		b = b[l:]
		if err := fn(num, typ, v, n); err != nil {
			return err
		}
	}
	return nil
}

// client serves f over HTTP or gRPC and returns a Client for api.
func (f *fakeJaeger) client(t *testing.T, api API) *Client {
	t.Helper()
	c := &Client{API: api, Timeout: 5 * time.Second, sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }}
	if api == APIGRPC {
		c.GRPCAddr = f.serveGRPC(t, true)
		return c
	}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c.URL = srv.URL
	return c
}

// collect fetches q and returns the traces by ID.
func collect(t *testing.T, c *Client, q Query) (map[pcommon.TraceID]Trace, Stats, error) {
	t.Helper()
	got := map[pcommon.TraceID]Trace{}
	st, err := c.Fetch(t.Context(), q, func(tr Trace) error {
		if _, dup := got[tr.ID]; dup {
			t.Errorf("trace %s passed on twice", tr.ID)
		}
		got[tr.ID] = tr
		return nil
	})
	return got, st, err
}
