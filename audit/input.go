package audit

import (
	"maps"

	"github.com/syncaudit/syncaudit/ingest"
	"github.com/syncaudit/syncaudit/report"
)

// input converts ingest's accounting into the report's.
func input(s ingest.Summary) report.Input {
	in := report.Input{
		Files: s.Files, FilesFailed: s.FilesFailed,
		SpansRead: s.SpansRead, SpansInTraces: s.SpansInTraces, SpansRejected: s.SpansRejected,
		SpansWithoutKind: s.SpansWithoutKind,
		Traces:           s.Traces, PartialTraces: s.PartialTraces,
		Warnings: maps.Clone(s.Warnings),
	}
	if s.Formats != nil {
		in.Formats = make(map[string]int, len(s.Formats))
		for k, v := range s.Formats {
			in.Formats[string(k)] = v
		}
	}
	if s.Rejected != nil {
		in.Rejected = make(map[string]int, len(s.Rejected))
		for k, v := range s.Rejected {
			in.Rejected[string(k)] = v
		}
	}
	return in
}
