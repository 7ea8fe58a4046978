package treeview

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/syncaudit/syncaudit/critpath"
	"github.com/syncaudit/syncaudit/internal/tracetest"
	"github.com/syncaudit/syncaudit/trace"
)

// checkout builds: order (0-100ms) calling payment (10-60ms), which calls
// db (20-50ms), and email (60-90ms, async); plus a partial root.
func checkout(t *testing.T, partial bool) *trace.Trace {
	t.Helper()
	ms := int64(1e6)
	id := func(n byte) trace.SpanID { return trace.SpanID{7: n} }
	tr := &trace.Trace{ID: trace.TraceID{15: 1}}
	add := func(n, parent byte, svc, name string, kind trace.Kind, start, end int64) *trace.Span {
		s := trace.Span{TraceID: tr.ID, SpanID: id(n), Service: svc, Name: name, Kind: kind, Start: start * ms, End: end * ms}
		if parent > 0 {
			s.ParentID = id(parent)
		}
		tr.Spans = append(tr.Spans, s)
		return &tr.Spans[len(tr.Spans)-1]
	}
	add(1, 0, "order", "POST /checkout", trace.KindServer, 0, 100)
	add(2, 1, "payment", "POST /charge", trace.KindServer, 10, 60)
	add(3, 2, "db", "SELECT", trace.KindClient, 20, 50)
	add(4, 1, "email", "send", trace.KindServer, 60, 90).Flags |= trace.FlagAsync
	if partial {
		add(5, 0, "audit", "write", trace.KindServer, 95, 99).Warnings |= trace.WarnMissingParent
	}
	tr.Parent = make([]int32, len(tr.Spans))
	for i := range tr.Parent {
		tr.Parent[i] = -1
	}
	tracetest.Link(t, tr)
	return tr
}

func TestPrimaryRoot(t *testing.T) {
	tr := checkout(t, true)
	if r := PrimaryRoot(tr); tr.Spans[r].Service != "order" {
		t.Errorf("primary root %s, want order", tr.Spans[r].Service)
	}
	// A root whose parent is missing stands only when no other does.
	tr.Spans[PrimaryRoot(tr)].Warnings |= trace.WarnMissingParent
	if r := PrimaryRoot(tr); r != tr.Roots[0] {
		t.Errorf("all roots partial: %d, want the first %d", r, tr.Roots[0])
	}
	if r := PrimaryRoot(&trace.Trace{}); r != -1 {
		t.Errorf("empty trace: %d", r)
	}
}

func TestWriteText(t *testing.T) {
	tr := checkout(t, true)
	var b bytes.Buffer
	if err := WriteText(&b, []Item{{Trace: tr, Path: critpath.Compute(tr)}}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"trace 00000000000000000000000000000001  order POST /checkout  100.000ms  5 spans  (2 roots, partial)\n",
		"* order POST /checkout [server] +0.000ms 100.000ms cp=",
		"\n  * payment POST /charge [server] +10.000ms 50.000ms cp=",
		"\n    * db SELECT [client] +20.000ms 30.000ms cp=30.000ms\n",
		"email send [server] +60.000ms 30.000ms async\n",
		"* audit write [server] +95.000ms 4.000ms cp=4.000ms !missing-parent\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "* email") {
		t.Errorf("async span on the critical path:\n%s", out)
	}
}

func TestWriteJSON(t *testing.T) {
	tr := checkout(t, false)
	var b bytes.Buffer
	if err := WriteJSON(&b, map[string]int{"traces": 1}, []Item{{Trace: tr, Path: critpath.Compute(tr)}}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Summary map[string]int `json:"summary"`
		Traces  []Trace        `json:"traces"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b.String())
	}
	if doc.Summary["traces"] != 1 || len(doc.Traces) != 1 {
		t.Fatalf("document %+v", doc)
	}
	got := doc.Traces[0]
	if got.RootService != "order" || got.RootOperation != "POST /checkout" || got.DurationMs != 100 || got.Partial || got.Roots != 1 {
		t.Errorf("trace header %+v", got)
	}
	var names []string
	for _, s := range got.Spans {
		names = append(names, s.Service)
	}
	if strings.Join(names, ",") != "order,payment,db,email" {
		t.Errorf("spans in preorder: %v", names)
	}
	db := got.Spans[2]
	if db.ParentSpanID != tr.Spans[tr.Parent[2]].SpanID.String() || !db.OnCriticalPath || db.CriticalMs != 30 || db.Warnings == nil {
		t.Errorf("db span %+v", db)
	}
	if email := got.Spans[3]; !email.Async || email.OnCriticalPath {
		t.Errorf("email span %+v", email)
	}
}
