package report

import (
	"encoding/json"
	"io"
)

// WriteJSON writes the report as indented JSON (schema: report.schema.json).
func WriteJSON(w io.Writer, r *Report) error { return writeJSON(w, r) }

// WriteComparisonJSON writes a comparison as indented JSON.
func WriteComparisonJSON(w io.Writer, c *Comparison) error { return writeJSON(w, c) }

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
