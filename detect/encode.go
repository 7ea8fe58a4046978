package detect

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/syncaudit/syncaudit/calls"
	"github.com/syncaudit/syncaudit/detect/policy"
)

// enc appends the primitive values of the state encoding (see State's
// MarshalBinary): unsigned and zig-zag varints and length-prefixed
// strings. Hand-written rather than gob or protobuf: the layout is small,
// versioned by State, and must be stable across
// releases and validate hostile input without reflection.
type enc struct{ b []byte }

func (e *enc) uint(v uint64)             { e.b = binary.AppendUvarint(e.b, v) }
func (e *enc) int(v int64)               { e.b = binary.AppendVarint(e.b, v) }
func (e *enc) str(s string)              { e.uint(uint64(len(s))); e.b = append(e.b, s...) }
func (e *enc) raw(p []byte)              { e.uint(uint64(len(p))); e.b = append(e.b, p...) }
func (e *enc) endpoint(x calls.Endpoint) { e.str(x.Service); e.str(x.Operation) }
func (e *enc) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

func (e *enc) record(r *Record) {
	e.b = append(e.b, r.Trace[:]...)
	e.b = append(e.b, r.Span[:]...)
	e.int(r.Start)
	e.int(int64(r.Root))
	e.endpoint(r.Endpoint)
	e.int(r.Latency)
}

// errCorrupt is returned for an encoding that cannot be decoded.
var errCorrupt = errors.New("detect: corrupt state encoding")

// dec reads what enc wrote. The first error sticks: later reads return
// zero values, so callers check err once at the end. Lengths are checked
// against the bytes left before anything is allocated.
type dec struct {
	b   []byte
	off int
	err error
}

func (d *dec) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s at byte %d", errCorrupt, what, d.off)
	}
}

func (d *dec) uint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.fail("bad unsigned varint")
		return 0
	}
	d.off += n
	return v
}

func (d *dec) int() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b[d.off:])
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.off += n
	return v
}

// count reads a length or count of items each taking at least min bytes.
func (d *dec) count(min int) int {
	v := d.uint()
	if d.err == nil && (v > uint64(len(d.b)-d.off)/uint64(max(min, 1))+1 || v > math.MaxInt32) {
		d.fail(fmt.Sprintf("count %d exceeds the input", v))
		return 0
	}
	return int(v)
}

// int32 reads a varint that must fit an int32.
func (d *dec) int32() int32 {
	v := d.int()
	if v < math.MinInt32 || v > math.MaxInt32 {
		d.fail("value out of int32 range")
		return 0
	}
	return int32(v)
}

// nonneg reads a count that must not be negative and fit an int.
func (d *dec) nonneg() int {
	v := d.uint()
	if v > math.MaxInt32 {
		d.fail("count out of range")
		return 0
	}
	return int(v)
}

func (d *dec) bytes() []byte {
	n := d.count(1)
	if d.err != nil {
		return nil
	}
	if n > len(d.b)-d.off {
		d.fail("truncated bytes")
		return nil
	}
	p := d.b[d.off : d.off+n]
	d.off += n
	return p
}

func (d *dec) str() string { return string(d.bytes()) }

func (d *dec) bool() bool {
	if d.err != nil {
		return false
	}
	if d.off >= len(d.b) || d.b[d.off] > 1 {
		d.fail("bad bool")
		return false
	}
	d.off++
	return d.b[d.off-1] == 1
}

func (d *dec) endpoint() calls.Endpoint {
	return calls.Endpoint{Service: d.str(), Operation: d.str()}
}

func (d *dec) record() Record {
	var r Record
	if d.err != nil {
		return r
	}
	if len(d.b)-d.off < len(r.Trace)+len(r.Span) {
		d.fail("truncated record")
		return r
	}
	d.off += copy(r.Trace[:], d.b[d.off:])
	d.off += copy(r.Span[:], d.b[d.off:])
	r.Start = d.int()
	r.Root = d.int32()
	r.Endpoint = d.endpoint()
	r.Latency = d.int()
	return r
}

// done reports the sticky error, or trailing bytes.
func (d *dec) done() error {
	if d.err == nil && d.off != len(d.b) {
		d.fail(fmt.Sprintf("%d trailing bytes", len(d.b)-d.off))
	}
	return d.err
}

// class encodes what a Class reports: its lean, category texts and the
// policy rule's class, reason and position (not its patterns).
func (e *enc) class(c *Class) {
	e.int(int64(c.Lean))
	e.str(c.Category)
	e.str(c.Source)
	e.str(c.Outweighed)
	e.int(int64(c.Builtin))
	e.bool(c.Policy)
	e.uint(uint64(c.Rule.Class))
	e.str(c.Rule.Reason)
	e.str(c.Rule.Pos)
}

func (d *dec) class() Class {
	var c Class
	lean := d.int()
	c.Category, c.Source, c.Outweighed = d.str(), d.str(), d.str()
	builtin := d.int()
	c.Policy = d.bool()
	rc := d.uint()
	c.Rule.Reason, c.Rule.Pos = d.str(), d.str()
	if lean < int64(Neutral) || lean > int64(Critical) || builtin < int64(Neutral) || builtin > int64(Critical) || rc > 255 {
		d.fail("bad class")
		return Class{}
	}
	c.Lean, c.Builtin, c.Rule.Class = Lean(lean), Lean(builtin), policy.Class(rc)
	return c
}
