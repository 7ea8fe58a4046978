package detect

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/syncaudit/syncaudit/calls"
	"github.com/syncaudit/syncaudit/trace"
)

// twoChangeTraces are requests of one endpoint with two recommended
// changes (email and analytics made asynchronous), whose combined plan is
// not the best change alone: the plan saves both calls.
func twoChangeTraces(t testing.TB, n int) []*trace.Trace {
	t.Helper()
	var out []*trace.Trace
	for i := range n {
		e := 300 + 37*(i%9)  // email's end (ms)
		a := e + 40 + 11*i%5 // analytics' end
		d := fmt.Sprintf("order: POST /order 0 %d\n  -> payment: POST /charge 0 100\n  -> email: POST /send 100 %d\n  -> analytics: POST /track %d %d", a, e, e, a)
		out = append(out, build(t, uint64(i+1), d))
	}
	return out
}

// instance observes its batches as the Collector's connector does, one
// interval: the first batch retained, then speculation from it (or, with
// history, from history), the rest observed under the guess; it returns
// the interval's encoding.
func instance(t *testing.T, opt Options, history *State, batches ...[]Request) []byte {
	t.Helper()
	ctx := context.Background()
	s, err := NewState(opt)
	if err != nil {
		t.Fatal(err)
	}
	if history != nil {
		if err := s.SpeculateFrom(ctx, history); err != nil {
			t.Fatal(err)
		}
	} else {
		s.Retain()
	}
	for i, b := range batches {
		if err := s.Observe(ctx, b); err != nil {
			t.Fatal(err)
		}
		if i == 0 && history == nil {
			if err := s.SpeculateRetained(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	b, err := s.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decoded decodes encodings into one merged state.
func decoded(t *testing.T, opt Options, encs ...[]byte) *State {
	t.Helper()
	merged, _ := NewState(opt)
	for _, b := range encs {
		st, _ := NewState(opt)
		if err := st.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
		if err := merged.Merge(st); err != nil {
			t.Fatal(err)
		}
	}
	return merged
}

// mergedResult finishes the merged state of encodings without the
// requests: the findings and plan, and the endpoints whose plan is an
// estimate.
func mergedResult(t *testing.T, opt Options, encs ...[]byte) (*Result, []calls.Endpoint) {
	t.Helper()
	merged := decoded(t, opt, encs...)
	res, err := merged.Finish(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	approx := merged.PlanFromFindings()
	res.Plan = merged.Plan()
	return res, approx
}

// TestSpeculatedPlanAfterMerge: states that simulated their requests
// under the recommended changes (speculation) give, once encoded, decoded
// and merged without the requests, the combined plan of the batch, for an
// endpoint with two recommended changes; without speculation, or with a
// wrong guess, the plan is the documented estimate.
func TestSpeculatedPlanAfterMerge(t *testing.T) {
	traces := twoChangeTraces(t, 24)
	reqs := requests(traces...)
	opt := withSketch(DefaultOptions())
	want, _ := runSketch(t, reqs, DefaultOptions())
	order := calls.Endpoint{Service: "order", Operation: "POST /order"}
	if len(want.Plan) != 1 || len(want.Plan[0].Changes) != 2 {
		t.Fatalf("plan %+v: want one endpoint with two changes, or the test proves nothing", want.Plan)
	}
	// Two instances behind a load balancer by trace ID: odd and even.
	var odd, even []Request
	for i, r := range reqs {
		if i%2 == 0 {
			even = append(even, r)
		} else {
			odd = append(odd, r)
		}
	}
	plain := func(batches ...[]Request) []byte { return encodeBatches(t, opt, batches) }

	t.Run("speculated", func(t *testing.T) {
		got, approx := mergedResult(t, opt, instance(t, opt, nil, odd[:4], odd[4:]), instance(t, opt, nil, even[:4], even[4:]))
		if len(approx) != 0 {
			t.Errorf("approximate plans %v, want none", approx)
		}
		sameResult(t, got, want)
	})
	t.Run("speculated from history", func(t *testing.T) {
		// The second interval of each instance guesses from its first.
		a1, b1 := instance(t, opt, nil, odd[:6]), instance(t, opt, nil, even[:6])
		a2 := instance(t, opt, decoded(t, opt, a1), odd[6:])
		b2 := instance(t, opt, decoded(t, opt, b1), even[6:])
		got, approx := mergedResult(t, opt, a1, b2, a2, b1)
		if len(approx) != 0 {
			t.Errorf("approximate plans %v, want none", approx)
		}
		sameResult(t, got, want)
	})
	t.Run("not speculated", func(t *testing.T) {
		got, approx := mergedResult(t, opt, plain(odd), plain(even))
		if !reflect.DeepEqual(approx, []calls.Endpoint{order}) {
			t.Errorf("approximate plans %v, want %v", approx, order)
		}
		if reflect.DeepEqual(got.Plan, want.Plan) {
			t.Error("the estimate equals the combined plan: the test proves nothing")
		}
		if !reflect.DeepEqual(got.Findings, want.Findings) {
			t.Error("findings differ")
		}
	})
	t.Run("part speculated", func(t *testing.T) {
		// One instance speculated, the other did not: the speculated
		// plan covers half the requests, so the plan is an estimate.
		_, approx := mergedResult(t, opt, instance(t, opt, nil, odd), plain(even))
		if !reflect.DeepEqual(approx, []calls.Endpoint{order}) {
			t.Errorf("approximate plans %v, want %v", approx, order)
		}
	})
	t.Run("wrong guess", func(t *testing.T) {
		// A guess from one request of a trace without analytics: its
		// plan is not the recommended one.
		lone := requests(build(t, 99, "order: POST /order 0 700\n  -> payment: POST /charge 0 100\n  -> email: POST /send 100 600"))
		s, _ := NewState(opt)
		if err := s.Observe(context.Background(), lone); err != nil {
			t.Fatal(err)
		}
		a := instance(t, opt, s, odd)
		_, approx := mergedResult(t, opt, a, instance(t, opt, nil, even), plain(lone))
		if !reflect.DeepEqual(approx, []calls.Endpoint{order}) {
			t.Errorf("approximate plans %v, want %v", approx, order)
		}
	})
}

// TestSpeculatedPlanEncoding: plans round-trip, merge canonically, and
// inconsistent plans are rejected.
func TestSpeculatedPlanEncoding(t *testing.T) {
	reqs := requests(twoChangeTraces(t, 10)...)
	opt := withSketch(DefaultOptions())
	a, b := instance(t, opt, nil, reqs[:2], reqs[2:5]), instance(t, opt, nil, reqs[5:7], reqs[7:])
	if !bytes.Contains(a, []byte("analytics")) || a[len(stateMagic)] != StateVersionPlans {
		t.Fatal("not a plans encoding")
	}
	st := decoded(t, opt, a)
	if len(st.sk.plans) != 1 {
		t.Fatalf("%d plans, want 1", len(st.sk.plans))
	}
	if again, err := st.MarshalBinary(); err != nil || !bytes.Equal(again, a) {
		t.Errorf("round trip changed the encoding (%v)", err)
	}
	ab, _ := decoded(t, opt, a, b).MarshalBinary()
	ba, _ := decoded(t, opt, b, a).MarshalBinary()
	if !bytes.Equal(ab, ba) {
		t.Error("merge order changes the encoding")
	}
	for p := range decoded(t, opt, a, b).sk.plans {
		if got := decoded(t, opt, a, b).sk.plans[p].requests; got != len(reqs) {
			t.Errorf("plan covers %d requests, want %d", got, len(reqs))
		}
	}
	s, _ := NewState(opt)
	if err := s.SpeculateFrom(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	if err := s.Speculate(context.Background()); err == nil {
		t.Error("Speculate twice: no error")
	}
	mutate := func(f func(p *specPlan)) []byte {
		s := decoded(t, opt, a)
		for _, p := range s.sk.plans {
			f(p)
		}
		out, err := s.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"more requests than the endpoint's", mutate(func(p *specPlan) { p.requests += 1000 }), "not among"},
		{"latencies not the endpoint's", mutate(func(p *specPlan) { p.before.Add(1 << 40); p.after.Add(1 << 39) }), "not among"},
		{"counts disagree", mutate(func(p *specPlan) { p.after.Add(5) }), "not among"},
		{"no groups", mutate(func(p *specPlan) { p.groups = nil }), "without groups"},
		{"groups not sorted", mutate(func(p *specPlan) { p.groups[0], p.groups[1] = p.groups[1], p.groups[0] }), "not sorted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := NewState(opt)
			err := s.UnmarshalBinary(tc.data)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one with %q", err, tc.want)
			}
		})
	}
}
