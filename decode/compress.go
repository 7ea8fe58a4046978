package decode

import (
	"bytes"

	"github.com/syncaudit/syncaudit/decode/decoder"
)

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// Decompress removes whole-input gzip or zstd compression (nested layers
// included), detected by magic bytes, with the output bounded by
// lim.MaxInputBytes. Other data is returned unchanged. The Collector's
// per-message zstd frames inside length-prefixed files are not whole-input
// compression and are left to the OTLP decoder. It reads through the same
// layers, limits and errors as Read and Split.
func Decompress(name string, data []byte, lim decoder.Limits) ([]byte, error) {
	if !bytes.HasPrefix(data, gzipMagic) && !bytes.HasPrefix(data, zstdMagic) {
		return data, nil
	}
	s, err := newStream(name, bytes.NewReader(data), lim, int64(len(data)))
	if err != nil {
		return nil, err
	}
	defer s.close()
	out, err := s.readAll(nil)
	if err != nil {
		return nil, err
	}
	return out, nil
}
