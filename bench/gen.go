package bench

import (
	"bufio"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"

	"github.com/klauspost/compress/gzip"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Shape is the kind of workload Generate writes.
type Shape string

// Shapes.
const (
	// ShapeOrder is many independent "order" requests of OrderSpans spans
	// each (peers.md §5.1): a root SERVER POST /order on frontend with
	// sequential CLIENT→SERVER calls to auth, inventory (three sequential
	// SELECTs), payment, email and analytics, then five parallel
	// recommendation calls, a PRODUCER and a CONSUMER that starts after
	// the root ends.
	ShapeOrder Shape = "order"
	// ShapeWide is ONE trace whose root (batch POST /orders/batch) has
	// (Spans-1)/OrderSpans order subtrees in sequence: with Spans =
	// 1,001,001, a root with 38,500 children and 1,001,000 spans below it.
	ShapeWide Shape = "wide"
)

// Format is the file format Generate writes.
type Format string

// Formats.
const (
	// FormatJSONLines is OTLP/JSON lines as the Collector file exporter
	// writes them: one ExportTraceServiceRequest per line.
	FormatJSONLines Format = "otlp-jsonl"
	// FormatProto is the Collector file exporter's protobuf framing: each
	// ExportTraceServiceRequest prefixed by its 4-byte big-endian length.
	FormatProto Format = "otlp-proto"
	// FormatJaeger is Jaeger UI JSON as the query API and the UI's
	// "Download Results" write it: {"data": [trace, …]}, each trace
	// {"traceID", "spans", "processes"} with microsecond times and typed
	// tags, written once all its spans have ended (so a trace is never
	// split, whatever the batch bounds).
	FormatJaeger Format = "jaeger"
)

// OrderSpans is the number of spans in one order request.
const OrderSpans = 26

// Options describe what Generate writes. The zero value of every field
// but Shape and one of Traces/Spans has a sensible default.
type Options struct {
	Shape Shape
	// Traces is the number of order traces (ShapeOrder). When zero, Spans
	// decides: ⌈Spans/OrderSpans⌉ traces.
	Traces int
	// Spans is the size of the wide trace (ShapeWide, rounded down to
	// 1 + k·OrderSpans; at least one subtree), or the approximate total for
	// ShapeOrder when Traces is zero.
	Spans int
	// Seed makes the output reproducible: the same Options give the same bytes.
	Seed uint64
	// Format defaults to FormatJSONLines.
	Format Format
	// Gzip compresses the whole output.
	Gzip bool
	// MinBatch and MaxBatch bound the spans per line (per message); each
	// batch size is drawn uniformly between them. Defaults 100 and 500.
	MinBatch, MaxBatch int
	// Concurrency is the mean number of order requests in flight, which
	// decides how much spans of different traces interleave in batches.
	// Default 64.
	Concurrency int
}

// Stats describe what Generate wrote.
type Stats struct {
	Traces int
	Spans  int
	// Batches is the number of lines (JSON) or messages (protobuf).
	Batches int
	// Bytes is the number of bytes written to the writer (compressed when Gzip).
	Bytes int64
}

func (o *Options) normalize() error {
	if o.Format == "" {
		o.Format = FormatJSONLines
	}
	if o.Format != FormatJSONLines && o.Format != FormatProto && o.Format != FormatJaeger {
		return fmt.Errorf("bench: unknown format %q (want %s, %s or %s)", o.Format, FormatJSONLines, FormatProto, FormatJaeger)
	}
	if o.MinBatch <= 0 {
		o.MinBatch = 100
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = max(500, o.MinBatch)
	}
	if o.MaxBatch < o.MinBatch {
		return fmt.Errorf("bench: batch bounds %d > %d", o.MinBatch, o.MaxBatch)
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 64
	}
	switch o.Shape {
	case ShapeOrder:
		if o.Traces < 0 || o.Spans < 0 {
			return errors.New("bench: negative size")
		}
		if o.Traces == 0 {
			o.Traces = (o.Spans + OrderSpans - 1) / OrderSpans
		}
		if o.Traces == 0 {
			return errors.New("bench: order shape needs Traces or Spans")
		}
	case ShapeWide:
		if o.Spans < 1+OrderSpans {
			return fmt.Errorf("bench: wide shape needs at least %d spans", 1+OrderSpans)
		}
	default:
		return fmt.Errorf("bench: unknown shape %q (want %s or %s)", o.Shape, ShapeOrder, ShapeWide)
	}
	return nil
}

// WideChildren is the root fan-out of a wide trace of n spans.
func WideChildren(n int) int { return (n - 1) / OrderSpans }

// Generate writes a synthetic trace export to w. Spans are written in the
// order they end (as SDKs export them), in batches that mix the spans of
// all requests in flight, each batch grouped into one resourceSpans per
// service instance. Memory stays bounded by the requests in flight,
// whatever the size of the output.
func Generate(w io.Writer, opt Options) (Stats, error) {
	if err := opt.normalize(); err != nil {
		return Stats{}, err
	}
	cw := &countWriter{w: w}
	var (
		out io.Writer = cw
		gz  *gzip.Writer
	)
	if opt.Gzip {
		gz = gzip.NewWriter(cw)
		out = gz
	}
	bw := bufio.NewWriterSize(out, 1<<20)
	g := &generator{
		opt:      opt,
		rng:      newRand(opt.Seed),
		w:        bw,
		perTrace: opt.Format == FormatJaeger,
	}
	err := g.run()
	if err == nil && opt.Format == FormatJaeger {
		err = g.jaegerEnd(bw)
	}
	if err == nil {
		err = bw.Flush()
	}
	if gz != nil {
		if cerr := gz.Close(); err == nil {
			err = cerr
		}
	}
	g.stats.Bytes = cw.n
	return g.stats, err
}

// run generates every request, writes the last batch and, per trace,
// the traces still open: what Generate and GenerateFiles share.
func (g *generator) run() error {
	g.nextBatch()
	var err error
	if g.opt.Shape == ShapeWide {
		err = g.wide()
	} else {
		err = g.orders()
	}
	if err == nil {
		err = g.drain(maxTime)
	}
	if err == nil && len(g.ready) > 0 {
		err = g.writeBatch(g.ready)
	}
	if err == nil && g.perTrace {
		err = g.flushTraces()
	}
	return err
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

const (
	ms      = int64(1_000_000)
	maxTime = int64(1<<63 - 1)
	// epoch is 2026-03-01T12:00:00Z, the start of the generated day.
	epoch = int64(1_772_366_400) * 1_000_000_000
)

// tmpl identifies a span template: service, name, kind and attributes.
type tmpl uint8

const (
	tOrderRoot tmpl = iota
	tClientAuth
	tServerAuth
	tClientInventory
	tServerInventory
	tSelect
	tClientPayment
	tServerPayment
	tClientEmail
	tServerEmail
	tClientAnalytics
	tServerAnalytics
	tClientReco
	tServerReco
	tProducer
	tConsumer
	tBatchRoot
)

// span is a generated span, kept small while it waits in the heap.
type span struct {
	trace      [16]byte
	id, parent [8]byte
	start, end int64
	seq        uint64 // creation order, the heap's tie-break
	t          tmpl
	host       uint8
	slot       uint8 // recommendation slot or SELECT index
	failed     bool
	link       bool // carries a link to its parent (the consumer)
}

type spanHeap []span

func (h spanHeap) Len() int { return len(h) }
func (h spanHeap) Less(i, j int) bool {
	if h[i].end != h[j].end {
		return h[i].end < h[j].end
	}
	return h[i].seq < h[j].seq
}
func (h spanHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *spanHeap) Push(x any)   { *h = append(*h, x.(span)) }
func (h *spanHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

type generator struct {
	opt   Options
	rng   *rand.Rand
	w     *bufio.Writer
	stats Stats
	seq   uint64
	// pending holds generated spans until the clock passes their end.
	pending spanHeap
	// ready holds ended spans not yet written; batch is the size of the
	// next batch.
	ready []span
	batch int
	pm    ptrace.ProtoMarshaler
	jm    ptrace.JSONMarshaler
	// byTrace holds the ended spans of traces not yet written, for the
	// outputs written trace by trace (FormatJaeger, GenerateFiles); open
	// lists those traces in order of first appearance.
	byTrace map[[16]byte][]span
	open    [][16]byte
	// perTrace routes batches to byTrace; dir, when set, is where
	// GenerateFiles writes one file per trace (files counts them).
	perTrace bool
	dir      string
	files    int
	jbuf     []byte
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5eedcafe)) }

func (g *generator) nextBatch() {
	g.batch = g.opt.MinBatch + g.rng.IntN(g.opt.MaxBatch-g.opt.MinBatch+1)
}

// jitter scales d by a factor drawn uniformly in [0.7, 1.6).
func (g *generator) jitter(d int64) int64 { return int64(float64(d) * (0.7 + 0.9*g.rng.Float64())) }

// between returns a duration drawn uniformly in [lo, hi).
func (g *generator) between(lo, hi int64) int64 { return lo + g.rng.Int64N(hi-lo) }

func (g *generator) traceID() (id [16]byte) {
	binary.BigEndian.PutUint64(id[:8], g.rng.Uint64())
	binary.BigEndian.PutUint64(id[8:], g.rng.Uint64()|1)
	return id
}

func (g *generator) spanID() (id [8]byte) {
	binary.BigEndian.PutUint64(id[:], g.rng.Uint64()|1)
	return id
}

func (g *generator) add(s span) {
	s.seq = g.seq
	g.seq++
	heap.Push(&g.pending, s)
	g.stats.Spans++
}

// drain moves every span that ended by now to the ready list, writing
// full batches.
func (g *generator) drain(now int64) error {
	for len(g.pending) > 0 && g.pending[0].end <= now {
		g.ready = append(g.ready, heap.Pop(&g.pending).(span))
		if len(g.ready) >= g.batch {
			if err := g.writeBatch(g.ready); err != nil {
				return err
			}
			g.ready = g.ready[:0]
			g.nextBatch()
		}
	}
	return nil
}

func (g *generator) orders() error {
	// Requests arrive every ~latency/Concurrency: about 330 ms / 64 ≈ 5 ms.
	gap := 330 * ms / int64(g.opt.Concurrency)
	now := epoch
	for i := 0; i < g.opt.Traces; i++ {
		now += g.between(gap/2, gap*3/2+1)
		if err := g.drain(now); err != nil {
			return err
		}
		g.order(g.traceID(), [8]byte{}, now, uint8(g.rng.IntN(3)))
		g.stats.Traces++
	}
	return nil
}

func (g *generator) wide() error {
	k := WideChildren(g.opt.Spans)
	tid := g.traceID()
	root := span{trace: tid, id: g.spanID(), start: epoch, t: tBatchRoot}
	now := epoch + g.between(ms/2, 2*ms)
	for i := 0; i < k; i++ {
		if err := g.drain(now); err != nil {
			return err
		}
		end := g.order(tid, root.id, now, uint8(i%3))
		now = end + g.between(ms/10, ms/2)
	}
	root.end = now + g.between(ms/10, ms)
	g.add(root)
	g.stats.Traces = 1
	return nil
}

// order generates one order request starting at start under parent (zero
// for a root) and returns the root's end. The 26 spans go to the heap.
func (g *generator) order(tid [16]byte, parent [8]byte, start int64, host uint8) int64 {
	root := span{trace: tid, id: g.spanID(), parent: parent, start: start, t: tOrderRoot, host: host}
	t := start + g.between(ms/5, ms)
	// Sequential synchronous calls; the caller works a little between them.
	type seqCall struct {
		client, server tmpl
		base           int64
	}
	failed := false
	for _, c := range []seqCall{
		{tClientAuth, tServerAuth, 8 * ms},
		{tClientInventory, tServerInventory, 25 * ms},
		{tClientPayment, tServerPayment, 120 * ms},
		{tClientEmail, tServerEmail, 90 * ms},
		{tClientAnalytics, tServerAnalytics, 40 * ms},
	} {
		d := g.jitter(c.base)
		cl := span{trace: tid, id: g.spanID(), parent: root.id, start: t, end: t + d, t: c.client, host: host}
		net := g.between(ms/10, ms/2)
		sv := span{trace: tid, id: g.spanID(), parent: cl.id, start: t + net, end: t + d - net, t: c.server, host: uint8(g.rng.IntN(3))}
		switch c.client {
		case tClientInventory:
			// Three sequential SELECTs inside the inventory handler.
			q := sv.start + g.between(ms/10, ms/2)
			step := (sv.end - q) / 3
			for k := range 3 {
				qd := g.jitter(step * 2 / 3)
				qd = min(qd, step-ms/20)
				g.add(span{trace: tid, id: g.spanID(), parent: sv.id, start: q, end: q + qd, t: tSelect, host: sv.host, slot: uint8(k)})
				q += step
			}
		case tClientEmail:
			// 1 % of emails fail; the order still succeeds (failure tolerated).
			if g.rng.IntN(100) == 0 {
				cl.failed, sv.failed = true, true
			}
		case tClientPayment:
			// 0.5 % of payments fail, and so does the order.
			if g.rng.IntN(200) == 0 {
				cl.failed, sv.failed, failed = true, true, true
			}
		}
		g.add(cl)
		g.add(sv)
		t = cl.end + g.between(ms/10, ms)
	}
	// Five recommendation calls in parallel.
	last := t
	for k := range 5 {
		s := t + int64(k)*ms/20
		d := g.jitter(30 * ms)
		cl := span{trace: tid, id: g.spanID(), parent: root.id, start: s, end: s + d, t: tClientReco, host: host, slot: uint8(k)}
		net := g.between(ms/10, ms/2)
		sv := span{trace: tid, id: g.spanID(), parent: cl.id, start: s + net, end: s + d - net, t: tServerReco, host: uint8(g.rng.IntN(3)), slot: uint8(k)}
		g.add(cl)
		g.add(sv)
		last = max(last, cl.end)
	}
	t = last + g.between(ms/10, ms/2)
	// Publish order.created; a consumer picks it up after the response.
	prod := span{trace: tid, id: g.spanID(), parent: root.id, start: t, end: t + g.between(ms/5, 2*ms), t: tProducer, host: host}
	g.add(prod)
	root.end = prod.end + g.between(ms/5, ms)
	root.failed = failed
	g.add(root)
	cs := root.end + g.between(2*ms, 50*ms)
	g.add(span{trace: tid, id: g.spanID(), parent: prod.id, start: cs, end: cs + g.jitter(20*ms), t: tConsumer, host: uint8(g.rng.IntN(3)), link: true})
	return root.end
}

// template data.
type spanTmpl struct {
	service string
	name    string
	kind    ptrace.SpanKind
	scope   string
}

var templates = [...]spanTmpl{
	tOrderRoot:       {"frontend", "POST /order", ptrace.SpanKindServer, scopeHTTP},
	tClientAuth:      {"frontend", "POST", ptrace.SpanKindClient, scopeHTTP},
	tServerAuth:      {"auth", "POST /verify", ptrace.SpanKindServer, scopeHTTP},
	tClientInventory: {"frontend", "POST", ptrace.SpanKindClient, scopeHTTP},
	tServerInventory: {"inventory", "POST /reserve", ptrace.SpanKindServer, scopeHTTP},
	tSelect:          {"inventory", "SELECT inventory.stock", ptrace.SpanKindClient, scopeSQL},
	tClientPayment:   {"frontend", "POST", ptrace.SpanKindClient, scopeHTTP},
	tServerPayment:   {"payment", "POST /charge", ptrace.SpanKindServer, scopeHTTP},
	tClientEmail:     {"frontend", "POST", ptrace.SpanKindClient, scopeHTTP},
	tServerEmail:     {"email", "POST /send", ptrace.SpanKindServer, scopeHTTP},
	tClientAnalytics: {"frontend", "POST", ptrace.SpanKindClient, scopeHTTP},
	tServerAnalytics: {"analytics", "POST /track", ptrace.SpanKindServer, scopeHTTP},
	tClientReco:      {"frontend", "GET", ptrace.SpanKindClient, scopeHTTP},
	tServerReco:      {"recommendation", "GET /recommendations", ptrace.SpanKindServer, scopeHTTP},
	tProducer:        {"frontend", "orders publish", ptrace.SpanKindProducer, scopeKafka},
	tConsumer:        {"fulfillment", "orders process", ptrace.SpanKindConsumer, scopeKafka},
	tBatchRoot:       {"batch", "POST /orders/batch", ptrace.SpanKindServer, scopeHTTP},
}

const (
	scopeHTTP  = "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	scopeSQL   = "github.com/XSAM/otelsql"
	scopeKafka = "github.com/IBM/sarama/otelsarama"
)

// callee is the host and path a client template calls.
var callee = map[tmpl][2]string{
	tClientAuth:      {"auth", "/verify"},
	tClientInventory: {"inventory", "/reserve"},
	tClientPayment:   {"payment", "/charge"},
	tClientEmail:     {"email", "/send"},
	tClientAnalytics: {"analytics", "/track"},
	tClientReco:      {"recommendation", "/recommendations"},
}

var hosts = [3]string{"a", "b", "c"}

// writeBatch encodes spans as one ExportTraceServiceRequest: one
// resourceSpans per service instance, in order of first appearance; for
// the outputs written trace by trace, it holds them until their trace is
// complete.
func (g *generator) writeBatch(spans []span) error {
	if g.perTrace {
		return g.collect(spans)
	}
	return g.encodeBatch(g.w, spans)
}

func (g *generator) encodeBatch(w *bufio.Writer, spans []span) error {
	td := ptrace.NewTraces()
	type rkey struct {
		service string
		host    uint8
	}
	type res struct {
		ss map[string]ptrace.SpanSlice
		rs ptrace.ResourceSpans
	}
	byRes := map[rkey]*res{}
	for i := range spans {
		s := &spans[i]
		tp := &templates[s.t]
		k := rkey{tp.service, s.host}
		r := byRes[k]
		if r == nil {
			r = &res{ss: map[string]ptrace.SpanSlice{}, rs: td.ResourceSpans().AppendEmpty()}
			a := r.rs.Resource().Attributes()
			a.PutStr("service.name", tp.service)
			a.PutStr("service.namespace", "shop")
			a.PutStr("service.version", "1.4.2")
			a.PutStr("host.name", tp.service+"-7d9f8-"+hosts[s.host%3])
			a.PutStr("telemetry.sdk.language", "go")
			a.PutStr("telemetry.sdk.name", "opentelemetry")
			a.PutStr("telemetry.sdk.version", "1.38.0")
			byRes[k] = r
		}
		sl, ok := r.ss[tp.scope]
		if !ok {
			sc := r.rs.ScopeSpans().AppendEmpty()
			sc.Scope().SetName(tp.scope)
			sc.Scope().SetVersion("0.63.0")
			sl = sc.Spans()
			r.ss[tp.scope] = sl
		}
		fill(sl.AppendEmpty(), s, tp)
	}
	g.stats.Batches++
	switch g.opt.Format {
	case FormatProto:
		b, err := g.pm.MarshalTraces(td)
		if err != nil {
			return fmt.Errorf("bench: encoding batch: %w", err)
		}
		var hdr [4]byte
		binary.BigEndian.PutUint32(hdr[:], uint32(len(b)))
		if _, err := w.Write(hdr[:]); err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	default:
		b, err := g.jm.MarshalTraces(td)
		if err != nil {
			return fmt.Errorf("bench: encoding batch: %w", err)
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
		return w.WriteByte('\n')
	}
}

// fill sets a pdata span from a generated span and its template.
func fill(ps ptrace.Span, s *span, tp *spanTmpl) {
	ps.SetTraceID(pcommon.TraceID(s.trace))
	ps.SetSpanID(pcommon.SpanID(s.id))
	if s.parent != ([8]byte{}) {
		ps.SetParentSpanID(pcommon.SpanID(s.parent))
	}
	ps.SetFlags(257)
	ps.SetName(tp.name)
	ps.SetKind(tp.kind)
	ps.SetStartTimestamp(pcommon.Timestamp(s.start))
	ps.SetEndTimestamp(pcommon.Timestamp(s.end))
	a := ps.Attributes()
	if s.failed {
		ps.Status().SetCode(ptrace.StatusCodeError)
		ps.Status().SetMessage("upstream returned 500")
	}
	for _, kv := range attrsOf(s, tp) {
		if kv.isInt {
			a.PutInt(kv.key, kv.i)
		} else {
			a.PutStr(kv.key, kv.s)
		}
	}
	if s.link {
		l := ps.Links().AppendEmpty()
		l.SetTraceID(pcommon.TraceID(s.trace))
		l.SetSpanID(pcommon.SpanID(s.parent))
	}
}

// attr is a generated span attribute: a string, or an int when isInt.
type attr struct {
	key   string
	s     string
	i     int64
	isInt bool
}

func str(k, v string) attr           { return attr{key: k, s: v} }
func integer(k string, v int64) attr { return attr{key: k, i: v, isInt: true} }

// attrsOf returns a generated span's attributes, in the order written.
func attrsOf(s *span, tp *spanTmpl) []attr {
	status := int64(200)
	if s.failed {
		status = 500
	}
	switch tp.kind {
	case ptrace.SpanKindServer:
		method, route := splitName(tp.name)
		return []attr{
			str("http.request.method", method),
			str("http.route", route),
			str("url.path", route),
			str("url.scheme", "http"),
			str("server.address", tp.service),
			integer("server.port", 8080),
			str("network.protocol.version", "1.1"),
			str("client.address", "10.0.3."+strconv.Itoa(10+int(s.slot))),
			str("user_agent.original", "Go-http-client/1.1"),
			integer("http.response.status_code", status),
		}
	case ptrace.SpanKindClient:
		if s.t == tSelect {
			return []attr{
				str("db.system.name", "postgresql"),
				str("db.namespace", "inventory"),
				str("db.operation.name", "SELECT"),
				str("db.query.text", "SELECT qty, reserved FROM stock WHERE sku = $1 AND warehouse = $2"),
				str("server.address", "postgres"),
				integer("server.port", 5432),
			}
		}
		c := callee[s.t]
		url := "http://" + c[0] + ":8080" + c[1]
		if s.t == tClientReco {
			url += "?slot=" + strconv.Itoa(int(s.slot))
		}
		return []attr{
			str("http.request.method", tp.name),
			str("url.full", url),
			str("server.address", c[0]),
			integer("server.port", 8080),
			str("network.protocol.version", "1.1"),
			integer("http.response.status_code", status),
		}
	case ptrace.SpanKindProducer, ptrace.SpanKindConsumer:
		a := []attr{
			str("messaging.system", "kafka"),
			str("messaging.destination.name", "orders"),
		}
		if tp.kind == ptrace.SpanKindProducer {
			a = append(a, str("messaging.operation.type", "publish"))
		} else {
			a = append(a, str("messaging.operation.type", "process"), str("messaging.consumer.group.name", "fulfillment"))
		}
		return append(a, str("server.address", "kafka"), integer("messaging.kafka.message.offset", int64(s.seq%1_000_000)))
	}
	return nil
}

func splitName(name string) (method, route string) {
	for i := 0; i < len(name); i++ {
		if name[i] == ' ' {
			return name[:i], name[i+1:]
		}
	}
	return name, ""
}
