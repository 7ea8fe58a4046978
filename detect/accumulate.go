package detect

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"runtime"
	"slices"
	"strings"

	"github.com/syncaudit/syncaudit/calls"
	"github.com/syncaudit/syncaudit/internal/parallel"
	"github.com/syncaudit/syncaudit/report"
	"github.com/syncaudit/syncaudit/trace"
)

// An Accumulator runs the standard detectors (MakeAsync and Parallelize)
// over requests that arrive in batches, such as one partition of traces at
// a time, holding only small per-request and per-finding state between
// batches: no trace is referenced after Observe returns. Its result is
// the one Run would give over all the batches' requests together.
//
// It works in two passes over the same batches:
//
//	acc, _ := detect.NewAccumulator(opt)
//	for _, b := range batches { acc.Observe(b) }   // pass 1: savings, evidence
//	res, _ := acc.Finish()                          // confidence, ranking
//	for _, b := range batches { acc.ObservePlan(b) } // pass 2: the combined plan
//	res.Plan = acc.Plan()
//
// Pass 1 re-simulates each request a finding applies to as soon as it is
// seen and keeps the saving; the combined plan needs the recommended set,
// known only after Finish, so pass 2 re-simulates each request with the
// recommended changes of its endpoint. A request must be in exactly one
// batch and all requests of a trace in the same batch. In Finish's result,
// Finding.Sites hold the request indices (in canonical order over all
// batches) without their Change.
type Accumulator struct {
	opt Options

	reqs          []reqRecord
	async         map[calls.Key]*asyncAgg
	asyncSaving   map[calls.Key][]siteSaving
	par           map[groupKey]*parallelAgg
	parSaving     map[groupKey][]siteSaving
	asyncOps      map[calls.Endpoint]int
	asyncServices map[string]int

	// Set by Finish.
	finished  bool
	sorted    []reqRecord // canonical order
	endpoints map[calls.Endpoint]*endpointState
	kept      []Finding
	recAsync  map[calls.Key]bool
	recPar    map[groupKey]bool
	recOrder  []Finding // recommended findings, in rank order
	planSave  map[int]int64
	pos       []int // index into reqs (pass 1) → canonical index

	// Speculation (see Speculate): the guessed recommended findings, the
	// plan savings simulated under the guess, and whether it was right.
	guess       []Finding
	speculating bool
	specSave    []siteSaving // req: index into reqs (before Finish)
	specOK      bool
}

// reqRecord is what the Accumulator keeps of a request: its canonical
// sort key, endpoint and latency.
type reqRecord struct {
	trace   trace.TraceID
	span    trace.SpanID
	start   int64
	root    int32
	ep      calls.Endpoint
	latency int64
}

// siteSaving is the saving of one site: req indexes Accumulator.reqs
// (before Finish) or the canonical order (after).
type siteSaving struct {
	req    int
	saving int64
}

func recordOf(r *Request) reqRecord {
	rec := reqRecord{root: r.Root, ep: r.Endpoint, latency: r.Latency}
	if r.Trace != nil {
		rec.trace = r.Trace.ID
		if r.Root >= 0 && int(r.Root) < len(r.Trace.Spans) {
			rec.span, rec.start = r.Trace.Spans[r.Root].SpanID, r.Trace.Spans[r.Root].Start
		}
	}
	return rec
}

// compareRecords orders records as compareRequests orders requests.
func compareRecords(a, b *reqRecord) int {
	if c := bytes.Compare(a.trace[:], b.trace[:]); c != 0 {
		return c
	}
	if c := bytes.Compare(a.span[:], b.span[:]); c != 0 {
		return c
	}
	return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(a.root, b.root),
		cmp.Compare(a.ep.Service, b.ep.Service), cmp.Compare(a.ep.Operation, b.ep.Operation),
		cmp.Compare(a.latency, b.latency))
}

// NewAccumulator returns an empty Accumulator, or an error when opt is
// invalid.
func NewAccumulator(opt Options) (*Accumulator, error) {
	if err := opt.validate(); err != nil {
		return nil, err
	}
	return &Accumulator{
		opt:           opt,
		async:         map[calls.Key]*asyncAgg{},
		asyncSaving:   map[calls.Key][]siteSaving{},
		par:           map[groupKey]*parallelAgg{},
		parSaving:     map[groupKey][]siteSaving{},
		asyncOps:      map[calls.Endpoint]int{},
		asyncServices: map[string]int{},
	}, nil
}

var errFinished = errors.New("detect: Observe after Finish")

// Observe adds a batch of requests (pass 1): it finds every candidate
// change in them, re-simulates each request with the change applied, and
// keeps the savings and the evidence confidence is computed from. The
// batch is cut into sub-batches of whole traces, observed on up to
// Options.Workers goroutines and merged in canonical order, so the result
// does not depend on the number of workers.
func (a *Accumulator) Observe(batch []Request) error {
	if a.finished {
		return errFinished
	}
	subs := splitByTrace(batch, a.opt.Workers)
	obs := make([]*observation, len(subs))
	err := parallel.Ranges(context.Background(), len(subs), a.opt.Workers, 1, func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			o := observe(subs[i], a.opt, a.speculating, innerWorkers(len(subs), a.opt.Workers))
			if a.speculating {
				// The combined plan under the guess, while the requests
				// are at hand (see Speculate).
				o.spec = planSavings(a.guess, o.pass,
					func(k calls.Key) []Site { return o.asyncSites[k] },
					func(k groupKey) []Site { return o.parSites[k] })
				o.pass, o.asyncSites, o.parSites = nil, nil, nil
			}
			obs[i] = o
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, o := range obs {
		base := len(a.reqs)
		a.merge(o)
		for _, sv := range o.spec {
			a.specSave = append(a.specSave, siteSaving{req: base + sv.req, saving: sv.saving})
		}
	}
	return nil
}

// Speculate guesses, from the requests observed so far, which findings
// Finish will recommend, and makes later Observe calls also simulate their
// requests under the guessed combined plan. Finish checks the guess (see
// Speculated): when right, the plan savings of every request observed
// after Speculate are known, and pass 2 (ObservePlan) is needed only for
// the requests observed before. Batches are random samples of the traces
// (partitions by trace-ID hash), so after one of them the guess is
// usually right; when it is wrong, nothing is lost but the work.
func (a *Accumulator) Speculate() error {
	if a.finished {
		return errFinished
	}
	// Finish a copy: Finish rewrites request indices in the savings lists
	// and drops the maps.
	b := &Accumulator{
		opt:           a.opt,
		reqs:          slices.Clone(a.reqs),
		async:         a.async,
		asyncSaving:   map[calls.Key][]siteSaving{},
		par:           a.par,
		parSaving:     map[groupKey][]siteSaving{},
		asyncOps:      a.asyncOps,
		asyncServices: a.asyncServices,
	}
	for k, v := range a.asyncSaving {
		b.asyncSaving[k] = slices.Clone(v)
	}
	for k, v := range a.parSaving {
		b.parSaving[k] = slices.Clone(v)
	}
	if _, err := b.Finish(); err != nil {
		return err
	}
	a.guess, a.speculating = b.recOrder, true
	return nil
}

// Speculated reports, after Finish, whether Speculate was called and
// guessed the recommended findings right: the combined plan's savings of
// the requests observed after Speculate are then known.
func (a *Accumulator) Speculated() bool { return a.specOK }

// sameRecommendations reports whether two lists of recommended findings
// name the same changes in the same order.
func sameRecommendations(x, y []Finding) bool {
	return slices.EqualFunc(x, y, func(f, g Finding) bool {
		return f.Action == g.Action && f.Endpoint == g.Endpoint && f.Caller == g.Caller &&
			slices.Equal(f.Callees, g.Callees)
	})
}

// observation is what pass 1 finds in one batch; request indices in it are
// relative to the batch's canonical order.
type observation struct {
	reqs          []reqRecord
	asyncOps      map[calls.Endpoint]int
	asyncServices map[string]int
	aggs          map[calls.Key]*asyncAgg
	keys          []calls.Key
	asyncSaving   map[calls.Key][]siteSaving
	par           map[groupKey]*parallelAgg
	pkeys         []groupKey
	parSaving     map[groupKey][]siteSaving

	// Kept by observe with keep set, for the plan pass of Run: the pass
	// and every key's sites.
	pass       *Pass
	asyncSites map[calls.Key][]Site
	parSites   map[groupKey][]Site
	// spec are the plan savings under the speculated recommendations.
	spec []siteSaving // req: index into reqs
}

// observe runs pass 1 over one batch. It reads only its arguments, so
// batches can be observed concurrently.
//
// With inner > 1 (the batch is all the work there is: one huge trace),
// it uses inner goroutines itself: the two collectors run concurrently,
// and so do the re-simulations.
func observe(batch []Request, opt Options, keep bool, inner int) *observation {
	p := newPass(batch, opt)
	o := &observation{
		reqs:          make([]reqRecord, len(p.Requests)),
		asyncOps:      p.asyncOps,
		asyncServices: p.asyncServices,
		asyncSaving:   map[calls.Key][]siteSaving{},
		parSaving:     map[groupKey][]siteSaving{},
	}
	for i := range p.Requests {
		o.reqs[i] = recordOf(&p.Requests[i])
	}
	savings := func(sites []Site) []siteSaving {
		out := make([]siteSaving, 0, len(sites))
		for _, s := range mergeSites(sites) {
			out = append(out, siteSaving{req: s.Request, saving: p.saving(s.Request, s.Change)})
		}
		return out
	}
	if keep {
		o.pass, o.asyncSites, o.parSites = p, map[calls.Key][]Site{}, map[groupKey][]Site{}
	}
	if inner > 1 {
		q := p.fork()
		done := make(chan struct{})
		go func() {
			defer close(done)
			o.par, o.pkeys = collectParallel(q)
		}()
		o.aggs, o.keys = collectMakeAsync(p)
		<-done
	} else {
		o.aggs, o.keys = collectMakeAsync(p)
		o.par, o.pkeys = collectParallel(p)
	}
	// Re-simulate every key's sites (Model.Simulate may run concurrently).
	asyncSaving := make([][]siteSaving, len(o.keys))
	parSaving := make([][]siteSaving, len(o.pkeys))
	_ = parallel.Ranges(context.Background(), len(o.keys)+len(o.pkeys), inner, 1, func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			if i < len(o.keys) {
				asyncSaving[i] = savings(o.aggs[o.keys[i]].sites)
			} else {
				parSaving[i-len(o.keys)] = savings(o.par[o.pkeys[i-len(o.keys)]].sites)
			}
		}
		return nil
	})
	for i, k := range o.keys {
		b := o.aggs[k]
		o.asyncSaving[k] = asyncSaving[i]
		if keep {
			o.asyncSites[k] = b.sites
		}
		b.sites, b.lastTrace = nil, nil
	}
	for i, k := range o.pkeys {
		b := o.par[k]
		o.parSaving[k] = parSaving[i]
		if keep {
			o.parSites[k] = b.sites
		}
		b.sites, b.lastTrace = nil, nil
	}
	return o
}

// innerWorkers is the goroutines each of n sub-batches may use itself:
// all of them when there is one sub-batch.
func innerWorkers(n, workers int) int {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if n == 1 {
		return workers
	}
	return 1
}

// merge adds an observation to the accumulator's state.
func (a *Accumulator) merge(o *observation) {
	base := len(a.reqs)
	a.reqs = append(a.reqs, o.reqs...)
	for k, v := range o.asyncOps {
		a.asyncOps[k] += v
	}
	for k, v := range o.asyncServices {
		a.asyncServices[k] += v
	}
	rebase := func(ss []siteSaving) []siteSaving {
		for i := range ss {
			ss[i].req += base
		}
		return ss
	}
	less := func(x, y int) bool { return compareRecords(&a.reqs[x], &a.reqs[y]) < 0 }

	for _, k := range o.keys {
		b := o.aggs[k]
		a.asyncSaving[k] = append(a.asyncSaving[k], rebase(o.asyncSaving[k])...)
		b.classAt += base
		b.writeAt += base
		b.readAt += base
		b.firstAt += base
		m := a.async[k]
		if m == nil {
			a.async[k] = b
			continue
		}
		if b.class.Lean > m.class.Lean || b.class.Lean == m.class.Lean && less(b.classAt, m.classAt) {
			m.class, m.classAt = b.class, b.classAt
		}
		if b.writeHow != "" && (m.writeHow == "" || less(b.writeAt, m.writeAt)) {
			m.writeHow, m.writeAt = b.writeHow, b.writeAt
		}
		if b.readHow != "" && (m.readHow == "" || less(b.readAt, m.readAt)) {
			m.readHow, m.readAt = b.readHow, b.readAt
		}
		if less(b.firstAt, m.firstAt) {
			m.protocol, m.firstAt = b.protocol, b.firstAt
		}
		m.calls += b.calls
		m.traces += b.traces
		m.maxPerReq = max(m.maxPerReq, b.maxPerReq)
		m.failed += b.failed
		m.tolerated += b.tolerated
		m.tail += b.tail
		m.writes += b.writes
		m.reads += b.reads
	}

	for _, k := range o.pkeys {
		b := o.par[k]
		a.parSaving[k] = append(a.parSaving[k], rebase(o.parSaving[k])...)
		m := a.par[k]
		if m == nil {
			a.par[k] = b
			continue
		}
		m.runs += b.runs
		m.traces += b.traces
		m.distinct = m.distinct && b.distinct
		m.explicit = m.explicit && b.explicit
		m.busy += b.busy
		m.critical = m.critical || b.critical
		m.maxSize = max(m.maxSize, b.maxSize)
	}
}

// splitByTrace cuts reqs into sub-batches of whole traces, about four per
// worker (GOMAXPROCS when workers <= 0) so that uneven traces still keep
// every worker busy. Requests of one trace (one *trace.Trace) stay
// together in their first-seen order; sub-batches follow the order of
// each trace's first request.
func splitByTrace(reqs []Request, workers int) [][]Request {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	n := min(4*workers, len(reqs))
	if n <= 1 {
		return [][]Request{reqs}
	}
	// Group requests by trace, keeping order (they usually arrive grouped).
	grouped := true
	pos := map[*trace.Trace]int{}
	for i := range reqs {
		t := reqs[i].Trace
		if j, ok := pos[t]; ok && j != i-1 {
			grouped = false
			break
		}
		pos[t] = i
	}
	if !grouped {
		order := map[*trace.Trace]int{}
		for i := range reqs {
			if _, ok := order[reqs[i].Trace]; !ok {
				order[reqs[i].Trace] = len(order)
			}
		}
		reqs = slices.Clone(reqs)
		slices.SortStableFunc(reqs, func(x, y Request) int { return cmp.Compare(order[x.Trace], order[y.Trace]) })
	}
	size := (len(reqs) + n - 1) / n
	var out [][]Request
	for lo := 0; lo < len(reqs); {
		hi := min(lo+size, len(reqs))
		for hi < len(reqs) && reqs[hi].Trace == reqs[hi-1].Trace {
			hi++
		}
		out = append(out, reqs[lo:hi:hi])
		lo = hi
	}
	return out
}

// Finish ends pass 1: it orders the requests canonically, scores, ranks
// and selects the findings as Run does. The Result has no Plan yet (see
// ObservePlan and Plan). Observe may not be called afterwards.
func (a *Accumulator) Finish() (*Result, error) {
	if a.finished {
		return nil, errors.New("detect: Finish called twice")
	}
	a.finished = true
	n := len(a.reqs)
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	slices.SortStableFunc(perm, func(x, y int) int { return compareRecords(&a.reqs[x], &a.reqs[y]) })
	pos := make([]int, n) // batch index → canonical index
	a.pos = pos
	a.sorted = make([]reqRecord, n)
	for c, i := range perm {
		pos[i] = c
		a.sorted[c] = a.reqs[i]
	}
	a.reqs = nil
	a.endpoints = endpointIndex(n, func(i int) (calls.Endpoint, int64) { return a.sorted[i].ep, a.sorted[i].latency })
	// Sites in canonical order, with the savings they project.
	sites := func(ss []siteSaving) []Site {
		for i := range ss {
			ss[i].req = pos[ss[i].req]
		}
		slices.SortFunc(ss, func(x, y siteSaving) int { return cmp.Compare(x.req, y.req) })
		out := make([]Site, len(ss))
		for i, s := range ss {
			out[i] = Site{Request: s.req}
		}
		return out
	}
	// Each finding's sites in canonical order, and its savings (Run
	// projects them by re-simulation; here they were simulated by Observe).
	attach := func(f *Finding, ss []siteSaving) {
		f.Sites = sites(ss)
		xs := make([]int64, len(ss))
		saving := make(map[int]int64, len(ss))
		for i, s := range ss {
			xs[i] = s.saving
			saving[s.req] = s.saving
		}
		applySavings(f, xs, saving, a.endpoints[f.Endpoint])
	}
	asyncKeys := make([]calls.Key, 0, len(a.async))
	for k := range a.async {
		asyncKeys = append(asyncKeys, k)
	}
	all := makeAsyncFindings(a.async, asyncKeys, func(callee calls.Endpoint) (int, int) {
		return a.asyncOps[callee], a.asyncServices[callee.Service]
	})
	parKeys := make([]groupKey, 0, len(a.par))
	for k := range a.par {
		parKeys = append(parKeys, k)
	}
	pf := parallelFindings(a.par, parKeys)
	nAsync := len(all)
	all = append(all, pf...)
	// Each finding's percentiles sort its endpoint's latencies: findings
	// are independent, so attach them in parallel.
	err := parallel.Ranges(context.Background(), len(all), a.opt.Workers, 1, func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			f := &all[i]
			if i < nAsync {
				attach(f, a.asyncSaving[calls.Key{Endpoint: f.Endpoint, Caller: f.Caller, Callee: f.Callee}])
			} else {
				attach(f, a.parSaving[groupKeyOf(f)])
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	a.async, a.asyncSaving, a.par, a.parSaving = nil, nil, nil, nil

	a.kept = selectFindings(all, a.opt, func(*Finding) {})
	a.recAsync, a.recPar = map[calls.Key]bool{}, map[groupKey]bool{}
	for _, f := range a.kept {
		if !f.Recommended {
			continue
		}
		a.recOrder = append(a.recOrder, f)
		if f.Action == report.MakeAsync {
			a.recAsync[calls.Key{Endpoint: f.Endpoint, Caller: f.Caller, Callee: f.Callee}] = true
		} else {
			a.recPar[groupKeyOf(&f)] = true
		}
	}
	a.planSave = map[int]int64{}
	if a.speculating {
		a.specOK = sameRecommendations(a.guess, a.recOrder)
		if a.specOK {
			for _, sv := range a.specSave {
				a.planSave[a.pos[sv.req]] = sv.saving
			}
		}
		a.specSave, a.guess = nil, nil
	}
	return &Result{Findings: slices.Clone(a.kept)}, nil
}

// groupKeyOf is the groupKey of a parallelize finding.
func groupKeyOf(f *Finding) groupKey {
	names := make([]string, len(f.Callees))
	for i, c := range f.Callees {
		names[i] = c.String()
	}
	return groupKey{endpoint: f.Endpoint, caller: f.Caller, callees: strings.Join(names, "\x00")}
}

// NeedsPlan reports whether the combined plan needs pass 2: whether any
// finding is recommended. It is false before Finish.
func (a *Accumulator) NeedsPlan() bool { return a.finished && len(a.recOrder) > 0 }

// ObservePlan adds a batch of requests for pass 2 (after Finish; the
// batches of pass 1, in any order and grouping that keeps each trace in
// one batch): it re-simulates each of their requests with every
// recommended change of its endpoint applied together.
func (a *Accumulator) ObservePlan(batch []Request) error {
	if !a.finished {
		return errors.New("detect: ObservePlan before Finish")
	}
	if len(a.recOrder) == 0 {
		return nil
	}
	subs := splitByTrace(batch, a.opt.Workers)
	found := make([][]planSaving, len(subs))
	err := parallel.Ranges(context.Background(), len(subs), a.opt.Workers, 1, func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			found[i] = a.observePlan(subs[i])
		}
		return nil
	})
	if err != nil {
		return err
	}
	return a.addPlan(found)
}

// addPlan records the plan savings found for some batches.
func (a *Accumulator) addPlan(found [][]planSaving) error {
	for _, ps := range found {
		for _, s := range ps {
			c, ok := slices.BinarySearchFunc(a.sorted, s.rec, func(x, y reqRecord) int { return compareRecords(&x, &y) })
			if !ok {
				return errors.New("detect: ObservePlan: a request that Observe did not see")
			}
			a.planSave[c] = s.saving
		}
	}
	return nil
}

// RunParallel is Run over requests held in memory, computed as an
// Accumulator does on opt.Workers goroutines (sub-batches of whole
// traces, merged in canonical order): the same findings and plan, but
// each Finding's Sites hold request indices without their Change. The
// plan reuses what the first pass found instead of reading the requests
// again.
func RunParallel(ctx context.Context, reqs []Request, opt Options) (*Result, error) {
	a, err := NewAccumulator(opt)
	if err != nil {
		return nil, err
	}
	subs := splitByTrace(reqs, opt.Workers)
	obs := make([]*observation, len(subs))
	err = parallel.Ranges(ctx, len(subs), opt.Workers, 1, func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			obs[i] = observe(subs[i], opt, true, innerWorkers(len(subs), opt.Workers))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	bases := make([]int, len(obs))
	for i, o := range obs {
		bases[i] = len(a.reqs)
		a.merge(o)
	}
	res, err := a.Finish()
	if err != nil {
		return nil, err
	}
	if !a.NeedsPlan() {
		res.Plan = a.Plan()
		return res, nil
	}
	found := make([][]siteSaving, len(obs))
	err = parallel.Ranges(ctx, len(obs), opt.Workers, 1, func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			o := obs[i]
			found[i] = planSavings(a.recOrder, o.pass,
				func(k calls.Key) []Site { return o.asyncSites[k] },
				func(k groupKey) []Site { return o.parSites[k] })
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i, ss := range found {
		for _, sv := range ss {
			a.planSave[a.pos[bases[i]+sv.req]] = sv.saving
		}
	}
	res.Plan = a.Plan()
	return res, nil
}

// planSaving is one request's saving under its endpoint's combined plan.
type planSaving struct {
	rec    reqRecord
	saving int64
}

// observePlan re-simulates the requests of one batch with the recommended
// changes of their endpoints. It only reads the accumulator, so batches
// can be observed concurrently.
func (a *Accumulator) observePlan(batch []Request) []planSaving {
	p := newPass(batch, a.opt)
	p.sitesOnly = true
	aggs, _ := collectMakeAsync(p)
	pa, _ := collectParallel(p)
	local := planSavings(a.recOrder, p, func(k calls.Key) []Site {
		if ag := aggs[k]; ag != nil {
			return ag.sites
		}
		return nil
	}, func(k groupKey) []Site {
		if ag := pa[k]; ag != nil {
			return ag.sites
		}
		return nil
	})
	out := make([]planSaving, len(local))
	for k, sv := range local {
		out[k] = planSaving{rec: recordOf(&p.Requests[sv.req]), saving: sv.saving}
	}
	return out
}

// planSavings re-simulates the requests of p with the changes of rec (the
// recommended findings in rank order) of their endpoints, given the sites
// of each make-async and parallelize key in p. Requests are indices into
// p.Requests.
func planSavings(rec []Finding, p *Pass, asyncSites func(calls.Key) []Site, parSites func(groupKey) []Site) []siteSaving {
	// The sites of every recommended finding, per endpoint, in rank order
	// (as Pass.plan unions them).
	byEP := map[calls.Endpoint][]Site{}
	for i := range rec {
		f := &rec[i]
		var ss []Site
		if f.Action == report.MakeAsync {
			ss = asyncSites(calls.Key{Endpoint: f.Endpoint, Caller: f.Caller, Callee: f.Callee})
		} else {
			ss = parSites(groupKeyOf(f))
		}
		byEP[f.Endpoint] = append(byEP[f.Endpoint], ss...)
	}
	var out []siteSaving
	for _, ss := range byEP {
		for _, s := range mergeSites(ss) {
			out = append(out, siteSaving{req: s.Request, saving: p.saving(s.Request, s.Change)})
		}
	}
	return out
}

// Plan returns the combined plan from the requests given to ObservePlan
// (nil before Finish).
func (a *Accumulator) Plan() []report.PlanEndpoint {
	if !a.finished {
		return nil
	}
	type epPlan struct {
		ep      calls.Endpoint
		changes []int
	}
	byEP := map[calls.Endpoint]*epPlan{}
	var eps []*epPlan
	for _, f := range a.recOrder {
		pl := byEP[f.Endpoint]
		if pl == nil {
			pl = &epPlan{ep: f.Endpoint}
			byEP[f.Endpoint] = pl
			eps = append(eps, pl)
		}
		pl.changes = append(pl.changes, f.Rank)
	}
	out := make([]report.PlanEndpoint, 0, len(eps))
	for _, pl := range eps {
		ep := a.endpoints[pl.ep]
		if ep == nil {
			continue
		}
		out = append(out, planEndpoint(pl.ep, ep, pl.changes, a.planSave))
	}
	return out
}
