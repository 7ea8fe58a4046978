package audit

import (
	"testing"
	"time"

	"github.com/syncaudit/syncaudit/trace"
)

// publishes returns a trace holding one PRODUCER span per duration (µs),
// of messaging system sys ("" for none), and a CLIENT span that must not
// count.
func publishes(sys string, us ...int64) *trace.Trace {
	t := &trace.Trace{}
	for i, d := range us {
		s := trace.Span{Service: "order", Name: "publish", Kind: trace.KindProducer, Start: int64(i) * 1e9, End: int64(i)*1e9 + d*1e3}
		if sys != "" {
			s.Attrs.Set(trace.AttrMessagingSystem, sys, true)
		}
		t.Spans = append(t.Spans, s)
	}
	t.Spans = append(t.Spans, trace.Span{Service: "order", Name: "POST", Kind: trace.KindClient, Start: 0, End: 9e9})
	return t
}

// TestEnqueueMeter: the median publish of the system with the most
// publishes, whatever the batches and their order (issue 17).
func TestEnqueueMeter(t *testing.T) {
	tests := []struct {
		name    string
		batches [][]*trace.Trace
		want    time.Duration
		source  string
		ok      bool
	}{
		{"nats", [][]*trace.Trace{{publishes("nats", 5, 4, 6, 5, 900)}}, 5 * time.Microsecond,
			"measured: nats median of 5 publishes", true},
		// Nearest-rank median of 4, 5, 5, 6, 7, 8 is the 3rd: 5.
		{"batches in any order", [][]*trace.Trace{{publishes("nats", 8, 7)}, {publishes("nats", 6, 5)}, {publishes("nats", 5, 4)}},
			5 * time.Microsecond, "measured: nats median of 6 publishes", true},
		{"batches reversed", [][]*trace.Trace{{publishes("nats", 5, 4)}, {publishes("nats", 6, 5)}, {publishes("nats", 8, 7)}},
			5 * time.Microsecond, "measured: nats median of 6 publishes", true},
		{"the system with the most publishes", [][]*trace.Trace{{publishes("kafka", 2000, 2100, 1900, 2000, 2050, 1950), publishes("nats", 5, 5, 5, 5, 5)}},
			2000 * time.Microsecond, "measured: kafka median of 6 publishes", true},
		{"a tie goes to the first name", [][]*trace.Trace{{publishes("rabbitmq", 50, 50, 50, 50, 50), publishes("kafka", 9, 9, 9, 9, 9)}},
			9 * time.Microsecond, "measured: kafka median of 5 publishes", true},
		{"no messaging.system", [][]*trace.Trace{{publishes("", 10, 10, 10, 10, 10)}}, 10 * time.Microsecond,
			"measured: messaging median of 5 publishes", true},
		{"too few", [][]*trace.Trace{{publishes("nats", 5, 5, 5, 5)}}, 0, "", false},
		{"none", nil, 0, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var m EnqueueMeter
			for _, b := range tc.batches {
				m.Add(b)
			}
			got, src, ok := m.Cost()
			if got != tc.want || src != tc.source || ok != tc.ok {
				t.Errorf("Cost() = %v, %q, %v; want %v, %q, %v", got, src, ok, tc.want, tc.source, tc.ok)
			}
		})
	}
}

// TestMeasureEnqueueCost: measured only when asked, and the default kept
// when there are too few publishes.
func TestMeasureEnqueueCost(t *testing.T) {
	input := func(ts ...*trace.Trace) func(func([]*trace.Trace) error) error {
		return func(yield func([]*trace.Trace) error) error { return yield(ts) }
	}
	for _, tc := range []struct {
		name    string
		measure bool
		in      *trace.Trace
		want    time.Duration
		source  string
	}{
		{"measured", true, publishes("nats", 5, 5, 5, 5, 5), 5 * time.Microsecond, "measured: nats median of 5 publishes"},
		{"not asked", false, publishes("nats", 5, 5, 5, 5, 5), time.Millisecond, EnqueueCostFlag},
		{"too few: default kept", true, publishes("nats", 5), time.Millisecond, EnqueueCostDefault},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opt := DefaultOptions()
			opt.MeasureEnqueueCost = tc.measure
			opt.EnqueueCostSource = EnqueueCostDefault
			if !tc.measure {
				opt.EnqueueCostSource = EnqueueCostFlag
			}
			if err := measureEnqueueCost(&opt, input(tc.in)); err != nil {
				t.Fatal(err)
			}
			if opt.Detect.EnqueueCost != tc.want || opt.EnqueueCostSource != tc.source {
				t.Errorf("got %v %q, want %v %q", opt.Detect.EnqueueCost, opt.EnqueueCostSource, tc.want, tc.source)
			}
		})
	}
}
