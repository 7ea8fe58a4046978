package decode

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sync/atomic"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/syncaudit/syncaudit/decode/decoder"
	"github.com/syncaudit/syncaudit/decode/jsontext"
	"github.com/syncaudit/syncaudit/decode/otlp"
)

// DefaultChunkBytes is the size from which Split cuts OTLP/JSON lines into
// another chunk.
const DefaultChunkBytes = 4 << 20

// A Chunk is part of one input that decodes on its own: a run of whole
// lines of an OTLP/JSON lines input, or a whole input of any format.
// Chunks of one input can be decoded concurrently; decoded in order and
// joined with a Joiner, they give exactly the spans and the errors the
// whole input gives.
type Chunk struct {
	// Name is the input's name.
	Name string
	// Index numbers the input's chunks from 0.
	Index int
	// Offset is the chunk's byte offset in the decompressed input.
	Offset int64
	data   []byte
	blk    *block // the pooled buffer data is cut from, if any
	pooled bool   // data is a preloaded buffer, given back once decoded
	whole  bool
	format Format
	lim    decoder.Limits
	size   int
	lines  int
}

// Len is the size of the chunk's (decompressed) data in bytes.
func (c *Chunk) Len() int { return c.size }

// Whole reports whether the chunk is a whole input (not a run of lines).
func (c *Chunk) Whole() bool { return c.whole }

// Decode decodes the chunk into em and returns the format. Errors are
// positioned relative to the chunk; a Joiner moves them to the input. The
// chunk's data is released: a chunk decodes once.
func (c *Chunk) Decode(em decoder.Emitter) (Format, error) {
	data := c.data
	c.data = nil
	if c.whole {
		f, err := Bytes(c.Name, data, c.format, c.lim, em)
		if c.pooled {
			// The decoders copy what they keep (no span refers to data).
			putPreloadBuf(data[:cap(data)])
		}
		return f, err
	}
	c.lines = bytes.Count(data, []byte{'\n'})
	// A chunk of lines starts with a line that is one JSON object (Split
	// cuts so), which is how the OTLP decoder tells JSON lines.
	err := otlp.DecodeJSONLines(c.Name, data, em, c.lim)
	// The decoders copy what they keep (no span refers to data), so the
	// buffer may be read into again.
	c.blk.release()
	c.blk = nil
	return OTLPJSON, err
}

// block is a read buffer of the splitter, shared by the chunks cut from
// it. Standard-size blocks go back to the splitter's free list once the
// last chunk cut from one is decoded and the splitter has moved on: the
// reader then fills memory that is already mapped instead of fresh pages
// (which cost a page fault and zeroing each).
type block struct {
	buf  []byte
	refs atomic.Int32
	free chan *block // nil: not reused
}

func (b *block) release() {
	if b == nil || b.refs.Add(-1) != 0 || b.free == nil {
		return
	}
	select {
	case b.free <- b:
	default:
	}
}

// Split reads one input, removes compression as it streams, and calls
// yield with its chunks in order. An input of OTLP/JSON lines (sniffed, or
// forced with Options.Format) is cut between lines into chunks of about
// Options.ChunkBytes, each starting with a line that is a complete JSON
// object, so it is never held whole in memory; any other input is one
// chunk holding the whole decompressed input.
//
// Split returns the first error of yield, cancellation, or an error
// reading the input (opening it, decompressing, exceeding
// Limits.MaxInputBytes), after yielding the chunks read before it.
func Split(ctx context.Context, in Input, opt Options, yield func(*Chunk) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	lim := opt.Limits
	if lim == (decoder.Limits{}) {
		lim = decoder.DefaultLimits
	}
	chunkBytes := opt.ChunkBytes
	if chunkBytes <= 0 {
		chunkBytes = DefaultChunkBytes
	}
	rc, err := in.Open()
	if err != nil {
		return fmt.Errorf("%s: %w", in.Name, unwrapPathError(err))
	}
	defer rc.Close()
	size := int64(-1) // of a regular file
	if st, ok := rc.(interface{ Stat() (fs.FileInfo, error) }); ok {
		if fi, err := st.Stat(); err == nil && fi.Mode().IsRegular() {
			size = fi.Size()
		}
	}
	sp := &splitter{name: in.Name, lim: lim, chunk: chunkBytes, yield: yield, ctx: ctx}
	if mf, ok := rc.(*memFile); ok && int64(len(mf.data)) <= lim.MaxInputBytes &&
		!bytes.HasPrefix(mf.data, gzipMagic) && !bytes.HasPrefix(mf.data, zstdMagic) {
		// A preloaded file (Input.Preload) is its own buffer: all read.
		sp.s = &stream{name: in.Name, max: lim.MaxInputBytes, n: int64(len(mf.data)), eof: true}
		sp.pre = mf.data
		sp.sizeHint = int64(len(mf.data))
		return sp.run(opt.Format)
	}
	s, err := newStream(in.Name, rc, lim, size)
	if err != nil {
		return err
	}
	defer s.close()
	sp.s = s
	if size >= 0 && s.layer == "" {
		sp.sizeHint = min(size, lim.MaxInputBytes)
	}
	return sp.run(opt.Format)
}

// stream is an input with its compression layers removed, bounded by
// Limits.MaxInputBytes, that reports errors as Read and Decompress do.
type stream struct {
	name    string
	r       io.Reader
	layer   string // innermost compression ("" when none)
	closers []func()
	n, max  int64
	eof     bool
	err     error // sticky: every read after an error returns it
}

// newStream reads rc, of size bytes when known (else -1): a small file
// gets a read buffer of its size, not 64 KiB (a trace per file).
func newStream(name string, rc io.Reader, lim decoder.Limits, size int64) (*stream, error) {
	s := &stream{name: name, max: lim.MaxInputBytes}
	bufSize := 64 << 10
	if size >= 0 && size < int64(bufSize) {
		bufSize = max(int(size)+1, 16)
	}
	br := bufio.NewReaderSize(rc, bufSize)
	s.r = br
	for range 4 {
		magic, _ := br.Peek(4)
		switch {
		case bytes.HasPrefix(magic, gzipMagic):
			zr, err := gzip.NewReader(br)
			if err != nil {
				return nil, s.layerError("gzip", err)
			}
			s.layer = "gzip"
			// gzip decompresses on one core: a goroutine of its own
			// decompresses ahead while the input is split and decoded.
			ra := newReadAhead(&layerReader{s: s, layer: "gzip", r: zr})
			s.closers = append(s.closers, ra.close)
			br = bufio.NewReaderSize(ra, 64<<10)
		case bytes.HasPrefix(magic, zstdMagic):
			zr, err := zstd.NewReader(br,
				zstd.WithDecoderConcurrency(0), // GOMAXPROCS: blocks decode ahead, in goroutines of their own
				zstd.WithDecoderMaxMemory(uint64(min(lim.MaxInputBytes, 1<<40))),
				zstd.WithDecoderMaxWindow(64<<20))
			if err != nil {
				return nil, s.layerError("zstd", err)
			}
			s.closers = append(s.closers, zr.Close)
			s.layer = "zstd"
			br = bufio.NewReaderSize(&layerReader{s: s, layer: "zstd", r: zr}, 64<<10)
		default:
			s.r = br
			return s, nil
		}
		s.r = br
	}
	return s, nil
}

func (s *stream) close() {
	for _, c := range s.closers {
		c()
	}
}

// layerError is a decompression error as Decompress reports it.
func (s *stream) layerError(layer string, err error) error {
	if errors.Is(err, zstd.ErrDecoderSizeExceeded) || errors.Is(err, zstd.ErrWindowSizeExceeded) {
		err = fmt.Errorf("%w: %v", decoder.ErrTooLarge, err)
	}
	return decoder.BinaryError(s.name, 0, fmt.Errorf("%s: %w", layer, err))
}

// layerReader turns the errors of a decompressor into positioned errors.
type layerReader struct {
	s     *stream
	layer string
	r     io.Reader
}

func (l *layerReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	if err != nil && err != io.EOF {
		err = &readError{l.s.layerError(l.layer, err)}
	}
	return n, err
}

// readError marks an error that is already in its final form.
type readError struct{ err error }

func (e *readError) Error() string { return e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// read fills p from the input; at the end it returns io.EOF. Reading past
// MaxInputBytes is decoder.ErrTooLarge.
func (s *stream) read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if s.eof {
		return 0, io.EOF
	}
	n, err := io.ReadFull(s.r, p)
	s.n += int64(n)
	if s.n > s.max {
		s.err = s.tooLarge()
		return n, s.err
	}
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		s.eof = true
		if n == 0 {
			return 0, io.EOF
		}
		return n, nil
	case err != nil:
		var re *readError
		if errors.As(err, &re) {
			s.err = re.err
		} else {
			s.err = fmt.Errorf("%s: %w", s.name, err)
		}
		return n, s.err
	}
	return n, nil
}

func (s *stream) tooLarge() error {
	err := fmt.Errorf("%w: more than %d bytes", decoder.ErrTooLarge, s.max)
	if s.layer != "" {
		return decoder.BinaryError(s.name, 0, fmt.Errorf("%s: %w", s.layer, err))
	}
	return fmt.Errorf("%s: %w", s.name, err)
}

// readAll appends the rest of the input to buf.
func (s *stream) readAll(buf []byte) ([]byte, error) {
	for {
		if s.eof && s.err == nil {
			return buf, nil
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := s.read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

type splitter struct {
	ctx   context.Context
	name  string
	s     *stream
	lim   decoder.Limits
	chunk int
	yield func(*Chunk) error
	index int
	off   int64
	// sizeHint is the input's size when known (an uncompressed file), so
	// that a whole input is read into a buffer of the right size.
	sizeHint int64
	// pre is the whole input, when it was preloaded: the buffer, read.
	pre []byte
	// blk backs the buffer being filled; free holds standard blocks
	// (stdCap bytes) ready for reuse.
	blk    *block
	free   chan *block
	stdCap int
}

// newBuf returns an empty buffer of at least capacity n backed by a new
// current block, reusing a free standard block when n allows, and gives
// up the splitter's hold on the previous block. A negative n asks for a
// block of exactly -n bytes, never reused.
func (sp *splitter) newBuf(n int) []byte {
	sp.blk.release()
	var b *block
	if n < 0 {
		b = &block{buf: make([]byte, -n)}
	} else if n <= sp.stdCap {
		select {
		case b = <-sp.free:
		default:
			b = &block{buf: make([]byte, sp.stdCap), free: sp.free}
		}
	} else {
		b = &block{buf: make([]byte, n)}
	}
	b.refs.Store(1)
	sp.blk = b
	return b.buf[:0]
}

func (sp *splitter) emit(c *Chunk) error {
	if err := sp.ctx.Err(); err != nil {
		return err
	}
	c.Name, c.Index, c.Offset, c.lim = sp.name, sp.index, sp.off, sp.lim
	c.size = len(c.data)
	if !c.whole && sp.blk != nil {
		sp.blk.refs.Add(1)
		c.blk = sp.blk
	}
	sp.index++
	sp.off += int64(len(c.data))
	return sp.yield(c)
}

func (sp *splitter) run(f Format) error {
	sp.stdCap = max(sniffLen, sp.chunk) + sniffLen
	sp.free = make(chan *block, 8)
	defer func() { sp.blk.release() }()
	// Read the head: enough to sniff, and the first line, into a buffer
	// of twice that (or of the whole input, when it is a smaller file):
	// inputs are often small (a trace per file), and a standard block
	// costs megabytes of fresh pages each. An input of JSON lines moves
	// to standard blocks once the head is full.
	var buf []byte
	if sp.pre != nil {
		sp.blk = &block{buf: sp.pre}
		sp.blk.refs.Store(1)
		buf = sp.pre
	} else {
		head := 2 * sniffLen
		if sp.sizeHint > 0 && sp.sizeHint < int64(head) {
			head = int(sp.sizeHint) + 1 // +1: the end is seen without growing
		}
		buf = sp.newBuf(-head)
		for len(buf) < min(sniffLen, cap(buf)) {
			n, err := sp.s.read(buf[len(buf):min(sniffLen, cap(buf))])
			buf = buf[:len(buf)+n]
			if err != nil {
				// At the end, or after an error (kept by the stream and
				// returned by the next read): the complete lines read so
				// far may still be decoded.
				break
			}
		}
	}
	lines := false
	sn := f
	if f == Auto || f == "" {
		sn = Sniff(buf)
	}
	if sn == OTLPJSON && !(sp.s.eof && len(buf) <= sp.chunk) {
		// (An input all in the head and under a chunk is one chunk either way: it
		// is decoded whole, and the OTLP decoder tells JSON lines itself
		// as it reads the first line, on a worker.)
		var err error
		buf, lines, err = sp.firstLine(buf)
		if err != nil {
			return err
		}
	}
	if !lines {
		// Any other input is decoded whole. When the head is the whole
		// input, its sniffed format is the input's (Sniff looks at the
		// length of framed protobuf, so a part would not do); Bytes
		// sniffs again otherwise, and reports unknown content.
		if (f == Auto || f == "") && sp.s.eof && sn != "" {
			f = sn
		}
		if sp.sizeHint > int64(cap(buf)) && sp.sizeHint < 1<<40 {
			buf = append(make([]byte, 0, sp.sizeHint+1), buf...)
		}
		data, err := sp.s.readAll(buf)
		if err != nil {
			return err
		}
		// A preloaded buffer decoded whole goes back to its pool then.
		pooled := sp.pre != nil && len(data) > 0 && &data[0] == &sp.pre[0]
		return sp.emit(&Chunk{data: data, whole: true, format: f, pooled: pooled})
	}
	return sp.lines(buf)
}

// firstLine reads until the first non-blank line is complete and reports
// whether it is one JSON object: then the input is JSON lines, as the
// OTLP decoder decides.
func (sp *splitter) firstLine(buf []byte) ([]byte, bool, error) {
	for {
		p := jsontext.TrimBOM(buf)
		start := len(buf) - len(p) + jsontext.SkipSpace(p, 0)
		if start < len(buf) {
			if nl := bytes.IndexByte(buf[start:], '\n'); nl >= 0 || sp.s.eof {
				end := len(buf)
				if nl >= 0 {
					end = start + nl
				}
				return buf, buf[start] == '{' && sp.isObjectLine(buf[start:end]), nil
			}
		} else if sp.s.eof {
			return buf, false, nil
		}
		var err error
		if buf, err = sp.more(buf); err != nil {
			return buf, false, err
		}
	}
}

// more reads at least one more byte into buf, growing it as needed.
func (sp *splitter) more(buf []byte) ([]byte, error) {
	if len(buf) == cap(buf) {
		buf = append(sp.newBuf(2*cap(buf)), buf...)
	}
	n, err := sp.s.read(buf[len(buf):cap(buf)])
	buf = buf[:len(buf)+n]
	if err == io.EOF {
		return buf, nil
	}
	return buf, err
}

// lines cuts JSON lines into chunks. buf holds the head of the input.
func (sp *splitter) lines(buf []byte) error {
	for {
		for len(buf) > sp.chunk {
			cut := sp.cut(buf, len(buf) == cap(buf) || sp.s.eof)
			if cut <= 0 {
				break
			}
			if err := sp.emit(&Chunk{data: buf[:cut:cut]}); err != nil {
				return err
			}
			buf = buf[cut:]
		}
		if sp.s.eof {
			if len(bytes.TrimSpace(buf)) == 0 && sp.index > 0 {
				// Blank lines at the end belong to no chunk: they hold
				// nothing, and the line count of the chunks before is right.
				return nil
			}
			return sp.emit(&Chunk{data: buf})
		}
		if len(buf) == cap(buf) {
			// Keep the partial line; the chunks cut so far keep the old buffer.
			buf = append(sp.newBuf(max(sp.chunk, 2*len(buf))+sniffLen), buf...)
		}
		var err error
		if buf, err = sp.more(buf); err != nil {
			return sp.fail(buf, err)
		}
	}
}

// fail decodes the complete lines in buf, read before err, and returns err.
func (sp *splitter) fail(buf []byte, err error) error {
	if nl := bytes.LastIndexByte(buf, '\n'); nl >= 0 {
		if eerr := sp.emit(&Chunk{data: buf[:nl+1]}); eerr != nil {
			return eerr
		}
	}
	return err
}

// cut returns where to end the next chunk in buf: the start of a line
// that is one JSON object, complete in buf (so the OTLP decoder reads the
// chunk as JSON lines too). It prefers the first such line at or after
// ChunkBytes; when there is none and the buffer is full, the last one. It
// returns 0 when buf holds no such line after its first.
func (sp *splitter) cut(buf []byte, full bool) int {
	lineAt := func(start int) (end int, ok bool) {
		nl := bytes.IndexByte(buf[start:], '\n')
		if nl < 0 {
			if !sp.s.eof {
				return 0, false
			}
			return len(buf), true
		}
		return start + nl, true
	}
	// Forward from ChunkBytes.
	for start := sp.chunk; start < len(buf); {
		nl := bytes.IndexByte(buf[start-1:], '\n')
		if nl < 0 {
			break
		}
		start += nl
		end, ok := lineAt(start)
		if !ok {
			break
		}
		if start < len(buf) && buf[start] == '{' && sp.isObjectLine(buf[start:end]) {
			return start
		}
		start = end + 1
	}
	if !full {
		return 0
	}
	// Backward from the last complete line.
	end := bytes.LastIndexByte(buf, '\n')
	for end > 0 {
		start := bytes.LastIndexByte(buf[:end], '\n') + 1
		if start == 0 {
			return 0
		}
		if buf[start] == '{' && sp.isObjectLine(buf[start:end]) {
			return start
		}
		end = start - 1
	}
	return 0
}

// maxLineDepth bounds the nesting of a line Split cuts before: well within
// any MaxDepth the OTLP decoder is given, so that it agrees the line is a
// complete JSON object.
const maxLineDepth = 64

// isObjectLine reports whether line (without its newline) is exactly one
// valid JSON object, nested at most maxLineDepth deep, with optional
// trailing whitespace.
func (sp *splitter) isObjectLine(line []byte) bool {
	line = bytes.TrimRight(line, " \t\r")
	if len(line) < 2 || line[0] != '{' || line[len(line)-1] != '}' {
		return false
	}
	return validObject(line, min(maxLineDepth, sp.lim.MaxDepth-1))
}

// maxJoinedErrors is the number of errors a Joiner lists; the OTLP decoder
// lists as many per input.
const maxJoinedErrors = 100

// A Joiner combines the errors of one input's chunks, added in chunk
// order, into the error the whole input gives: positions are moved from
// the chunk to the input, and the list is cut at 100 errors with a count
// of the rest.
type Joiner struct {
	name   string
	lines  int // lines before the next chunk
	errs   decoder.ErrorList
	more   int
	single error // the error of a whole-input chunk, kept as is
	n      int
}

// NewJoiner returns a Joiner for the input called name.
func NewJoiner(name string) *Joiner { return &Joiner{name: name} }

// Add records the result of decoding chunk c (after Chunk.Decode).
func (j *Joiner) Add(c *Chunk, err error) {
	j.n++
	if c.whole {
		if err != nil {
			j.single = err
			j.append(err)
		}
		return
	}
	if err != nil {
		var list decoder.ErrorList
		if !errors.As(err, &list) {
			list = decoder.ErrorList{err}
		}
		for _, e := range list {
			j.appendShifted(c, e)
		}
	}
	j.lines += c.lines
}

// Fail records an error met outside any chunk (opening or reading the input).
func (j *Joiner) Fail(err error) {
	if err != nil {
		j.n++
		j.single = nil
		j.append(err)
	}
}

func (j *Joiner) appendShifted(c *Chunk, e error) {
	j.single = nil
	var de *decoder.Error
	if errors.As(e, &de) && !de.Binary {
		moved := *de
		if moved.Line > 0 {
			moved.Line += j.lines
		}
		moved.Offset += c.Offset
		j.append(&moved)
		return
	}
	var more *decoder.MoreErrors
	if errors.As(e, &more) {
		j.more += more.N
		return
	}
	j.append(e)
}

func (j *Joiner) append(e error) {
	if len(j.errs) >= maxJoinedErrors {
		j.more++
		return
	}
	j.errs = append(j.errs, e)
}

// Err returns the input's error: nil, one error, or a decoder.ErrorList.
// An input decoded as one whole chunk gets its decoder's error unchanged.
func (j *Joiner) Err() error {
	if j.single != nil && len(j.errs) == 1 && j.more == 0 {
		return j.single
	}
	errs := j.errs
	if j.more > 0 {
		errs = append(errs, &decoder.MoreErrors{File: j.name, N: j.more})
	}
	return errs.Err()
}
