package cli

import (
	"encoding/json"
	"testing"
)

// TestAnalyzeAsyncAPI: -o asyncapi on the sync shop proposes one event per
// recommended make-async candidate (email and analytics), named from the
// producer, the endpoint and the consumer, with the measured traffic.
func TestAnalyzeAsyncAPI(t *testing.T) {
	code, out, stderr := run(t, "", "analyze", "-o", "asyncapi", syncFixture)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var doc struct {
		AsyncAPI string                     `json:"asyncapi"`
		Channels map[string]json.RawMessage `json:"channels"`
		Ops      map[string]json.RawMessage `json:"operations"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.AsyncAPI != "3.0.0" || len(doc.Channels) != 2 || doc.Channels["email.send"] == nil || doc.Channels["analytics.track"] == nil {
		t.Errorf("asyncapi %q, channels %v", doc.AsyncAPI, keys(doc.Channels))
	}
	for _, op := range []string{"send-order.checkout.email-requested", "receive-order.checkout.email-requested",
		"send-order.checkout.analytics-requested", "receive-order.checkout.analytics-requested"} {
		if doc.Ops[op] == nil {
			t.Errorf("no operation %s in %v", op, keys(doc.Ops))
		}
	}
}

func keys(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
