package otlp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/klauspost/compress/zstd"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/syncaudit/syncaudit/decode/decoder"
	"github.com/syncaudit/syncaudit/decode/jsontext"
)

// zstdMagic starts every zstd frame.
var zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}

// DecodeProto decodes OTLP protobuf: a bare TracesData/ExportTraceServiceRequest, or the Collector file
// exporter's framing (4-byte big-endian length before each message, each message optionally a zstd frame).
//
// The input is framed when its first 4 bytes are a big-endian length and
// the lengths exactly tile the input; otherwise it is a bare message (which
// starts with 0x0A, field 1). A frame's payload is a protobuf message, a
// zstd frame holding one, or OTLP/JSON (the exporter's json encoding).
// zstd payloads are decoded with bounded memory: no payload may exceed
// lim.MaxMessageBytes, and all payloads together lim.MaxInputBytes.
//
// Errors are *decoder.Error with the byte offset of the bad frame (0 for a
// bare message); a bad frame is reported and the following frames still
// decode, giving a decoder.ErrorList. A length prefix that claims more than
// the remaining input or the message limit ends decoding without
// allocating.
func DecodeProto(file string, data []byte, em decoder.Emitter, lim decoder.Limits) error {
	lim = normLimits(lim)
	p := &protoDecoder{
		file: file,
		lim:  lim,
		json: docDecoder{conv: newConverter(em, nil), lim: lim},
	}
	p.run(data)
	p.json.conv.flush()
	defer p.json.conv.done()
	if len(p.errs) == 0 && p.json.conv.resourceSpans == 0 {
		p.fail(0, fmt.Errorf("%w: no resourceSpans in any message", decoder.ErrNoSpans))
	}
	if p.zd != nil {
		p.zd.Close()
	}
	errs := p.errs
	if p.more > 0 {
		errs = append(errs, &decoder.MoreErrors{File: file, N: p.more})
	}
	return errs.Err()
}

type protoDecoder struct {
	file  string
	lim   decoder.Limits
	json  docDecoder
	unm   ptrace.ProtoUnmarshaler
	zd    *zstd.Decoder
	buf   []byte // reused zstd output
	total int64  // decompressed bytes so far
	errs  decoder.ErrorList
	more  int
}

func (p *protoDecoder) fail(off int, err error) {
	if len(p.errs) >= maxErrors {
		p.more++
		return
	}
	p.errs = append(p.errs, decoder.BinaryError(p.file, int64(off), err))
}

func (p *protoDecoder) run(data []byte) {
	switch {
	case len(data) == 0:
		p.fail(0, fmt.Errorf("%w: no protobuf message", decoder.ErrEmpty))
	case int64(len(data)) > p.lim.MaxInputBytes:
		p.fail(0, fmt.Errorf("%w: %d bytes, limit %d", decoder.ErrTooLarge, len(data), p.lim.MaxInputBytes))
	case tiles(data):
		p.frames(data)
	case data[0] == 0x0a:
		p.bare(data)
	case plausibleFrame(data):
		// A framed file with a damaged frame: decode up to it and report it.
		p.frames(data)
	default:
		p.fail(0, fmt.Errorf("%w: not OTLP protobuf (neither a TracesData message nor length-prefixed frames); starts % x",
			decoder.ErrUnknownFormat, data[:min(len(data), 8)]))
	}
}

// tiles reports whether data is a sequence of 4-byte big-endian lengths,
// each followed by that many bytes, ending exactly at the end of data.
func tiles(data []byte) bool {
	off := 0
	for off < len(data) {
		if len(data)-off < 4 {
			return false
		}
		n := int(binary.BigEndian.Uint32(data[off:]))
		if n > len(data)-off-4 {
			return false
		}
		off += 4 + n
	}
	return true
}

// plausibleFrame reports whether data starts with a non-zero length prefix
// followed by what looks like a payload: a message, a zstd frame or JSON.
// The length may overrun the input (a truncated file); frames reports that.
func plausibleFrame(data []byte) bool {
	if len(data) < 5 || binary.BigEndian.Uint32(data) == 0 {
		return false
	}
	p := data[4:]
	return p[0] == 0x0a || p[0] == '{' || bytes.HasPrefix(p, zstdMagic)
}

// frames decodes length-prefixed payloads.
func (p *protoDecoder) frames(data []byte) {
	for off := 0; off < len(data); {
		rem := len(data) - off
		if rem < 4 {
			p.fail(off, fmt.Errorf("%w: %d trailing bytes, want a 4-byte length prefix", decoder.ErrTruncated, rem))
			return
		}
		n := int64(binary.BigEndian.Uint32(data[off:]))
		if n > p.lim.MaxMessageBytes {
			p.fail(off, fmt.Errorf("%w: frame length %d exceeds the %d-byte message limit", decoder.ErrTooLarge, n, p.lim.MaxMessageBytes))
			return
		}
		if n > int64(rem-4) {
			p.fail(off, fmt.Errorf("%w: frame length %d, only %d bytes remain", decoder.ErrTruncated, n, rem-4))
			return
		}
		if n == 0 {
			// An empty message holds nothing; skipping it keeps a run of
			// zero bytes from costing an allocation per 4 bytes.
			off += 4
			continue
		}
		if err := p.payload(data[off+4 : off+4+int(n)]); err != nil {
			p.fail(off, fmt.Errorf("frame of %d bytes: %w", n, err))
			if errors.Is(err, errInputLimit) {
				return
			}
		}
		off += 4 + int(n)
	}
}

// errInputLimit marks the total decompressed size exceeding MaxInputBytes.
var errInputLimit = fmt.Errorf("%w: decompressed frames exceed the input limit", decoder.ErrTooLarge)

// payload decodes one frame's payload.
func (p *protoDecoder) payload(b []byte) error {
	if bytes.HasPrefix(b, zstdMagic) {
		out, err := p.unzstd(b)
		if err != nil {
			return err
		}
		b = out
	}
	if i := jsontext.SkipSpace(b, 0); i < len(b) && b[i] == '{' {
		r, err := p.json.decode(b)
		if err != nil {
			var l lineIndex
			l.data = b
			e := l.textError("", r, err)
			return fmt.Errorf("JSON payload %d:%d: %w", e.Line, e.Column, err)
		}
		return nil
	}
	td, err := unmarshalProto(&p.unm, b)
	if err != nil {
		return fmt.Errorf("invalid OTLP protobuf message: %w", err)
	}
	p.json.conv.traces(migrateLegacy(td))
	return nil
}

// unzstd decompresses a payload with bounded memory.
func (p *protoDecoder) unzstd(b []byte) ([]byte, error) {
	limit := p.lim.MaxMessageBytes
	if p.zd == nil {
		window := max(uint64(limit), zstd.MinWindowSize)
		zd, err := zstd.NewReader(nil,
			zstd.WithDecoderConcurrency(1),
			zstd.WithDecoderMaxMemory(uint64(limit)),
			zstd.WithDecoderMaxWindow(window),
		)
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
		p.zd = zd
	}
	out, err := p.zd.DecodeAll(b, p.buf[:0])
	if err != nil {
		if errors.Is(err, zstd.ErrDecoderSizeExceeded) || errors.Is(err, zstd.ErrWindowSizeExceeded) {
			return nil, fmt.Errorf("%w: zstd payload decompresses to more than %d bytes", decoder.ErrTooLarge, limit)
		}
		return nil, fmt.Errorf("zstd: %w", err)
	}
	p.buf = out[:0]
	p.total += int64(len(out))
	if p.total > p.lim.MaxInputBytes {
		return nil, errInputLimit
	}
	return out, nil
}

// unmarshalProto runs pdata's protobuf reader, turning a panic (a pdata
// bug on hostile input) into an error.
func unmarshalProto(u *ptrace.ProtoUnmarshaler, b []byte) (td ptrace.Traces, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("pdata protobuf reader failed: %v", r)
		}
	}()
	return u.UnmarshalTraces(b)
}

// bare decodes a whole input holding one message.
func (p *protoDecoder) bare(data []byte) {
	if int64(len(data)) > p.lim.MaxMessageBytes {
		p.fail(0, fmt.Errorf("%w: message of %d bytes, limit %d", decoder.ErrTooLarge, len(data), p.lim.MaxMessageBytes))
		return
	}
	td, err := unmarshalProto(&p.unm, data)
	if err != nil {
		p.fail(0, fmt.Errorf("invalid OTLP protobuf message: %w", err))
		return
	}
	p.json.conv.traces(migrateLegacy(td))
}

// migrateLegacy recovers spans that OTLP 0.15–0.18 senders wrote only in
// the deprecated instrumentation_library_spans field (1000) of
// ResourceSpans. pdata's protobuf reader keeps them aside and, unlike its
// JSON reader, does not move them into scopeSpans, so they would be lost;
// a round trip through pdata's JSON writer and reader moves them. It is
// only taken when a ResourceSpans has no scopeSpans, which current senders
// never write.
func migrateLegacy(td ptrace.Traces) ptrace.Traces {
	rss := td.ResourceSpans()
	empty := false
	for i := 0; i < rss.Len() && !empty; i++ {
		empty = rss.At(i).ScopeSpans().Len() == 0
	}
	if !empty {
		return td
	}
	var m ptrace.JSONMarshaler
	b, err := m.MarshalTraces(td)
	if err != nil {
		return td
	}
	var u ptrace.JSONUnmarshaler
	migrated, err := unmarshalJSON(&u, b)
	if err != nil {
		return td
	}
	return migrated
}
