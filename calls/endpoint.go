package calls

import (
	"strings"

	"github.com/syncaudit/syncaudit/trace"
)

// RequestEndpoint names the request rooted at span root of t: the root's
// service and useful name (UsefulName, through names when not nil).
//
// When the root's route is a catch-all — "/*", "/**", a path ending in
// "/*" or "/**", "{proxy+}", or no name at all — every request through a
// gateway would be one endpoint ("ts-gateway-service /*"). The endpoint is
// then named from the first downstream server span, in preorder with
// children in start order: the first synchronous span of another service
// below the root. The operation says so: "/* → ts-order-service
// /api/v1/orders/{id}". forward is that span's index (the request the
// gateway forwarded), or -1 when the name is the root's own.
func RequestEndpoint(t *trace.Trace, root int32, names *Names) (e Endpoint, forward int32) {
	s := &t.Spans[root]
	e = Endpoint{Service: s.Service, Operation: names.UsefulName(s)}
	if !CatchAll(e.Operation) || !t.Linked() {
		return e, -1
	}
	d := downstream(t, root)
	if d < 0 {
		return e, -1
	}
	ds := &t.Spans[d]
	e.Operation += " → " + ds.Service + " " + names.UsefulName(ds)
	return e, d
}

// CatchAll reports whether operation (a useful name, possibly with an
// HTTP method in front) is a catch-all route that tells nothing about the
// request: "", "<unnamed>", "/*", "/**", "*", a path ending in "/*" or
// "/**", or a "{proxy+}" segment (AWS API Gateway).
func CatchAll(operation string) bool {
	op := strings.TrimSpace(operation)
	if verb, rest, ok := strings.Cut(op, " "); ok {
		if _, isMethod := parseMethod(verb); isMethod || strings.EqualFold(verb, "ANY") {
			op = strings.TrimSpace(rest)
		}
	}
	switch {
	case op == "", op == "<unnamed>", op == "*", op == "**":
		return true
	case strings.HasSuffix(op, "/*"), strings.HasSuffix(op, "/**"):
		return true
	case strings.Contains(op, "{proxy+}"):
		return true
	}
	return false
}

// downstream returns the first synchronous span below root, in preorder
// with children in start order, whose service differs from root's; -1
// when there is none. Iterative: any depth is safe.
func downstream(t *trace.Trace, root int32) int32 {
	svc := t.Spans[root].Service
	stack := []int32{root}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		s := &t.Spans[i]
		if i != root && s.Service != svc {
			return i
		}
		kids := t.Children(i)
		for k := len(kids) - 1; k >= 0; k-- {
			if c := kids[k]; !t.Spans[c].Async() {
				stack = append(stack, c)
			}
		}
	}
	return -1
}

// HTTPMethod returns the HTTP request method of s, upper case: its
// http.request.method attribute, else a method its name holds ("HTTP GET",
// "GET /users/{id}"); "" when neither says.
func HTTPMethod(s *trace.Span) string { return httpMethod(s) }

// SpanWrites reports what span s does to state as far as its own
// attributes and name tell: write is a database write, a publish or an
// HTTP POST, PUT, PATCH or DELETE it makes as a client; read is a database
// read (SELECT, find, get-style commands) or an HTTP GET, HEAD or OPTIONS
// it makes as a client. Both are false when s says neither.
func SpanWrites(s *trace.Span) (read, write bool) {
	if op, _ := dbOperation(s); op != "" {
		if isWriteOp(op, s.Attrs.Get(trace.AttrDBSystem)) {
			return false, true
		}
		switch strings.ToUpper(op) {
		case "SELECT", "WITH", "FIND", "GET", "COUNT", "AGGREGATE", "SCAN", "QUERY", "SEARCH", "MGET", "HGET", "HGETALL", "EXISTS":
			return true, false
		}
		return false, false
	}
	if spanProtocol(s) == ProtocolMessaging {
		return false, isWrite(s, nil, ProtocolMessaging)
	}
	if s.Kind == trace.KindClient {
		switch httpMethod(s) {
		case "POST", "PUT", "PATCH", "DELETE":
			return false, true
		case "GET", "HEAD", "OPTIONS":
			return true, false
		}
	}
	return false, false
}
