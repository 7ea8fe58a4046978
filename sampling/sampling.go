// Package sampling reads, from a trace's root span, the probability it
// was sampled with, and gives its adjusted count: how many requests of
// the real traffic the sampled trace stands for (1/probability).
//
// Input: the kept attributes of a root span (trace.Attrs): the W3C
// tracestate (OTLP's span traceState, Jaeger's w3c.tracestate tag) and
// Jaeger's sampler.type and sampler.param tags. Output: an Adjusted count
// and the Source it came from, or unknown.
//
//	a := sampling.Of(root.Attrs) // tracestate "ot=th:c" → Adjusted 4, Source "tracestate th"
//
// Rules:
//
//   - OpenTelemetry's threshold (tracestate "ot=th:T", T 1–14 hex digits,
//     trailing zeros omitted): T padded with zeros to 14 hex digits is the
//     56-bit rejection threshold, the probability (2^56−T)/2^56 and the
//     adjusted count its inverse; "th:0" is probability 1.
//   - The older OpenTelemetry p-value ("ot=p:N", 0 ≤ N ≤ 62): probability
//     2^−N; "p:63" (not sampled by probability) and out-of-range values
//     are unknown.
//   - Jaeger: sampler.type "probabilistic" with sampler.param p in (0, 1]
//     gives 1/p; "const" with param 1 (or true) gives 1. Rate-limiting,
//     lower-bound and other samplers keep no probability: unknown.
//
// The tracestate wins over Jaeger's tags; anything malformed is unknown,
// never an error: sampling only scales totals.
package sampling

import (
	"math"
	"strconv"
	"strings"

	"github.com/syncaudit/syncaudit/trace"
)

// Sources of a known adjusted count.
const (
	SourceThreshold     = "tracestate th"
	SourcePValue        = "tracestate p"
	SourceProbabilistic = "jaeger probabilistic"
	SourceConst         = "jaeger const"
)

// Weight is a trace's adjusted count and where it came from.
type Weight struct {
	// Adjusted is the number of requests the sampled trace stands for
	// (≥ 1), or 0 when unknown.
	Adjusted float64
	// Source is one of the Source constants ("" when unknown).
	Source string
}

// Known reports whether the adjusted count is known.
func (w Weight) Known() bool { return w.Adjusted > 0 }

// Of returns the weight of a trace from its root span's attributes.
func Of(a trace.Attrs) Weight {
	if w := FromTraceState(a.Get(trace.AttrTraceState)); w.Known() {
		return w
	}
	return FromJaeger(a.Get(trace.AttrSamplerType), a.Get(trace.AttrSamplerParam))
}

// FromTraceState returns the weight a W3C tracestate header value gives
// (its "ot" member's th or p), or an unknown one.
func FromTraceState(ts string) Weight {
	for ts != "" {
		var member string
		member, ts, _ = strings.Cut(ts, ",")
		key, value, ok := strings.Cut(strings.TrimSpace(member), "=")
		if !ok || key != "ot" {
			continue
		}
		for value != "" {
			var sub string
			sub, value, _ = strings.Cut(value, ";")
			k, v, ok := strings.Cut(sub, ":")
			if !ok {
				continue
			}
			switch k {
			case "th":
				if a, ok := threshold(v); ok {
					return Weight{Adjusted: a, Source: SourceThreshold}
				}
				return Weight{}
			case "p":
				n, err := strconv.Atoi(v)
				if err != nil || n < 0 || n > 62 {
					return Weight{}
				}
				return Weight{Adjusted: math.Ldexp(1, n), Source: SourcePValue}
			}
		}
		return Weight{}
	}
	return Weight{}
}

// threshold returns the adjusted count of an OpenTelemetry th value.
func threshold(v string) (float64, bool) {
	if len(v) == 0 || len(v) > 14 {
		return 0, false
	}
	t, err := strconv.ParseUint(v, 16, 64)
	if err != nil {
		return 0, false
	}
	t <<= 4 * uint(14-len(v))
	const max = 1 << 56
	if t >= max {
		return 0, false
	}
	return float64(max) / float64(max-t), true
}

// FromJaeger returns the weight Jaeger's sampler tags give, or an unknown
// one.
func FromJaeger(typ, param string) Weight {
	switch typ {
	case "probabilistic":
		p, err := strconv.ParseFloat(param, 64)
		if err != nil || !(p > 0 && p <= 1) {
			return Weight{}
		}
		return Weight{Adjusted: 1 / p, Source: SourceProbabilistic}
	case "const":
		if param == "1" || param == "true" || param == "1.0" {
			return Weight{Adjusted: 1, Source: SourceConst}
		}
	}
	return Weight{}
}
