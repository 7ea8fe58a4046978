package audit

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"github.com/syncaudit/syncaudit/ingest"
	"github.com/syncaudit/syncaudit/stats"
	"github.com/syncaudit/syncaudit/trace"
)

// Where the enqueue cost of a report came from (report.Summary's
// EnqueueCostSource): given explicitly, the default, or measured from the
// input's publishes ("measured: nats median of 120 publishes").
const (
	EnqueueCostFlag    = "flag"
	EnqueueCostDefault = "default"
)

// MinMeasuredPublishes is the number of publishes (PRODUCER spans of one
// messaging system) from which the enqueue cost is measured rather than
// defaulted.
const MinMeasuredPublishes = 5

// EnqueueMeter measures what publishing costs a caller in the input: the
// durations of its PRODUCER spans, per messaging.system. Feed it every
// trace of the input (in any order, in any batches); the result depends
// only on the set of spans.
type EnqueueMeter struct {
	bySystem map[string][]int64
}

// Add adds the PRODUCER spans of traces.
func (m *EnqueueMeter) Add(traces []*trace.Trace) {
	if m.bySystem == nil {
		m.bySystem = map[string][]int64{}
	}
	for _, t := range traces {
		for i := range t.Spans {
			s := &t.Spans[i]
			if s.Kind != trace.KindProducer || s.End < s.Start {
				continue
			}
			sys := s.Attrs.Get(trace.AttrMessagingSystem)
			if sys == "" {
				sys = "messaging"
			}
			m.bySystem[sys] = append(m.bySystem[sys], s.Duration())
		}
	}
}

// Cost returns the measured enqueue cost: the median publish duration of
// the messaging system with the most publishes (ties: the first system
// by name), and its source, e.g. "measured: nats median of 120 publishes".
// ok is false when no system has MinMeasuredPublishes publishes.
func (m *EnqueueMeter) Cost() (cost time.Duration, source string, ok bool) {
	best, n := "", 0
	for sys, d := range m.bySystem {
		if len(d) > n || len(d) == n && cmp.Less(sys, best) {
			best, n = sys, len(d)
		}
	}
	if n < MinMeasuredPublishes {
		return 0, "", false
	}
	d := stats.Of(m.bySystem[best])
	return time.Duration(d.P50), fmt.Sprintf("measured: %s median of %d publishes", best, n), true
}

// measureEnqueueCost sets opt's enqueue cost from the input's publishes
// when opt.MeasureEnqueueCost asks for it and there are enough of them
// (opt.EnqueueCostSource then says so); otherwise opt is unchanged. traces
// iterates over the whole input.
func measureEnqueueCost(opt *Options, traces func(yield func([]*trace.Trace) error) error) error {
	if !opt.MeasureEnqueueCost {
		return nil
	}
	var m EnqueueMeter
	if err := traces(func(ts []*trace.Trace) error { m.Add(ts); return nil }); err != nil {
		return err
	}
	if cost, src, ok := m.Cost(); ok {
		opt.Detect.EnqueueCost, opt.EnqueueCostSource = cost, src
	}
	return nil
}

// measureSource is measureEnqueueCost over every partition of src: a
// pass of its own before detection (for an input held in memory, a scan
// of its spans; for a spilled one, a read of every partition).
func measureSource(ctx context.Context, src *ingest.Source, opt *Options) error {
	return measureEnqueueCost(opt, func(yield func([]*trace.Trace) error) error {
		for p, err := range src.Partitions(ctx, nil) {
			if err != nil {
				return err
			}
			if err := yield(p.Traces); err != nil {
				return err
			}
		}
		return nil
	})
}
