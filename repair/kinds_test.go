package repair_test

import (
	"testing"

	"github.com/syncaudit/syncaudit/repair"
	"github.com/syncaudit/syncaudit/trace"
)

func attr(k trace.AttrKey, v string) func(*trace.Span) {
	return func(s *trace.Span) { s.Attrs.Set(k, v, true) }
}

// TestInferKinds checks each rule of InferKinds on a hand-built tree, and
// that kinds given in the input are never changed.
func TestInferKinds(t *testing.T) {
	u := trace.KindUnspecified
	tests := []struct {
		name  string
		spans []trace.Span
		want  map[string]trace.Kind // span name → kind after the step
	}{{
		name: "gateway → client span → server on another service (TrainTicket)",
		spans: []trace.Span{
			sp(1, 0, "gw", u, 0, 100, named("/*")),
			sp(2, 1, "gw", u, 1, 99, named("FilteringWebHandler.handle")),
			sp(3, 1, "gw", u, 2, 98, named("HTTP GET")),
			sp(4, 3, "order", u, 5, 95, named("/api/v1/order")),
			sp(5, 4, "order", u, 6, 94, named("OrderController.get")),
			sp(6, 5, "order", u, 7, 20, named("SELECT ts.orders")),
		},
		want: map[string]trace.Kind{
			"/*": u, "FilteringWebHandler.handle": u, "HTTP GET": trace.KindClient,
			"/api/v1/order": trace.KindServer, "OrderController.get": u, "SELECT ts.orders": u,
		},
	}, {
		name: "a server calling another service directly stays a server; the root stays unspecified",
		spans: []trace.Span{
			sp(1, 0, "a", u, 0, 100, named("root")),
			sp(2, 1, "b", u, 10, 90, named("b.handle")),
			sp(3, 2, "c", u, 20, 80, named("c.handle")),
		},
		want: map[string]trace.Kind{"root": u, "b.handle": trace.KindServer, "c.handle": trace.KindServer},
	}, {
		name: "messaging attributes and FOLLOWS_FROM make a producer and consumers",
		spans: []trace.Span{
			sp(1, 0, "a", u, 0, 100, named("root")),
			sp(2, 1, "a", u, 10, 12, named("send"), attr(trace.AttrMessagingSystem, "kafka")),
			sp(3, 2, "b", u, 30, 60, named("receive")),
			sp(4, 1, "a", u, 20, 22, named("enqueue")),
			sp(5, 0, "c", u, 40, 50, named("follow"), ref(trace.RefFollowsFrom, 4)),
		},
		want: map[string]trace.Kind{
			"root": u, "send": trace.KindProducer, "receive": trace.KindConsumer,
			"enqueue": trace.KindProducer, "follow": trace.KindConsumer,
		},
	}, {
		name: "leaves naming a peer are clients; a publishing leaf a producer; others stay",
		spans: []trace.Span{
			sp(1, 0, "a", u, 0, 100, named("root")),
			sp(2, 1, "a", u, 10, 20, named("query"), attr(trace.AttrDBSystem, "postgresql")),
			sp(3, 1, "a", u, 20, 30, named("publish"), attr(trace.AttrMessagingSystem, "nats"), attr(trace.AttrMessagingOperation, "publish")),
			sp(4, 1, "a", u, 30, 40, named("compute")),
		},
		want: map[string]trace.Kind{"root": u, "query": trace.KindClient, "publish": trace.KindProducer, "compute": u},
	}, {
		name: "kinds given are kept; only the missing half is inferred",
		spans: []trace.Span{
			sp(1, 0, "a", trace.KindServer, 0, 100, named("root")),
			sp(2, 1, "a", trace.KindInternal, 10, 90, named("wrapper")),
			sp(3, 2, "b", u, 20, 80, named("b.handle")),
			sp(4, 1, "a", u, 91, 99, named("call")),
			sp(5, 4, "c", trace.KindServer, 92, 98, named("c.handle")),
		},
		want: map[string]trace.Kind{
			"root": trace.KindServer, "wrapper": trace.KindInternal, "b.handle": trace.KindServer,
			"call": trace.KindClient, "c.handle": trace.KindServer,
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := build(tc.spans...)
			orig := map[string]trace.Kind{}
			for _, s := range tr.Spans {
				orig[s.Name] = s.Kind
			}
			repair.Standard(repair.DefaultOptions()).Adjust(tr)
			checkInvariants(t, tr)
			for name, k := range tc.want {
				s := tr.Spans[find(t, tr, name)]
				if s.Kind != k {
					t.Errorf("%s: kind %v, want %v\n%s", name, s.Kind, k, dump(tr))
				}
				inferred := s.Warnings.Has(trace.WarnKindInferred)
				if want := orig[name] == trace.KindUnspecified && k != trace.KindUnspecified; inferred != want {
					t.Errorf("%s: kind-inferred warning %v, want %v", name, inferred, want)
				}
			}
		})
	}
}

// TestInferKindsEnablesSkew: without kinds, a server span on another host
// 3 ms behind its caller is moved into the caller's window (as with kinds)
// instead of being left to look as if it outlived it.
func TestInferKindsEnablesSkew(t *testing.T) {
	u := trace.KindUnspecified
	tr := build(
		sp(1, 0, "a", u, 0, 100, named("root")),
		sp(2, 1, "a", u, 10, 50, named("call")),
		sp(3, 2, "b", u, 13, 53, named("handle")), // ends 3 ms after its caller
	)
	repair.Standard(repair.DefaultOptions()).Adjust(tr)
	h := tr.Spans[find(t, tr, "handle")]
	if h.Async() {
		t.Errorf("handle marked async:\n%s", dump(tr))
	}
	if !h.Warnings.Has(trace.WarnClockSkew) || h.Start != 10*ms || h.End != 50*ms {
		t.Errorf("handle [%d,%d] warnings %v, want moved to [10,50] ms with clock-skew:\n%s", h.Start/ms, h.End/ms, h.Warnings.Names(), dump(tr))
	}
}
