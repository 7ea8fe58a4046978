package zipkin

import (
	"net/netip"
	"strings"

	"github.com/syncaudit/syncaudit/decode/jsontext"
	"github.com/syncaudit/syncaudit/trace"
)

// Naming the service of a span without localEndpoint.serviceName.
//
// Such a span is held back until its document (the whole input, or one
// line of JSON lines) is read, then named from the other spans of that
// document by the rule in the package documentation, and emitted after
// them. Every span of a document leaves an entry here; the index over the
// entries is only built when some span needs a name.

// docSpan is what naming needs to know of one span of the document.
type docSpan struct {
	key    spanKey
	parent trace.SpanID // zero: none
	svc    string       // localEndpoint.serviceName, or the name given
	kind   role
	own    bool  // svc is the span's own localEndpoint.serviceName
	state  uint8 // naming: 0 not started, 1 in progress, 2 done
	names  int32 // index in index.names, -1: none
	next   int32 // next entry with the same key (shared IDs), -1: none
}

// spanKey identifies a span in its trace.
type spanKey struct {
	t trace.TraceID
	s trace.SpanID
}

// role is a span's side of a call, from its Zipkin kind.
type role uint8

const (
	roleLocal    role = iota // kind absent (or not one Zipkin knows): a local span
	roleClient               // CLIENT
	roleProducer             // PRODUCER
	roleServer               // SERVER
	roleConsumer             // CONSUMER
)

func roleOf(kind string) role {
	switch trace.ParseKind(kind) {
	case trace.KindClient:
		return roleClient
	case trace.KindProducer:
		return roleProducer
	case trace.KindServer:
		return roleServer
	case trace.KindConsumer:
		return roleConsumer
	}
	return roleLocal
}

// caller reports whether spans of role r run in the process of their parent.
func (r role) caller() bool { return r == roleClient || r == roleProducer }

// spanNames are the names a span gives to the two sides of its call. For a
// CLIENT span, the remote fields name its server; for a span without a
// service, the own fields name itself.
type spanNames struct {
	remoteSvc string     // remoteEndpoint.serviceName
	peerSvc   string     // peer.service tag
	remote    string     // host of server.address, net.peer.name, http.host or the URL, not an IP
	remoteIP  netip.Addr // remoteEndpoint ipv4 or ipv6, or an address tag that is an IP

	own   string     // host of http.host, server.address or the URL, not an IP
	ownIP netip.Addr // localEndpoint ipv4 or ipv6, or an address tag that is an IP
}

// index holds the spans of one document.
type index struct {
	spans    []docSpan
	names    []spanNames
	held     []heldSpan
	byKey    map[spanKey]int32  // first entry of each key; built by build
	children map[spanKey]string // a span's service, as named by its same-process children; built by build
}

// heldSpan is a span waiting for its service.
type heldSpan struct {
	span  trace.Span
	entry int32
}

// add records a span of the document with the names namesFor found.
func (ix *index) add(s *trace.Span, kind role, names spanNames) int32 {
	e := docSpan{key: spanKey{s.TraceID, s.SpanID}, parent: s.ParentID, svc: s.Service, kind: kind, own: s.Service != "", names: -1, next: -1}
	if names != (spanNames{}) {
		e.names = int32(len(ix.names))
		ix.names = append(ix.names, names)
	}
	ix.spans = append(ix.spans, e)
	return int32(len(ix.spans) - 1)
}

// reset empties the index for the next document, keeping its memory.
func (ix *index) reset() {
	clear(ix.held)
	*ix = index{spans: ix.spans[:0], names: ix.names[:0], held: ix.held[:0]}
}

// build indexes the spans by key and collects, for each span, the service
// of its first child that runs in its process: a CLIENT, PRODUCER or local
// child with its own service. (A SERVER or CONSUMER child runs elsewhere.)
func (ix *index) build() {
	ix.byKey = make(map[spanKey]int32, len(ix.spans))
	ix.children = map[spanKey]string{}
	for i := len(ix.spans) - 1; i >= 0; i-- { // so that next links keep file order
		e := &ix.spans[i]
		if first, ok := ix.byKey[e.key]; ok {
			e.next = first
		}
		ix.byKey[e.key] = int32(i)
	}
	for i := range ix.spans {
		e := &ix.spans[i]
		if e.own && !e.parent.IsZero() && (e.kind.caller() || e.kind == roleLocal) {
			k := spanKey{e.key.t, e.parent}
			if _, ok := ix.children[k]; !ok {
				ix.children[k] = e.svc
			}
		}
	}
}

// find returns the first entry with key k that match accepts, or -1.
func (ix *index) find(k spanKey, match func(*docSpan) bool) int32 {
	i, ok := ix.byKey[k]
	for ok && i >= 0 {
		if match(&ix.spans[i]) {
			return i
		}
		i = ix.spans[i].next
	}
	return -1
}

// process returns the entry of span id p that its children run under: the
// SERVER, CONSUMER or local half when client and server share the ID,
// else the only one; -1 when p is not in the document.
func (ix *index) process(t trace.TraceID, p trace.SpanID) int32 {
	if p.IsZero() {
		return -1
	}
	k := spanKey{t, p}
	if i := ix.find(k, func(e *docSpan) bool { return !e.kind.caller() }); i >= 0 {
		return i
	}
	return ix.find(k, func(*docSpan) bool { return true })
}

// clientSide returns the CLIENT span that called span i: the CLIENT half
// of a shared ID, else its parent when that is a CLIENT without a SERVER
// half (with one, span i runs under the SERVER half); -1 if none is in the
// document.
func (ix *index) clientSide(i int32) int32 {
	e := &ix.spans[i]
	if c := ix.find(e.key, func(c *docSpan) bool { return c.kind == roleClient }); c >= 0 && c != i {
		return c
	}
	if p := ix.process(e.key.t, e.parent); p >= 0 && ix.spans[p].kind == roleClient {
		return p
	}
	return -1
}

// namesOf returns the names recorded for entry i (zero when none).
func (ix *index) namesOf(i int32) spanNames {
	if i < 0 || ix.spans[i].names < 0 {
		return spanNames{}
	}
	return ix.names[ix.spans[i].names]
}

// service returns the service of entry i, naming it first when needed.
func (ix *index) service(i int32) string {
	e := &ix.spans[i]
	if e.own || e.state == 2 {
		return e.svc
	}
	if e.state == 1 { // a cycle of parents: no name from here
		return ""
	}
	e.state = 1
	svc := ix.name(i)
	e = &ix.spans[i]
	e.svc, e.state = svc, 2
	return svc
}

// name applies the rule of the package documentation to entry i.
func (ix *index) name(i int32) string {
	e := ix.spans[i]
	own := ix.namesOf(i)
	switch {
	case e.kind.caller():
		// The caller side runs in the process of its parent.
		if p := ix.process(e.key.t, e.parent); p >= 0 {
			if svc := ix.service(p); svc != "" {
				return svc
			}
		}
		return ipText(own.ownIP)
	case e.kind == roleConsumer:
		// A producer's remote endpoint names the broker, not the consumer.
		return first(ix.children[e.key], ipText(own.ownIP))
	}
	c := ix.clientSide(i)
	if c < 0 && e.kind == roleLocal {
		// A local span runs in the process of its parent.
		if p := ix.process(e.key.t, e.parent); p >= 0 {
			if svc := ix.service(p); svc != "" {
				return svc
			}
		}
	}
	// A server (or a kindless span called by a CLIENT).
	cn := ix.namesOf(c)
	return first(cn.remoteSvc, cn.peerSvc, ix.children[e.key], cn.remote, own.own, ipText(cn.remoteIP), ipText(own.ownIP))
}

// ipText returns ip as text, "" when it is not valid.
func ipText(ip netip.Addr) string {
	if !ip.IsValid() {
		return ""
	}
	return ip.String()
}

// first returns the first non-empty string.
func first(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// namesFor collects the names naming needs from a span: for a CLIENT, how
// it names its server; for a span without a service, how it names itself.
// Tags that name the other side of a server span (peer.service,
// net.peer.name: the caller) are not read for it.
func namesFor(rs *rawSpan, kind role, needOwn bool) (n spanNames) {
	if kind != roleClient && !needOwn {
		return n
	}
	if kind == roleClient {
		if rs.RemoteEndpoint != nil {
			n.remoteSvc = rs.RemoteEndpoint.ServiceName
			n.remoteIP = rs.RemoteEndpoint.ip()
		}
		n.peerSvc = tagText(rs.Tags, "peer.service")
		n.remote, n.remoteIP = hostTags(rs.Tags, n.remoteIP, "server.address", "net.peer.name", "peer.hostname", "http.host", "url.full", "http.url")
	}
	if needOwn {
		if rs.LocalEndpoint != nil {
			n.ownIP = rs.LocalEndpoint.ip()
		}
		if kind == roleServer {
			// On a server, these name the server itself (the Host header,
			// the address it was called at). On a span without a kind they
			// may name either side, so they are not read.
			n.own, n.ownIP = hostTags(rs.Tags, n.ownIP, "http.host", "server.address", "url.full", "http.url")
		}
	}
	return n
}

// hostTags returns the host of the first tag of keys whose host is a name
// (not an IP), and ip, or when ip is not valid the first host that is an
// IP.
func hostTags(tags map[string]jsontext.Scalar, ip netip.Addr, keys ...string) (name string, ipOut netip.Addr) {
	ipOut = ip
	if len(tags) == 0 {
		return "", ipOut
	}
	for _, k := range keys {
		h := hostOf(tagText(tags, k))
		if h == "" {
			continue
		}
		if a, err := netip.ParseAddr(h); err == nil {
			if !ipOut.IsValid() {
				ipOut = a
			}
			continue
		}
		if name == "" {
			name = h
		}
	}
	return name, ipOut
}

func tagText(tags map[string]jsontext.Scalar, k string) string {
	if v, ok := tags[k]; ok && v.Valid {
		return strings.TrimSpace(v.Text)
	}
	return ""
}

// hostOf returns the host of a "host", "host:port", "[v6]:port" or URL
// value, without user info or port.
func hostOf(v string) string {
	if i := strings.Index(v, "://"); i >= 0 {
		v = v[i+3:]
		if j := strings.IndexAny(v, "/?#"); j >= 0 {
			v = v[:j]
		}
		if j := strings.LastIndexByte(v, '@'); j >= 0 {
			v = v[j+1:]
		}
	}
	if strings.HasPrefix(v, "[") {
		if j := strings.IndexByte(v, ']'); j > 0 {
			return v[1:j]
		}
		return ""
	}
	if strings.Count(v, ":") == 1 {
		v, _, _ = strings.Cut(v, ":")
	}
	if strings.ContainsAny(v, " \t/") || strings.Trim(v, "0123456789") == "" {
		return "" // not a host; a bare number is a port
	}
	return v
}
