package audit

import (
	"math"
	"slices"
	"strings"

	"github.com/syncaudit/syncaudit/calls"
	"github.com/syncaudit/syncaudit/report"
	"github.com/syncaudit/syncaudit/stats"
)

// callTiming is what the event contracts need of one call group: when
// each call started, and the callee's time on it.
type callTiming struct {
	perMinute map[int64]int64 // calls by the Unix minute they started in
	serve     []int64
}

// minuteOf is the Unix minute of a time in Unix nanoseconds (floor, so
// that times before 1970 fall in the minute they belong to).
func minuteOf(ns int64) int64 {
	const minute = int64(60e9)
	m := ns / minute
	if ns%minute < 0 {
		m--
	}
	return m
}

// events proposes an event for every recommended make-async candidate:
// its name, channel and payload, and the traffic it would carry measured
// from the calls it replaces (see report.Event).
func events(cands []report.Candidate, timings map[calls.Key]callTiming) []report.Event {
	var out []report.Event
	for _, c := range cands {
		if c.Action != report.MakeAsync || !c.Recommended {
			continue
		}
		k := calls.Key{Endpoint: calls.Endpoint(c.Endpoint), Caller: calls.Endpoint(c.Caller), Callee: calls.Endpoint(c.Callee)}
		tm := timings[k]
		params := routeParams(c.Callee.Operation)
		ev := report.Event{
			Candidate: c.Rank,
			Name:      slug(c.Caller.Service) + "." + slug(lastSegment(c.Endpoint.Operation)) + "." + slug(c.Callee.Service) + "-requested",
			Channel:   slug(c.Callee.Service) + "." + slug(lastSegment(c.Callee.Operation)),
			Producer:  c.Caller,
			Consumer:  c.Callee,
		}
		for _, p := range params {
			ev.Payload = append(ev.Payload, report.EventField{Name: p, Type: "string"})
		}
		ev.Payload = append(ev.Payload,
			report.EventField{Name: "eventId", Type: "string"},
			report.EventField{Name: "occurredAt", Type: "date-time"},
			report.EventField{Name: "traceparent", Type: "string"})
		ev.IdempotencyKey = "eventId (the producer sets it once; a retried publish reuses it)"
		if len(params) > 0 {
			ev.IdempotencyKey = strings.Join(params, " + ") + " + eventId"
		}
		ev.Rate = arrivalRate(tm.perMinute)
		d := stats.Of(tm.serve) // sorts serve in place: it is used once, here
		ev.ProcessingMs = report.LatencyAfter{P50: ms(d.P50), P95: ms(d.P95), P99: ms(d.P99)}
		ev.Consumers = max(1, int(math.Ceil(ev.Rate.Peak*ev.ProcessingMs.P95/1000-1e-9)))
		out = append(out, ev)
	}
	return out
}

// arrivalRate takes the calls counted per minute, fills the minutes
// between the first and the last with zeros, and returns the median and
// the busiest minute's rate in events per second.
func arrivalRate(perMinute map[int64]int64) report.EventRate {
	if len(perMinute) == 0 {
		return report.EventRate{}
	}
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for m := range perMinute {
		lo, hi = min(lo, m), max(hi, m)
	}
	n := hi - lo + 1
	if n > 1<<20 { // over two years of minutes: count only the busy ones
		n = int64(len(perMinute))
	}
	counts := make([]int64, 0, n)
	for _, c := range perMinute {
		counts = append(counts, c)
	}
	for int64(len(counts)) < n {
		counts = append(counts, 0) // the quiet minutes in between
	}
	slices.Sort(counts)
	return report.EventRate{P50: float64(stats.Percentile(counts, 50)) / 60, Peak: float64(counts[len(counts)-1]) / 60}
}

// routeParams returns the {parameters} of a route template, in order.
func routeParams(op string) []string {
	var out []string
	for rest := op; ; {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			return out
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return out
		}
		if p := strings.TrimSuffix(rest[i+1:i+j], "+"); p != "" && !slices.Contains(out, p) {
			out = append(out, p)
		}
		rest = rest[i+j+1:]
	}
}

// lastSegment is the last path segment of an operation that is not a
// parameter ("POST /api/orders/{id}/confirm" → "confirm"), or the
// operation's last word; a catch-all endpoint ("/* → svc /a/b") uses what
// follows the arrow.
func lastSegment(op string) string {
	if _, after, ok := strings.Cut(op, "→"); ok {
		op = after
	}
	fields := strings.FieldsFunc(op, func(r rune) bool { return r == '/' || r == ' ' || r == '.' })
	for i := len(fields) - 1; i >= 0; i-- {
		f := fields[i]
		if strings.HasPrefix(f, "{") || f == "*" || f == "**" {
			continue
		}
		if _, isMethod := map[string]bool{"GET": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true}[strings.ToUpper(f)]; isMethod && i == 0 {
			continue
		}
		return f
	}
	return "call"
}

// slug lower-cases s and keeps letters and digits, turning every other run
// of characters into one "-" ("Send Receipt" → "send-receipt").
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if 'a' <= r && r <= 'z' || '0' <= r && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
	}
	if b.Len() == 0 {
		return "x"
	}
	return b.String()
}

// resilience sets each plan entry's Failures from its endpoint's failed
// requests and those the plan avoids (see groupAcc.avoidable).
func resilience(plan []report.PlanEndpoint, endpoints []report.Endpoint, avoided map[report.Ref]int) {
	byRef := make(map[report.Ref]report.Endpoint, len(endpoints))
	for _, e := range endpoints {
		byRef[report.Ref{Service: e.Service, Operation: e.Operation}] = e
	}
	for i := range plan {
		e, ok := byRef[plan[i].Endpoint]
		if !ok || e.Traces == 0 {
			continue
		}
		f := &report.PlanFailures{Failed: e.Errors, Avoided: min(avoided[plan[i].Endpoint], e.Errors)}
		if f.Failed > 0 {
			f.AvoidedShare = float64(f.Avoided) / float64(f.Failed)
		}
		f.ErrorRateBefore = float64(f.Failed) / float64(e.Traces)
		f.ErrorRateAfter = float64(f.Failed-f.Avoided) / float64(e.Traces)
		plan[i].Failures = f
	}
}
