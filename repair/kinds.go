package repair

import (
	"strings"

	"github.com/syncaudit/syncaudit/trace"
)

// InferKinds returns an Adjuster that gives a span kind to the spans that
// have none (trace.KindUnspecified), from the service boundaries of the
// tree: CSV span tables, converted datasets and some Zipkin and Jaeger
// sources carry no kinds, and without them clock-skew correction never
// runs and calls are not recognised as calls.
//
// The rules, applied to spans whose kind is unspecified and judged on the
// kinds as read (an inferred kind never feeds another inference):
//
//   - A span whose parent is on another service and related by CHILD_OF
//     is the receiving half of a call: SERVER, or CONSUMER when it or
//     its parent carries messaging attributes, its parent is a PRODUCER,
//     or its relation is FOLLOWS_FROM or a link (a message, not a wait).
//   - A span with a child it calls that way is the calling half: CLIENT,
//     or PRODUCER when that child is a CONSUMER (by kind or by the rule
//     above) or the span carries messaging attributes. Only when the span
//     is not itself the receiving half of a call (a root, or a span whose
//     parent is on its own service): a span that both receives a call and
//     calls another service directly keeps the SERVER role, since a span
//     has one kind. Roots are left unspecified.
//   - A leaf with messaging attributes whose operation publishes (publish,
//     send, create) is a PRODUCER, one that names a peer (db.system,
//     rpc.system, peer.service, server.address) a CLIENT: a call to a
//     dependency that is not traced itself.
//
// Every span given a kind gets trace.WarnKindInferred, so every inference
// is counted in the repair warnings. Assumes Parent is set and acyclic
// (ChooseParents, BreakCycles). O(n).
func InferKinds() Adjuster {
	return Func(inferKinds)
}

// role bits of a span, from the kinds as read.
const (
	roleReceives  uint8 = 1 << iota // its parent on another service calls it
	roleConsumes                    // … by a message
	roleCalls                       // it has a child on another service it calls
	roleProduces                    // … by a message
	roleHasChild                    // it has any child
	roleUnspecify                   // its kind was unspecified as read
)

func inferKinds(t *trace.Trace) {
	n := len(t.Spans)
	if n == 0 {
		return
	}
	fixParent(t)
	var roles []uint8
	for i := range t.Spans {
		if t.Spans[i].Kind == trace.KindUnspecified {
			if roles == nil {
				roles = make([]uint8, n)
			}
			roles[i] |= roleUnspecify
		}
	}
	if roles == nil {
		return // every span has a kind: nothing to infer
	}
	for i, p := range t.Parent {
		if p < 0 || int(p) == i {
			continue
		}
		s, ps := &t.Spans[i], &t.Spans[p]
		roles[p] |= roleHasChild
		if s.Service == ps.Service {
			continue
		}
		message := s.Kind == trace.KindConsumer || ps.Kind == trace.KindProducer ||
			s.ParentRef == trace.RefFollowsFrom || s.ParentRef == trace.RefLink ||
			(s.Kind == trace.KindUnspecified && messaging(s)) ||
			(ps.Kind == trace.KindUnspecified && messaging(ps))
		if s.Kind == trace.KindUnspecified || s.Kind == trace.KindServer || s.Kind == trace.KindConsumer {
			roles[i] |= roleReceives
			roles[p] |= roleCalls
			if message {
				roles[i] |= roleConsumes
				roles[p] |= roleProduces
			}
		}
	}
	for i := range t.Spans {
		r := roles[i]
		if r&roleUnspecify == 0 {
			continue
		}
		s := &t.Spans[i]
		p := t.Parent[i]
		k := trace.KindUnspecified
		switch {
		case r&roleReceives != 0 && r&roleConsumes != 0:
			k = trace.KindConsumer
		case r&roleReceives != 0:
			k = trace.KindServer
		case p < 0 || int(p) == i:
			// a root: the request's entry, whatever it calls
		case r&roleCalls != 0 && (r&roleProduces != 0 || messaging(s)):
			k = trace.KindProducer
		case r&roleCalls != 0:
			k = trace.KindClient
		case r&roleHasChild == 0 && publishes(s):
			k = trace.KindProducer
		case r&roleHasChild == 0 && namesPeer(s):
			k = trace.KindClient
		}
		if k != trace.KindUnspecified {
			s.Kind = k
			s.Warnings |= trace.WarnKindInferred
		}
	}
}

// messaging reports whether s carries messaging attributes.
func messaging(s *trace.Span) bool {
	return s.Attrs.Get(trace.AttrMessagingSystem) != "" || s.Attrs.Get(trace.AttrMessagingDestination) != ""
}

// publishes reports whether s's messaging attributes say it sends a message.
func publishes(s *trace.Span) bool {
	if !messaging(s) {
		return false
	}
	switch strings.ToLower(s.Attrs.Get(trace.AttrMessagingOperation)) {
	case "publish", "send", "create":
		return true
	}
	return false
}

// namesPeer reports whether s's attributes name a remote peer it called.
func namesPeer(s *trace.Span) bool {
	for _, k := range [...]trace.AttrKey{trace.AttrDBSystem, trace.AttrRPCSystem, trace.AttrPeerService, trace.AttrServerAddress} {
		if s.Attrs.Get(k) != "" {
			return true
		}
	}
	return false
}
