package bench

import (
	"context"
	"fmt"

	"github.com/syncaudit/syncaudit/audit"
	"github.com/syncaudit/syncaudit/ingest"
	"github.com/syncaudit/syncaudit/report"
)

// Partitioned is what AnalyzePartitioned computed.
type Partitioned struct {
	Summary    ingest.Summary
	Errors     []error
	Partitions int
	Requests   int
	// Endpoints are the per-endpoint statistics, equal to the Endpoints of
	// the full analysis (audit.Run) of the same input.
	Endpoints []report.Endpoint
}

// AnalyzePartitioned runs the part of the analysis that works partition
// by partition: decode, spill by trace ID (with opt.MemoryLimit), group,
// repair, and per-request analysis (critical path, calls, synchronous
// latency) of each partition, keeping only each request's small results
// (endpoint, latency, metrics) and dropping its trace. The per-endpoint
// statistics are then aggregated over all requests. Peak memory is the
// largest partition plus about 0.5 KB per request, whatever the input size.
//
// What it does not do is the rest of audit.Run: candidate detection
// (detect.Run re-simulates every request of a candidate and so holds every
// trace), the checklist and the waterfalls. See README "Performance".
func AnalyzePartitioned(ctx context.Context, paths []string, opt ingest.Options, workers int) (*Partitioned, error) {
	var (
		reqs  []audit.Request
		parts int
	)
	res, err := ingest.LoadPartitions(ctx, paths, nil, opt, func(p *ingest.Partition) error {
		rs, err := audit.Analyze(ctx, p.Traces, workers)
		if err != nil {
			return err
		}
		for _, r := range rs {
			// Keep the small results only: the trace, its critical path
			// and its calls go with the partition.
			reqs = append(reqs, audit.Request{Root: r.Root, Endpoint: r.Endpoint, Latency: r.Latency, Failed: r.Failed, Metrics: r.Metrics})
		}
		parts = p.Count
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	return &Partitioned{
		Summary:    res.Summary,
		Errors:     res.Errors,
		Partitions: parts,
		Requests:   len(reqs),
		Endpoints:  audit.Endpoints(reqs),
	}, nil
}
