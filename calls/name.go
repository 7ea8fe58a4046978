package calls

import (
	"net/netip"
	"strings"

	"github.com/syncaudit/syncaudit/calls/sqlstmt"
	"github.com/syncaudit/syncaudit/trace"
)

// UsefulName returns an operation name for s that says what was done, with
// identifiers templated away. The first rule that applies wins:
//
//   - RPC (rpc.method set): "rpc.service/rpc.method", or rpc.method alone,
//     whatever the span is called ("payments.Payments/Charge").
//   - Database (db.* attributes): the operation, from db.operation, else the
//     first word of db.statement, else a SQL verb starting the span name,
//     followed by the table when it is cheap to find (the word after FROM,
//     INTO or UPDATE in the statement, or the target in a "SELECT orders"
//     style name): "INSERT orders", "SELECT shop.orders", "find". When no
//     operation can be found the span name is used.
//   - A bare HTTP method as the name ("POST", "HTTP POST", "get", "HTTP"):
//     the method, upper case (from http.request.method when set), followed by
//     http.route, else url.path, else the path of url.full, templated with
//     TemplatePath: "POST /pay". With no path it is the method alone.
//   - A method followed by a path or URL ("get /orders/123"): the method in
//     upper case and the templated path ("GET /orders/{id}"). A name that is
//     a path ("/orders/123", or Spring Cloud Sleuth's "http:/orders/123") is
//     templated and prefixed with the method when one is known.
//   - Otherwise the name as it is; an empty name becomes, for messaging
//     spans, "<operation> <destination>", else "<unnamed>".
func UsefulName(s *trace.Span) string {
	if s == nil {
		return "<unnamed>"
	}
	name, _ := usefulName(s)
	return name
}

// usefulName is UsefulName that also reports whether the result is a bare
// HTTP method with no path, so that a caller can complete it with a path
// taken from another span (the client half of the call).
func usefulName(s *trace.Span) (name string, bare bool) {
	a := s.Attrs
	if m := a.Get(trace.AttrRPCMethod); m != "" {
		if svc := a.Get(trace.AttrRPCService); svc != "" {
			return svc + "/" + m, false
		}
		return m, false
	}
	if isDB(a) {
		if op, table := dbOperation(s); op != "" {
			if table != "" {
				return op + " " + table, false
			}
			return op, false
		}
	}
	n := strings.TrimSpace(s.Name)
	if m, ok := bareMethod(n); ok {
		if v := a.Get(trace.AttrHTTPMethod); v != "" {
			m = strings.ToUpper(v)
		}
		if m == "" {
			m = "HTTP"
		}
		if p := httpPath(a); p != "" {
			return m + " " + p, false
		}
		return m, true
	}
	if verb, rest, ok := strings.Cut(n, " "); ok {
		if m, ok := parseMethod(verb); ok {
			rest = strings.TrimSpace(rest)
			if strings.Contains(rest, "/") && !strings.ContainsAny(rest, " \t") {
				return m + " " + TemplatePath(rest), false
			}
			return m + " " + rest, false
		}
	}
	if len(n) > 6 && strings.EqualFold(n[:6], "http:/") && n[6] != '/' {
		n = n[5:] // Spring Cloud Sleuth 1.x: "http:/orders/1"
	}
	if strings.HasPrefix(n, "/") {
		p := TemplatePath(n)
		if m := a.Get(trace.AttrHTTPMethod); m != "" {
			return strings.ToUpper(m) + " " + p, false
		}
		return p, false
	}
	if n == "" {
		op, dest := a.Get(trace.AttrMessagingOperation), a.Get(trace.AttrMessagingDestination)
		switch {
		case op != "" && dest != "":
			return op + " " + dest, false
		case dest != "":
			return dest, false
		}
		return "<unnamed>", false
	}
	if host, path, ok := hostPortName(n); ok {
		if path == "" || path == "/*" || path == "/" {
			return host, false
		}
		return host + " " + TemplatePath(path), false
	}
	return n, false
}

// hostPortName splits an Envoy-style operation name, "host:port" or
// "host:port/path" ("reviews.default.svc.cluster.local:9080/*"), into the
// host (without the port) and the path. ok is false for anything else.
func hostPortName(n string) (host, path string, ok bool) {
	hp, path, _ := strings.Cut(n, "/")
	if path != "" || strings.HasSuffix(n, "/") {
		path = "/" + path
	}
	h, port, found := strings.Cut(hp, ":")
	if !found || h == "" || port == "" || len(port) > 5 {
		return "", "", false
	}
	for i := 0; i < len(port); i++ {
		if !isDigit(port[i]) {
			return "", "", false
		}
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; !isLetter(c) && !isDigit(c) && c != '.' && c != '-' && c != '_' {
			return "", "", false
		}
	}
	return strings.ToLower(h), path, true
}

// httpPath returns the templated route or path of an HTTP span: http.route,
// else url.path, else the path of url.full; "" when none is set.
func httpPath(a trace.Attrs) string {
	for _, k := range [...]trace.AttrKey{trace.AttrHTTPRoute, trace.AttrURLPath, trace.AttrURLFull} {
		if v := a.Get(k); v != "" {
			return TemplatePath(v)
		}
	}
	return ""
}

// parseMethod returns the upper-case HTTP method w names, in any case. The
// draft QUERY method is left out: "query" is a common database span name.
func parseMethod(w string) (string, bool) {
	if len(w) < 3 || len(w) > 7 {
		return "", false
	}
	switch m := strings.ToUpper(w); m {
	case "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH":
		return m, true
	}
	return "", false
}

// bareMethod reports whether name is nothing but an HTTP method ("GET",
// "HTTP GET", "get") or the word "HTTP" (the OpenTelemetry name when the
// method is unknown); method is "" for the latter.
func bareMethod(name string) (method string, ok bool) {
	if strings.EqualFold(name, "HTTP") {
		return "", true
	}
	if len(name) > 5 && strings.EqualFold(name[:5], "HTTP ") {
		name = strings.TrimSpace(name[5:])
	}
	return parseMethod(name)
}

// httpMethod returns the request method of s: http.request.method, else a
// method in the span name; "" when neither is set.
func httpMethod(s *trace.Span) string {
	if m := s.Attrs.Get(trace.AttrHTTPMethod); m != "" {
		return strings.ToUpper(m)
	}
	n := strings.TrimSpace(s.Name)
	if m, ok := bareMethod(n); ok {
		return m
	}
	if verb, _, ok := strings.Cut(n, " "); ok {
		if m, ok := parseMethod(verb); ok {
			return m
		}
	}
	return ""
}

// TemplatePath turns a URL path, or a full URL, into a low-cardinality
// template: the scheme and host of a full URL, the query string, the
// fragment and ";" matrix parameters are dropped, and every path segment
// that looks like an identifier becomes "{id}". Identifiers are:
//
//   - numbers ("123");
//   - UUIDs ("3f2504e0-4f89-11d3-9a0c-0305e82c3301", or any letters and
//     digits in that 8-4-4-4-12 shape);
//   - hexadecimal strings of 16 characters or more (trace IDs, hashes);
//   - other segments of [A-Za-z0-9_-] that hold a digit: with a "_" or "-",
//     when the part after the last one holds a digit ("ord_8f3k29x",
//     "INV-2024-0042", "2024-01-15"); without, when they mix letters and
//     at least two digits over 8 characters or more ("a8f3k29xq", but not
//     "travel2service"). Versions ("v1",
//     "api-v2", "v2beta1") are never identifiers, nor are short words with
//     digits ("oauth2", "s3", "sha256") or templates ("{id}", ":id").
//
// A full URL with no path gives "/"; an empty string stays empty.
func TemplatePath(p string) string {
	for j := 0; j < len(p); j++ {
		if p[j] == '?' || p[j] == '#' {
			p = p[:j]
			break
		}
	}
	if strings.IndexByte(p, ';') >= 0 {
		p = dropParams(p)
	}
	if i := strings.Index(p, "://"); i > 0 && isScheme(p[:i]) {
		rest := p[i+3:]
		j := strings.IndexByte(rest, '/')
		if j < 0 {
			return "/"
		}
		p = rest[j:]
	}
	if !hasDigit(p) {
		return p // fast path: no segment can be an identifier
	}
	var b strings.Builder
	b.Grow(len(p))
	for k := 0; ; k++ {
		seg, rest, more := strings.Cut(p, "/")
		if k > 0 {
			b.WriteByte('/')
		}
		if isID(seg) {
			b.WriteString("{id}")
		} else {
			b.WriteString(seg)
		}
		if !more {
			break
		}
		p = rest
	}
	return b.String()
}

// dropParams removes ";" parameters from every segment of path p
// ("/cart;jsessionid=1/items" gives "/cart/items").
func dropParams(p string) string {
	var b strings.Builder
	b.Grow(len(p))
	for {
		seg, rest, more := strings.Cut(p, "/")
		seg, _, _ = strings.Cut(seg, ";")
		b.WriteString(seg)
		if !more {
			return b.String()
		}
		b.WriteByte('/')
		p = rest
	}
}

// isScheme reports whether s is a URL scheme: a letter followed by letters,
// digits, "+", "-" or ".".
func isScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isLetter(c):
		case i > 0 && (isDigit(c) || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return s != ""
}

func hasDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			return true
		}
	}
	return false
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isHex(c byte) bool    { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// isID reports whether a path segment is an identifier (see TemplatePath).
func isID(s string) bool {
	if s == "" {
		return false
	}
	if isUUID(s) {
		return true
	}
	digits, letters, hex, lastSep := 0, 0, true, -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isDigit(c):
			digits++
		case isLetter(c):
			letters++
			hex = hex && isHex(c)
		case c == '-' || c == '_':
			lastSep, hex = i, false
		default:
			return false
		}
	}
	switch {
	case digits == 0:
		return false
	case letters == 0 && lastSep < 0:
		return true // a number
	case hex && len(s) >= 16:
		return true
	case lastSep >= 0:
		last := s[lastSep+1:]
		return hasDigit(last) && !isVersion(last)
	default:
		// One digit inside a word names a thing, not an instance
		// ("travel2service", "oauth2callback"); generated IDs mix more.
		return len(s) >= 8 && digits >= 2 && !isVersion(s)
	}
}

// isUUID reports whether s has the 8-4-4-4-12 shape of a UUID. Any letter
// or digit is accepted, not just hex digits, so that UUIDs masked in
// published traces ("8da0d44a-fc10-4716-abc4-XXXXXXXXXXXX") still match.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if !isDigit(s[i]) && !isLetter(s[i]) {
				return false
			}
		}
	}
	return true
}

// isVersion reports whether s is an API version: "v" or "V", digits, and
// optionally letters and digits ("v1", "v10", "v2beta1", "v1alpha").
func isVersion(s string) bool {
	if len(s) < 2 || s[0] != 'v' && s[0] != 'V' || !isDigit(s[1]) {
		return false
	}
	i := 2
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	for i < len(s) && isLetter(s[i]) {
		i++
	}
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i == len(s)
}

// isDB reports whether the attributes describe a database call.
func isDB(a trace.Attrs) bool {
	return a.Get(trace.AttrDBSystem) != "" || a.Get(trace.AttrDBOperation) != "" || a.Get(trace.AttrDBStatement) != ""
}

// dbOperation returns the database operation of s and, when cheap to find,
// the table it works on. The operation is db.operation, else the first word
// of db.statement (upper case), else a SQL verb starting the span name (the
// name is then read as a statement, which handles names holding the whole
// query). The table comes from the statement, else from a name of the form
// "<operation> <target>".
func dbOperation(s *trace.Span) (op, table string) {
	a := s.Attrs
	op = a.Get(trace.AttrDBOperation)
	verb, table := sqlstmt.VerbTable(a.Get(trace.AttrDBStatement))
	if op == "" {
		op = verb
	}
	name := strings.TrimSpace(s.Name)
	if op == "" {
		if v, t := sqlstmt.VerbTable(name); sqlstmt.IsVerb(v) {
			op, table = v, t
		}
	}
	if op == "" {
		return "", ""
	}
	if table == "" {
		if w, rest, ok := strings.Cut(name, " "); ok && strings.EqualFold(w, op) {
			rest = strings.TrimSpace(rest)
			if rest != "" && !strings.ContainsAny(rest, " \t\n") {
				table = rest
			}
		}
	}
	return op, table
}

// serviceFromAttrs names the callee of a client span whose server is not in
// the trace. In order:
//
//   - peer.service, as configured by the caller;
//   - databases: "<db.system>/<db.namespace>" ("postgresql/orders"), else
//     "<db.system>@<host>" from server.address ("redis@cache.internal"),
//     else db.system alone;
//   - messaging: "<messaging.system>:<destination>" ("kafka:orders"), with
//     "messaging" when the system is not set, else the system alone;
//   - the host of server.address, else of url.full, without the port;
//   - rpc.service;
//   - "<unknown>".
//
// Databases and brokers come before server.address because their address
// names shared infrastructure (a database host, a broker), not the
// dependency.
func serviceFromAttrs(s *trace.Span) string {
	a := s.Attrs
	if v := a.Get(trace.AttrPeerService); v != "" {
		return v
	}
	host := hostOf(a.Get(trace.AttrServerAddress))
	if u := urlHost(a.Get(trace.AttrURLFull)); host == "" || isIP(host) && u != "" && !isIP(u) {
		host = u // a name beats a raw IP
	}
	if host != "" && isIP(host) {
		if v := a.Get(trace.AttrRPCService); v != "" {
			return v // the RPC service names the dependency better than its IP
		}
	}
	if sys := a.Get(trace.AttrDBSystem); sys != "" {
		if ns := a.Get(trace.AttrDBNamespace); ns != "" {
			return sys + "/" + ns
		}
		if host != "" {
			return sys + "@" + host
		}
		return sys
	}
	sys, dest := a.Get(trace.AttrMessagingSystem), a.Get(trace.AttrMessagingDestination)
	if dest != "" {
		if sys == "" {
			sys = "messaging"
		}
		return sys + ":" + dest
	}
	if sys != "" {
		return sys
	}
	if host != "" {
		return host
	}
	if v := a.Get(trace.AttrRPCService); v != "" {
		return v
	}
	return Unknown
}

// isIP reports whether host is an IPv4 or IPv6 address.
func isIP(host string) bool {
	_, err := netip.ParseAddr(host)
	return err == nil
}

// Unknown is the callee service of a call whose server is not traced and
// whose client span carries no attribute that names it.
const Unknown = "<unknown>"

// hostOf returns the host part of a "host", "host:port", "[v6]:port" or
// URL address, lower case.
func hostOf(addr string) string {
	if strings.Contains(addr, "://") {
		return urlHost(addr)
	}
	if strings.HasPrefix(addr, "[") {
		if j := strings.IndexByte(addr, ']'); j > 0 {
			return strings.ToLower(addr[1:j])
		}
		return ""
	}
	if strings.Count(addr, ":") == 1 {
		addr, _, _ = strings.Cut(addr, ":")
	}
	return strings.ToLower(addr)
}

// urlHost returns the host of a full URL without user info or port, or "".
func urlHost(u string) string {
	i := strings.Index(u, "://")
	if i <= 0 || !isScheme(u[:i]) {
		return ""
	}
	rest := u[i+3:]
	if j := strings.IndexAny(rest, "/?#"); j >= 0 {
		rest = rest[:j]
	}
	if j := strings.LastIndexByte(rest, '@'); j >= 0 {
		rest = rest[j+1:]
	}
	return hostOf(rest)
}
