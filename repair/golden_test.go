package repair_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syncaudit/syncaudit/repair"
	"github.com/syncaudit/syncaudit/trace"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// zipkinID parses a hex span ID for shapes copied from real files.
func zipkinID(t testing.TB, s string) trace.SpanID {
	t.Helper()
	id, nonHex, err := trace.ParseSpanID(s)
	if err != nil || nonHex {
		t.Fatalf("bad id %q", s)
	}
	return id
}

// zipkinSkew is the shape of openzipkin/zipkin's skew.json (corpus
// zipkin/skew.json), built by hand since decoders live elsewhere: servicea's
// "get" calls serviceb's "post" with Zipkin's shared span ID; serviceb's
// clock runs behind, so its server half starts 65ms before the client half,
// and its "async" child comes along. Times are the file's µs, in ns.
func zipkinSkew(t testing.TB) []trace.Span {
	const us = 1000
	mk := func(idHex, parentHex, svc, name string, k trace.Kind, ts, dur int64) trace.Span {
		s := trace.Span{
			TraceID: tid, SpanID: zipkinID(t, idHex), Service: svc, Name: name, Kind: k,
			Start: ts * us, End: (ts + dur) * us,
		}
		if parentHex != "" {
			s.ParentID = zipkinID(t, parentHex)
		}
		return s
	}
	srv := mk("74280ae0c10d8062", "bf396325699c84bf", "serviceb", "post", server, 1470150004008761, 93577)
	srv.Flags |= trace.FlagShared
	return []trace.Span{
		mk("43210ae0c10d1234", "74280ae0c10d8062", "serviceb", "async", unspec, 1470150004008762, 65000),
		srv,
		mk("bf396325699c84bf", "", "servicea", "get", server, 1470150004071068, 99411),
		mk("74280ae0c10d8062", "bf396325699c84bf", "servicea", "post", client, 1470150004074202, 94539),
	}
}

func TestZipkinSkewShape(t *testing.T) {
	tr := build(zipkinSkew(t)...)
	repair.Standard(repair.DefaultOptions()).Adjust(tr)
	checkInvariants(t, tr)
	if len(tr.Roots) != 1 || tr.Spans[tr.Roots[0]].Name != "get" {
		t.Fatalf("roots:\n%s", dump(tr))
	}
	var clientPost, serverPost, async *trace.Span
	for i := range tr.Spans {
		s := &tr.Spans[i]
		switch {
		case s.Name == "post" && s.Kind == trace.KindClient:
			clientPost = s
		case s.Name == "post" && s.Kind == trace.KindServer:
			serverPost = s
		case s.Name == "async":
			async = s
		}
	}
	if clientPost == nil || serverPost == nil || async == nil {
		t.Fatalf("spans missing:\n%s", dump(tr))
	}
	// The server half got its own ID, under the client half.
	if serverPost.SpanID == clientPost.SpanID || serverPost.ParentID != clientPost.SpanID {
		t.Errorf("server half: id %s parent %s, client id %s", serverPost.SpanID, serverPost.ParentID, clientPost.SpanID)
	}
	if async.ParentID != serverPost.SpanID {
		t.Errorf("async's parent %s, want the server half %s", async.ParentID, serverPost.SpanID)
	}
	// Centred in the client: 74202 + (94539-93577)/2 - 8761 = 65922 µs.
	const shift = 65_922_000
	if got := serverPost.Start - 1470150004008761_000; got != shift {
		t.Errorf("server half moved by %dns, want %d", got, shift)
	}
	if got := async.Start - 1470150004008762_000; got != shift {
		t.Errorf("async moved by %dns, want %d (with its parent)", got, shift)
	}
	if serverPost.Start < clientPost.Start || serverPost.End > clientPost.End {
		t.Errorf("server half [%d,%d] not inside client [%d,%d]", serverPost.Start, serverPost.End, clientPost.Start, clientPost.End)
	}
	if serverPost.Warnings != trace.WarnSharedSpanID|trace.WarnClockSkew || async.Warnings != trace.WarnClockSkew {
		t.Errorf("warnings: server %s, async %s", serverPost.Warnings, async.Warnings)
	}
	for i := range tr.Spans {
		if tr.Spans[i].Async() {
			t.Errorf("%s marked async", tr.Spans[i].Name)
		}
	}
}

// TestGolden renders a few hand-built messy traces after Standard, in both
// modes, into testdata/standard.golden (refresh with -update).
func TestGolden(t *testing.T) {
	cases := []struct {
		name  string
		spans []trace.Span
	}{
		{"zipkin skew.json shape", zipkinSkew(t)},
		{"jaeger ui_01.json shape: duplicate id, cross-trace and multiple refs, missing parent", []trace.Span{
			sp(1, 0, "frontend", server, 0, 100, named("GET /")),
			sp(2, 0, "frontend", client, 10, 60, named("call"), ref(trace.RefChildOf, 1)),
			sp(2, 0, "backend", internal, 20, 30, named("collides"), ref(trace.RefChildOf, 1)),
			sp(3, 0, "backend", server, 12, 58, named("three refs"),
				crossRef(trace.RefChildOf, 0xff), ref(trace.RefChildOf, 2), ref(trace.RefFollowsFrom, 1)),
			sp(4, 0, "backend", internal, 70, 80, named("orphan"), ref(trace.RefChildOf, 99)),
		}},
		{"order: sync calls, fire-and-forget email, messaging, follows_from, skew", orderSpans()},
	}
	var b strings.Builder
	for _, c := range cases {
		for _, compat := range []bool{false, true} {
			o := repair.DefaultOptions()
			o.JaegerCompat = compat
			tr := build(c.spans...)
			repair.Standard(o).Adjust(tr)
			checkInvariants(t, tr)
			mode := "default"
			if compat {
				mode = "jaeger-compat"
			}
			b.WriteString("== " + c.name + " (" + mode + ")\n")
			b.WriteString(dump(tr))
			b.WriteByte('\n')
		}
	}
	path := filepath.Join("testdata", "standard.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got := b.String(); got != string(want) {
		t.Errorf("output differs from %s (run go test -update and review the diff):\n%s", path, got)
	}
}

// orderSpans is an order request with a little of everything: synchronous
// calls, a skewed server, a fire-and-forget email call, messaging, a
// FOLLOWS_FROM span, work after the response, a negative duration and an
// exact duplicate.
func orderSpans() []trace.Span {
	return []trace.Span{
		sp(1, 0, "shop", server, 0, 200, named("POST /order")),
		sp(2, 1, "shop", client, 5, 25, named("GET auth")),
		sp(3, 2, "auth", server, 2, 20, named("auth")),
		sp(4, 1, "shop", client, 30, 60, named("INSERT order")),
		sp(5, 1, "shop", client, 70, 400, named("POST email")),
		sp(6, 5, "email", server, 72, 398, named("send email")),
		sp(7, 1, "shop", producer, 80, 85, named("publish order.created")),
		sp(8, 7, "billing", consumer, 300, 350, named("consume order.created")),
		sp(9, 0, "shop", internal, 90, 95, named("analytics"), ref(trace.RefFollowsFrom, 1)),
		sp(10, 1, "shop", internal, 250, 260, named("cleanup")),
		sp(11, 1, "shop", internal, 100, 100, named("negative"), func(s *trace.Span) { s.End = 90 * ms }),
		sp(12, 1, "shop", internal, 110, 120, named("dup")),
		sp(12, 1, "shop", internal, 110, 120, named("dup")),
	}
}
