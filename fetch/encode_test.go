package fetch

import (
	"encoding/hex"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// TestEncodeFindTracesRequest: the hand-encoded request decodes back to
// the query (protowire round trip against query_service.proto's field
// numbers), and its bytes are pinned.
func TestEncodeFindTracesRequest(t *testing.T) {
	from := time.Date(2026, 11, 27, 9, 0, 0, 5, time.UTC)
	to := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		q    Query
		want fakeQuery
		hex  string
	}{
		{
			name: "service only",
			q:    Query{Service: "order"},
			want: fakeQuery{service: "order", min: from, max: to, depth: 20},
			// 0a1b: query (27 B); 0a05 "order"; 2208: start_time_min {0890 8da5d806: seconds 1795770000, 1005: nanos 5};
			// 2a06: start_time_max {08a0a9a5d806: 1795773600}; 4014: search_depth 20.
			hex: "0a1b0a056f72646572220808908da5d80610052a0608a0a9a5d8064014",
		},
		{
			name: "everything",
			q:    Query{Service: "order", Operation: "POST /checkout", Tags: []Tag{{"z", "1"}, {"http.status_code", "500"}}},
			want: fakeQuery{service: "order", operation: "POST /checkout", tags: map[string]string{"http.status_code": "500", "z": "1"}, min: from, max: to, depth: 20},
		},
		{
			name: "empty tag value",
			q:    Query{Service: "s", Tags: []Tag{{"k", ""}}},
			want: fakeQuery{service: "s", tags: map[string]string{"k": ""}, min: from, max: to, depth: 20},
		},
	}
	for _, tt := range tests {
		b := EncodeFindTracesRequest(&tt.q, from, to, 20)
		got, err := decodeFindTracesRequest(b)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: decoded %+v, want %+v", tt.name, got, tt.want)
		}
		if tt.hex != "" && hex.EncodeToString(b) != tt.hex {
			t.Errorf("%s: bytes %x, want %s", tt.name, b, tt.hex)
		}
	}
	// Tags are encoded in key order whatever the input order.
	a := EncodeFindTracesRequest(&Query{Service: "s", Tags: []Tag{{"a", "1"}, {"b", "2"}}}, from, to, 1)
	b := EncodeFindTracesRequest(&Query{Service: "s", Tags: []Tag{{"b", "2"}, {"a", "1"}}}, from, to, 1)
	if hex.EncodeToString(a) != hex.EncodeToString(b) {
		t.Error("encoding depends on tag order")
	}
	// The epoch encodes as an empty Timestamp, as proto3 omits zeros.
	if got := timestamp(time.Unix(0, 0)); len(got) != 0 {
		t.Errorf("epoch timestamp %x, want empty", got)
	}
}

func TestParseTag(t *testing.T) {
	tests := []struct {
		in   string
		want Tag
		err  string
	}{
		{"http.status_code=500", Tag{"http.status_code", "500"}, ""},
		{"error=true", Tag{"error", "true"}, ""},
		{"url=http://x/?a=b", Tag{"url", "http://x/?a=b"}, ""},
		{"empty=", Tag{"empty", ""}, ""},
		{" spaced =v", Tag{"spaced", "v"}, ""},
		{"novalue", Tag{}, "want key=value"},
		{"=v", Tag{}, "empty key"},
	}
	for _, tt := range tests {
		got, err := ParseTag(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: error %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%q: %+v %v, want %+v", tt.in, got, err, tt.want)
		}
	}
	tags, err := ParseTags([]string{"b=2", "a=1"})
	if err != nil || !reflect.DeepEqual(tags, []Tag{{"a", "1"}, {"b", "2"}}) {
		t.Errorf("ParseTags: %v %v, want sorted", tags, err)
	}
	if _, err := ParseTags([]string{"a=1", "a=2"}); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate key: error %v", err)
	}
}

func TestParseAPI(t *testing.T) {
	for in, want := range map[string]API{"v3": APIv3, "GRPC": APIGRPC, " classic ": APIClassic} {
		if got, err := ParseAPI(in); err != nil || got != want {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
	if _, err := ParseAPI("v2"); err == nil {
		t.Error("v2 accepted")
	}
}

// TestPageAddSplitsMixed: a ResourceSpans holding spans of two traces is
// split, each part keeping the resource and scope.
func TestPageAddSplitsMixed(t *testing.T) {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "svc")
	rs.SetSchemaUrl("https://opentelemetry.io/schemas/1.26.0")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("lib")
	for i, tid := range []int{1, 2, 1, 0} {
		sp := ss.Spans().AppendEmpty()
		if tid > 0 {
			sp.SetTraceID(traceID(tid))
		}
		sp.SetSpanID(spanID(tid, i))
	}
	whole := td.ResourceSpans().AppendEmpty() // a single-trace ResourceSpans is moved whole
	whole.ScopeSpans().AppendEmpty().Spans().AppendEmpty().SetTraceID(traceID(2))
	p := newPage()
	p.add(td)
	if len(p.order) != 2 || p.order[0] != traceID(1) {
		t.Fatalf("order %v", p.order)
	}
	one := p.traces[traceID(1)]
	if one.SpanCount() != 2 || p.traces[traceID(2)].SpanCount() != 2 {
		t.Errorf("span counts %d and %d, want 2 and 2", one.SpanCount(), p.traces[traceID(2)].SpanCount())
	}
	r := one.ResourceSpans().At(0)
	if v, _ := r.Resource().Attributes().Get("service.name"); v.Str() != "svc" || r.SchemaUrl() == "" || r.ScopeSpans().At(0).Scope().Name() != "lib" {
		t.Errorf("resource or scope lost in the split")
	}
	if td.ResourceSpans().Len() != 0 {
		t.Errorf("input not emptied")
	}
	if got := traceStart(ptrace.NewTraces()); got != pcommon.Timestamp(0) {
		t.Errorf("start of an empty trace %v", got)
	}
}
