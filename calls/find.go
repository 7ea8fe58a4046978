package calls

import (
	"strings"

	"github.com/syncaudit/syncaudit/trace"
)

// Endpoint is one side of a call: a service and one of its operations.
type Endpoint struct {
	Service   string
	Operation string
}

// String returns "service operation".
func (e Endpoint) String() string { return e.Service + " " + e.Operation }

// Protocols of a call (Call.Protocol).
const (
	ProtocolHTTP      = "http"
	ProtocolRPC       = "rpc"
	ProtocolDB        = "db"
	ProtocolMessaging = "messaging"
	ProtocolOther     = "other"
)

// Call is one cross-service call: one RPC, one query, one published message.
type Call struct {
	// Span is the span that identifies the call: the CLIENT or PRODUCER
	// span, or, for a call from an uninstrumented client, the first span of
	// the callee (then Span == Server).
	Span int32
	// Server is the callee's span handling the call (SERVER, CONSUMER or
	// any span of another service), or -1 when the callee is not traced.
	Server int32
	// Caller is the calling service and the operation of its local entry
	// span (the span that handles the request in that service).
	Caller Endpoint
	// Callee is the called service and operation (see Find).
	Callee Endpoint
	// Async is set when the caller did not wait for the callee: the call or
	// server span, or an ancestor of the call span, is marked
	// trace.FlagAsync, the call is a PRODUCER span, or the server a
	// CONSUMER span.
	Async bool
	// Failed is set when the call span or the server span is an error
	// (trace.Span.IsError).
	Failed bool
	// Write is set for calls that change state: HTTP POST, PUT, PATCH and
	// DELETE; database INSERT, UPDATE, DELETE, UPSERT, MERGE and REPLACE
	// (and document-store, DynamoDB and Redis equivalents such as insertOne,
	// PutItem or HSET);
	// message publishing (PRODUCER spans, messaging.operation publish, send
	// or create).
	Write bool
	// Protocol is ProtocolHTTP, ProtocolRPC, ProtocolDB, ProtocolMessaging
	// or ProtocolOther, from the call span's attributes and kind, else the
	// server span's.
	Protocol string
}

// Find returns the cross-service calls of t, sorted by Span. t must be
// linked (trace.Trace.Link); Find returns nil for an unlinked trace (no
// Roots) or one whose Parent and Spans differ in length.
//
// A call is identified by:
//
//   - a CLIENT or PRODUCER span. Its Server is its first child of kind
//     SERVER or CONSUMER (of any service: a service calling itself is still
//     a call), else its first child of another service that is not itself a
//     CLIENT or PRODUCER span, else -1 (the callee is not traced). One RPC
//     is one call, so the server child is not a call of its own. A CLIENT
//     or PRODUCER span with no server child but with a CLIENT or PRODUCER
//     child of the same service is a wrapper around the real call (an SDK
//     span around its HTTP span, a retry loop around its attempts) and is
//     not a call itself; its children are.
//   - a further server child of a CLIENT or PRODUCER span (a second SERVER
//     span of a retried request, a second consumer group receiving the same
//     message): a call of the same client, identified by the server span
//     (Span == Server), with the client's caller, protocol and async-ness.
//   - a span of another service than its parent, when the parent is not a
//     CLIENT or PRODUCER span: a call from an uninstrumented client, with
//     Span == Server.
//
// The callee is the server span's service and UsefulName (completed with
// the client's path when the server's name is a bare HTTP method without
// one). When the callee is not traced, the service is named from the client
// span's attributes (peer.service; "<db.system>/<db.namespace>";
// "<messaging.system>:<destination>"; server.address; rpc.service; see
// Unknown) and the operation is the client span's UsefulName.
//
// The caller is the call span's service (the parent's, for a call from an
// uninstrumented client) and the UsefulName of its local entry span: the
// nearest ancestor-or-self span of that service whose parent is of another
// service, is absent, or is the client half of a call it serves.
//
// Find walks the trees iteratively and runs in O(n) for n spans.
func Find(t *trace.Trace) []Call { return FindWith(t, nil) }

// FindWith is Find reusing names, a cache of UsefulName, across traces
// (nil: none).
func FindWith(t *trace.Trace, names *Names) []Call {
	if t == nil || len(t.Spans) == 0 || len(t.Parent) != len(t.Spans) || len(t.Roots) == 0 {
		return nil
	}
	f := finder{t: t, names: make(map[int32]string), cache: names}
	f.walk()
	return f.collect()
}

// Names caches UsefulName across spans and traces. UsefulName depends on
// a span's name and attributes only; decoders share equal attribute lists
// between spans, so the list's identity stands for its content, and
// spans of one operation are named once instead of once each (naming a
// database call parses its statement). It holds at most maxNames names,
// forgetting all when full. The zero Names is ready to use; it is not
// safe for concurrent use.
type Names struct {
	m map[nameKey]nameVal
}

const maxNames = 1 << 14

type nameKey struct {
	name  string
	attrs *trace.Attr
	n     int
}

type nameVal struct {
	name string
	bare bool
}

// useful is usefulName through the cache (c may be nil).
func (c *Names) useful(s *trace.Span) (string, bool) {
	if c == nil {
		return usefulName(s)
	}
	k := nameKey{name: s.Name, n: len(s.Attrs)}
	if k.n > 0 {
		k.attrs = &s.Attrs[0]
	}
	if v, ok := c.m[k]; ok {
		return v.name, v.bare
	}
	if c.m == nil || len(c.m) >= maxNames {
		c.m = make(map[nameKey]nameVal, 64)
	}
	name, bare := usefulName(s)
	c.m[k] = nameVal{name, bare}
	return name, bare
}

// UsefulName is the package's UsefulName through the cache (c may be nil).
func (c *Names) UsefulName(s *trace.Span) string {
	if s == nil {
		return "<unnamed>"
	}
	name, _ := c.useful(s)
	return name
}

// Per-span states kept by the walk.
const (
	seen  uint8 = 1 << iota // reached from a root
	under                   // the span or one of its ancestors is async
)

// notCall marks a CLIENT or PRODUCER span that wraps other client spans.
const notCall = -2

type finder struct {
	t     *trace.Trace
	entry []int32 // local entry span of each span
	srv   []int32 // CLIENT/PRODUCER spans: server child, -1 (untraced) or notCall
	state []uint8
	names map[int32]string // UsefulName of entry spans, computed once each
	cache *Names           // UsefulName across traces, or nil
	count int              // number of calls, to size the result
}

func isClient(k trace.Kind) bool { return k == trace.KindClient || k == trace.KindProducer }
func isServer(k trace.Kind) bool { return k == trace.KindServer || k == trace.KindConsumer }

// walk visits every span reachable from the roots once, parents before
// children, setting entry, srv and state.
func (f *finder) walk() {
	t, n := f.t, int32(len(f.t.Spans))
	f.entry = make([]int32, n)
	f.srv = make([]int32, n)
	f.state = make([]uint8, n)
	stack := make([]int32, 0, 64)
	for _, r := range t.Roots {
		if r < 0 || r >= n || f.state[r]&seen != 0 {
			continue
		}
		f.state[r] = seen
		if t.Spans[r].Async() {
			f.state[r] |= under
		}
		f.entry[r] = r
		stack = append(stack, r)
		for len(stack) > 0 {
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			s := &t.Spans[i]
			client := isClient(s.Kind)
			server, other, wraps, serves := int32(-1), int32(-1), false, 0
			for _, c := range t.Children(i) {
				if c < 0 || c >= n || f.state[c]&seen != 0 {
					continue
				}
				cs := &t.Spans[c]
				f.state[c] = seen | f.state[i]&under
				if cs.Async() {
					f.state[c] |= under
				}
				f.entry[c] = f.entry[i]
				if cs.Service != s.Service || client && isServer(cs.Kind) {
					f.entry[c] = c // a new service, or a service calling itself
				}
				switch {
				case isClient(cs.Kind):
					wraps = wraps || cs.Service == s.Service
				case client && isServer(cs.Kind):
					serves++
					if server < 0 {
						server = c
					}
				case cs.Service != s.Service:
					serves++
					if other < 0 {
						other = c
					}
				}
				stack = append(stack, c)
			}
			f.count += serves
			if client {
				switch {
				case server >= 0:
					f.srv[i] = server
				case other >= 0:
					f.srv[i] = other
				case wraps:
					f.srv[i] = notCall
				default:
					f.srv[i] = -1
					f.count++
				}
			}
		}
	}
}

// collect builds the calls in span order.
func (f *finder) collect() []Call {
	t, n := f.t, int32(len(f.t.Spans))
	out := make([]Call, 0, f.count)
	for i := int32(0); i < n; i++ {
		if f.state[i]&seen == 0 {
			continue
		}
		s := &t.Spans[i]
		p := t.Parent[i]
		var ps *trace.Span
		if p >= 0 && p < n && f.state[p]&seen != 0 {
			ps = &t.Spans[p]
		} else {
			p = -1
		}
		switch {
		case isClient(s.Kind):
			if f.srv[i] != notCall {
				out = append(out, f.clientCall(i, i, f.srv[i], p))
			}
		case ps == nil:
		case isClient(ps.Kind) && (isServer(s.Kind) || ps.Service != s.Service):
			if f.srv[p] != i {
				out = append(out, f.clientCall(i, p, i, -1)) // a further server of p
			} // else the server half of p's call
		case ps.Service != s.Service:
			out = append(out, f.bareCall(i, p))
		}
	}
	return out
}

// clientCall is the call identified by span i made by CLIENT or PRODUCER
// span cl (i itself, or its parent for a further server) to server span
// srvIdx (-1 when untraced); p is cl's parent (-1 for none).
func (f *finder) clientCall(i, cl, srvIdx, p int32) Call {
	t := f.t
	s := &t.Spans[cl]
	c := Call{
		Span:   i,
		Server: srvIdx,
		Caller: Endpoint{Service: s.Service, Operation: f.entryName(f.entry[cl])},
		Async:  f.state[cl]&under != 0 || s.Kind == trace.KindProducer,
		Failed: s.IsError(),
	}
	var srv *trace.Span
	if srvIdx >= 0 {
		srv = &t.Spans[srvIdx]
		c.Async = c.Async || srv.Async() || srv.Kind == trace.KindConsumer
		c.Failed = c.Failed || srv.IsError()
		op, bare := f.cache.useful(srv)
		if bare {
			if path := httpPath(s.Attrs); path != "" {
				op += " " + path
			}
		}
		c.Callee = Endpoint{Service: srv.Service, Operation: op}
	} else {
		c.Callee.Operation = f.cache.UsefulName(s)
	}
	if c.Callee.Service == "" {
		c.Callee.Service = serviceFromAttrs(s)
		if c.Callee.Service == Unknown && p >= 0 {
			// An SDK span wrapping this one may name the dependency.
			if ps := &t.Spans[p]; isClient(ps.Kind) && ps.Service == s.Service {
				c.Callee.Service = serviceFromAttrs(ps)
			}
		}
	}
	c.Protocol = protocol(s, srv)
	c.Write = isWrite(s, srv, c.Protocol)
	return c
}

// bareCall is the call made by an uninstrumented client in parent p's
// service, identified by the callee's span i.
func (f *finder) bareCall(i, p int32) Call {
	t := f.t
	s, ps := &t.Spans[i], &t.Spans[p]
	c := Call{
		Span:   i,
		Server: i,
		Caller: Endpoint{Service: ps.Service, Operation: f.entryName(f.entry[p])},
		Callee: Endpoint{Service: s.Service, Operation: f.cache.UsefulName(s)},
		Async:  f.state[i]&under != 0,
		Failed: s.IsError(),
	}
	if c.Callee.Service == "" {
		c.Callee.Service = Unknown
	}
	c.Protocol = protocol(s, nil)
	c.Write = isWrite(s, nil, c.Protocol)
	return c
}

// entryName returns the UsefulName of entry span e, computed once per span.
func (f *finder) entryName(e int32) string {
	if name, ok := f.names[e]; ok {
		return name
	}
	name := f.cache.UsefulName(&f.t.Spans[e])
	f.names[e] = name
	return name
}

// protocol classifies a call from its call span s, else its server span
// srv (nil when untraced or the same span).
func protocol(s, srv *trace.Span) string {
	if p := spanProtocol(s); p != "" {
		return p
	}
	if srv != nil {
		if p := spanProtocol(srv); p != "" {
			return p
		}
	}
	return ProtocolOther
}

// spanProtocol classifies one span by kind and attributes, or returns "".
func spanProtocol(s *trace.Span) string {
	a := s.Attrs
	switch {
	case s.Kind == trace.KindProducer || s.Kind == trace.KindConsumer,
		a.Get(trace.AttrMessagingSystem) != "", a.Get(trace.AttrMessagingDestination) != "",
		a.Get(trace.AttrMessagingOperation) != "":
		return ProtocolMessaging
	case isDB(a):
		return ProtocolDB
	case a.Get(trace.AttrRPCSystem) != "", a.Get(trace.AttrRPCService) != "", a.Get(trace.AttrRPCMethod) != "":
		return ProtocolRPC
	case a.Get(trace.AttrHTTPMethod) != "", a.Get(trace.AttrHTTPRoute) != "", a.Get(trace.AttrURLFull) != "",
		a.Get(trace.AttrURLPath) != "", a.Get(trace.AttrHTTPStatus) != "", httpMethod(s) != "":
		return ProtocolHTTP
	}
	return ""
}

// isWrite reports whether a call of the given protocol changes state.
func isWrite(s, srv *trace.Span, proto string) bool {
	spans := [2]*trace.Span{s, srv}
	for _, x := range spans {
		if x == nil {
			continue
		}
		switch proto {
		case ProtocolHTTP:
			if m := httpMethod(x); m != "" {
				return m == "POST" || m == "PUT" || m == "PATCH" || m == "DELETE"
			}
		case ProtocolDB:
			if op, _ := dbOperation(x); op != "" {
				return isWriteOp(op, x.Attrs.Get(trace.AttrDBSystem))
			}
		case ProtocolMessaging:
			if x.Kind == trace.KindProducer {
				return true
			}
			switch strings.ToLower(x.Attrs.Get(trace.AttrMessagingOperation)) {
			case "publish", "send", "create":
				return true
			}
		}
	}
	return false
}

// isWriteOp reports whether database operation op writes: SQL verbs and
// their document-store forms (insertOne, updateMany, findOneAndUpdate,
// bulkWrite, DynamoDB PutItem and BatchWriteItem), and Redis (or Valkey) commands that change data.
func isWriteOp(op, system string) bool {
	lower := strings.ToLower(op)
	for _, p := range [...]string{
		"insert", "update", "delete", "upsert", "merge", "replace", "put", "bulkwrite", "batchwrite",
		"transactwrite", "findandmodify", "findoneand",
	} {
		if strings.HasPrefix(lower, p) {
			return true
		}
	}
	switch strings.ToLower(system) {
	case "redis", "valkey":
		switch strings.ToUpper(op) {
		case "SET", "SETEX", "SETNX", "PSETEX", "MSET", "GETSET", "GETDEL", "APPEND", "DEL", "UNLINK",
			"INCR", "INCRBY", "DECR", "DECRBY", "HSET", "HMSET", "HSETNX", "HDEL", "HINCRBY",
			"LPUSH", "RPUSH", "LPOP", "RPOP", "LSET", "LREM", "LTRIM", "SADD", "SREM", "SPOP",
			"ZADD", "ZREM", "ZINCRBY", "EXPIRE", "PEXPIRE", "EXPIREAT", "PERSIST", "RENAME",
			"XADD", "XDEL", "PUBLISH", "FLUSHDB", "FLUSHALL":
			return true
		}
	}
	return false
}
