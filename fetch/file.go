package fetch

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Write fetches q and writes each trace to w as one line of JSON (its
// Data): from api_v3 and gRPC an OTLP/JSON TracesData holding every span of
// that trace, with spec hex IDs — the JSON lines the Collector's file
// exporter writes —, from the classic API the Jaeger UI trace object as
// Jaeger sent it. `syncaudit analyze` reads either back (content-sniffed).
// Errors are Fetch's, or a write error.
func (c *Client) Write(ctx context.Context, q Query, w io.Writer) (Stats, error) {
	bw := bufio.NewWriterSize(w, 256<<10)
	var werr error
	st, err := c.Fetch(ctx, q, func(t Trace) error {
		if _, err := bw.Write(t.Data); err != nil {
			werr = err
			return err
		}
		if err := bw.WriteByte('\n'); err != nil {
			werr = err
			return err
		}
		return nil
	})
	if err == nil || errors.Is(err, ErrNoTraces) {
		if ferr := bw.Flush(); ferr != nil {
			werr, err = ferr, ferr
		}
	}
	if werr != nil {
		return st, fmt.Errorf("writing traces: %w", werr)
	}
	return st, err
}

// WriteFile fetches q into path (see Write). A path ending in .gz or .zst
// is compressed. The traces go to path+".tmp", which is synced and renamed
// to path only when the fetch succeeded; on any failure — including
// ErrNoTraces and a request failing after others succeeded — the
// temporary file is removed and path is left as it was, so nothing
// half-written is ever presented as complete.
func (c *Client) WriteFile(ctx context.Context, q Query, path string) (st Stats, err error) {
	if err := q.Validate(); err != nil {
		return st, err
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return st, fmt.Errorf("creating output: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	w, closeW, err := compressor(path, f)
	if err != nil {
		return st, err
	}
	st, err = c.Write(ctx, q, w)
	if err != nil {
		return st, err
	}
	if err = closeW(); err != nil {
		return st, fmt.Errorf("writing %s: %w", tmp, err)
	}
	if err = f.Sync(); err != nil {
		return st, fmt.Errorf("writing %s: %w", tmp, err)
	}
	if err = f.Close(); err != nil {
		return st, fmt.Errorf("writing %s: %w", tmp, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return st, fmt.Errorf("renaming %s to %s: %w", tmp, path, err)
	}
	return st, nil
}

// compressor wraps w by path's extension; closeW flushes the compressor
// (not w).
func compressor(path string, w io.Writer) (io.Writer, func() error, error) {
	switch {
	case strings.HasSuffix(path, ".gz"):
		zw := gzip.NewWriter(w)
		return zw, zw.Close, nil
	case strings.HasSuffix(path, ".zst"):
		zw, err := zstd.NewWriter(w)
		if err != nil {
			return nil, nil, fmt.Errorf("zstd: %w", err)
		}
		return zw, zw.Close, nil
	}
	return w, func() error { return nil }, nil
}
