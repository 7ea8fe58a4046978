package detect

import (
	"strings"

	"github.com/syncaudit/syncaudit/calls"
	"github.com/syncaudit/syncaudit/trace"
)

// Access is whether a call reads or changes state, as far as its attributes
// tell.
type Access int8

// Accesses.
const (
	// Unknown: neither a write nor an explicit read.
	Unknown Access = iota
	// Read: HTTP GET, HEAD or OPTIONS; a database SELECT, find, count or
	// get-style command; an RPC method named Get…, List…, Find…, Fetch…,
	// Read…, Search…, Query…, Lookup…, Check…, Describe… or Count….
	Read
	// Write: what calls.Call.Write reports (HTTP POST, PUT, PATCH, DELETE;
	// INSERT, UPDATE...; publishing), and RPC methods named Create…,
	// Update…, Delete…, Set…, Send…, Put…, Add…, Remove…, Insert…,
	// Publish…, Record…, Log…, Track…, Emit…, Notify…, Save…, Store…,
	// Write…, Post…, Submit…, Upload…, Register…, Enqueue… or Report….
	Write
)

// String returns "unknown", "read" or "write".
func (a Access) String() string {
	switch a {
	case Read:
		return "read"
	case Write:
		return "write"
	}
	return "unknown"
}

// AccessOf classifies call c of t and returns a short label of the
// evidence ("POST", "SELECT", "rpc SendOrderConfirmation").
func AccessOf(t *trace.Trace, c *calls.Call) (Access, string) { return accessOf(t, c, nil) }

// accessOf is AccessOf with rc (nil for none) caching what each span of
// a callee's subtree does to state (see onlyReads).
func accessOf(t *trace.Trace, c *calls.Call, rc *readCache) (Access, string) {
	verb := firstWord(c.Callee.Operation)
	var spans []*trace.Span
	n := int32(len(t.Spans))
	if c.Span >= 0 && c.Span < n {
		spans = append(spans, &t.Spans[c.Span])
	}
	if c.Server >= 0 && c.Server < n && c.Server != c.Span {
		spans = append(spans, &t.Spans[c.Server])
	}
	switch c.Protocol {
	case calls.ProtocolHTTP:
		m := httpMethodOf(spans)
		if m == "" {
			m = strings.ToUpper(verb)
		}
		switch m {
		case "POST":
			if what, ok := onlyReads(t, c.Server, rc); ok {
				// A query sent as a POST (a list of IDs in the body):
				// the callee's handler only reads.
				return Read, "POST, but the callee only reads: " + what
			}
			return Write, m
		case "PUT", "PATCH", "DELETE":
			return Write, m
		case "GET", "HEAD", "OPTIONS":
			return Read, m
		}
	case calls.ProtocolDB:
		op := strings.ToUpper(verb)
		for _, s := range spans {
			if v := s.Attrs.Get(trace.AttrDBOperation); v != "" {
				op = strings.ToUpper(firstWord(v))
				break
			}
		}
		if c.Write {
			return Write, op
		}
		if m := httpMethodOf(spans); m != "" && (op == "" || op == m) {
			op = m // a database spoken to over HTTP (Elasticsearch, CouchDB)
		}
		return dbAccess(op), op
	case calls.ProtocolRPC:
		m := ""
		for _, s := range spans {
			if v := s.Attrs.Get(trace.AttrRPCMethod); v != "" {
				m = v
				break
			}
		}
		if m == "" {
			op := c.Callee.Operation
			m = op[strings.LastIndexAny(op, "/.")+1:]
		}
		switch {
		case hasVerb(m, "Create", "Update", "Delete", "Set", "Send", "Put", "Add", "Remove", "Insert",
			"Publish", "Record", "Log", "Track", "Emit", "Notify", "Save", "Store", "Write", "Post",
			"Submit", "Upload", "Register", "Enqueue", "Report"):
			return Write, "rpc " + m
		case hasVerb(m, "Get", "List", "Find", "Fetch", "Read", "Search", "Query", "Lookup", "Check",
			"Describe", "Count"):
			return Read, "rpc " + m
		}
	}
	if c.Write {
		if c.Protocol == calls.ProtocolMessaging {
			return Write, "publish"
		}
		return Write, strings.ToUpper(verb)
	}
	return Unknown, ""
}

// onlyReadsLimit bounds the spans onlyReads looks at below a server span.
const onlyReadsLimit = 256

// onlyReads reports whether the subtree of server span srv (at most
// onlyReadsLimit spans) reads state and writes none: at least one
// database read or GET, and no database write, publish or writing HTTP
// call (calls.SpanWrites). what names the first read. A larger subtree
// or none at all is not judged.
func onlyReads(t *trace.Trace, srv int32, rc *readCache) (what string, ok bool) {
	n := int32(len(t.Spans))
	if srv < 0 || srv >= n || !t.Linked() {
		return "", false
	}
	if rc == nil {
		rc = &readCache{}
	}
	stack := append(rc.stack[:0], srv)
	defer func() { rc.stack = stack[:0] }()
	reads := 0
	for seen := 0; len(stack) > 0; seen++ {
		if seen >= onlyReadsLimit {
			return "", false
		}
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		s := &t.Spans[i]
		read, write := rc.spanWrites(s)
		if write {
			return "", false
		}
		if read {
			if reads == 0 {
				what = s.Name
			}
			reads++
		}
		stack = append(stack, t.Children(i)...)
	}
	return what, reads > 0
}

// readCache remembers calls.SpanWrites by what it depends on (kind, name
// and the identity of the span's attribute list, which decoders share
// between equal lists), so that the subtree walks of many calls to the
// same callee parse each distinct span once; and the walk's stack.
type readCache struct {
	m     map[spanWritesKey]uint8
	stack []int32
}

type spanWritesKey struct {
	name  string
	kind  trace.Kind
	attrs *trace.Attr
	n     int
}

// maxSpanWrites bounds readCache.m.
const maxSpanWrites = 1 << 14

func (rc *readCache) spanWrites(s *trace.Span) (read, write bool) {
	k := spanWritesKey{name: s.Name, kind: s.Kind, n: len(s.Attrs)}
	if k.n > 0 {
		k.attrs = &s.Attrs[0]
	}
	if v, ok := rc.m[k]; ok {
		return v&1 != 0, v&2 != 0
	}
	read, write = calls.SpanWrites(s)
	if rc.m == nil || len(rc.m) >= maxSpanWrites {
		rc.m = make(map[spanWritesKey]uint8, 64)
	}
	var v uint8
	if read {
		v |= 1
	}
	if write {
		v |= 2
	}
	rc.m[k] = v
	return read, write
}

// hasVerb reports whether method m starts with one of verbs followed by the
// end, an upper-case letter, a digit or "_" ("SendEmail", "send_email",
// "Get"), in either case for the first letter.
func hasVerb(m string, verbs ...string) bool {
	for _, v := range verbs {
		if len(m) < len(v) || !strings.EqualFold(m[:len(v)], v) {
			continue
		}
		if len(m) == len(v) {
			return true
		}
		switch c := m[len(v)]; {
		case 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '-':
			return true
		}
	}
	return false
}

func firstWord(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, " \t\n"); i >= 0 {
		return s[:i]
	}
	return s
}

// httpMethodOf returns the first HTTP method spans state, upper case: an
// http.request.method attribute, else a method in a span's name ("HTTP
// GET" on a client span without attributes), in span order.
func httpMethodOf(spans []*trace.Span) string {
	for _, s := range spans {
		if v := s.Attrs.Get(trace.AttrHTTPMethod); v != "" {
			return strings.ToUpper(v)
		}
	}
	for _, s := range spans {
		if v := calls.HTTPMethod(s); v != "" {
			return v
		}
	}
	return ""
}

// dbAccess classifies a database operation (upper case) that calls.Call
// did not report as a write: SQL and document-store reads, Redis reads,
// HTTP methods of databases spoken to over HTTP, and the write operations
// of search engines (Elasticsearch's index, bulk, create).
func dbAccess(op string) Access {
	switch op {
	case "POST", "PUT", "PATCH", "DELETE", "INDEX", "BULK", "CREATE", "REINDEX", "UPDATE_BY_QUERY", "DELETE_BY_QUERY":
		return Write
	case "GET", "HEAD", "SELECT", "WITH", "COUNT", "AGGREGATE", "EXISTS", "SCAN", "SEARCH", "MSEARCH", "QUERY",
		"MGET", "HGET", "HMGET", "HGETALL", "HKEYS", "HVALS", "HEXISTS", "SMEMBERS", "SISMEMBER", "LRANGE",
		"LLEN", "ZRANGE", "ZSCORE", "ZCARD", "KEYS", "TTL", "STRLEN":
		return Read
	}
	if strings.HasPrefix(op, "FIND") && !strings.HasPrefix(op, "FINDONEAND") && !strings.HasPrefix(op, "FINDANDMODIFY") {
		return Read
	}
	return Unknown
}
