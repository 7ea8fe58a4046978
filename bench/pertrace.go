package bench

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// GenerateFiles writes the traces Generate would write into dir, one
// file per trace, as Jaeger UI downloads and CRISP's inputs are:
// trace-NNNNNN.json ({"data": [trace]}) for FormatJaeger,
// trace-NNNNNN.jsonl (one line) for FormatJSONLines, trace-NNNNNN.pb for
// FormatProto. Traces are numbered in the order they complete; Gzip is
// not supported. Stats.Batches is the number of files.
func GenerateFiles(dir string, opt Options) (Stats, error) {
	if err := opt.normalize(); err != nil {
		return Stats{}, err
	}
	if opt.Gzip {
		return Stats{}, fmt.Errorf("bench: GenerateFiles writes uncompressed files")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Stats{}, fmt.Errorf("bench: %w", err)
	}
	g := &generator{
		opt:      opt,
		rng:      newRand(opt.Seed),
		perTrace: true,
		dir:      dir,
	}
	err := g.run()
	g.stats.Batches = g.files
	return g.stats, err
}

// collect holds ended spans by trace and writes each order trace as soon
// as all its spans have ended.
func (g *generator) collect(spans []span) error {
	if g.byTrace == nil {
		g.byTrace = map[[16]byte][]span{}
	}
	for _, s := range spans {
		l, ok := g.byTrace[s.trace]
		if !ok {
			g.open = append(g.open, s.trace)
		}
		l = append(l, s)
		g.byTrace[s.trace] = l
		if g.opt.Shape == ShapeOrder && len(l) == OrderSpans {
			if err := g.writeTrace(l); err != nil {
				return err
			}
			delete(g.byTrace, s.trace)
		}
	}
	return nil
}

// flushTraces writes the traces still held, in order of first appearance.
func (g *generator) flushTraces() error {
	for _, id := range g.open {
		if l, ok := g.byTrace[id]; ok {
			if err := g.writeTrace(l); err != nil {
				return err
			}
			delete(g.byTrace, id)
		}
	}
	g.open = g.open[:0]
	return nil
}

// writeTrace writes one complete trace: to its own file (GenerateFiles)
// or as the next element of the Jaeger document.
func (g *generator) writeTrace(spans []span) error {
	if g.dir == "" {
		if g.files == 0 {
			g.w.WriteString(`{"data":[`)
		} else {
			g.w.WriteByte(',')
		}
		g.files++
		g.stats.Batches++
		g.jbuf = appendJaegerTrace(g.jbuf[:0], spans)
		_, err := g.w.Write(g.jbuf)
		return err
	}
	ext := map[Format]string{FormatJaeger: ".json", FormatJSONLines: ".jsonl", FormatProto: ".pb"}[g.opt.Format]
	path := filepath.Join(g.dir, fmt.Sprintf("trace-%06d%s", g.files, ext))
	g.files++
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	cw := &countWriter{w: f}
	w := bufio.NewWriterSize(cw, 64<<10)
	if g.opt.Format == FormatJaeger {
		g.jbuf = append(appendJaegerTrace(append(g.jbuf[:0], `{"data":[`...), spans), jaegerTail...)
		_, err = w.Write(g.jbuf)
	} else {
		err = g.encodeBatch(w, spans)
	}
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("bench: %w", cerr)
	}
	g.stats.Bytes += cw.n
	return err
}

// jaegerTail ends a Jaeger query-API document.
const jaegerTail = "],\"total\":0,\"limit\":0,\"offset\":0,\"errors\":null}\n"

// jaegerEnd ends the Jaeger document Generate writes.
func (g *generator) jaegerEnd(w *bufio.Writer) error {
	if g.files == 0 {
		w.WriteString(`{"data":[`)
	}
	_, err := w.WriteString(jaegerTail)
	return err
}

var jaegerKinds = map[ptrace.SpanKind]string{
	ptrace.SpanKindServer:   "server",
	ptrace.SpanKindClient:   "client",
	ptrace.SpanKindProducer: "producer",
	ptrace.SpanKindConsumer: "consumer",
}

// appendJaegerTrace appends one trace in the Jaeger UI form, as
// jaeger-query converts OTLP: the parent is a CHILD_OF reference and a
// link a FOLLOWS_FROM one, the kind and status are tags, the scope is
// otel.scope.name/version, and each service instance is a process.
func appendJaegerTrace(b []byte, spans []span) []byte {
	type proc struct {
		service string
		host    uint8
	}
	var procs []proc
	procID := func(p proc) int {
		for i, q := range procs {
			if q == p {
				return i + 1
			}
		}
		procs = append(procs, p)
		return len(procs)
	}
	tid := hex.EncodeToString(spans[0].trace[:])
	b = append(b, `{"traceID":"`...)
	b = append(b, tid...)
	b = append(b, `","spans":[`...)
	for i := range spans {
		s := &spans[i]
		tp := &templates[s.t]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"traceID":"`...)
		b = append(b, tid...)
		b = append(b, `","spanID":"`...)
		b = hex.AppendEncode(b, s.id[:])
		b = append(b, `","operationName":`...)
		b = strconv.AppendQuote(b, tp.name)
		b = append(b, `,"references":[`...)
		if s.parent != ([8]byte{}) {
			b = appendRef(b, "CHILD_OF", tid, s.parent)
			if s.link {
				b = append(b, ',')
				b = appendRef(b, "FOLLOWS_FROM", tid, s.parent)
			}
		}
		b = append(b, `],"startTime":`...)
		b = strconv.AppendInt(b, s.start/1000, 10)
		b = append(b, `,"duration":`...)
		b = strconv.AppendInt(b, (s.end-s.start)/1000, 10)
		b = append(b, `,"tags":[`...)
		b = appendTag(b, str("otel.scope.name", tp.scope), false)
		b = appendTag(b, str("otel.scope.version", "0.63.0"), true)
		b = appendTag(b, str("span.kind", jaegerKinds[tp.kind]), true)
		for _, a := range attrsOf(s, tp) {
			b = appendTag(b, a, true)
		}
		if s.failed {
			b = appendTag(b, str("otel.status_code", "ERROR"), true)
			b = append(b, `,{"key":"error","type":"bool","value":true}`...)
			b = appendTag(b, str("otel.status_description", "upstream returned 500"), true)
		}
		b = append(b, `],"logs":[],"processID":"p`...)
		b = strconv.AppendInt(b, int64(procID(proc{tp.service, s.host})), 10)
		b = append(b, `","warnings":null}`...)
	}
	b = append(b, `],"processes":{`...)
	for i, p := range procs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `"p`...)
		b = strconv.AppendInt(b, int64(i+1), 10)
		b = append(b, `":{"serviceName":`...)
		b = strconv.AppendQuote(b, p.service)
		b = append(b, `,"tags":[`...)
		b = appendTag(b, str("host.name", p.service+"-7d9f8-"+hosts[p.host%3]), false)
		b = appendTag(b, str("service.namespace", "shop"), true)
		b = appendTag(b, str("service.version", "1.4.2"), true)
		b = appendTag(b, str("telemetry.sdk.language", "go"), true)
		b = appendTag(b, str("telemetry.sdk.name", "opentelemetry"), true)
		b = appendTag(b, str("telemetry.sdk.version", "1.38.0"), true)
		b = append(b, `]}`...)
	}
	return append(b, `},"warnings":null}`...)
}

func appendRef(b []byte, typ, tid string, id [8]byte) []byte {
	b = append(b, `{"refType":"`...)
	b = append(b, typ...)
	b = append(b, `","traceID":"`...)
	b = append(b, tid...)
	b = append(b, `","spanID":"`...)
	b = hex.AppendEncode(b, id[:])
	return append(b, `"}`...)
}

func appendTag(b []byte, a attr, comma bool) []byte {
	if comma {
		b = append(b, ',')
	}
	b = append(b, `{"key":`...)
	b = strconv.AppendQuote(b, a.key)
	if a.isInt {
		b = append(b, `,"type":"int64","value":`...)
		b = strconv.AppendInt(b, a.i, 10)
	} else {
		b = append(b, `,"type":"string","value":`...)
		b = strconv.AppendQuote(b, a.s)
	}
	return append(b, '}')
}
