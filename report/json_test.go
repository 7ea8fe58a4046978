package report_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"reflect"
	"testing"

	"github.com/syncaudit/syncaudit/report"
	"github.com/syncaudit/syncaudit/report/reporttest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func TestGolden(t *testing.T) {
	tests := []struct {
		name   string
		render func(w *bytes.Buffer, r *report.Report) error
	}{
		{"report.json.golden", func(w *bytes.Buffer, r *report.Report) error { return report.WriteJSON(w, r) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a, b bytes.Buffer
			if err := tt.render(&a, reporttest.Rich()); err != nil {
				t.Fatal(err)
			}
			if err := tt.render(&b, reporttest.Rich()); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Fatal("two renderings of the same report differ")
			}
			reporttest.Golden(t, tt.name, a.Bytes(), *update)
		})
	}
}

// TestJSONRoundTrip checks that WriteJSON loses nothing.
func TestJSONRoundTrip(t *testing.T) {
	in := reporttest.Rich()
	var b bytes.Buffer
	if err := report.WriteJSON(&b, in); err != nil {
		t.Fatal(err)
	}
	var out report.Report
	if err := json.Unmarshal(b.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, &out) {
		t.Errorf("round trip changed the report:\n in: %+v\nout: %+v", in, &out)
	}
}
