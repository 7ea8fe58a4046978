package report_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/syncaudit/syncaudit/report"
	"github.com/syncaudit/syncaudit/report/reporttest"
)

// TestSlowdownsSchemaAndRoundTrip: a report with slowdowns validates
// against the schema and survives a JSON round trip; one without them has
// no "slowdowns" key.
func TestSlowdownsSchemaAndRoundTrip(t *testing.T) {
	sch := compileSchema(t)
	r := reporttest.WithSlowdowns()
	if err := sch.Validate(reportDoc(t, r)); err != nil {
		t.Errorf("report with slowdowns does not validate: %v", err)
	}
	var b bytes.Buffer
	if err := report.WriteJSON(&b, r); err != nil {
		t.Fatal(err)
	}
	var back report.Report
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Slowdowns, r.Slowdowns) {
		t.Errorf("round trip: %+v, want %+v", back.Slowdowns, r.Slowdowns)
	}
	b.Reset()
	if err := report.WriteJSON(&b, reporttest.Rich()); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b.Bytes(), []byte(`"slowdowns"`)) {
		t.Error("a report without slowdowns has a slowdowns key")
	}
}
