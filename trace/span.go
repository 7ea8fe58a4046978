package trace

// Kind is the span kind, with OTLP's numbering.
type Kind uint8

// Span kinds (OTLP numbering; Jaeger's span.kind tag and Zipkin's kind map onto them).
const (
	KindUnspecified Kind = 0
	KindInternal    Kind = 1
	KindServer      Kind = 2
	KindClient      Kind = 3
	KindProducer    Kind = 4
	KindConsumer    Kind = 5
)

var kindNames = [...]string{"unspecified", "internal", "server", "client", "producer", "consumer"}

// String returns the lower-case kind name ("server", "client", ...).
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unspecified"
}

// ParseKind maps a kind name in any common spelling ("server", "SERVER",
// "SPAN_KIND_SERVER") to a Kind; unknown names give KindUnspecified.
func ParseKind(s string) Kind {
	switch s {
	case "internal", "INTERNAL", "SPAN_KIND_INTERNAL", "Internal":
		return KindInternal
	case "server", "SERVER", "SPAN_KIND_SERVER", "Server":
		return KindServer
	case "client", "CLIENT", "SPAN_KIND_CLIENT", "Client":
		return KindClient
	case "producer", "PRODUCER", "SPAN_KIND_PRODUCER", "Producer":
		return KindProducer
	case "consumer", "CONSUMER", "SPAN_KIND_CONSUMER", "Consumer":
		return KindConsumer
	}
	return KindUnspecified
}

// Status is the span's outcome.
type Status uint8

// Span statuses (OTLP numbering). Jaeger's and Zipkin's error=true tag maps to StatusError.
const (
	StatusUnset Status = 0
	StatusOK    Status = 1
	StatusError Status = 2
)

// RefType is how a span relates to another span.
type RefType uint8

// Reference types. RefChildOf is a synchronous parent (OTLP parentSpanId,
// Jaeger CHILD_OF, Zipkin parentId); RefFollowsFrom is Jaeger's FOLLOWS_FROM;
// RefLink is an OTLP span link.
const (
	RefNone RefType = iota
	RefChildOf
	RefFollowsFrom
	RefLink
)

var refNames = [...]string{"", "child_of", "follows_from", "link"}

// String returns "child_of", "follows_from", "link" or "".
func (r RefType) String() string {
	if int(r) < len(refNames) {
		return refNames[r]
	}
	return ""
}

// Ref is a reference from a span to another span, as written in the input.
type Ref struct {
	TraceID TraceID
	SpanID  SpanID
	Type    RefType
}

// Flags are boolean facts about a span set by decoders and repair steps.
type Flags uint8

const (
	// FlagAsync marks a span the request did not wait for: a CONSUMER under a
	// PRODUCER, a FOLLOWS_FROM or linked child, or a fire-and-forget child that
	// outlives its parent. Async spans are never on the critical path.
	FlagAsync Flags = 1 << iota
	// FlagShared marks a Zipkin server half that shared its span ID with the
	// client half (Zipkin "shared": true).
	FlagShared
	// FlagWrapper marks an instrumentation span of the caller's own service
	// that waits on a sibling call it encloses or nearly coincides with
	// (Spring Cloud Gateway's FilteringWebHandler.handle beside its HTTP
	// client span): the call, not the wrapper, is what the parent waits
	// for, so the wrapper never gates its parent on its own
	// (repair.MarkWrappers).
	FlagWrapper
)

// Span is the compact, format-independent span every decoder produces.
// It is kept small (about 150 bytes plus attributes): millions are held at once.
type Span struct {
	TraceID TraceID
	SpanID  SpanID
	// ParentID is the parent span: set by OTLP and Zipkin decoders directly,
	// and chosen from Refs by the repair step for Jaeger input. Zero for roots.
	ParentID SpanID
	// Refs holds references other than a plain OTLP/Zipkin parent: all Jaeger
	// references and all OTLP links. Nil for most spans.
	Refs []Ref
	// Service is service.name (OTLP resource) or the Jaeger process serviceName.
	Service string
	// Name is the operation name.
	Name string
	// Start and End are Unix nanoseconds.
	Start, End int64
	Attrs      Attrs
	Kind       Kind
	Status     Status
	// ParentRef is the relation to ParentID (RefChildOf by default).
	ParentRef RefType
	Flags     Flags
	// Warnings lists what repair steps did to this span.
	Warnings Warning
}

// Duration returns End-Start in nanoseconds.
func (s *Span) Duration() int64 { return s.End - s.Start }

// Async reports whether the span is marked FlagAsync.
func (s *Span) Async() bool { return s.Flags&FlagAsync != 0 }

// Gates reports whether the span's end can hold up its parent: it is
// neither async nor a wrapper waiting on a sibling call (FlagWrapper).
// The critical path and the what-if model schedule only such spans.
func (s *Span) Gates() bool { return s.Flags&(FlagAsync|FlagWrapper) == 0 }

// IsError reports whether the span failed: status ERROR, or an HTTP status >= 500.
func (s *Span) IsError() bool {
	if s.Status == StatusError {
		return true
	}
	if st := s.Attrs.Get(AttrHTTPStatus); len(st) == 3 && st[0] == '5' {
		return true
	}
	return false
}
