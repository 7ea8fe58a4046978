package repair_test

import (
	"testing"

	"github.com/syncaudit/syncaudit/repair"
	"github.com/syncaudit/syncaudit/trace"
)

// TestMarkWrappers checks which siblings of a call are wrappers waiting on
// it, on hand-built trees.
func TestMarkWrappers(t *testing.T) {
	u, in := trace.KindUnspecified, trace.KindInternal
	tests := []struct {
		name     string
		spans    []trace.Span
		wrappers []string // names expected to be marked
	}{{
		name: "Spring Cloud Gateway: the handler ends just before the client span (96% of the call)",
		spans: []trace.Span{
			sp(1, 0, "gw", trace.KindServer, 0, 100, named("/*")),
			sp(2, 1, "gw", u, 1, 96, named("FilteringWebHandler.handle")),
			sp(3, 1, "gw", trace.KindClient, 2, 99, named("HTTP GET")),
			sp(4, 3, "order", trace.KindServer, 3, 98, named("order")),
		},
		wrappers: []string{"FilteringWebHandler.handle"},
	}, {
		name: "an internal span enclosing a call to another service directly",
		spans: []trace.Span{
			sp(1, 0, "a", trace.KindServer, 0, 100, named("root")),
			sp(2, 1, "a", in, 10, 90, named("handle")),
			sp(3, 1, "b", trace.KindServer, 20, 60, named("b")),
		},
		wrappers: []string{"handle"},
	}, {
		name: "overlapping 80% of the call: own work, not a wrapper",
		spans: []trace.Span{
			sp(1, 0, "a", trace.KindServer, 0, 100, named("root")),
			sp(2, 1, "a", in, 0, 60, named("compute")),
			sp(3, 1, "a", trace.KindClient, 20, 70, named("call")),
		},
	}, {
		name: "a wrapper with children, another service's span, a client span: none is a wrapper",
		spans: []trace.Span{
			sp(1, 0, "a", trace.KindServer, 0, 100, named("root")),
			sp(2, 1, "a", in, 10, 90, named("parent-like")),
			sp(3, 2, "a", in, 20, 30, named("inner")),
			sp(4, 1, "a", trace.KindClient, 12, 88, named("call")),
			sp(5, 1, "a", trace.KindClient, 11, 89, named("sdk-wrapper")),
			sp(6, 1, "c", trace.KindServer, 13, 87, named("c")),
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := build(tc.spans...)
			repair.Standard(repair.DefaultOptions()).Adjust(tr)
			checkInvariants(t, tr)
			want := map[string]bool{}
			for _, n := range tc.wrappers {
				want[n] = true
			}
			for i := range tr.Spans {
				s := &tr.Spans[i]
				got := s.Flags&trace.FlagWrapper != 0
				if got != want[s.Name] || got != s.Warnings.Has(trace.WarnWrapper) || (got && s.Gates()) {
					t.Errorf("%s: wrapper %v (warning %v, gates %v), want %v\n%s", s.Name, got,
						s.Warnings.Has(trace.WarnWrapper), s.Gates(), want[s.Name], dump(tr))
				}
			}
		})
	}
	// --jaeger-compat reproduces the peers, which have no such rule.
	tr := build(tests[0].spans...)
	o := repair.DefaultOptions()
	o.JaegerCompat = true
	repair.Standard(o).Adjust(tr)
	for _, s := range tr.Spans {
		if s.Flags&trace.FlagWrapper != 0 {
			t.Errorf("compat: %s marked a wrapper", s.Name)
		}
	}
}
