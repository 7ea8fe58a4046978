package decode

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"

	"github.com/syncaudit/syncaudit/decode/decoder"
)

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// readAll reads r up to max bytes; more is decoder.ErrTooLarge.
func readAll(r io.Reader, max int64) ([]byte, error) {
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if n > max {
		return nil, fmt.Errorf("%w: more than %d bytes", decoder.ErrTooLarge, max)
	}
	return buf.Bytes(), nil
}

// Decompress removes whole-input gzip or zstd compression (nested layers
// included), detected by magic bytes, with the output bounded by
// lim.MaxInputBytes. Other data is returned unchanged. The Collector's
// per-message zstd frames inside length-prefixed files are not whole-input
// compression and are left to the OTLP decoder.
func Decompress(name string, data []byte, lim decoder.Limits) ([]byte, error) {
	for layer := 0; layer < 4; layer++ {
		switch {
		case bytes.HasPrefix(data, gzipMagic):
			zr, err := gzip.NewReader(bytes.NewReader(data))
			if err != nil {
				return nil, decoder.BinaryError(name, 0, fmt.Errorf("gzip: %w", err))
			}
			out, err := readAll(zr, lim.MaxInputBytes)
			if err != nil {
				return nil, decoder.BinaryError(name, 0, fmt.Errorf("gzip: %w", err))
			}
			data = out
		case bytes.HasPrefix(data, zstdMagic):
			zr, err := zstd.NewReader(bytes.NewReader(data),
				zstd.WithDecoderConcurrency(1),
				zstd.WithDecoderMaxMemory(uint64(min(lim.MaxInputBytes, 1<<40))),
				zstd.WithDecoderMaxWindow(64<<20))
			if err != nil {
				return nil, decoder.BinaryError(name, 0, fmt.Errorf("zstd: %w", err))
			}
			out, err := readAll(zr, lim.MaxInputBytes)
			zr.Close()
			if errors.Is(err, zstd.ErrDecoderSizeExceeded) || errors.Is(err, zstd.ErrWindowSizeExceeded) {
				err = fmt.Errorf("%w: %v", decoder.ErrTooLarge, err)
			}
			if err != nil {
				return nil, decoder.BinaryError(name, 0, fmt.Errorf("zstd: %w", err))
			}
			data = out
		default:
			return data, nil
		}
	}
	return data, nil
}
