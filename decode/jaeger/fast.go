package jaeger

import (
	"bytes"
	"encoding/binary"
	"runtime"
	"sync"
	"unsafe"

	"github.com/syncaudit/syncaudit/decode/decoder"
	"github.com/syncaudit/syncaudit/decode/jsontext"
	"github.com/syncaudit/syncaudit/trace"
)

// The fast path reads the common shapes — a query-API response {"data":
// [trace, …], "total", …}, a bare UI trace, an array of traces — with a
// hand-written strict scanner instead of encoding/json, filling the same
// rawSpan the slow path decodes into and converting it with the same
// code (convert, flush's service resolution, the same UnmarshalJSON
// methods on the same raw value bytes), so the spans are the same. It
// gives up, having emitted nothing, at anything it does not handle
// exactly as encoding/json would: invalid JSON, a value of an unexpected
// type, a key that only case-folds to a field, a duplicate key, a key
// with escapes or non-ASCII bytes, api_v2 shapes, query errors, a span
// the slow path would report. The document is then decoded by the slow
// path, which positions and reports every problem.

// recorder holds what a fast attempt would emit, replayed on success.
// Emitted spans are copied into blocks that are never regrown (a block
// is full when the next batch does not fit; the next one is twice as
// large, up to maxBlock spans), so each span is copied once on its way in.
type recorder struct {
	block   []trace.Span
	batches [][]trace.Span // one per Emit call
	reject  []trace.Reason
}

// maxBlock bounds the spans of one recorder block.
const maxBlock = 8192

func (rc *recorder) Emit(spans []trace.Span) {
	if cap(rc.block)-len(rc.block) < len(spans) {
		n := min(max(2*cap(rc.block), 64), maxBlock)
		rc.block = make([]trace.Span, 0, max(n, len(spans)))
	}
	start := len(rc.block)
	rc.block = append(rc.block, spans...)
	rc.batches = append(rc.batches, rc.block[start:len(rc.block):len(rc.block)])
}

// replay emits what rc recorded to em; a recorder adopts the batches of
// another without copying them.
func (rc *recorder) replay(em decoder.Emitter) {
	if to, ok := em.(*recorder); ok {
		to.batches = append(to.batches, rc.batches...)
		to.reject = append(to.reject, rc.reject...)
		return
	}
	if g, ok := em.(decoder.Grower); ok {
		n := 0
		for _, b := range rc.batches {
			n += len(b)
		}
		g.Grow(n)
	}
	for _, b := range rc.batches {
		em.Emit(b)
	}
	for _, r := range rc.reject {
		em.Reject(r, 1)
	}
}

func (rc *recorder) Reject(r trace.Reason, n int) {
	for range n {
		rc.reject = append(rc.reject, r)
	}
}

// fastScan is the fast path's position in one document.
type fastScan struct {
	r   *reader // its Reader is nil: convert and flush report to failed
	doc []byte
	pos int
	// esc is set when the last string read had a backslash, nonASCII
	// when it had a byte >= 0x80.
	esc, nonASCII bool
	// depth is the nesting at pos: the fast path gives up past maxDepth,
	// where the slow path reports the document as too deep.
	depth, maxDepth int
	stack           []byte
	m               *fastMemo
	tc              traceCtx
}

// procMemoSlot holds the process objects remembered for service names
// of one hash.
type procMemoSlot struct {
	ways [procMemoWays]struct {
		raw             []byte
		depth, maxDepth int
		svc             string
	}
	next int
}

// fast decodes doc when it can (see above) and reports whether it did.
func (st *state) fast(doc []byte) bool {
	if st.noFast {
		return false
	}
	m := memoPool.Get().(*fastMemo)
	defer memoPool.Put(m)
	// The memo's buffers are reused from document to document (a trace
	// per file): the recorder's, when replaying copies the spans out, and
	// the trace's and the references slab's unused rest.
	rec := &recorder{}
	if _, adopts := st.em.(*recorder); !adopts {
		rec = &m.rec
		rec.block, rec.batches, rec.reject = rec.block[:0], rec.batches[:0], rec.reject[:0]
	}
	fst := &state{file: st.file, em: rec, names: st.names}
	f := &fastScan{r: &reader{st: fst, refs: m.refs}, doc: doc, maxDepth: st.in.MaxDepth(), m: m, tc: m.tc}
	defer func() {
		clear(rec.batches)
		clear(f.tc.procs) // its keys may be views of doc
		f.tc.id = ""
		m.tc, m.refs = f.tc, f.r.refs
		if cap(m.tc.spans) > maxBlock {
			m.tc = traceCtx{} // a huge trace's buffers are not kept
		}
	}()
	if !f.top() || f.r.failed {
		return false
	}
	rec.replay(st.em)
	if rec == &m.rec {
		clear(rec.block) // copied out: drop the references to strings and attributes
	}
	st.read += fst.read
	return true
}

func (f *fastScan) ws() { f.pos = jsontext.SkipSpace(f.doc, f.pos) }

// peek returns the next byte after white space, 0 at the end.
func (f *fastScan) peek() byte {
	f.ws()
	if f.pos < len(f.doc) {
		return f.doc[f.pos]
	}
	return 0
}

// eat consumes c after white space.
func (f *fastScan) eat(c byte) bool {
	if f.peek() != c {
		return false
	}
	f.pos++
	return true
}

func (f *fastScan) top() bool {
	switch f.peek() {
	case '{':
		switch shapeOf(f.doc[f.pos:]) {
		case shapeWrapper:
			if !f.response() {
				return false
			}
		case shapeTrace:
			if !f.traceObject() {
				return false
			}
		default:
			return false
		}
	case '[':
		if !f.traces() {
			return false
		}
	default:
		return false
	}
	f.ws()
	return f.pos == len(f.doc)
}

// object reads an object, calling member for each key (a plain ASCII key
// without escapes, quotes removed) with pos at its value; member must
// read the value.
func (f *fastScan) object(member func(key []byte) bool) bool {
	if !f.eat('{') || !f.deeper() {
		return false
	}
	if f.eat('}') {
		f.depth--
		return true
	}
	for {
		if f.peek() != '"' {
			return false
		}
		k, ok := f.key()
		if !ok || !f.eat(':') {
			return false
		}
		f.ws()
		if !member(k) {
			return false
		}
		if f.eat(',') {
			continue
		}
		f.depth--
		return f.eat('}')
	}
}

// key reads an object key at pos (a '"') and returns it without its
// quotes. A key with escapes, control or non-ASCII bytes fails: the fast
// path leaves it to the slow one. Keys are short: a byte loop beats str.
func (f *fastScan) key() ([]byte, bool) {
	b := f.doc
	for i := f.pos + 1; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			k := b[f.pos+1 : i]
			f.pos = i + 1
			return k, true
		case c < 0x20 || c == '\\' || c >= 0x80:
			return nil, false
		}
	}
	return nil, false
}

// deeper enters a bracket just read, and reports whether it is within
// maxDepth.
func (f *fastScan) deeper() bool {
	f.depth++
	return f.depth <= f.maxDepth
}

// array reads an array, calling elem with pos at each element.
func (f *fastScan) array(elem func() bool) bool {
	if !f.eat('[') || !f.deeper() {
		return false
	}
	if f.eat(']') {
		f.depth--
		return true
	}
	for {
		f.ws()
		if !elem() {
			return false
		}
		if f.eat(',') {
			continue
		}
		f.depth--
		return f.eat(']')
	}
}

// foldsTo reports whether key equals one of names ignoring ASCII case
// (keys are ASCII here, so this is encoding/json's and
// strings.EqualFold's matching).
func foldsTo(key []byte, names ...string) bool {
	for _, n := range names {
		if len(n) != len(key) {
			continue
		}
		eq := true
		for i := range key {
			a, b := key[i], n[i]
			if 'A' <= a && a <= 'Z' {
				a += 'a' - 'A'
			}
			if 'A' <= b && b <= 'Z' {
				b += 'a' - 'A'
			}
			if a != b {
				eq = false
				break
			}
		}
		if eq {
			return true
		}
	}
	return false
}

// plain8 reports whether none of the eight bytes of x is '"', '\\', a
// control byte or a byte >= 0x80.
func plain8(x uint64) bool { return jsontext.PlainWord(x) && jsontext.ASCIIWord(x) }

// str reads a string literal at pos and returns it, quotes included,
// setting esc when it has escapes and nonASCII when it has bytes >= 0x80.
func (f *fastScan) str() ([]byte, bool) {
	b := f.doc
	start := f.pos
	f.esc, f.nonASCII = false, false
	for i := start + 1; i < len(b); i++ {
		// Eight bytes at a time while none needs a look.
		for i+8 <= len(b) && plain8(binary.LittleEndian.Uint64(b[i:])) {
			i += 8
		}
		if i >= len(b) {
			break
		}
		switch c := b[i]; {
		case c == '"':
			f.pos = i + 1
			return b[start:f.pos], true
		case c < 0x20:
			return nil, false
		case c >= 0x80:
			f.nonASCII = true
		case c == '\\':
			f.esc = true
			i++
			if i >= len(b) {
				return nil, false
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(b) {
					return nil, false
				}
				for _, h := range b[i+1 : i+5] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return nil, false
					}
				}
				i += 4
			default:
				return nil, false
			}
		}
	}
	return nil, false
}

// scalar reads a number or literal at pos.
func (f *fastScan) scalar() bool {
	b := f.doc
	i := f.pos
	if i >= len(b) {
		return false
	}
	for _, lit := range [...]string{"true", "false", "null"} {
		if b[i] == lit[0] {
			if len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit {
				f.pos = i + len(lit)
				return true
			}
			return false
		}
	}
	if b[i] == '-' {
		i++
	}
	digits := func() bool {
		j := i
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		return i > j
	}
	if i < len(b) && b[i] == '0' {
		i++
	} else if !digits() {
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	f.pos = i
	return true
}

// value reads any value at pos (strictly) and returns its bytes.
func (f *fastScan) value() ([]byte, bool) {
	f.ws()
	start := f.pos
	if start >= len(f.doc) {
		return nil, false
	}
	switch f.doc[start] {
	case '"':
		return f.str()
	case '{', '[':
	default:
		if !f.scalar() {
			return nil, false
		}
		return f.doc[start:f.pos], true
	}
	stack := f.stack[:0]
	defer func() { f.stack = stack[:0] }()
	empty := false
	for {
		if f.pos >= len(f.doc) {
			return nil, false
		}
		if len(stack) > 0 {
			open := stack[len(stack)-1]
			if c := f.doc[f.pos]; c == '}' && open == '{' || c == ']' && open == '[' {
				f.pos++
				stack = stack[:len(stack)-1]
				empty = false
				if len(stack) == 0 {
					return f.doc[start:f.pos], true
				}
				f.ws()
				continue
			}
			if !empty {
				if f.doc[f.pos] != ',' {
					return nil, false
				}
				f.pos++
				f.ws()
			}
			if open == '{' {
				if f.pos >= len(f.doc) || f.doc[f.pos] != '"' {
					return nil, false
				}
				if _, ok := f.str(); !ok || !f.eat(':') {
					return nil, false
				}
				f.ws()
			}
			if f.pos >= len(f.doc) {
				return nil, false
			}
		}
		switch c := f.doc[f.pos]; c {
		case '{', '[':
			stack = append(stack, c)
			if f.depth+len(stack) > f.maxDepth {
				return nil, false
			}
			f.pos++
			empty = true
			f.ws()
			continue
		case '"':
			if _, ok := f.str(); !ok {
				return nil, false
			}
		default:
			if !f.scalar() {
				return nil, false
			}
		}
		if len(stack) == 0 {
			return f.doc[start:f.pos], true
		}
		empty = false
		f.ws()
	}
}

// skip reads and drops a value.
func (f *fastScan) skip() bool {
	_, ok := f.value()
	return ok
}

// strField reads a value into a Go string field as encoding/json does: a
// string sets it, null leaves it; anything else gives up. A string
// without escapes or non-ASCII bytes is a view of the document, not a
// copy: every field strField reads is used while the document is decoded
// and not kept (IDs are parsed, names interned, which copies them).
func (f *fastScan) strField(dst *string) bool {
	switch f.peek() {
	case '"':
		raw, ok := f.str()
		if !ok {
			return false
		}
		if !f.esc && !f.nonASCII {
			*dst = unsafe.String(unsafe.SliceData(raw[1:]), len(raw)-2)
			return true
		}
		s, err := jsontext.Unquote(raw)
		*dst = s
		return err == nil
	case 'n':
		return f.scalar()
	}
	return false
}

// keysSeen records which keys of an object were read, one bit each:
// first fails on a repeated key, which the fast path leaves to the slow
// one (encoding/json keeps the last value).
type keysSeen uint32

// first reports whether bit is new, and records it.
func (s *keysSeen) first(bit uint32) bool {
	if *s&keysSeen(bit) != 0 {
		return false
	}
	*s |= keysSeen(bit)
	return true
}

// unmarshal reads a value and hands its bytes to u, as encoding/json
// does for a json.Unmarshaler field.
func (f *fastScan) unmarshal(u interface{ UnmarshalJSON([]byte) error }) bool {
	raw, ok := f.value()
	return ok && u.UnmarshalJSON(raw) == nil
}

// response reads {"data": [trace, …] | trace | null, "errors": null, …}.
func (f *fastScan) response() bool {
	return f.object(func(k []byte) bool {
		switch string(k) {
		case "data":
			switch f.peek() {
			case '[':
				return f.traces()
			case '{':
				return shapeOf(f.doc[f.pos:]) == shapeTrace && f.traceObject()
			case 'n':
				return f.scalar()
			}
			return false
		case "errors":
			return f.peek() == 'n' && f.scalar()
		}
		if foldsTo(k, "data", "errors", "batch", "batches") {
			return false
		}
		return f.skip()
	})
}

// parallelBytes is the size of a document from which the traces of its
// array are decoded on every core.
var parallelBytes = 8 << 20

// traces reads an array of trace objects.
func (f *fastScan) traces() bool {
	if len(f.doc)-f.pos >= parallelBytes && runtime.GOMAXPROCS(0) > 1 {
		return f.tracesParallel()
	}
	return f.array(func() bool {
		return f.peek() == '{' && shapeOf(f.doc[f.pos:]) == shapeTrace && f.traceObject()
	})
}

// traceObject reads a UI trace {"traceID", "spans", "processes", …} and
// records its spans as the slow path's traceObject emits them.
func (f *fastScan) traceObject() bool {
	// The trace's buffers are the scanner's, reused trace after trace
	// (flush copies the spans out).
	t := &f.tc
	t.id, t.batch = "", ""
	t.spans, t.procID, t.own = t.spans[:0], t.procID[:0], t.own[:0]
	clear(t.procs)
	var seen keysSeen
	once := seen.first
	ok := f.object(func(k []byte) bool {
		switch string(k) {
		case "spans":
			return once(1) && f.spans(t)
		case "processes":
			return once(2) && f.processes(t)
		case "traceID":
			return once(4) && f.strField(&t.id)
		}
		if foldsTo(k, "spans", "processes", "processmap", "process_map", "process", "traceid", "trace_id") {
			return false
		}
		return f.skip()
	})
	if !ok || f.r.failed {
		return false
	}
	f.r.flush(t)
	return true
}

// objects reads null (calling reset) or an array whose elements are all
// objects, calling each at the start of every one.
func (f *fastScan) objects(reset func(), each func() bool) bool {
	switch f.peek() {
	case 'n':
		reset()
		return f.scalar()
	case '[':
		return f.array(func() bool { return f.peek() == '{' && each() })
	}
	return false
}

func (f *fastScan) spans(t *traceCtx) bool {
	return f.objects(func() {}, func() bool { return f.span(t) && !f.r.failed })
}

func (f *fastScan) processes(t *traceCtx) bool {
	switch f.peek() {
	case 'n':
		return f.scalar()
	case '{':
	default:
		return false
	}
	return f.object(func(k []byte) bool {
		if f.peek() != '{' {
			return false
		}
		svc, ok := f.memoProcess()
		if !ok {
			return false
		}
		if t.procs == nil {
			t.procs = map[string]string{}
		}
		t.procs[string(k)] = svc
		return true
	})
}

// The process memo: procMemoSlots slots by the hash of the service name
// a process object starts with, of procMemoWays objects each.
const (
	procMemoSlots = 32
	procMemoWays  = 4
)

// memoProcess reads a process object and returns its service name
// (interned). Process objects are remembered by their raw bytes and
// recalled as tagMemo recalls tags: traces of one export repeat the same
// processes (service, host and SDK tags), a few instances per service.
func (f *fastScan) memoProcess() (string, bool) {
	in := f.doc[f.pos:]
	// The slot: the service name when the object starts with it (only
	// hashed, never trusted).
	const lead = `{"serviceName":"`
	var name []byte
	if bytes.HasPrefix(in, []byte(lead)) {
		name = in[len(lead):min(len(in), len(lead)+64)]
		if q := bytes.IndexByte(name, '"'); q >= 0 {
			name = name[:q]
		}
	}
	sl := &f.m.procs[decoder.NameHash(name)%procMemoSlots]
	for i := range sl.ways {
		if e := &sl.ways[i]; len(e.raw) > 0 && e.depth == f.depth && e.maxDepth == f.maxDepth && bytes.HasPrefix(in, e.raw) {
			f.pos += len(e.raw)
			return e.svc, true
		}
	}
	start := f.pos
	var p rawProcess
	if !f.process(&p) {
		return "", false
	}
	svc := f.r.st.names.Intern(p.name())
	e := &sl.ways[sl.next]
	sl.next = (sl.next + 1) % procMemoWays
	e.raw, e.depth, e.maxDepth, e.svc = append(e.raw[:0], f.doc[start:f.pos]...), f.depth, f.maxDepth, svc
	return svc, true
}

// process reads {"serviceName", "tags", …}.
func (f *fastScan) process(p *rawProcess) bool {
	var seen uint8
	return f.object(func(k []byte) bool {
		switch string(k) {
		case "serviceName":
			if seen&1 != 0 {
				return false
			}
			seen |= 1
			return f.strField(&p.ServiceName)
		case "service_name":
			if seen&2 != 0 {
				return false
			}
			seen |= 2
			return f.strField(&p.ServiceNameSnake)
		}
		if foldsTo(k, "serviceName", "service_name") {
			return false
		}
		return f.skip()
	})
}

// Bits of the span fields read, to give up on duplicates.
const (
	fTraceID = 1 << iota
	fSpanID
	fParentSpanID
	fOperationName
	fReferences
	fStartTime
	fDuration
	fTags
	fProcessID
	fProcess
	fTraceIDSnake
	fSpanIDSnake
	fParentSpanIDSnake
	fOperationNameSnake
	fStartTimeSnake
	fProcessIDSnake
)

// span reads one span object into the reader's scratch rawSpan and
// converts it as the slow path's span does.
func (f *fastScan) span(t *traceCtx) bool {
	start := f.pos
	rs := f.r.reuse()
	var seen keysSeen
	once := seen.first
	ok := f.object(func(k []byte) bool {
		switch string(k) {
		case "traceID":
			return once(fTraceID) && f.strField(&rs.TraceID)
		case "spanID":
			return once(fSpanID) && f.strField(&rs.SpanID)
		case "parentSpanID":
			return once(fParentSpanID) && f.strField(&rs.ParentSpanID)
		case "operationName":
			return once(fOperationName) && f.strField(&rs.OperationName)
		case "references":
			return once(fReferences) && f.refs(rs)
		case "startTime":
			return once(fStartTime) && f.startTime(&rs.StartTime)
		case "duration":
			return once(fDuration) && f.duration(&rs.Duration)
		case "tags":
			return once(fTags) && f.memoTags(rs)
		case "processID":
			return once(fProcessID) && f.strField(&rs.ProcessID)
		case "process":
			if !once(fProcess) {
				return false
			}
			switch f.peek() {
			case 'n':
				rs.Process = nil
				return f.scalar()
			case '{':
				rs.Process = &rawProcess{}
				return f.process(rs.Process)
			}
			return false
		case "trace_id":
			return once(fTraceIDSnake) && f.strField(&rs.TraceIDSnake)
		case "span_id":
			return once(fSpanIDSnake) && f.strField(&rs.SpanIDSnake)
		case "parent_span_id":
			return once(fParentSpanIDSnake) && f.strField(&rs.ParentSpanIDSnake)
		case "operation_name":
			return once(fOperationNameSnake) && f.strField(&rs.OperationNameSnake)
		case "start_time":
			return once(fStartTimeSnake) && f.unmarshal(&rs.StartTimeSnake)
		case "process_id":
			return once(fProcessIDSnake) && f.strField(&rs.ProcessIDSnake)
		}
		if foldsTo(k, "traceID", "spanID", "parentSpanID", "operationName", "references", "startTime",
			"duration", "tags", "processID", "process", "trace_id", "span_id", "parent_span_id",
			"operation_name", "start_time", "process_id") {
			return false
		}
		return f.skip()
	})
	if !ok {
		return false
	}
	rs.merge()
	f.r.convert(rs, t, start)
	return true
}

func (f *fastScan) refs(rs *rawSpan) bool {
	return f.objects(func() { rs.References = nil }, func() bool {
		rs.References = append(rs.References, rawRef{})
		ref := &rs.References[len(rs.References)-1]
		var seen keysSeen
		once := seen.first
		return f.object(func(k []byte) bool {
			switch string(k) {
			case "refType":
				return once(1) && f.refType(&ref.RefType)
			case "traceID":
				return once(2) && f.strField(&ref.TraceID)
			case "spanID":
				return once(4) && f.strField(&ref.SpanID)
			case "ref_type":
				return once(8) && f.unmarshal(&ref.RefTypeSnake)
			case "trace_id":
				return once(16) && f.strField(&ref.TraceIDSnake)
			case "span_id":
				return once(32) && f.strField(&ref.SpanIDSnake)
			}
			if foldsTo(k, "refType", "traceID", "spanID", "ref_type", "trace_id", "span_id") {
				return false
			}
			return f.skip()
		})
	})
}

func (f *fastScan) tags(rs *rawSpan) bool {
	return f.objects(func() { rs.Tags = nil }, func() bool {
		rs.Tags = append(rs.Tags, rawKV{})
		kv := &rs.Tags[len(rs.Tags)-1]
		if f.uiTag(kv) {
			return true
		}
		*kv = rawKV{}
		var seen keysSeen
		once := seen.first
		return f.object(func(k []byte) bool {
			switch string(k) {
			case "key":
				return once(1) && f.unmarshal(&kv.Key)
			case "value":
				return once(2) && f.unmarshal(&kv.Value)
			case "vType":
				return once(4) && f.unmarshal(&kv.VType)
			case "vStr":
				return once(8) && f.unmarshal(&kv.VStr)
			case "vBool":
				return once(16) && f.unmarshal(&kv.VBool)
			case "vInt64":
				return once(32) && f.unmarshal(&kv.VInt64)
			case "vFloat64":
				return once(64) && f.unmarshal(&kv.VFloat64)
			case "v_type":
				return once(128) && f.unmarshal(&kv.VTypeSnake)
			case "v_str":
				return once(256) && f.unmarshal(&kv.VStrSnake)
			case "v_bool":
				return once(512) && f.unmarshal(&kv.VBoolSnake)
			case "v_int64":
				return once(1024) && f.unmarshal(&kv.VInt64Snake)
			case "v_float64":
				return once(2048) && f.unmarshal(&kv.VFloat64Snake)
			}
			if foldsTo(k, "key", "value", "vType", "vStr", "vBool", "vInt64", "vFloat64",
				"v_type", "v_str", "v_bool", "v_int64", "v_float64") {
				return false
			}
			return f.skip()
		})
	})
}

// tracesParallel reads an array of trace objects as traces does, on
// every core, without a serial pass over the array first. The array is
// cut into about 4×GOMAXPROCS byte ranges; each range after the first
// starts at a guess, the first '{' after a ',' past its nominal start
// that shapeOf calls a trace. Groups decode their ranges concurrently
// (each into its own recorder, with its own names), trace after trace,
// until the separator after a trace ends at or past the next guess. A
// guess is right when the group before it ends exactly there: by
// induction from the array's first element, which is no guess, every
// range then starts at an element and each group read what the serial
// scan reads. The spans are emitted in document order, so the result
// does not depend on the number of cores. When a guess is wrong (a ','
// and a trace-like object inside a string) or a group fails, the array
// is read again serially.
func (f *fastScan) tracesParallel() bool {
	open, depth := f.pos, f.depth
	if !f.eat('[') || !f.deeper() {
		return false
	}
	f.ws()
	if f.pos < len(f.doc) && f.doc[f.pos] == ']' {
		f.pos++
		f.depth--
		return true
	}
	workers := runtime.GOMAXPROCS(0)
	n := 4 * workers
	per := (len(f.doc) - f.pos + n - 1) / n
	starts := []int{f.pos}
	for k := 1; k < n; k++ {
		from := max(starts[0]+k*per, starts[len(starts)-1]+1)
		c := nextTrace(f.doc, from)
		if c < 0 {
			break
		}
		if c > starts[len(starts)-1] {
			starts = append(starts, c)
		}
	}
	type group struct {
		st  *state
		rec *recorder
		end int // where the group stopped: the next start, or past ']'
		ok  bool
	}
	groups := make([]group, len(starts))
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	for k := range groups {
		g := &groups[k]
		g.rec = &recorder{}
		g.st = &state{file: f.r.st.file, em: g.rec, names: decoder.Interner{}}
		next := -1
		if k+1 < len(starts) {
			next = starts[k+1]
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			m := memoPool.Get().(*fastMemo)
			defer memoPool.Put(m)
			sub := &fastScan{r: &reader{st: g.st}, doc: f.doc, pos: starts[k], depth: f.depth, maxDepth: f.maxDepth, m: m}
			for {
				if sub.peek() != '{' || shapeOf(f.doc[sub.pos:]) != shapeTrace || !sub.traceObject() || sub.r.failed {
					return
				}
				if sub.eat(',') {
					sub.ws()
					if next >= 0 && sub.pos >= next {
						g.end, g.ok = sub.pos, sub.pos == next
						return
					}
					continue
				}
				if sub.eat(']') {
					g.end, g.ok = sub.pos, next < 0
				}
				return
			}
		}()
	}
	wg.Wait()
	for k := range groups {
		if !groups[k].ok {
			// A wrong guess or a failure: read the array serially.
			f.pos, f.depth = open, depth
			return f.array(func() bool {
				return f.peek() == '{' && shapeOf(f.doc[f.pos:]) == shapeTrace && f.traceObject()
			})
		}
	}
	st := f.r.st
	for k := range groups {
		groups[k].rec.replay(st.em)
		st.read += groups[k].st.read
	}
	f.pos = groups[len(groups)-1].end
	f.depth--
	return true
}

// nextTrace returns the offset of the first '{' at or after from that
// follows a ',' (and white space) and starts what shapeOf calls a trace,
// or -1.
func nextTrace(doc []byte, from int) int {
	for from < len(doc) {
		c := bytes.IndexByte(doc[from:], ',')
		if c < 0 {
			return -1
		}
		i := jsontext.SkipSpace(doc, from+c+1)
		if i < len(doc) && doc[i] == '{' && shapeOf(doc[i:]) == shapeTrace {
			return i
		}
		from = i
	}
	return -1
}

// fastMemo holds what a fast scan recalls: tags arrays and process
// objects by their raw bytes. Memos are pooled and reused from document
// to document (and from input to input: a trace per file repeats the
// tags of the files before it). Recalling is exact whatever a memo holds,
// so the spans do not depend on which memo a scan gets. What they share
// across inputs is immutable: attribute lists (trace.Attrs are not
// modified after decoding) and service names.
type fastMemo struct {
	tags  tagMemo
	procs [procMemoSlots]procMemoSlot
	// Buffers a fast scan reuses (see state.fast).
	rec  recorder
	tc   traceCtx
	refs []trace.Ref
}

var memoPool = sync.Pool{New: func() any { return new(fastMemo) }}

// tagMemo remembers, per operation name, the raw bytes of the last few
// "tags" arrays the fast path read and what they give a span (kind,
// status, kept attributes), as the OTLP decoder's attribute memo does:
// spans of one operation usually carry byte-identical tags, and
// comparing the input at the position with the remembered bytes (a
// memcmp) replaces reading, classifying and copying every tag. Exact: a
// JSON value is determined by its bytes, and reading one consumes
// exactly its bytes. Only arrays read at the same nesting depth, under
// the same depth limit, are recalled, and spans that recall one share its
// attribute list (trace.Attrs are not modified after decoding; see
// decoder.AttrSets).
type tagMemo struct {
	slots *[tagMemoSlots]tagMemoSlot
}

const (
	tagMemoSlots = 64
	tagMemoWays  = 8
)

type tagMemoSlot struct {
	ways [tagMemoWays]tagEffect
	next uint8
}

// tagEffect is what a tags array gives a span.
type tagEffect struct {
	raw      []byte
	depth    int // where raw was read, and under which limit
	maxDepth int
	kind     trace.Kind
	status   trace.Status
	attrs    trace.Attrs
}

func (m *tagMemo) slot(name string) *tagMemoSlot {
	if m.slots == nil {
		m.slots = new([tagMemoSlots]tagMemoSlot)
	}
	return &m.slots[decoder.NameHash(name)%tagMemoSlots]
}

// memoTags reads a span's "tags" as tags does, through the memo: a
// remembered array is skipped and its effect set on rs, a new one is
// read, and remembered when it is an array.
func (f *fastScan) memoTags(rs *rawSpan) bool {
	f.ws()
	if f.pos >= len(f.doc) || f.doc[f.pos] != '[' {
		return f.tags(rs)
	}
	sl := f.m.tags.slot(rs.OperationName)
	in := f.doc[f.pos:]
	for i := range sl.ways {
		if e := &sl.ways[i]; len(e.raw) > 0 && e.depth == f.depth && e.maxDepth == f.maxDepth && bytes.HasPrefix(in, e.raw) {
			f.pos += len(e.raw)
			rs.Tags = rs.Tags[:0]
			rs.effect = e
			return true
		}
	}
	start := f.pos
	if !f.tags(rs) {
		return false
	}
	e := &sl.ways[sl.next]
	sl.next = (sl.next + 1) % tagMemoWays
	var sp trace.Span
	applyTags(&sp, rs.Tags)
	*e = tagEffect{raw: append(e.raw[:0], f.doc[start:f.pos]...), depth: f.depth, maxDepth: f.maxDepth,
		kind: sp.Kind, status: sp.Status, attrs: sp.Attrs}
	rs.effect = e // convert reads the effect, not Tags
	return true
}

// digits reads a JSON number at pos and returns its bytes, and whether it
// is a plain integer of at most 15 digits (no sign, fraction or
// exponent), which microseconds to nanoseconds cannot overflow.
func (f *fastScan) digits() (raw []byte, plain, ok bool) {
	start := f.pos
	if !f.scalar() {
		return nil, false, false
	}
	raw = f.doc[start:f.pos]
	if len(raw) > 15 {
		return raw, false, true
	}
	for _, c := range raw {
		if c < '0' || c > '9' {
			return raw, false, true
		}
	}
	return raw, true, true
}

// startTime reads a span's startTime as startTime.UnmarshalJSON does,
// a plain integer of microseconds without it.
func (f *fastScan) startTime(t *startTime) bool {
	if c := f.peek(); c < '0' || c > '9' {
		return f.unmarshal(t)
	}
	raw, plain, ok := f.digits()
	if !ok {
		return false
	}
	if !plain {
		return t.UnmarshalJSON(raw) == nil
	}
	var us int64
	for _, c := range raw {
		us = us*10 + int64(c-'0')
	}
	*t = startTime{ns: us * 1000, set: true}
	return true
}

// duration reads a span's duration as duration.UnmarshalJSON does, a
// plain integer (its unit decided later) as a view of the document.
func (f *fastScan) duration(d *duration) bool {
	if c := f.peek(); c < '0' || c > '9' {
		return f.unmarshal(d)
	}
	raw, plain, ok := f.digits()
	if !ok {
		return false
	}
	if !plain {
		return d.UnmarshalJSON(raw) == nil
	}
	*d = duration{num: unsafe.String(unsafe.SliceData(raw), len(raw)), unitless: true, set: true}
	return true
}

// refType reads a reference type as refType.UnmarshalJSON does, the two
// UI spellings without it.
func (f *fastScan) refType(r *refType) bool {
	if f.peek() != '"' {
		return f.unmarshal(r)
	}
	raw, ok := f.str()
	if !ok {
		return false
	}
	switch string(raw) {
	case `"CHILD_OF"`:
		r.t = trace.RefChildOf
		return true
	case `"FOLLOWS_FROM"`:
		r.t = trace.RefFollowsFrom
		return true
	}
	return r.UnmarshalJSON(raw) == nil
}

// hasAt reports whether doc holds lit at i.
func hasAt(doc []byte, i int, lit string) bool {
	return len(doc)-i >= len(lit) && string(doc[i:i+len(lit)]) == lit
}

// uiTag reads a tag written exactly as the Jaeger UI writes it,
// {"key":"…","type":"…","value":…} without white space and with a string
// or number value, as the general reader in tags would. At anything else
// it returns false with pos unchanged (kv may be partly set). A value
// that no kept attribute holds is a view of the document.
func (f *fastScan) uiTag(kv *rawKV) bool {
	const (
		keyLit   = `{"key":"`
		typeLit  = `,"type":"`
		valueLit = `,"value":`
	)
	start, d := f.pos, f.doc
	fail := func() bool { f.pos = start; return false }
	if f.depth+1 > f.maxDepth || !hasAt(d, f.pos, keyLit) {
		return false
	}
	f.pos += len(keyLit) - 1
	k, ok := f.str()
	if !ok || kv.Key.UnmarshalJSON(k) != nil || !hasAt(d, f.pos, typeLit) {
		return fail()
	}
	f.pos += len(typeLit) - 1
	if _, ok := f.str(); !ok || !hasAt(d, f.pos, valueLit) {
		return fail()
	}
	f.pos += len(valueLit)
	if f.pos >= len(d) {
		return fail()
	}
	switch c := d[f.pos]; {
	case c == '"':
		raw, ok := f.str()
		switch {
		case !ok:
			return fail()
		case f.esc || f.nonASCII:
			if kv.Value.UnmarshalJSON(raw) != nil {
				return fail()
			}
		case kv.Key.role == roleAttr:
			kv.Value = jsontext.Scalar{Text: string(raw[1 : len(raw)-1]), Valid: true}
		default:
			kv.Value = jsontext.Scalar{Text: unsafe.String(unsafe.SliceData(raw[1:]), len(raw)-2), Valid: true}
		}
	case c == '-' || '0' <= c && c <= '9':
		n := f.pos
		if !f.scalar() || kv.Value.UnmarshalJSON(d[n:f.pos]) != nil {
			return fail()
		}
	default:
		return fail()
	}
	if f.pos >= len(d) || d[f.pos] != '}' {
		return fail()
	}
	f.pos++
	return true
}
