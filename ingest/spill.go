package ingest

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"unsafe"

	"github.com/syncaudit/syncaudit/trace"
)

// The spill encoding of a trace.Span, one record after another in a
// partition file:
//
//	TraceID [16]byte, SpanID [8]byte, ParentID [8]byte
//	Start varint, End-Start varint
//	Kind, Status, ParentRef, Flags: one byte each
//	Warnings uvarint
//	Service str, Name str
//	Attrs list
//	len(Refs) uvarint, then per reference: TraceID [16]byte, SpanID [8]byte, Type byte
//
// A str is a uvarint x: x > 0 is entry x-1 of the file's dictionary; x = 0
// is followed by the string itself (uvarint length, bytes), which becomes
// the next dictionary entry while the dictionary has fewer than dictMax
// entries and the string is at most dictMaxLen bytes. Writer and reader
// apply the same rule, so the dictionary is never written out. Service and
// operation names and most attribute values repeat: a typical span takes
// about 50 bytes.
//
// A list is a uvarint x: x > 0 is entry x-1 of the file's list dictionary;
// x = 0 is followed by the list itself (uvarint length, then per
// attribute: Key byte, Value str), which, when not empty, becomes the next
// list entry while there are fewer than listMax. The writer recognises a list by the
// address of the decoders' shared copy (checking its content, since an
// address may be reused once a list is freed); the reader hands out its
// own copy of an entry to every span that refers to it, so spans read
// back share lists too.

const (
	dictMax    = 1 << 16
	dictMaxLen = 256
	listMax    = 1 << 16
)

// spanWriter encodes spans to one partition file.
type spanWriter struct {
	w     *bufio.Writer
	dict  map[string]uint32
	lists map[uintptr]listEntry
	// listCount is the number of list entries (listMax at most).
	listCount int
	// recent caches dictionary strings by address (see str).
	recent [256]recentStr
	buf    []byte
	spans  int
}

// listEntry is a list written to the dictionary: its index and a copy of
// its content (the address is not kept alive, so it may be reused).
type listEntry struct {
	index uint32
	attrs trace.Attrs
}

func newSpanWriter(w io.Writer) *spanWriter {
	return &spanWriter{w: bufio.NewWriterSize(w, 32<<10), dict: map[string]uint32{}, lists: map[uintptr]listEntry{}}
}

// list appends the encoding of a to b.
func (sw *spanWriter) list(b []byte, a trace.Attrs) []byte {
	var addr uintptr
	if len(a) > 0 {
		addr = uintptr(unsafe.Pointer(&a[0]))
		if e, ok := sw.lists[addr]; ok && slices.Equal(e.attrs, a) {
			return binary.AppendUvarint(b, uint64(e.index)+1)
		}
	}
	b = append(b, 0)
	b = binary.AppendUvarint(b, uint64(len(a)))
	for _, x := range a {
		b = append(b, byte(x.Key))
		b = sw.str(b, x.Value)
	}
	if len(a) > 0 && sw.listCount < listMax {
		sw.lists[addr] = listEntry{uint32(sw.listCount), slices.Clone(a)}
		sw.listCount++
	}
	return b
}

func (sw *spanWriter) str(b []byte, s string) []byte {
	// Spans decoded together share their names' memory: a string at the
	// same address as one looked up lately is that string, and its
	// dictionary entry is known without hashing it.
	var e *recentStr
	if len(s) > 0 {
		e = &sw.recent[(uintptr(unsafe.Pointer(unsafe.StringData(s)))>>3^uintptr(len(s)))%uintptr(len(sw.recent))]
		if len(e.s) == len(s) && unsafe.StringData(e.s) == unsafe.StringData(s) {
			return binary.AppendUvarint(b, uint64(e.index)+1)
		}
	}
	if i, ok := sw.dict[s]; ok {
		if e != nil {
			*e = recentStr{s, i}
		}
		return binary.AppendUvarint(b, uint64(i)+1)
	}
	b = append(b, 0)
	b = binary.AppendUvarint(b, uint64(len(s)))
	b = append(b, s...)
	if len(sw.dict) < dictMax && len(s) <= dictMaxLen {
		sw.dict[s] = uint32(len(sw.dict))
	}
	return b
}

// recentStr is a string written lately and its dictionary entry.
type recentStr struct {
	s     string
	index uint32
}

// write appends one span.
func (sw *spanWriter) write(s *trace.Span) error {
	b := sw.buf[:0]
	b = append(b, s.TraceID[:]...)
	b = append(b, s.SpanID[:]...)
	b = append(b, s.ParentID[:]...)
	b = binary.AppendVarint(b, s.Start)
	b = binary.AppendVarint(b, s.End-s.Start)
	b = append(b, byte(s.Kind), byte(s.Status), byte(s.ParentRef), byte(s.Flags))
	b = binary.AppendUvarint(b, uint64(s.Warnings))
	b = sw.str(b, s.Service)
	b = sw.str(b, s.Name)
	b = sw.list(b, s.Attrs)
	b = binary.AppendUvarint(b, uint64(len(s.Refs)))
	for _, r := range s.Refs {
		b = append(b, r.TraceID[:]...)
		b = append(b, r.SpanID[:]...)
		b = append(b, byte(r.Type))
	}
	sw.buf = b
	sw.spans++
	_, err := sw.w.Write(b)
	return err
}

func (sw *spanWriter) flush() error { return sw.w.Flush() }

// spanReader decodes the spans of one partition file.
type spanReader struct {
	r    *bufio.Reader
	dict []string
	// attrs and refs are slabs that spans take capacity-limited
	// sub-slices of, as the decoders do.
	attrs []trace.Attr
	refs  []trace.Ref
	// lists is the list dictionary.
	lists []trace.Attrs
	// buf holds a span's fixed-size fields while they are read (a local
	// array handed to io.ReadFull escapes: an allocation per span).
	buf [32]byte
}

// list reads an attribute list (see the encoding above).
func (sr *spanReader) list() (trace.Attrs, error) {
	x, err := sr.uvarint()
	if err != nil {
		return nil, err
	}
	if x > 0 {
		if x-1 >= uint64(len(sr.lists)) {
			return nil, fmt.Errorf("%w: list %d of %d", errCorrupt, x-1, len(sr.lists))
		}
		return sr.lists[x-1], nil
	}
	n, err := sr.uvarint()
	if err != nil || n == 0 {
		return nil, err
	}
	if n > 1<<16 {
		return nil, fmt.Errorf("%w: %d attributes", errCorrupt, n)
	}
	if uint64(cap(sr.attrs)-len(sr.attrs)) < n {
		sr.attrs = make([]trace.Attr, 0, max(1024, int(n)))
	}
	at := len(sr.attrs)
	for range n {
		k, err := sr.r.ReadByte()
		if err != nil {
			return nil, corrupt(err)
		}
		v, err := sr.str()
		if err != nil {
			return nil, err
		}
		sr.attrs = append(sr.attrs, trace.Attr{Key: trace.AttrKey(k), Value: v})
	}
	a := trace.Attrs(sr.attrs[at:len(sr.attrs):len(sr.attrs)])
	if len(sr.lists) < listMax {
		sr.lists = append(sr.lists, a)
	}
	return a, nil
}

func newSpanReader(r io.Reader) *spanReader {
	return &spanReader{r: bufio.NewReaderSize(r, 64<<10)}
}

var errCorrupt = errors.New("corrupt spill file")

// uvarint and varint read a varint from the buffered bytes (through
// io.ByteReader, binary.ReadUvarint costs an interface call per byte:
// 2.3 of the 6 CPU-s of reading the 10M-span input's partitions back),
// falling back to binary's readers near the end or on a malformed one,
// for their errors. (Two copies rather than one generic function taking
// binary's decoders as values: those would no longer be inlined, in the
// loop that reads every span back.)
func (sr *spanReader) uvarint() (uint64, error) {
	b, _ := sr.r.Peek(binary.MaxVarintLen64)
	if v, n := binary.Uvarint(b); n > 0 {
		sr.r.Discard(n)
		return v, nil
	}
	v, err := binary.ReadUvarint(sr.r)
	if err != nil {
		return 0, corrupt(err)
	}
	return v, nil
}

func (sr *spanReader) varint() (int64, error) {
	b, _ := sr.r.Peek(binary.MaxVarintLen64)
	if v, n := binary.Varint(b); n > 0 {
		sr.r.Discard(n)
		return v, nil
	}
	v, err := binary.ReadVarint(sr.r)
	if err != nil {
		return 0, corrupt(err)
	}
	return v, nil
}

func corrupt(err error) error {
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("%w: %w", errCorrupt, err)
}

func (sr *spanReader) str() (string, error) {
	x, err := sr.uvarint()
	if err != nil {
		return "", err
	}
	if x > 0 {
		if x-1 >= uint64(len(sr.dict)) {
			return "", fmt.Errorf("%w: string %d of %d", errCorrupt, x-1, len(sr.dict))
		}
		return sr.dict[x-1], nil
	}
	n, err := sr.uvarint()
	if err != nil {
		return "", err
	}
	if n > 1<<30 {
		return "", fmt.Errorf("%w: string of %d bytes", errCorrupt, n)
	}
	var s string
	if n <= uint64(sr.r.Size()) {
		// From the buffer: one allocation (the string), not two.
		b, err := sr.r.Peek(int(n))
		if err != nil {
			return "", corrupt(err)
		}
		s = string(b)
		sr.r.Discard(int(n))
	} else {
		b := make([]byte, n)
		if _, err := io.ReadFull(sr.r, b); err != nil {
			return "", corrupt(err)
		}
		s = string(b)
	}
	if len(sr.dict) < dictMax && len(s) <= dictMaxLen {
		sr.dict = append(sr.dict, s)
	}
	return s, nil
}

// read decodes the next span into s; it returns io.EOF after the last.
func (sr *spanReader) read(s *trace.Span) error {
	fixed := sr.buf[:16+8+8]
	if n, err := io.ReadFull(sr.r, fixed); err != nil {
		if err == io.EOF && n == 0 {
			return io.EOF
		}
		return corrupt(err)
	}
	*s = trace.Span{}
	copy(s.TraceID[:], fixed[:16])
	copy(s.SpanID[:], fixed[16:24])
	copy(s.ParentID[:], fixed[24:])
	start, err := sr.varint()
	if err != nil {
		return err
	}
	dur, err := sr.varint()
	if err != nil {
		return err
	}
	s.Start, s.End = start, start+dur
	small := sr.buf[:4]
	if _, err := io.ReadFull(sr.r, small); err != nil {
		return corrupt(err)
	}
	s.Kind, s.Status, s.ParentRef, s.Flags = trace.Kind(small[0]), trace.Status(small[1]), trace.RefType(small[2]), trace.Flags(small[3])
	w, err := sr.uvarint()
	if err != nil {
		return err
	}
	s.Warnings = trace.Warning(w)
	if s.Service, err = sr.str(); err != nil {
		return err
	}
	if s.Name, err = sr.str(); err != nil {
		return err
	}
	if s.Attrs, err = sr.list(); err != nil {
		return err
	}
	n, err := sr.uvarint()
	if err != nil {
		return err
	}
	if n > 0 {
		if n > 1<<16 {
			return fmt.Errorf("%w: %d references", errCorrupt, n)
		}
		if uint64(cap(sr.refs)-len(sr.refs)) < n {
			sr.refs = make([]trace.Ref, 0, max(256, int(n)))
		}
		at := len(sr.refs)
		rb := sr.buf[:25]
		for range n {
			if _, err := io.ReadFull(sr.r, rb); err != nil {
				return corrupt(err)
			}
			var r trace.Ref
			copy(r.TraceID[:], rb[:16])
			copy(r.SpanID[:], rb[16:24])
			r.Type = trace.RefType(rb[24])
			sr.refs = append(sr.refs, r)
		}
		s.Refs = sr.refs[at:len(sr.refs):len(sr.refs)]
	}
	return nil
}
