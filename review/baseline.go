package review

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"

	"github.com/syncaudit/syncaudit/report"
)

// LoadReport reads a JSON report written by `syncaudit analyze -o json`.
func LoadReport(path string) (*report.Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r report.Report
	if err := json.Unmarshal(b, &r); err != nil {
		var se *json.SyntaxError
		if ok := asSyntax(err, &se); ok {
			return nil, fmt.Errorf("%s: byte offset %d: not a syncaudit JSON report: %w", path, se.Offset, err)
		}
		return nil, fmt.Errorf("%s: not a syncaudit JSON report: %w", path, err)
	}
	if r.SchemaVersion != report.SchemaVersion {
		return nil, fmt.Errorf("%s: schemaVersion %d, this syncaudit reads %d", path, r.SchemaVersion, report.SchemaVersion)
	}
	return &r, nil
}

func asSyntax(err error, se **json.SyntaxError) bool {
	s, ok := err.(*json.SyntaxError)
	if ok {
		*se = s
	}
	return ok
}

func changePct(before, after float64) float64 {
	if before == 0 {
		return 0
	}
	return math.Round(10000*(after-before)/before) / 100
}

// EndpointChanges pairs the endpoints of two reports.
func EndpointChanges(before, after []report.Endpoint) []report.EndpointChange {
	type key struct{ s, o string }
	b := map[key]report.Endpoint{}
	for _, e := range before {
		b[key{e.Service, e.Operation}] = e
	}
	a := map[key]report.Endpoint{}
	for _, e := range after {
		a[key{e.Service, e.Operation}] = e
	}
	keys := map[key]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	out := []report.EndpointChange{}
	for k := range keys {
		eb, ea := b[k], a[k]
		c := report.EndpointChange{Endpoint: report.Ref{Service: k.s, Operation: k.o},
			BeforeTraces: eb.Traces, AfterTraces: ea.Traces, BeforeMs: eb.LatencyMs, AfterMs: ea.LatencyMs}
		if eb.Traces > 0 && ea.Traces > 0 {
			c.ChangePct = report.Percentiles{
				P50: changePct(eb.LatencyMs.P50, ea.LatencyMs.P50), P95: changePct(eb.LatencyMs.P95, ea.LatencyMs.P95),
				P99: changePct(eb.LatencyMs.P99, ea.LatencyMs.P99), Max: changePct(eb.LatencyMs.Max, ea.LatencyMs.Max)}
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(x, y report.EndpointChange) int {
		return cmp.Or(cmp.Compare(x.Endpoint.Service, y.Endpoint.Service), cmp.Compare(x.Endpoint.Operation, y.Endpoint.Operation))
	})
	return out
}

func keyString(k report.CandidateKey) string {
	return fmt.Sprintf("%s %s → %s %s (endpoint %s %s)", k.Action, k.Caller.Service, k.Callee.Service, k.Callee.Operation, k.Endpoint.Service, k.Endpoint.Operation)
}

func compareCandidateKeys(a, b report.CandidateKey) int {
	return cmp.Compare(keyString(a), keyString(b))
}

// Diff compares rep with an earlier report. A change counts as a
// regression or an improvement when it exceeds tolerancePct percent: an
// endpoint's p95 latency or a candidate's p95 saving growing (regression)
// or shrinking (improvement); a new recommended candidate is a regression, a
// resolved one an improvement.
func Diff(file string, base, rep *report.Report, tolerancePct float64) *report.BaselineDiff {
	d := &report.BaselineDiff{File: file, TolerancePct: tolerancePct, NewCandidates: []report.CandidateKey{},
		Resolved: []report.CandidateKey{}, Savings: []report.SavingsChange{}, Regressions: []string{}, Improvements: []string{}}
	d.Endpoints = EndpointChanges(base.Endpoints, rep.Endpoints)
	for _, c := range d.Endpoints {
		name := c.Endpoint.Service + " " + c.Endpoint.Operation
		switch {
		case c.BeforeTraces == 0:
			d.Improvements = append(d.Improvements, fmt.Sprintf("new endpoint %s (p95 %.1fms)", name, c.AfterMs.P95))
		case c.AfterTraces == 0:
			d.Improvements = append(d.Improvements, fmt.Sprintf("endpoint %s no longer seen", name))
		case c.ChangePct.P95 > tolerancePct:
			d.Regressions = append(d.Regressions, fmt.Sprintf("%s latency p95 %.1fms → %.1fms (+%.1f%%)", name, c.BeforeMs.P95, c.AfterMs.P95, c.ChangePct.P95))
		case c.ChangePct.P95 < -tolerancePct:
			d.Improvements = append(d.Improvements, fmt.Sprintf("%s latency p95 %.1fms → %.1fms (%.1f%%)", name, c.BeforeMs.P95, c.AfterMs.P95, c.ChangePct.P95))
		}
	}
	rec := func(r *report.Report) map[report.CandidateKey]report.Candidate {
		m := map[report.CandidateKey]report.Candidate{}
		for _, c := range r.Candidates {
			if c.Recommended {
				m[c.Key()] = c
			}
		}
		return m
	}
	b, a := rec(base), rec(rep)
	for k, c := range a {
		old, ok := b[k]
		if !ok {
			d.NewCandidates = append(d.NewCandidates, k)
			continue
		}
		if changePct(old.SavingsMs.P95, c.SavingsMs.P95) != 0 {
			d.Savings = append(d.Savings, report.SavingsChange{Candidate: k, BeforeP95Ms: old.SavingsMs.P95, AfterP95Ms: c.SavingsMs.P95})
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			d.Resolved = append(d.Resolved, k)
		}
	}
	slices.SortFunc(d.NewCandidates, compareCandidateKeys)
	slices.SortFunc(d.Resolved, compareCandidateKeys)
	slices.SortFunc(d.Savings, func(x, y report.SavingsChange) int { return compareCandidateKeys(x.Candidate, y.Candidate) })
	for _, k := range d.NewCandidates {
		d.Regressions = append(d.Regressions, "new candidate: "+keyString(k))
	}
	for _, k := range d.Resolved {
		d.Improvements = append(d.Improvements, "resolved: "+keyString(k))
	}
	for _, s := range d.Savings {
		pct := changePct(s.BeforeP95Ms, s.AfterP95Ms)
		msg := fmt.Sprintf("%s: projected saving p95 %.1fms → %.1fms (%+.1f%%)", keyString(s.Candidate), s.BeforeP95Ms, s.AfterP95Ms, pct)
		if pct > tolerancePct {
			d.Regressions = append(d.Regressions, "grown "+msg)
		} else if pct < -tolerancePct {
			d.Improvements = append(d.Improvements, "shrunk "+msg)
		}
	}
	return d
}
