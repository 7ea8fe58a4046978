package sampling

import (
	"math"
	"testing"

	"github.com/syncaudit/syncaudit/trace"
)

func TestOf(t *testing.T) {
	attrs := func(kv ...string) trace.Attrs {
		var a trace.Attrs
		for i := 0; i < len(kv); i += 2 {
			k, _ := trace.KeyOf(kv[i])
			a.Set(k, kv[i+1], true)
		}
		return a
	}
	tests := []struct {
		name string
		in   trace.Attrs
		want Weight
	}{
		// Thresholds from the OpenTelemetry specification's examples:
		// th:8 is 50%, th:c 25%, th:f 1/16, th:0 100%, th:fd70a4 1%
		// (rounded), th:ffff 1/65536.
		{"th:8", attrs("w3c.tracestate", "ot=th:8"), Weight{2, SourceThreshold}},
		{"th:c", attrs("w3c.tracestate", "ot=th:c"), Weight{4, SourceThreshold}},
		{"th:f", attrs("w3c.tracestate", "ot=th:f"), Weight{16, SourceThreshold}},
		{"th:0", attrs("w3c.tracestate", "ot=th:0"), Weight{1, SourceThreshold}},
		{"th:ffff", attrs("w3c.tracestate", "ot=th:ffff"), Weight{65536, SourceThreshold}},
		{"th with rv, among vendors", attrs("w3c.tracestate", "congo=t61rcWkgMzE, ot=rv:9b8233f7e3a151;th:c"), Weight{4, SourceThreshold}},
		{"p-value", attrs("w3c.tracestate", "ot=p:3"), Weight{8, SourcePValue}},
		{"p:63 is not probabilistic", attrs("w3c.tracestate", "ot=p:63"), Weight{}},
		{"th too long", attrs("w3c.tracestate", "ot=th:123456789abcdef"), Weight{}},
		{"th not hex", attrs("w3c.tracestate", "ot=th:xyz"), Weight{}},
		{"th empty", attrs("w3c.tracestate", "ot=th:"), Weight{}},
		{"another vendor's th", attrs("w3c.tracestate", "vendor=th:8"), Weight{}},
		{"jaeger probabilistic", attrs("sampler.type", "probabilistic", "sampler.param", "0.001"), Weight{1000, SourceProbabilistic}},
		{"jaeger const", attrs("sampler.type", "const", "sampler.param", "true"), Weight{1, SourceConst}},
		{"jaeger const false", attrs("sampler.type", "const", "sampler.param", "false"), Weight{}},
		{"jaeger rate limiting", attrs("sampler.type", "ratelimiting", "sampler.param", "2"), Weight{}},
		{"jaeger lower bound", attrs("sampler.type", "lowerbound", "sampler.param", "0.001"), Weight{}},
		{"jaeger probability 0", attrs("sampler.type", "probabilistic", "sampler.param", "0"), Weight{}},
		{"jaeger probability above 1", attrs("sampler.type", "probabilistic", "sampler.param", "1.5"), Weight{}},
		{"tracestate wins", attrs("w3c.tracestate", "ot=th:8", "sampler.type", "probabilistic", "sampler.param", "0.1"), Weight{2, SourceThreshold}},
		{"bad tracestate falls back to jaeger", attrs("w3c.tracestate", "ot=th:zz", "sampler.type", "probabilistic", "sampler.param", "0.1"), Weight{10, SourceProbabilistic}},
		{"nothing", nil, Weight{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Of(tt.in)
			if got.Source != tt.want.Source || math.Abs(got.Adjusted-tt.want.Adjusted) > 1e-9*tt.want.Adjusted {
				t.Errorf("Of = %+v, want %+v", got, tt.want)
			}
			if got.Known() != (tt.want.Adjusted > 0) {
				t.Errorf("Known = %v", got.Known())
			}
		})
	}
	// th:fd70a4 is the specification's 1% example: adjusted count ~100.
	if a := FromTraceState("ot=th:fd70a4").Adjusted; math.Abs(a-100) > 0.01 {
		t.Errorf("th:fd70a4: adjusted %v, want ~100", a)
	}
}

func FuzzFromTraceState(f *testing.F) {
	for _, s := range []string{"ot=th:8", "a=b,ot=p:3;th:c", "ot=th:", ",,=", "ot=th:fffffffffffffff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		w := FromTraceState(s)
		if w.Known() && (w.Adjusted < 1 || math.IsInf(w.Adjusted, 0) || math.IsNaN(w.Adjusted) || w.Source == "") {
			t.Errorf("%q: %+v", s, w)
		}
	})
}
