package detect

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/syncaudit/syncaudit/calls"
	"github.com/syncaudit/syncaudit/detect/policy"
	"github.com/syncaudit/syncaudit/trace"
)

// Request is one request to analyse: a root span of a linked trace.
type Request struct {
	Trace *trace.Trace
	// Root is the request's root span (an index into Trace.Spans).
	Root int32
	// Endpoint is the request's entry point (root service and operation).
	Endpoint calls.Endpoint
	// Forward is the index plus one of the span a catch-all gateway root
	// forwarded the request to (calls.RequestEndpoint); 0 for none. The
	// call that reaches it is the request itself: it is never a
	// make-async candidate.
	Forward int32
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
	// Workers bounds the goroutines a State observes a batch on
	// (0: GOMAXPROCS). Results do not depend on it.
	Workers int
	// Detectors are the detectors to run (nil: Standard).
	Detectors []*Detector
	// Savings is how savings are kept: SavingsExact (the default) or
	// SavingsSketch (bounded memory, percentiles within a relative error).
	Savings SavingsMode
}

// Default option values.
const (
	DefaultEnqueueCost   = time.Millisecond
	DefaultMinConfidence = 0.5
)

// DefaultOptions returns the documented defaults: 1 ms enqueue cost, 0.5
// minimum confidence, all findings, no policy, the standard detectors.
// The zero Options is valid too and means exactly what it says (free
// enqueue, everything recommended), which tests use.
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
	case o.Savings > SavingsSketch:
		return fmt.Errorf("detect: unknown savings mode %v", o.Savings)
	}
	return validate(o.detectors())
}

func (o Options) detectors() []*Detector {
	if len(o.Detectors) == 0 {
		return Standard()
	}
	return o.Detectors
}

// A Detector finds one kind of recommendation. It is a plain value, as a
// go/analysis Analyzer is: a name, documentation, and a constructor of
// the state it observes requests into.
type Detector struct {
	// Name is a short lower-case identifier ("make-async"); it is the
	// findings' Action.
	Name string
	// Doc is a one-line title (lower case, no period), a blank line and
	// paragraphs explaining what is found and how confidence is scored.
	Doc string
	// New returns an empty state.
	New func() DetectorState
}

// DetectorState is what a detector keeps of the requests it observed:
// counts and evidence per Group, mergeable with the state of the same
// detector over other requests and encodable so that separate processes
// can merge it. The driver (State) owns the savings: it re-simulates the
// sites a detector reports.
type DetectorState interface {
	// Observe adds the requests of p (in canonical order) and returns the
	// sites of every Group it found in them: per request the Group applies
	// to, in request order, the change that applies it. With p.SitesOnly,
	// only the sites are wanted and the state need not change.
	Observe(p *Pass) []Sites
	// Merge adds o, a state of the same detector over other requests.
	// The result does not depend on the order of merges: where evidence
	// depends on order (the first occurrence), it is kept by the request's
	// canonical Record.
	Merge(o DetectorState) error
	// Findings returns one finding per Group observed, sorted by Group,
	// without savings or sites (the driver sets them). Findings the
	// detector would never report (see its Doc) are left out.
	Findings(s *Shared) []Finding
	// AppendBinary appends the state's encoding; UnmarshalBinary replaces
	// the state with a decoded one (from the same detector and version).
	AppendBinary(b []byte) ([]byte, error)
	UnmarshalBinary(b []byte) error
}

// Sites are the requests of a pass one Group applies to.
type Sites struct {
	Group Group
	Sites []Site
}

// Shared is the evidence every detector may read when it turns its state
// into findings: what the requests did asynchronously.
type Shared struct {
	asyncOps      map[calls.Endpoint]int
	asyncServices map[string]int
}

func newShared() *Shared {
	return &Shared{asyncOps: map[calls.Endpoint]int{}, asyncServices: map[string]int{}}
}

// AsyncElsewhere returns how many calls in all requests reach callee's
// service and operation asynchronously, and how many reach its service.
func (s *Shared) AsyncElsewhere(callee calls.Endpoint) (sameOperation, sameService int) {
	return s.asyncOps[callee], s.asyncServices[callee.Service]
}

func (s *Shared) merge(o *Shared) {
	for k, v := range o.asyncOps {
		s.asyncOps[k] += v
	}
	for k, v := range o.asyncServices {
		s.asyncServices[k] += v
	}
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
		if d.New == nil {
			errs = append(errs, fmt.Errorf("detect: detector %q has no New", d.Name))
		}
	}
	return errors.Join(errs...)
}

// Record identifies a request in the canonical order detection uses
// whatever the input order: trace ID, root span ID, root start and root
// index, then endpoint and latency. It is what a State keeps of each
// request.
type Record struct {
	Trace    trace.TraceID
	Span     trace.SpanID
	Start    int64
	Root     int32
	Endpoint calls.Endpoint
	Latency  int64
}

// RecordOf returns r's Record.
func RecordOf(r *Request) Record {
	rec := Record{Root: r.Root, Endpoint: r.Endpoint, Latency: r.Latency}
	if r.Trace != nil {
		rec.Trace = r.Trace.ID
		if r.Root >= 0 && int(r.Root) < len(r.Trace.Spans) {
			rec.Span, rec.Start = r.Trace.Spans[r.Root].SpanID, r.Trace.Spans[r.Root].Start
		}
	}
	return rec
}

// Compare orders records canonically.
func (a Record) Compare(b Record) int { return compareRecords(&a, &b) }

func compareRecords(a, b *Record) int {
	if c := bytes.Compare(a.Trace[:], b.Trace[:]); c != 0 {
		return c
	}
	if c := bytes.Compare(a.Span[:], b.Span[:]); c != 0 {
		return c
	}
	return cmp.Or(cmp.Compare(a.Start, b.Start), cmp.Compare(a.Root, b.Root),
		cmp.Compare(a.Endpoint.Service, b.Endpoint.Service), cmp.Compare(a.Endpoint.Operation, b.Endpoint.Operation),
		cmp.Compare(a.Latency, b.Latency))
}
