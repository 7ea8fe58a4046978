package trace

import (
	"runtime/debug"
	"slices"
	"testing"
)

func TestParseIDs(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		nonHex  bool
		wantErr bool
	}{
		{"4bf92f3577b34da6a3ce929d0e0e4736", "4bf92f3577b34da6a3ce929d0e0e4736", false, false},
		{"4BF92F3577B34DA6A3CE929D0E0E4736", "4bf92f3577b34da6a3ce929d0e0e4736", false, false},
		{"a3ce929d0e0e4736", "0000000000000000a3ce929d0e0e4736", false, false},
		{"ec2b4e0bcea566d", "00000000000000000ec2b4e0bcea566d", false, false},
		{"", "", false, true},
		{"00000000000000000000000000000000", "", false, true},
		{"4bf92f3577b34da6a3ce929d0e0e47361", "", false, true},
		{"trace-one", "", true, false},
	}
	for _, tt := range tests {
		id, nonHex, err := ParseTraceID(tt.in)
		if (err != nil) != tt.wantErr || nonHex != tt.nonHex {
			t.Errorf("ParseTraceID(%q) = %v, nonHex %v, err %v", tt.in, id, nonHex, err)
			continue
		}
		if err == nil && !nonHex && id.String() != tt.want {
			t.Errorf("ParseTraceID(%q) = %s, want %s", tt.in, id, tt.want)
		}
	}
	a, _, _ := ParseTraceID("trace-one")
	b, _, _ := ParseTraceID("trace-one")
	c, _, _ := ParseTraceID("trace-two")
	if a != b || a == c || a.IsZero() {
		t.Errorf("non-hex IDs must hash stably and distinctly: %s %s %s", a, b, c)
	}
	s, nonHex, err := ParseSpanID("B1")
	if err != nil || nonHex || s.String() != "00000000000000b1" {
		t.Errorf("ParseSpanID(B1) = %s %v %v", s, nonHex, err)
	}
	if _, _, err := ParseSpanID("0"); err == nil {
		t.Error("zero span ID accepted")
	}
	if _, nonHex, err := ParseSpanID("A-long-non-hex-span-name"); err != nil || !nonHex {
		t.Errorf("long non-hex span IDs are hashed, got %v %v", nonHex, err)
	}
	if _, err := TraceIDFromBytes(make([]byte, 12)); err == nil {
		t.Error("12-byte trace ID accepted")
	}
	if id, err := TraceIDFromBytes([]byte{1, 2, 3, 4, 5, 6, 7, 8}); err != nil || id.String() != "00000000000000000102030405060708" {
		t.Errorf("8-byte trace ID: %s %v", id, err)
	}
}

func TestWarnings(t *testing.T) {
	w := WarnClockSkew | WarnMissingParent
	if got := w.String(); got != "missing-parent,clock-skew" {
		t.Errorf("String = %q", got)
	}
	if len(AllWarnings()) != len(warnNames) {
		t.Errorf("%d warnings, %d names", len(AllWarnings()), len(warnNames))
	}
	seen := map[string]bool{}
	for _, x := range AllWarnings() {
		n := x.String()
		if n == "" || n == "unknown" || seen[n] {
			t.Errorf("bad or duplicate warning name %q", n)
		}
		seen[n] = true
	}
}

func TestAttrs(t *testing.T) {
	var a Attrs
	k, ok := KeyOf("http.method")
	if !ok || k != AttrHTTPMethod {
		t.Fatalf("KeyOf(http.method) = %v %v", k, ok)
	}
	a.Set(AttrHTTPMethod, "POST", false)
	a.Set(AttrHTTPMethod, "GET", false)
	a.Set(AttrHTTPStatus, "", false)
	if a.Get(AttrHTTPMethod) != "POST" || len(a) != 1 {
		t.Errorf("first value must win: %v", a)
	}
	a.Set(AttrHTTPMethod, "GET", true)
	if a.Get(AttrHTTPMethod) != "GET" {
		t.Errorf("replace failed: %v", a)
	}
	s := Span{Attrs: Attrs{{AttrHTTPStatus, "503"}}}
	if !s.IsError() {
		t.Error("HTTP 503 is an error")
	}
}

func sid(n byte) SpanID { return SpanID{7: n} }

func TestGrouperAndLink(t *testing.T) {
	tid := TraceID{15: 1}
	other := TraceID{15: 2}
	g := NewGrouper()
	// Added out of order and across "files".
	g.Add(Span{TraceID: tid, SpanID: sid(3), Start: 30, End: 40})
	g.Add(Span{TraceID: other, SpanID: sid(9), Start: 1, End: 2})
	g.Add(Span{TraceID: tid, SpanID: sid(1), Start: 0, End: 100}, Span{TraceID: tid, SpanID: sid(2), Start: 10, End: 20})
	if g.Spans() != 4 {
		t.Fatalf("Spans = %d", g.Spans())
	}
	ts := g.Traces()
	if len(ts) != 2 || ts[0].ID != tid || ts[1].ID != other {
		t.Fatalf("traces not sorted by ID: %v", ts)
	}
	tr := ts[0]
	if tr.Spans[0].SpanID != sid(1) || tr.Spans[2].SpanID != sid(3) {
		t.Fatalf("spans not in start order")
	}
	tr.Parent[1], tr.Parent[2] = 0, 0
	tr.Link()
	if !slices.Equal(tr.Roots, []int32{0}) || !slices.Equal(tr.Children(0), []int32{1, 2}) {
		t.Fatalf("roots %v children %v", tr.Roots, tr.Children(0))
	}
	if got := tr.Preorder(0, nil); !slices.Equal(got, []int32{0, 1, 2}) {
		t.Errorf("preorder %v", got)
	}
	if d := tr.Depth(); !slices.Equal(d, []int32{0, 1, 1}) {
		t.Errorf("depth %v", d)
	}
}

// TestDeepChain: Link, Preorder and Depth are iterative.
func TestDeepChain(t *testing.T) {
	defer debug.SetMaxStack(debug.SetMaxStack(1 << 20))
	const n = 100000
	tr := &Trace{Spans: make([]Span, n)}
	for i := range tr.Spans {
		tr.Spans[i] = Span{SpanID: SpanID{4: byte(i >> 16), 5: byte(i >> 8), 6: byte(i), 7: 1}, Start: int64(i), End: int64(2*n - i)}
	}
	tr.SortSpans()
	for i := 1; i < n; i++ {
		tr.Parent[i] = int32(i - 1)
	}
	tr.Link()
	if got := len(tr.Preorder(0, nil)); got != n {
		t.Fatalf("preorder visited %d", got)
	}
	if d := tr.Depth(); d[n-1] != n-1 {
		t.Fatalf("depth %d", d[n-1])
	}
}

func TestLinked(t *testing.T) {
	tr := &Trace{Spans: []Span{{SpanID: sid(1)}}}
	tr.SortSpans()
	if tr.Linked() {
		t.Fatal("unlinked trace reports Linked")
	}
	tr.Link()
	if !tr.Linked() {
		t.Fatal("linked trace reports not Linked")
	}
}

// TestPreorderN: the first n spans of Preorder, and all of them for n at
// least the subtree's size.
func TestPreorderN(t *testing.T) {
	tr := &Trace{Spans: make([]Span, 6), Parent: []int32{-1, 0, 1, 0, 3, 3}}
	for i := range tr.Spans {
		tr.Spans[i].Start = int64(i)
	}
	tr.Link()
	all := tr.Preorder(0, nil)
	for n := 0; n <= 8; n++ {
		got := tr.PreorderN(0, nil, n)
		if want := all[:min(n, len(all))]; !slices.Equal(got, want) {
			t.Errorf("n=%d: %v, want %v", n, got, want)
		}
	}
}
