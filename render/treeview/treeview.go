// Package treeview renders repaired span trees with their critical path,
// as indented text for people or as JSON for tools (`syncaudit tree`).
//
// Input: traces from ingest.Load, each with its critpath.Path. Output: text
// such as
//
//	trace 4bf92f3577b34da6a3ce929d0e0e4736  order POST /checkout  652.100ms  7 spans
//	* order POST /checkout [server] +0.000ms 652.100ms cp=1.200ms
//	  * order HTTP POST [client] +0.100ms 100.600ms cp=0.200ms
//
// where "*" marks spans on the critical path, or the JSON document described
// in README.md.
package treeview

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/syncaudit/syncaudit/critpath"
	"github.com/syncaudit/syncaudit/trace"
)

// maxIndent caps indentation so that very deep traces stay readable and the
// output stays linear in the number of spans.
const maxIndent = 40

// Item is one trace to render.
type Item struct {
	Trace *trace.Trace
	Path  *critpath.Path
}

// PrimaryRoot returns the root that stands for the request: the earliest
// root whose parent was not missing, else the earliest root; -1 if none.
func PrimaryRoot(t *trace.Trace) int32 {
	for _, r := range t.Roots {
		if !t.Spans[r].Warnings.Has(trace.WarnMissingParent) {
			return r
		}
	}
	if len(t.Roots) > 0 {
		return t.Roots[0]
	}
	return -1
}

// traceStart is the start of the trace's first span (spans are sorted by start).
func traceStart(t *trace.Trace) int64 {
	if len(t.Spans) == 0 {
		return 0
	}
	return t.Spans[0].Start
}

func ms(ns int64) float64 { return float64(ns) / 1e6 }

// WriteText writes each trace as an indented tree.
func WriteText(w io.Writer, items []Item) error {
	bw := bufio.NewWriter(w)
	var order []int32
	for _, it := range items {
		t := it.Trace
		t0 := traceStart(t)
		pr := PrimaryRoot(t)
		if pr < 0 {
			continue
		}
		root := &t.Spans[pr]
		fmt.Fprintf(bw, "trace %s  %s %s  %.3fms  %d spans", t.ID, root.Service, root.Name, ms(root.Duration()), len(t.Spans))
		if len(t.Roots) > 1 {
			fmt.Fprintf(bw, "  (%d roots, partial)", len(t.Roots))
		} else if root.Warnings.Has(trace.WarnMissingParent) {
			fmt.Fprint(bw, "  (partial)")
		}
		bw.WriteByte('\n')
		depth := t.Depth()
		for _, r := range t.Roots {
			order = t.Preorder(r, order[:0])
			for _, i := range order {
				s := &t.Spans[i]
				d := int(depth[i])
				ind := min(d, maxIndent)
				bw.WriteString(strings.Repeat("  ", ind))
				if d > maxIndent {
					fmt.Fprintf(bw, "[depth %d] ", d)
				}
				if it.Path != nil && it.Path.OnPath[i] {
					bw.WriteString("* ")
				} else {
					bw.WriteString("  ")
				}
				fmt.Fprintf(bw, "%s %s [%s] +%.3fms %.3fms", s.Service, s.Name, s.Kind, ms(s.Start-t0), ms(s.Duration()))
				if it.Path != nil && it.Path.OnPath[i] {
					fmt.Fprintf(bw, " cp=%.3fms", ms(it.Path.Self[i]))
				}
				if s.Async() {
					bw.WriteString(" async")
				}
				if s.IsError() {
					bw.WriteString(" error")
				}
				if s.Warnings != 0 {
					fmt.Fprintf(bw, " !%s", s.Warnings)
				}
				bw.WriteByte('\n')
			}
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// Span is one span in the JSON output.
type Span struct {
	SpanID         string   `json:"spanId"`
	ParentSpanID   string   `json:"parentSpanId,omitempty"`
	Service        string   `json:"service"`
	Operation      string   `json:"operation"`
	Kind           string   `json:"kind"`
	StartMs        float64  `json:"startMs"`
	DurationMs     float64  `json:"durationMs"`
	Async          bool     `json:"async"`
	Error          bool     `json:"error"`
	Warnings       []string `json:"warnings"`
	CriticalMs     float64  `json:"criticalMs"`
	OnCriticalPath bool     `json:"onCriticalPath"`
}

// Trace is one trace in the JSON output.
type Trace struct {
	TraceID       string  `json:"traceId"`
	RootService   string  `json:"rootService"`
	RootOperation string  `json:"rootOperation"`
	DurationMs    float64 `json:"durationMs"`
	Roots         int     `json:"roots"`
	Partial       bool    `json:"partial"`
	Spans         []Span  `json:"spans"`
}

// JSONTrace converts one item to its JSON form. Spans are in tree preorder.
func JSONTrace(it Item) Trace {
	t := it.Trace
	t0 := traceStart(t)
	out := Trace{TraceID: t.ID.String(), Roots: len(t.Roots), Spans: make([]Span, 0, len(t.Spans))}
	if pr := PrimaryRoot(t); pr >= 0 {
		r := &t.Spans[pr]
		out.RootService, out.RootOperation, out.DurationMs = r.Service, r.Name, ms(r.Duration())
	}
	var order []int32
	for _, r := range t.Roots {
		if t.Spans[r].Warnings.Has(trace.WarnMissingParent) {
			out.Partial = true
		}
		order = t.Preorder(r, order[:0])
		for _, i := range order {
			s := &t.Spans[i]
			js := Span{
				SpanID: s.SpanID.String(), Service: s.Service, Operation: s.Name, Kind: s.Kind.String(),
				StartMs: ms(s.Start - t0), DurationMs: ms(s.Duration()), Async: s.Async(), Error: s.IsError(),
				Warnings: s.Warnings.Names(),
			}
			if js.Warnings == nil {
				js.Warnings = []string{}
			}
			if p := t.Parent[i]; p >= 0 {
				js.ParentSpanID = t.Spans[p].SpanID.String()
			}
			if it.Path != nil {
				js.CriticalMs, js.OnCriticalPath = ms(it.Path.Self[i]), it.Path.OnPath[i]
			}
			out.Spans = append(out.Spans, js)
		}
	}
	return out
}

// WriteJSON writes {"summary":summary,"traces":[...]} one trace at a time,
// so memory stays proportional to the largest trace.
func WriteJSON(w io.Writer, summary any, items []Item) error {
	bw := bufio.NewWriter(w)
	sum, err := json.Marshal(summary)
	if err != nil {
		return fmt.Errorf("treeview: summary: %w", err)
	}
	bw.WriteString(`{"summary":`)
	bw.Write(sum)
	bw.WriteString(`,"traces":[`)
	for k, it := range items {
		if k > 0 {
			bw.WriteByte(',')
		}
		b, err := json.Marshal(JSONTrace(it))
		if err != nil {
			return fmt.Errorf("treeview: trace %s: %w", it.Trace.ID, err)
		}
		bw.WriteString("\n")
		bw.Write(b)
	}
	bw.WriteString("\n]}\n")
	return bw.Flush()
}
