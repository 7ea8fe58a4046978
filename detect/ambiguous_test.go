package detect

import (
	"slices"
	"testing"

	"github.com/syncaudit/syncaudit/calls"
)

// TestClassifyAmbiguousNames: a bare name weighs less than an operation,
// route or attribute, and an ambiguous word in a name needs a second
// signal (issue 17).
func TestClassifyAmbiguousNames(t *testing.T) {
	tests := []struct {
		name      string
		desc      string // one call under the root
		lean      Lean
		reason    string
		nameOnly  bool
		ambiguous string
	}{
		{"warehouse that picks stock", "-> warehouse: POST /pick 0 10", Neutral, "", false,
			`reporting (service "warehouse")`},
		{"warehouse confirmed by the operation", "-> warehouse: POST /reports/daily 0 10", Deferrable,
			`category: reporting (operation "POST /reports/daily")`, false, ""},
		{"warehouse confirmed by an attribute", "-> warehouse: POST /load 0 10 db.system=snowflake", Deferrable,
			`category: reporting (db.system "snowflake")`, false, ""},
		{"report service alone", "-> report: POST /x 0 10", Neutral, "", false, `reporting (service "report")`},
		{"audit service alone", "-> audit-svc: POST /check 0 10", Neutral, "", false, `logging (service "audit-svc")`},
		{"index service alone", "-> search-index: POST /x 0 10", Neutral, "", false, `search indexing (service "search-index")`},
		{"ambiguous word in the operation counts", "-> x: POST /audit 0 10", Deferrable, `category: logging (operation "POST /audit")`, false, ""},
		{"unambiguous name", "-> reporting: POST /x 0 10", Deferrable, `category: reporting (service "reporting")`, true, ""},
		{"indexer is not ambiguous", "-> indexer: POST /x 0 10", Deferrable, `category: search indexing (service "indexer")`, true, ""},
		{"operation wins over the name", "-> email: POST /track 0 10", Deferrable, `category: analytics (operation "POST /track")`, false, ""},
		{"peer.service is a name", "-> x: POST 0 10 !untraced peer.service=sendgrid", Deferrable, `category: notification (service "sendgrid")`, true, ""},
		{"critical still wins", "-> warehouse: POST /stock 0 10", Critical, `category: inventory (operation "POST /stock")`, false, ""},
	}
	cl := NewClassifier(nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := build(t, 1, "root: GET / 0 100\n  "+tc.desc)
			cs := calls.Find(tr)
			if len(cs) != 1 {
				t.Fatalf("%d calls", len(cs))
			}
			got := cl.Classify(tr, &cs[0])
			if got.Lean != tc.lean || got.Reason() != tc.reason || got.NameOnly() != tc.nameOnly || got.Ambiguous() != tc.ambiguous {
				t.Errorf("got %v %q name-only %v ambiguous %q; want %v %q %v %q", got.Lean, got.Reason(), got.NameOnly(), got.Ambiguous(),
					tc.lean, tc.reason, tc.nameOnly, tc.ambiguous)
			}
		})
	}
}

// chainWarehouse is issue 17's chain: gateway → orders → inventory →
// warehouse (stock picking) → reporting.
const chainWarehouse = `
gateway: POST /checkout 0 300
  -> orders: POST /orders 0 290
    -> inventory: POST /reserve 10 280
      -> warehouse: POST /pick 20 270
        -> reporting: POST /events 100 260
`

// TestMakeAsyncWrongPlaceToCut: the warehouse is not reporting, and its
// subtree holds the deferrable call: reporting is recommended, the
// warehouse is not. Confidences by hand (see makeAsyncDoc):
//
//	warehouse  0.20 neutral + 0.15 tail (ends 10 ms before inventory,
//	           tolerance 13.5 ms) + 0.10 write − 0.15 deeper = 0.30
//	reporting  0.50 name only + 0.15 tail (10 ms, tolerance 12.5 ms)
//	           + 0.10 write = 0.75
//	notifier   0.50 name only + 0.15 tail + 0.10 write − 0.15 deeper = 0.60
func TestMakeAsyncWrongPlaceToCut(t *testing.T) {
	tests := []struct {
		name        string
		desc        string
		callee      string
		conf        float64
		recommended bool
		reasons     []string
	}{
		{"stock warehouse", chainWarehouse, "warehouse POST /pick", 0.30, false, []string{
			`tail position: the caller waits for nothing after it in 1 of 1 calls`,
			`deferrable call deeper down: the callee itself calls reporting POST /events synchronously in 1 of 1 calls; make that call asynchronous instead`,
			`write: changes state (POST) in 1 of 1 calls`,
			`category: none ("warehouse POST /pick" would be reporting (service "warehouse"), but the word is ambiguous in a name and no operation, route or attribute confirms it)`,
		}},
		{"reporting", chainWarehouse, "reporting POST /events", 0.75, true, []string{
			`category: reporting (service "reporting")`,
			`tail position: the caller waits for nothing after it in 1 of 1 calls`,
			`write: changes state (POST) in 1 of 1 calls`,
		}},
		{"deferrable callee with a deferrable call below", `
order: POST /order 0 300
  -> notifier: POST /x 0 290
    -> analytics: POST /track 100 280
`, "notifier POST /x", 0.60, true, []string{
			`category: notification (service "notifier")`,
			`tail position: the caller waits for nothing after it in 1 of 1 calls`,
			`deferrable call deeper down: the callee itself calls analytics POST /track synchronously in 1 of 1 calls; make that call asynchronous instead`,
			`write: changes state (POST) in 1 of 1 calls`,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := runDesc(t, DefaultOptions(), tc.desc)
			f := find(res, ActionMakeAsync, tc.callee)
			if f == nil {
				t.Fatalf("no finding for %s", tc.callee)
			}
			if f.Confidence != tc.conf || f.Recommended != tc.recommended || !slices.Equal(f.Reasons, tc.reasons) {
				t.Errorf("confidence %v recommended %v reasons\n%q\nwant %v %v\n%q", f.Confidence, f.Recommended, f.Reasons,
					tc.conf, tc.recommended, tc.reasons)
			}
		})
	}
}

// TestMakeAsyncDeeperEncoding: the deeper-call evidence survives the
// state's encoding, and a state encoded without it (before it existed)
// still decodes.
func TestMakeAsyncDeeperEncoding(t *testing.T) {
	reqs := requests(build(t, 1, chainWarehouse))
	p := newPass(reqs, DefaultOptions())
	s := MakeAsync().New().(*asyncState)
	s.Observe(p)
	b, err := s.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	var got asyncState
	if err := got.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	k := calls.Key{Endpoint: calls.Endpoint{Service: "gateway", Operation: "POST /checkout"},
		Caller: calls.Endpoint{Service: "inventory", Operation: "POST /reserve"}, Callee: calls.Endpoint{Service: "warehouse", Operation: "POST /pick"}}
	a := got.aggs[k]
	if a == nil || a.deeper != 1 || a.deeperHow != "reporting POST /events" || a.deeperAt != s.aggs[k].deeperAt {
		t.Fatalf("decoded %+v", a)
	}
	// Without the evidence the section is not written: the encoding is
	// the one from before it existed, and decodes with no evidence.
	for _, a := range s.aggs {
		a.deeper, a.deeperHow, a.deeperAt = 0, "", Record{}
	}
	old, _ := s.AppendBinary(nil)
	if len(old) >= len(b) {
		t.Fatalf("no trailing section: %d bytes with evidence, %d without", len(b), len(old))
	}
	if err := got.UnmarshalBinary(old); err != nil || got.aggs[k].deeper != 0 {
		t.Fatalf("old encoding: %v, %+v", err, got.aggs[k])
	}
	// A section of an unknown version is corrupt.
	bad := append(slices.Clone(old), 9)
	if err := got.UnmarshalBinary(bad); err == nil {
		t.Fatal("unknown section version decoded")
	}
}
