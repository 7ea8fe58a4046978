package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/syncaudit/syncaudit/trace"
)

func randomSpans(rng *rand.Rand, n int) []trace.Span {
	out := make([]trace.Span, n)
	for i := range out {
		s := &out[i]
		s.TraceID = trace.TraceID{0: byte(rng.IntN(256)), 15: byte(rng.IntN(256))}
		s.SpanID = trace.SpanID{7: byte(i), 6: byte(i >> 8)}
		if rng.IntN(3) > 0 {
			s.ParentID = trace.SpanID{0: byte(rng.IntN(256)), 7: 1}
		}
		s.Start = rng.Int64() >> rng.IntN(64)
		s.End = s.Start + rng.Int64N(1e9) - 1e8 // some negative durations
		s.Kind, s.Status, s.ParentRef = trace.Kind(rng.IntN(6)), trace.Status(rng.IntN(3)), trace.RefType(rng.IntN(4))
		s.Flags, s.Warnings = trace.Flags(rng.IntN(4)), trace.Warning(rng.Uint32())
		s.Service = []string{"api", "db", "", "ünïcode"}[rng.IntN(4)]
		s.Name = fmt.Sprintf("op-%d", rng.IntN(50))
		if rng.IntN(4) == 0 {
			s.Name = strings.Repeat("long ", 100) // never in the dictionary
		}
		for k := range rng.IntN(5) {
			s.Attrs = append(s.Attrs, trace.Attr{Key: trace.AttrKey(k + 1), Value: fmt.Sprintf("v%d", rng.IntN(100000))})
		}
		for range rng.IntN(3) {
			s.Refs = append(s.Refs, trace.Ref{TraceID: s.TraceID, SpanID: trace.SpanID{3: byte(rng.IntN(256))}, Type: trace.RefLink})
		}
	}
	return out
}

func TestSpillCodecRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	// More distinct strings than the dictionary holds.
	spans := randomSpans(rng, dictMax+5000)
	var buf bytes.Buffer
	w := newSpanWriter(&buf)
	for i := range spans {
		if err := w.write(&spans[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.flush(); err != nil {
		t.Fatal(err)
	}
	r := newSpanReader(bytes.NewReader(buf.Bytes()))
	for i := range spans {
		var s trace.Span
		if err := r.read(&s); err != nil {
			t.Fatalf("span %d: %v", i, err)
		}
		if !reflect.DeepEqual(s, spans[i]) {
			t.Fatalf("span %d:\n got %+v\nwant %+v", i, s, spans[i])
		}
	}
	var s trace.Span
	if err := r.read(&s); err != io.EOF {
		t.Errorf("after the last span: %v, want io.EOF", err)
	}
	// Every truncation is an error, never a panic or a silent short read.
	data := buf.Bytes()[:4000]
	for cut := 1; cut < len(data); cut += 7 {
		r := newSpanReader(bytes.NewReader(data[:cut]))
		var err error
		for err == nil {
			err = r.read(&s)
		}
		if err == io.EOF && cut != len(data) {
			// EOF is fine only on a record boundary; the loader also checks the count.
			continue
		}
		if err != io.EOF && !errors.Is(err, errCorrupt) {
			t.Fatalf("cut at %d: %v", cut, err)
		}
	}
}

// TestSpillSharesAttrs: spans written with one shared attribute list (as
// decoder.AttrSets shares them) read back sharing one list; a list whose
// address is reused for another content is not mistaken for the first.
func TestSpillSharesAttrs(t *testing.T) {
	var buf bytes.Buffer
	w := newSpanWriter(&buf)
	shared := trace.Attrs{{Key: trace.AttrHTTPMethod, Value: "GET"}, {Key: trace.AttrHTTPRoute, Value: "/a"}}
	reused := trace.Attrs{{Key: trace.AttrHTTPMethod, Value: "PUT"}}
	var want []trace.Attrs
	write := func(a trace.Attrs) {
		sp := trace.Span{SpanID: trace.SpanID{7: byte(len(want))}, Attrs: a}
		if err := w.write(&sp); err != nil {
			t.Fatal(err)
		}
		want = append(want, slices.Clone(a))
	}
	write(shared)
	write(trace.Attrs{{Key: trace.AttrHTTPMethod, Value: "GET"}, {Key: trace.AttrHTTPRoute, Value: "/b"}})
	write(shared)
	write(reused)
	reused[0].Value = "POST" // same address, other content
	write(reused)
	write(nil)
	if err := w.flush(); err != nil {
		t.Fatal(err)
	}
	r := newSpanReader(bytes.NewReader(buf.Bytes()))
	got := make([]trace.Span, len(want))
	for i := range got {
		if err := r.read(&got[i]); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got[i].Attrs, want[i]) {
			t.Fatalf("span %d: attrs %v, want %v", i, got[i].Attrs, want[i])
		}
	}
	if &got[0].Attrs[0] != &got[2].Attrs[0] {
		t.Error("a shared list is not shared after reading")
	}
	if &got[0].Attrs[0] == &got[1].Attrs[0] {
		t.Error("different lists shared")
	}
}

func TestPartitionOfSpreads(t *testing.T) {
	counts := make([]int, 16)
	rng := rand.New(rand.NewPCG(5, 6))
	for range 16000 {
		var id trace.TraceID
		for i := range id {
			id[i] = byte(rng.IntN(256))
		}
		counts[partitionOf(id, 16)]++
	}
	for i, c := range counts {
		if c < 800 || c > 1200 {
			t.Errorf("partition %d: %d of 16000", i, c)
		}
	}
}
