package decode

import (
	"context"
	"errors"
	"fmt"

	"github.com/syncaudit/syncaudit/decode/decoder"
	"github.com/syncaudit/syncaudit/decode/jaeger"
	"github.com/syncaudit/syncaudit/decode/jsontext"
	"github.com/syncaudit/syncaudit/decode/otlp"
	"github.com/syncaudit/syncaudit/decode/zipkin"
)

// Options control decoding.
type Options struct {
	// Format forces a format; Auto (or "") sniffs each input.
	Format Format
	Limits decoder.Limits
	// ChunkBytes is the size of the chunks Split cuts OTLP/JSON lines
	// into; 0 means DefaultChunkBytes.
	ChunkBytes int
}

// Read reads one input completely: it opens it, removes compression,
// determines the format and decodes it into em. It returns the format used
// and any error; spans decoded before an error have been emitted.
//
// Read decodes the chunks of Split one after another; OTLP/JSON lines are
// streamed, never held whole in memory. Decoding the chunks concurrently
// (as package ingest does) gives the same spans and errors.
func Read(ctx context.Context, in Input, opt Options, em decoder.Emitter) (Format, error) {
	j := NewJoiner(in.Name)
	var f Format
	err := Split(ctx, in, opt, func(c *Chunk) error {
		cf, cerr := c.Decode(em)
		if cf != "" {
			f = cf
		}
		j.Add(c, cerr)
		return nil
	})
	if err != nil {
		if !IsInputError(err) {
			return f, err
		}
		j.Fail(err)
	}
	return f, j.Err()
}

// Bytes decodes decompressed data in the given format (Auto sniffs).
func Bytes(name string, data []byte, f Format, lim decoder.Limits, em decoder.Emitter) (Format, error) {
	if len(data) == 0 || len(trimSpace(data)) == 0 {
		return "", &decoder.Error{File: name, Err: decoder.ErrEmpty}
	}
	if f == Auto || f == "" {
		f = Sniff(data)
		if f == "" {
			start := jsontext.SkipSpace(data, 0)
			if t := data[start:]; len(t) > 0 && (t[0] == '{' || t[0] == '[') {
				off := int64(start)
				if isEmptyJSON(t) {
					return "", decoder.TextError(name, data, off, fmt.Errorf("%w: the document is an empty JSON object or array", decoder.ErrNoSpans))
				}
				return "", decoder.TextError(name, data, off, fmt.Errorf("%w: %s", decoder.ErrUnknownFormat, describe(data)))
			}
			return "", decoder.BinaryError(name, 0, fmt.Errorf("%w: %s", decoder.ErrUnknownFormat, describe(data)))
		}
	}
	var err error
	switch f {
	case OTLPJSON:
		err = otlp.DecodeJSON(name, data, em, lim)
	case OTLPProto:
		err = otlp.DecodeProto(name, data, em, lim)
	case Jaeger:
		err = jaeger.Decode(name, data, em, lim)
	case Zipkin:
		err = zipkin.Decode(name, data, em, lim)
	default:
		return "", fmt.Errorf("%s: %w: %q", name, decoder.ErrUnknownFormat, f)
	}
	return f, err
}

// isEmptyJSON reports whether t is "{}" or "[]" with optional whitespace.
func isEmptyJSON(t []byte) bool {
	t = trimSpace(t)
	if len(t) < 2 || (t[0] != '{' && t[0] != '[') {
		return false
	}
	inner := trimSpace(t[1 : len(t)-1])
	return len(inner) == 0 && (t[0] == '{' && t[len(t)-1] == '}' || t[0] == '[' && t[len(t)-1] == ']')
}

// trimSpace returns b without leading and trailing JSON white space.
func trimSpace(b []byte) []byte {
	b = b[jsontext.SkipSpace(b, 0):]
	for len(b) > 0 && jsontext.IsSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// describe names what unrecognised content looks like, for the error message.
func describe(data []byte) string {
	switch {
	case len(data) >= 8 && string(data[:8]) == "\x89PNG\r\n\x1a\n":
		return "looks like a PNG image"
	case len(data) >= 4 && string(data[:4]) == "%PDF":
		return "looks like a PDF document"
	case len(data) >= 2 && data[0] == 'P' && data[1] == 'K':
		return "looks like a zip archive (unzip it first)"
	}
	t := trimSpace(data)
	if len(t) > 0 && (t[0] == '{' || t[0] == '[') {
		return "JSON, but not OTLP, Jaeger or Zipkin (use --format to force one)"
	}
	return fmt.Sprintf("starts with % x", data[:min(len(data), 8)])
}

// IsInputError reports whether err came from reading bad input (as opposed
// to cancellation).
func IsInputError(err error) bool {
	return err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}
