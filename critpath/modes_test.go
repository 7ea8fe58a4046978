package critpath

import (
	"maps"
	"testing"

	"github.com/syncaudit/syncaudit/repair"
	"github.com/syncaudit/syncaudit/trace"
)

// modeRepair returns the repair options the CLI uses with each mode:
// default MarkAsync; --jaeger-compat[=crisp] MarkAsyncRelations and
// Truncate; --jaeger-compat=ui the Jaeger UI's view (whole microseconds,
// only CONSUMER under PRODUCER async) and Truncate.
func modeRepair(m Mode) repair.Options {
	o := repair.DefaultOptions()
	o.JaegerCompat = m != Default
	o.JaegerUI = m == JaegerUI
	return o
}

// TestModes shows where the three modes part, each with the repair step the
// CLI runs before it (modeRepair), on hand-built traces in milliseconds.
// The README's Critical path table summarises it.
func TestModes(t *testing.T) {
	const (
		us = int64(1000)
		ms = 1000 * us
	)
	type want = map[string]int64 // Self of every on-path span
	tests := []struct {
		name   string
		spans  []sp
		kinds  map[string]trace.Kind
		follow []string // spans whose parent reference is FOLLOWS_FROM
		def    want     // Default (and, where crisp is nil, CRISP)
		crisp  want     // CRISP, when it differs from Default
		ui     want     // JaegerUI
		skew   bool     // Default and CRISP chain an overlap (clock-skew rule)
	}{
		{
			// otelsql: the query span ends 3µs after the rows span starts.
			// Default and CRISP chain them (the overlap is under 1% of the
			// handler); the UI takes only a sibling that ends before the
			// next starts, so the query's 10ms go to the handler.
			name: "sql.conn.query overlapping sql.rows by 3µs",
			spans: []sp{
				{"handler", "", 0, 20 * ms, false},
				{"sql.conn.query", "handler", 1 * ms, 11*ms + 3*us, false},
				{"sql.rows", "handler", 11 * ms, 19 * ms, false},
			},
			def:  want{"handler": 1*ms + 997*us, "sql.conn.query": 10*ms + 3*us, "sql.rows": 8 * ms},
			ui:   want{"handler": 12 * ms, "sql.rows": 8 * ms},
			skew: true,
		},
		{
			name: "a sibling ends exactly when the next starts",
			spans: []sp{
				{"R", "", 0, 20 * ms, false},
				{"A", "R", 1 * ms, 10 * ms, false}, {"B", "R", 10 * ms, 19 * ms, false},
			},
			def: want{"R": 2 * ms, "A": 9 * ms, "B": 9 * ms},
			ui:  want{"R": 11 * ms, "B": 9 * ms},
		},
		{
			// OTLP nanoseconds: A ends 200ns before B starts. The UI sees
			// whole microseconds (A 1000–10000µs, B 10000–19000µs): they
			// touch, and A is off its path.
			name: "a sub-microsecond gap closes in whole microseconds",
			spans: []sp{
				{"R", "", 0, 20 * ms, false},
				{"A", "R", 1 * ms, 10*ms + 400, false}, {"B", "R", 10*ms + 600, 19*ms + 600, false},
			},
			def: want{"R": 2*ms - 400, "A": 9*ms + 400, "B": 9 * ms},
			ui:  want{"R": 11 * ms, "B": 9 * ms},
		},
		{
			// Every mode takes the child that started first; CRISP itself
			// takes the one later in its input file.
			name: "equal end times",
			spans: []sp{
				{"R", "", 0, 20 * ms, false},
				{"A", "R", 2 * ms, 15 * ms, false}, {"B", "R", 8 * ms, 15 * ms, false},
			},
			def: want{"R": 7 * ms, "A": 13 * ms},
			ui:  want{"R": 7 * ms, "A": 13 * ms},
		},
		{
			name: "equal end times, then a sibling starting at that end",
			spans: []sp{
				{"R", "", 0, 20 * ms, false},
				{"A", "R", 2 * ms, 10 * ms, false}, {"B", "R", 6 * ms, 10 * ms, false},
				{"C", "R", 10 * ms, 18 * ms, false},
			},
			def: want{"R": 4 * ms, "A": 8 * ms, "C": 8 * ms},
			ui:  want{"R": 12 * ms, "C": 8 * ms},
		},
		{
			// Fire-and-forget: default mode marks the email async; the
			// peers clip it to the request's end and count it.
			name: "a child ending after its parent",
			spans: []sp{
				{"R", "", 0, 100 * ms, false},
				{"insert", "R", 10 * ms, 40 * ms, false},
				{"email", "R", 45 * ms, 300 * ms, false},
			},
			def:   want{"R": 70 * ms, "insert": 30 * ms},
			crisp: want{"R": 15 * ms, "insert": 30 * ms, "email": 55 * ms},
			ui:    want{"R": 15 * ms, "insert": 30 * ms, "email": 55 * ms},
		},
		{
			// CRISP leaves FOLLOWS_FROM spans out of the tree; the UI only
			// skips a CONSUMER under a PRODUCER.
			name: "a FOLLOWS_FROM child inside its parent",
			spans: []sp{
				{"R", "", 0, 100 * ms, false},
				{"F", "R", 60 * ms, 90 * ms, false},
			},
			follow: []string{"F"},
			def:    want{"R": 100 * ms},
			ui:     want{"R": 70 * ms, "F": 30 * ms},
		},
		{
			name: "a CONSUMER under a PRODUCER",
			spans: []sp{
				{"R", "", 0, 100 * ms, false},
				{"P", "R", 10 * ms, 20 * ms, false},
				{"Q", "P", 15 * ms, 50 * ms, false},
			},
			kinds: map[string]trace.Kind{"P": trace.KindProducer, "Q": trace.KindConsumer},
			def:   want{"R": 90 * ms, "P": 10 * ms},
			ui:    want{"R": 90 * ms, "P": 10 * ms},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, m := range []Mode{Default, CRISP, JaegerUI} {
				b := build(t, tc.spans)
				for i := range b.t.Spans {
					s := &b.t.Spans[i]
					s.Kind = tc.kinds[s.Name]
					for _, f := range tc.follow {
						if s.Name == f {
							s.ParentRef = trace.RefFollowsFrom
						}
					}
				}
				repair.Standard(modeRepair(m)).Adjust(b.t)
				b = named(b.t)
				p := ComputeMode(b.t, m)
				w := map[Mode]want{Default: tc.def, CRISP: tc.def, JaegerUI: tc.ui}[m]
				if m == CRISP && tc.crisp != nil {
					w = tc.crisp
				}
				if got := b.selfByName(p); !maps.Equal(got, w) {
					t.Errorf("%v: Self = %v, want %v", m, got, w)
				}
				checkInvariants(t, b.t, p, tc.skew && m != JaegerUI)
			}
		})
	}
}

func TestParseMode(t *testing.T) {
	for _, m := range []Mode{Default, CRISP, JaegerUI} {
		if got, err := ParseMode(m.String()); err != nil || got != m {
			t.Errorf("ParseMode(%q) = %v, %v", m.String(), got, err)
		}
	}
	if _, err := ParseMode("jaeger"); err == nil {
		t.Error("ParseMode(jaeger): no error")
	}
	if s := Mode(9).String(); s != "mode(9)" {
		t.Errorf("Mode(9).String() = %q", s)
	}
}
