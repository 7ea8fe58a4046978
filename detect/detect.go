package detect

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/syncaudit/syncaudit/calls"
	"github.com/syncaudit/syncaudit/detect/policy"
	"github.com/syncaudit/syncaudit/report"
	"github.com/syncaudit/syncaudit/trace"
	"github.com/syncaudit/syncaudit/whatif"
)

// Request is one request to analyse: a root span of a linked trace.
type Request struct {
	Trace *trace.Trace
	// Root is the request's root span (an index into Trace.Spans).
	Root int32
	// Endpoint is the request's entry point (root service and operation).
	Endpoint calls.Endpoint
	// Latency is the root's duration in nanoseconds.
	Latency int64
	// Failed reports whether the request failed (the root is an error).
	Failed bool
	// Calls are the calls of the trace (calls.Find), or of this request
	// alone; calls outside the request's subtree are ignored. When nil they
	// are found with calls.Find.
	Calls []calls.Call
}

// Options control detection.
type Options struct {
	// EnqueueCost is what the caller still pays for a detached call
	// (publishing a message). DefaultOptions sets 1 ms.
	EnqueueCost time.Duration
	// MinConfidence is the confidence (0–1) from which a finding is
	// recommended and included in the combined plan. Critical calls are
	// never recommended for asynchronous execution whatever their
	// confidence. DefaultOptions sets 0.5.
	MinConfidence float64
	// Top keeps only the Top best-ranked findings (0: all).
	Top int
	// Policy overrides the built-in classification (nil: none).
	Policy *policy.Policy
	// Workers bounds the goroutines an Accumulator observes a batch on
	// (0: GOMAXPROCS). Results do not depend on it.
	Workers int
}

// Default option values.
const (
	DefaultEnqueueCost   = time.Millisecond
	DefaultMinConfidence = 0.5
)

// DefaultOptions returns the documented defaults: 1 ms enqueue cost, 0.5
// minimum confidence, all findings, no policy. The zero Options is valid
// too and means exactly what it says (free enqueue, everything
// recommended), which tests use.
func DefaultOptions() Options {
	return Options{EnqueueCost: DefaultEnqueueCost, MinConfidence: DefaultMinConfidence}
}

func (o Options) validate() error {
	switch {
	case o.EnqueueCost < 0:
		return fmt.Errorf("detect: negative enqueue cost %v", o.EnqueueCost)
	case !(o.MinConfidence >= 0 && o.MinConfidence <= 1):
		return fmt.Errorf("detect: minimum confidence %v is not between 0 and 1", o.MinConfidence)
	case o.Top < 0:
		return fmt.Errorf("detect: negative top %d", o.Top)
	}
	return nil
}

// A Detector finds one kind of recommendation. It is a plain value, as a
// go/analysis Analyzer is: a name, documentation and a Run function over
// the shared Pass.
type Detector struct {
	// Name is a short lower-case identifier ("make-async"); it is the
	// findings' Action.
	Name string
	// Doc is a one-line title (lower case, no period), a blank line and
	// paragraphs explaining what is found and how confidence is scored.
	Doc string
	// Run returns the detector's findings, with Sites set (the driver
	// projects savings, ranks and builds the plan). It must not modify the
	// Pass.
	Run func(*Pass) ([]Finding, error)
}

// Standard returns the standard detectors: MakeAsync and Parallelize.
func Standard() []*Detector { return []*Detector{MakeAsync(), Parallelize()} }

// validName reports whether a detector name is a lower-case identifier:
// a letter, then letters, digits and "-".
func validName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || i > 0 && ('0' <= c && c <= '9' || c == '-')) {
			return false
		}
	}
	return s != ""
}

// validate checks the set of detectors up front, as the go/analysis
// driver does.
func validate(ds []*Detector) error {
	seen := map[string]bool{}
	var errs []error
	for i, d := range ds {
		switch {
		case d == nil:
			errs = append(errs, fmt.Errorf("detect: detector %d is nil", i))
			continue
		case !validName(d.Name):
			errs = append(errs, fmt.Errorf("detect: detector %d: invalid name %q", i, d.Name))
		case seen[d.Name]:
			errs = append(errs, fmt.Errorf("detect: duplicate detector %q", d.Name))
		}
		seen[d.Name] = true
		if strings.TrimSpace(d.Doc) == "" {
			errs = append(errs, fmt.Errorf("detect: detector %q has no Doc", d.Name))
		}
		if d.Run == nil {
			errs = append(errs, fmt.Errorf("detect: detector %q has no Run", d.Name))
		}
	}
	return errors.Join(errs...)
}

// Site is one request's part of a finding: the change that applies the
// finding to that request.
type Site struct {
	// Request is an index into Pass.Requests.
	Request int
	Change  whatif.Change
}

// Finding is one recommendation, aggregated over every request in which it
// applies.
type Finding struct {
	Action   report.Action
	Endpoint calls.Endpoint
	Caller   calls.Endpoint
	// Callee is the called endpoint; for a parallel group, the group's
	// callees joined with " + " (service and operation joined in the same
	// order). Callees lists them one by one.
	Callee  calls.Endpoint
	Callees []calls.Endpoint
	// Calls counts occurrences: calls detached, or sequential groups found.
	Calls int
	// Traces counts the distinct traces with an occurrence.
	Traces int
	// Confidence (0–1) that the change is safe and right.
	Confidence float64
	// Critical is set when a callee is critical (built in or by policy).
	// Critical calls are never recommended for asynchronous execution; they
	// may still be parallelized.
	Critical bool
	// Reasons explain the confidence, strongest first.
	Reasons []string
	// Fix says what to do, as a verb phrase.
	Fix string
	// Sites are the changes per request, in request order.
	Sites []Site

	// Set by Run.
	Rank         int
	Savings      report.Savings
	Share        float64
	LatencyAfter report.LatencyAfter
	// Recommended: confidence ≥ MinConfidence, positive total savings, and
	// not a critical call made asynchronous. Recommended findings make up
	// the plan.
	Recommended bool
}

// Score is the ranking key: total projected saving (ms) × confidence.
func (f *Finding) Score() float64 { return f.Savings.Total * f.Confidence }

// Candidate converts the finding into the report's model.
func (f *Finding) Candidate() report.Candidate {
	return report.Candidate{
		Rank:           f.Rank,
		Action:         f.Action,
		Endpoint:       ref(f.Endpoint),
		Caller:         ref(f.Caller),
		Callee:         ref(f.Callee),
		Calls:          f.Calls,
		Traces:         f.Traces,
		Confidence:     f.Confidence,
		Recommended:    f.Recommended,
		Callees:        refs(f.Callees),
		Reasons:        slices.Clone(f.Reasons),
		SavingsMs:      f.Savings,
		Share:          f.Share,
		LatencyAfterMs: f.LatencyAfter,
		Fix:            f.Fix,
	}
}

func ref(e calls.Endpoint) report.Ref { return report.Ref{Service: e.Service, Operation: e.Operation} }

func refs(es []calls.Endpoint) []report.Ref {
	if len(es) == 0 {
		return nil
	}
	out := make([]report.Ref, len(es))
	for i, e := range es {
		out[i] = ref(e)
	}
	return out
}

// Result is what Run found.
type Result struct {
	// Findings are ranked (Rank 1..N, best first), cut to Options.Top.
	Findings []Finding
	// Plan is the combined effect of the recommended findings (among those
	// kept by Top), per endpoint, in order of each endpoint's best rank.
	Plan []report.PlanEndpoint
}

// Candidates returns the findings in the report's model.
func (r *Result) Candidates() []report.Candidate {
	out := make([]report.Candidate, 0, len(r.Findings))
	for i := range r.Findings {
		out = append(out, r.Findings[i].Candidate())
	}
	return out
}

// Run runs the detectors (Standard when none are given) over the requests:
// it builds the shared Pass once, runs each detector, projects each
// finding's savings by re-simulation, drops findings that save nothing,
// ranks the rest and simulates the combined plan of every endpoint.
//
// The result does not depend on the order of reqs. A detector that fails
// does not stop the others: Run returns the result of those that succeeded
// and an error naming the failures.
func Run(reqs []Request, opt Options, detectors ...*Detector) (*Result, error) {
	if err := opt.validate(); err != nil {
		return nil, err
	}
	if len(detectors) == 0 {
		detectors = Standard()
	}
	if err := validate(detectors); err != nil {
		return nil, err
	}
	p := newPass(reqs, opt)
	var all []Finding
	var errs []error
	for _, d := range detectors {
		fs, err := d.Run(p)
		if err != nil {
			errs = append(errs, fmt.Errorf("detect: %s: %w", d.Name, err))
			continue
		}
		for i := range fs {
			if fs[i].Action == "" {
				fs[i].Action = report.Action(d.Name)
			}
		}
		all = append(all, fs...)
	}
	kept := selectFindings(all, opt, p.project)
	res := &Result{Findings: kept, Plan: p.plan(kept)}
	return res, errors.Join(errs...)
}

// selectFindings projects each finding's savings, drops those that save
// nothing, marks the recommended ones, ranks the rest and cuts them to
// opt.Top.
func selectFindings(all []Finding, opt Options, project func(*Finding)) []Finding {
	kept := all[:0]
	for i := range all {
		f := &all[i]
		project(f)
		if f.Savings.Total <= 0 {
			continue // no request gets faster
		}
		f.Recommended = f.Confidence >= opt.MinConfidence &&
			!(f.Critical && f.Action == report.MakeAsync)
		kept = append(kept, *f)
	}
	rank(kept)
	if opt.Top > 0 && len(kept) > opt.Top {
		kept = kept[:opt.Top]
	}
	return kept
}

// rank sorts findings by score (total saving × confidence), then endpoint,
// caller, callee and action, and numbers them from 1.
func rank(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(b.Score(), a.Score()),
			calls.Key{Endpoint: a.Endpoint, Caller: a.Caller, Callee: a.Callee}.Compare(
				calls.Key{Endpoint: b.Endpoint, Caller: b.Caller, Callee: b.Callee}),
			cmp.Compare(a.Action, b.Action))
	})
	for i := range fs {
		fs[i].Rank = i + 1
	}
}

// compareRequests orders requests canonically: by trace ID, root span ID,
// root start and root index, so that results do not depend on input order.
func compareRequests(a, b *Request) int {
	var ta, tb trace.TraceID
	var sa, sb trace.SpanID
	var starta, startb int64
	if a.Trace != nil {
		ta = a.Trace.ID
		if a.Root >= 0 && int(a.Root) < len(a.Trace.Spans) {
			sa, starta = a.Trace.Spans[a.Root].SpanID, a.Trace.Spans[a.Root].Start
		}
	}
	if b.Trace != nil {
		tb = b.Trace.ID
		if b.Root >= 0 && int(b.Root) < len(b.Trace.Spans) {
			sb, startb = b.Trace.Spans[b.Root].SpanID, b.Trace.Spans[b.Root].Start
		}
	}
	if c := bytes.Compare(ta[:], tb[:]); c != 0 {
		return c
	}
	if c := bytes.Compare(sa[:], sb[:]); c != 0 {
		return c
	}
	if c := cmp.Compare(starta, startb); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Root, b.Root); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Endpoint.Service, b.Endpoint.Service); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Endpoint.Operation, b.Endpoint.Operation); c != 0 {
		return c
	}
	return cmp.Compare(a.Latency, b.Latency)
}
