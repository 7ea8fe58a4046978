package detect

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/syncaudit/syncaudit/ingest"
	"github.com/syncaudit/syncaudit/repair"
	"github.com/syncaudit/syncaudit/sketch"
	"github.com/syncaudit/syncaudit/trace"
)

func withSketch(opt Options) Options {
	opt.Savings = SavingsSketch
	return opt
}

func TestParseSavingsMode(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    SavingsMode
		wantErr bool
	}{
		{"exact", SavingsExact, false},
		{"sketch", SavingsSketch, false},
		{"", 0, true},
		{"Sketch", 0, true},
		{"approx", 0, true},
	} {
		got, err := ParseSavingsMode(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseSavingsMode(%q) = %v, %v", tt.in, got, err)
		}
		if err == nil && got.String() != tt.in {
			t.Errorf("%v.String() = %q", got, got.String())
		}
	}
	if _, err := NewState(Options{Savings: 7}); err == nil {
		t.Error("unknown savings mode: no error")
	}
}

// runSketch is Run with SavingsSketch that also returns the State, whose
// histograms give each percentile's relative error.
func runSketch(tb testing.TB, reqs []Request, opt Options) (*Result, *State) {
	tb.Helper()
	ctx := context.Background()
	s, err := NewState(withSketch(opt))
	if err != nil {
		tb.Fatal(err)
	}
	s.Retain()
	if err := s.Observe(ctx, reqs); err != nil {
		tb.Fatal(err)
	}
	res, err := s.Finish(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	if err := s.PlanRetained(ctx); err != nil {
		tb.Fatal(err)
	}
	res.Plan = s.Plan()
	return res, s
}

// errors are the relative errors of a sketch result's percentiles, from
// its State.
type errorBounds struct {
	savings, after map[Group]float64
	before, plan   map[string]float64 // by endpoint
}

func boundsOf(tb testing.TB, s *State) errorBounds {
	tb.Helper()
	b := errorBounds{savings: map[Group]float64{}, after: map[Group]float64{}, before: map[string]float64{}, plan: map[string]float64{}}
	for g, gs := range s.sk.groups {
		b.savings[g] = gs.saving.RelativeError()
		h, err := afterShift(s.sk.endpoints[g.Endpoint], &gs.shift)
		if err != nil {
			tb.Fatal(err)
		}
		b.after[g] = h.RelativeError()
	}
	for e, ep := range s.sk.endpoints {
		b.before[e.String()] = ep.RelativeError()
		h, err := afterShift(ep, s.skPlan[e])
		if err != nil {
			tb.Fatal(err)
		}
		b.plan[e.String()] = h.RelativeError()
	}
	return b
}

// within reports whether got is want within relative error eps (and 1 ns
// of rounding).
func within(got, want time.Duration, eps float64) bool {
	return math.Abs(float64(got-want)) <= eps*math.Abs(float64(want))+1
}

// compareSketch checks a sketch result against the exact one: the same
// findings in the same order with the same counts, totals, confidence
// and reasons, no sites, and every percentile within its histogram's
// relative error; the same plan, within the relative error. It returns
// the largest relative error seen and allowed.
func compareSketch(t *testing.T, got, want *Result, b errorBounds) (seen, allowed float64) {
	t.Helper()
	if len(got.Findings) != len(want.Findings) {
		t.Fatalf("%d findings, want %d", len(got.Findings), len(want.Findings))
	}
	check := func(what string, g, w time.Duration, eps float64) {
		t.Helper()
		allowed = max(allowed, eps)
		if w != 0 {
			seen = max(seen, math.Abs(float64(g-w))/math.Abs(float64(w)))
		}
		if !within(g, w, eps) {
			t.Errorf("%s = %v, exact %v: relative error %.3g > %.3g", what, g, w, math.Abs(float64(g-w))/math.Abs(float64(w)), eps)
		}
	}
	for i := range want.Findings {
		g, w := got.Findings[i], want.Findings[i]
		name := fmt.Sprintf("#%d %s %s→%s", w.Rank, w.Action, w.Caller, w.Callee)
		if g.Sites != nil {
			t.Errorf("%s: %d sites with a sketch", name, len(g.Sites))
		}
		if g.Savings.Count != w.Savings.Count || g.Savings.Total != w.Savings.Total {
			t.Errorf("%s: count %d total %v, want %d %v", name, g.Savings.Count, g.Savings.Total, w.Savings.Count, w.Savings.Total)
		}
		if math.Abs(g.Share-w.Share) > 1e-9*math.Abs(w.Share) {
			t.Errorf("%s: share %v, want %v", name, g.Share, w.Share)
		}
		grp := groupOf(&w)
		se, ae := b.savings[grp], b.after[grp]
		check(name+" savings p50", g.Savings.P50, w.Savings.P50, se)
		check(name+" savings p95", g.Savings.P95, w.Savings.P95, se)
		check(name+" savings p99", g.Savings.P99, w.Savings.P99, se)
		check(name+" latency after p50", g.LatencyAfter.P50, w.LatencyAfter.P50, ae)
		check(name+" latency after p95", g.LatencyAfter.P95, w.LatencyAfter.P95, ae)
		check(name+" latency after p99", g.LatencyAfter.P99, w.LatencyAfter.P99, ae)
		// Everything else is exact.
		g.Savings, g.LatencyAfter, g.Share, g.Sites = w.Savings, w.LatencyAfter, w.Share, w.Sites
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s differs:\n%+v\nwant\n%+v", name, g, w)
		}
	}
	if len(got.Plan) != len(want.Plan) {
		t.Fatalf("plan of %d endpoints, want %d", len(got.Plan), len(want.Plan))
	}
	for i, w := range want.Plan {
		g := got.Plan[i]
		if g.Endpoint != w.Endpoint || !slices.Equal(g.Changes, w.Changes) {
			t.Errorf("plan %d: %v %v, want %v %v", i, g.Endpoint, g.Changes, w.Endpoint, w.Changes)
			continue
		}
		e := w.Endpoint.String()
		for _, p := range []struct {
			what string
			g, w time.Duration
			eps  float64
		}{
			{"before p50", g.Before.P50, w.Before.P50, b.before[e]},
			{"before p95", g.Before.P95, w.Before.P95, b.before[e]},
			{"before p99", g.Before.P99, w.Before.P99, b.before[e]},
			{"after p50", g.After.P50, w.After.P50, b.plan[e]},
			{"after p95", g.After.P95, w.After.P95, b.plan[e]},
			{"after p99", g.After.P99, w.After.P99, b.plan[e]},
		} {
			check("plan "+e+" "+p.what, p.g, p.w, p.eps)
		}
	}
	return seen, allowed
}

// generated returns n requests of two endpoints whose calls take
// log-normal times (µs resolution, spread over three orders of
// magnitude), some in parallel.
func generated(tb testing.TB, n int, seed uint64) []Request {
	rng := rand.New(rand.NewPCG(seed, 7))
	dur := func(median float64) float64 {
		return math.Round(median*math.Exp(rng.NormFloat64())*1000) / 1000
	}
	f := func(x float64) string { return fmt.Sprintf("%.3f", x) }
	var ts []*trace.Trace
	for i := range n {
		var desc string
		if i%4 == 3 {
			a, b := dur(5), dur(20)
			desc = "product: GET /product 0 " + f(a+b) + "\n" +
				"  -> catalog: GET /items 0 " + f(a) + "\n" +
				"  -> reviews: GET /reviews " + f(a) + " " + f(a+b)
		} else {
			a, b, c := dur(30), dur(200), dur(10)
			err := ""
			if i%5 == 0 {
				err = " !err"
			}
			end := a + b + c
			desc = "order: POST /order 0 " + f(end) + "\n" +
				"  -> payment: POST /charge 0 " + f(a) + "\n" +
				"  -> email: POST /send " + f(a) + " " + f(a+b) + err + "\n" +
				"  -> analytics: POST /track " + f(a+b) + " " + f(end)
			if i%3 == 0 {
				// email alongside payment
				end = max(a, b) + c
				desc = "order: POST /order 0 " + f(end) + "\n" +
					"  -> payment: POST /charge 0 " + f(a) + "\n" +
					"  -> email: POST /send 0 " + f(b) + err + "\n" +
					"  -> analytics: POST /track " + f(max(a, b)) + " " + f(end)
			}
		}
		ts = append(ts, build(tb, uint64(i+1), desc))
	}
	return requests(ts...)
}

func fixtureRequests(tb testing.TB, name string) []Request {
	tb.Helper()
	res, err := ingest.Load(context.Background(), []string{filepath.Join("..", "fixtures", name, "otlp.jsonl.gz")}, nil,
		ingest.Options{Repair: repair.DefaultOptions()})
	if err != nil {
		tb.Fatal(err)
	}
	return requests(res.Traces...)
}

// TestSketchWithinRelativeError: on the bundled fixtures and generated
// requests, sketch mode finds what exact mode finds, in the same order,
// with the same counts and totals, and every percentile within its
// histogram's relative error.
func TestSketchWithinRelativeError(t *testing.T) {
	all := DefaultOptions()
	all.MinConfidence = 0
	for _, in := range []struct {
		name string
		reqs func(testing.TB) []Request
		// minSeen: the sketch must differ from exact somewhere (or the
		// test would prove little), when above 0.
		minSeen float64
	}{
		{"sync fixture", func(tb testing.TB) []Request { return fixtureRequests(tb, "sync") }, 0},
		{"async fixture", func(tb testing.TB) []Request { return fixtureRequests(tb, "async") }, 0},
		{"mixed", func(tb testing.TB) []Request { return mixed(t) }, 0},
		{"generated 3000", func(tb testing.TB) []Request { return generated(tb, 3000, 1) }, 1e-4},
	} {
		reqs := in.reqs(t)
		for oname, opt := range map[string]Options{"default": DefaultOptions(), "all recommended": all} {
			t.Run(in.name+"/"+oname, func(t *testing.T) {
				want, err := Run(context.Background(), reqs, opt)
				if err != nil {
					t.Fatal(err)
				}
				got, st := runSketch(t, reqs, opt)
				seen, allowed := compareSketch(t, got, want, boundsOf(t, st))
				t.Logf("%d requests, %d findings, %d plan endpoints: largest relative error %.3g (allowed %.3g)",
					len(reqs), len(want.Findings), len(want.Plan), seen, allowed)
				if len(want.Findings) > 0 && (allowed <= 0 || allowed > 0.05) {
					t.Errorf("relative error bound %v: want (0, 5%%] at these ranges", allowed)
				}
				if seen < in.minSeen {
					t.Errorf("largest relative error %v: the sketch is exact here, the comparison proves little", seen)
				}
			})
		}
	}
}

// TestSketchHandComputed: worked examples whose sketch percentiles can be
// computed by hand.
func TestSketchHandComputed(t *testing.T) {
	ms := time.Millisecond
	// Equal savings: one bucket, clamped to [min, max] = the value.
	t.Run("equal savings", func(t *testing.T) {
		res, _ := runSketch(t, requests(seedTraces(t)[:1]...), free)
		res2, _ := runSketch(t, requests(build(t, 1, seedSequential), build(t, 2, seedSequential), build(t, 3, seedSequential)), free)
		for _, r := range []*Result{res, res2} {
			f := find(r, "make-async", "email POST /send")
			if f == nil {
				t.Fatal("no email finding")
			}
			want := Savings{Count: f.Savings.Count, Total: time.Duration(f.Savings.Count) * 500 * ms, P50: 500 * ms, P95: 500 * ms, P99: 500 * ms}
			if f.Savings != want {
				t.Errorf("savings %+v, want %+v", f.Savings, want)
			}
			// Every request 650 → 150 ms: the endpoint's histogram
			// empties, then holds the latencies after, whose extremes are
			// exact again.
			if want := (Latency{150 * ms, 150 * ms, 150 * ms}); f.LatencyAfter != want {
				t.Errorf("latency after %+v, want %+v", f.LatencyAfter, want)
			}
		}
	})
	// Savings 500 ms (sequential) and 400 ms twice (parallel): bucket
	// ceil(log2(v)·2^scale)−1 of 5e8 and 4e8 ns are 7397 and 7315 at scale
	// 8 (83 buckets), 14795 and 14630 at scale 9 (166 > 160): scale 8,
	// relative error (2^(1/256)−1)/(2^(1/256)+1) ≈ 1.354e-3. Nearest rank
	// of 3 values: p95 and p99 are rank 3, the exact max; p50 is rank 2,
	// 400 ms, represented by the harmonic midpoint of bucket 7315,
	// 2·2^(7315/256)·2^(7316/256)/(2^(7315/256)+2^(7316/256)) ≈
	// 400206831.4 ns.
	t.Run("two savings", func(t *testing.T) {
		reqs := requests(build(t, 1, seedSequential), build(t, 2, seedParallel), build(t, 3, seedParallel))
		res, st := runSketch(t, reqs, free)
		f := find(res, "make-async", "email POST /send")
		if f == nil {
			t.Fatal("no email finding")
		}
		h := st.sk.groups[groupOf(f)].saving
		if h.Scale() != 8 {
			t.Errorf("scale %d, want 8", h.Scale())
		}
		eps := (math.Exp2(1.0/256) - 1) / (math.Exp2(1.0/256) + 1)
		if math.Abs(h.RelativeError()-eps) > 1e-12 {
			t.Errorf("relative error %v, want %v", h.RelativeError(), eps)
		}
		if f.Savings.Count != 3 || f.Savings.Total != 1300*ms || f.Savings.P95 != 500*ms || f.Savings.P99 != 500*ms {
			t.Errorf("savings %+v", f.Savings)
		}
		if !within(f.Savings.P50, 400206831, 0) || !within(f.Savings.P50, 400*ms, eps) {
			t.Errorf("p50 %d ns, want 400206831 (the midpoint of 400 ms's bucket)", f.Savings.P50)
		}
	})
}

// TestSketchMergeIsBatch: states of N partitions (observed separately,
// encoded, decoded and merged in any order) encode to the bytes of one
// state over every request, and give its result; so does a sketch state
// merged with exact ones. Batching, workers and speculation do not change
// the result either.
func TestSketchMergeIsBatch(t *testing.T) {
	ctx := context.Background()
	reqs := generated(t, 400, 2)
	opt := withSketch(DefaultOptions())
	one := func(rs []Request, o Options) *State {
		s, err := NewState(o)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Observe(ctx, rs); err != nil {
			t.Fatal(err)
		}
		return s
	}
	whole := one(reqs, opt)
	want, err := whole.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if v := want[len(stateMagic)]; v != StateVersionPlans {
		t.Fatalf("version %d, want %d", v, StateVersionPlans)
	}
	wantRes, _ := runSketch(t, reqs, DefaultOptions())
	// partition splits the requests by trace into n parts, at random.
	rng := rand.New(rand.NewPCG(5, 6))
	partition := func(n int) [][]Request {
		parts := make([][]Request, n)
		for _, r := range reqs {
			k := rng.IntN(n) // one request per trace here
			parts[k] = append(parts[k], r)
		}
		return parts
	}
	for _, tc := range []struct {
		name  string
		parts int
		exact []bool // which partitions are observed in exact mode
	}{
		{"1 partition", 1, nil},
		{"2 partitions", 2, nil},
		{"7 partitions", 7, nil},
		{"7 partitions, 3 exact", 7, []bool{true, false, true, false, false, true, false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parts := partition(tc.parts)
			var encoded [][]byte
			for i, p := range parts {
				o := opt
				if i < len(tc.exact) && tc.exact[i] {
					o.Savings = SavingsExact
				}
				b, err := one(p, o).MarshalBinary()
				if err != nil {
					t.Fatal(err)
				}
				encoded = append(encoded, b)
			}
			for _, order := range [][]int{perm(len(parts), nil), perm(len(parts), rng)} {
				merged, _ := NewState(opt)
				for _, i := range order {
					st, _ := NewState(opt)
					if err := st.UnmarshalBinary(encoded[i]); err != nil {
						t.Fatal(err)
					}
					if err := merged.Merge(st); err != nil {
						t.Fatal(err)
					}
				}
				if merged.Requests() != len(reqs) {
					t.Errorf("%d requests, want %d", merged.Requests(), len(reqs))
				}
				got, err := merged.MarshalBinary()
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("order %v: merged encoding differs from the batch's", order)
				}
			}
			// In process, with both passes: the result is the batch's.
			sameResult(t, accumulate(t, opt, parts, false), wantRes)
		})
	}
	for bname, batches := range batchings(seedTraces(t)) {
		want, _ := runSketch(t, requests(seedTraces(t)...), DefaultOptions())
		for _, v := range []struct {
			workers   int
			speculate bool
		}{{1, false}, {3, false}, {1, true}, {3, true}} {
			o := opt
			o.Workers = v.workers
			t.Run(fmt.Sprintf("seed/%s/workers=%d/speculate=%v", bname, v.workers, v.speculate), func(t *testing.T) {
				sameResult(t, accumulate(t, o, batches, v.speculate), want)
			})
		}
		t.Run("seed/"+bname+"/encoded and merged", func(t *testing.T) {
			sameResult(t, separately(t, opt, batches), want)
		})
	}
}

// perm returns 0…n-1, shuffled by rng unless nil.
func perm(n int, rng *rand.Rand) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	if rng != nil {
		rng.Shuffle(n, func(i, j int) { p[i], p[j] = p[j], p[i] })
	}
	return p
}

// TestSketchSpeculate: speculation in sketch mode, right and wrong, gives
// the result without it.
func TestSketchSpeculate(t *testing.T) {
	var traces []*trace.Trace
	for i := range 6 {
		d := "order: POST /order 0 700\n  -> payment: POST /charge 0 100\n  -> email: POST /send 100 600"
		if i > 0 {
			d += "\n  -> analytics: POST /track 600 650"
		}
		traces = append(traces, build(t, uint64(i+1), d))
	}
	opt := withSketch(DefaultOptions())
	want, _ := runSketch(t, requests(traces...), DefaultOptions())
	if len(want.Plan) == 0 {
		t.Fatal("no plan: the test would prove nothing")
	}
	for name, batches := range map[string][][]Request{
		"right": {requests(traces[0], traces[1], traces[2]), requests(traces[3:]...)},
		"wrong": {requests(traces[0]), requests(traces[1:]...)},
	} {
		t.Run(name, func(t *testing.T) {
			sameResult(t, accumulate(t, opt, batches, true), want)
		})
	}
}

func TestSketchStateErrors(t *testing.T) {
	ctx := context.Background()
	reqs := requests(seedTraces(t)...)
	exact, _ := NewState(DefaultOptions())
	sk, _ := NewState(withSketch(DefaultOptions()))
	if err := exact.Merge(sk); err == nil {
		t.Error("Merge of a sketch state into an exact one: no error")
	}
	if err := sk.Merge(exact); err != nil {
		t.Errorf("Merge of an exact state into a sketch one: %v", err)
	}
	// Pass 2 of requests pass 1 did not see, or saw fewer times.
	for name, plan := range map[string][]Request{
		"twice":  append(slices.Clone(reqs), reqs...),
		"unseen": generated(t, 3, 9),
	} {
		s, _ := NewState(withSketch(Options{MinConfidence: 0, EnqueueCost: time.Millisecond}))
		if err := s.Observe(ctx, reqs); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Finish(ctx); err != nil {
			t.Fatal(err)
		}
		if !s.NeedsPlan() {
			t.Fatal("nothing recommended")
		}
		if err := s.ObservePlan(ctx, plan); err == nil {
			t.Errorf("%s: ObservePlan: no error", name)
		}
		if err := s.ObservePlan(ctx, reqs); err != nil {
			t.Errorf("%s: a failed ObservePlan changed the state: %v", name, err)
		}
	}
}

// TestSketchEncoding: the sketch encoding round-trips, an exact encoding
// decodes into a sketch state as if its requests had been observed there,
// and inconsistent or foreign encodings are errors.
func TestSketchEncoding(t *testing.T) {
	reqs := requests(seedTraces(t)...)
	opt := DefaultOptions()
	skOpt := withSketch(opt)
	good := encodeBatches(t, skOpt, [][]Request{reqs})
	st, _ := NewState(skOpt)
	if err := st.UnmarshalBinary(good); err != nil {
		t.Fatal(err)
	}
	if again, err := st.MarshalBinary(); err != nil || !bytes.Equal(again, good) {
		t.Errorf("round trip changed the encoding (%v)", err)
	}
	fromExact, _ := NewState(skOpt)
	if err := fromExact.UnmarshalBinary(encodeBatches(t, opt, [][]Request{reqs})); err != nil {
		t.Fatal(err)
	}
	if b, _ := fromExact.MarshalBinary(); !bytes.Equal(b, good) {
		t.Error("an exact encoding decoded into a sketch state differs from the sketch state of its requests")
	}
	// mutate encodes a sketch state over reqs after changing it.
	mutate := func(f func(s *State)) []byte {
		s, _ := NewState(skOpt)
		if err := s.Observe(context.Background(), reqs); err != nil {
			t.Fatal(err)
		}
		f(s)
		b, err := s.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	anyGroup := func(s *State) *groupSketch {
		for _, g := range s.sk.groups {
			return g
		}
		t.Fatal("no group")
		return nil
	}
	for _, tc := range []struct {
		name string
		data []byte
		opt  Options
		want string
	}{
		{"into an exact state", good, opt, "cannot be decoded into an exact one"},
		{"truncated", good[:len(good)/2], skOpt, "corrupt"},
		{"trailing bytes", append(slices.Clone(good), 0), skOpt, "trailing"},
		{"other enqueue cost", good, withSketch(Options{}), "enqueue cost"},
		{"request count", mutate(func(s *State) { s.sk.requests++ }), skOpt, "requests"},
		{"group counts disagree", mutate(func(s *State) { anyGroup(s).before.Add(1) }), skOpt, "disagree"},
		{"group sums disagree", mutate(func(s *State) { g := anyGroup(s); g.after.Add(1); g.before.Add(1); g.saving.Add(1) }), skOpt, "disagree"},
		{"latencies not the endpoint's", mutate(func(s *State) {
			g := anyGroup(s)
			g.before.Add(1 << 40)
			g.after.Add(1<<40 - 7)
			g.saving.Add(7)
		}), skOpt, "not among"},
		{"endpoint missing", mutate(func(s *State) {
			for e, h := range s.sk.endpoints {
				s.sk.requests -= int(h.Count())
				delete(s.sk.endpoints, e)
			}
		}), skOpt, "without requests"},
		{"histogram of another size", mutate(func(s *State) {
			for e, h := range s.sk.endpoints {
				o := sketch.New(20, 40)
				o.Merge(h)
				s.sk.endpoints[e] = o
			}
		}), skOpt, "not of a state"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, _ := NewState(tc.opt)
			err := st.UnmarshalBinary(tc.data)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one with %q", err, tc.want)
			}
			if st.Requests() != 0 || st.sk != nil && len(st.sk.groups) != 0 {
				t.Errorf("a failed decode left %d requests", st.Requests())
			}
		})
	}
}
