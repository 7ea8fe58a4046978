package asyncapi

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/syncaudit/syncaudit/report"
)

// RequireEnv makes a missing AsyncAPI schema a failure instead of a skip
// (.ci/run sets it after scripts/install-asyncapi-schema.sh).
const RequireEnv = "SYNCAUDIT_REQUIRE_ASYNCAPI"

// schemaPath is the official AsyncAPI 3.0.0 JSON Schema, as
// scripts/install-asyncapi-schema.sh fetches it.
func schemaPath(t *testing.T) string {
	t.Helper()
	p := filepath.Join("..", "..", "bin", "asyncapi-specs", "package", "schemas", "3.0.0-without-$id.json")
	if _, err := os.Stat(p); err != nil {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("AsyncAPI schema missing (%v); run scripts/install-asyncapi-schema.sh", err)
		}
		t.Skipf("AsyncAPI schema missing (%v); run scripts/install-asyncapi-schema.sh", err)
	}
	return p
}

func validator(t *testing.T) *jsonschema.Schema {
	t.Helper()
	p := schemaPath(t)
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("asyncapi-3.0.0.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("asyncapi-3.0.0.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sampleReport() *report.Report {
	order := report.Ref{Service: "order", Operation: "POST /checkout"}
	email := report.Ref{Service: "email", Operation: "POST /orders/{orderId}/receipt"}
	return &report.Report{Events: []report.Event{
		{Candidate: 1, Name: "order.checkout.email-requested", Channel: "email.receipt", Producer: order, Consumer: email,
			Payload:        []report.EventField{{Name: "orderId", Type: "string"}, {Name: "eventId", Type: "string"}, {Name: "occurredAt", Type: "date-time"}},
			IdempotencyKey: "orderId + eventId", Rate: report.EventRate{P50: 2.5, Peak: 4}, ProcessingMs: report.LatencyAfter{P50: 300, P95: 520, P99: 600}, Consumers: 3},
		// a second event on the same channel name, and one with a "/" in its name
		{Candidate: 4, Name: "a/b.c.email-requested", Channel: "email.receipt", Producer: order, Consumer: email,
			Payload: []report.EventField{{Name: "eventId", Type: "string"}}, Consumers: 1},
	}}
}

// TestWriteValidates: the document validates against the official
// AsyncAPI 3.0.0 JSON Schema, with and without events.
func TestWriteValidates(t *testing.T) {
	s := validator(t)
	for name, rep := range map[string]*report.Report{"events": sampleReport(), "none": {}} {
		var b bytes.Buffer
		if err := Write(&b, rep); err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(doc); err != nil {
			t.Errorf("%s: not a valid AsyncAPI 3.0.0 document: %v\n%s", name, err, b.String())
		}
	}
	// A broken document is caught: the validator is not a no-op.
	bad, _ := jsonschema.UnmarshalJSON(strings.NewReader(`{"asyncapi":"3.0.0","info":{"title":"x"}}`))
	if s.Validate(bad) == nil {
		t.Error("a document without info.version validated")
	}
}

// TestWriteContents: one channel per event (a clash renamed), its message
// with the payload, a send and a receive operation, the measured traffic.
func TestWriteContents(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, sampleReport()); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Channels   map[string]map[string]any `json:"channels"`
		Operations map[string]struct {
			Action  string            `json:"action"`
			Channel map[string]string `json:"channel"`
		} `json:"operations"`
		Components struct {
			Messages map[string]struct {
				Payload struct {
					Properties map[string]map[string]string `json:"properties"`
				} `json:"payload"`
			} `json:"messages"`
		} `json:"components"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Channels) != 2 || doc.Channels["email.receipt"] == nil || doc.Channels["email.receipt-4"] == nil {
		t.Errorf("channels %v", doc.Channels)
	}
	if c := doc.Channels["email.receipt"]; c["x-syncaudit-consumers"] != float64(3) {
		t.Errorf("consumers %v, want 3", c["x-syncaudit-consumers"])
	}
	op := doc.Operations["send-order.checkout.email-requested"]
	if op.Action != "send" || op.Channel["$ref"] != "#/channels/email.receipt" || doc.Operations["receive-order.checkout.email-requested"].Action != "receive" {
		t.Errorf("operations %+v", doc.Operations)
	}
	if _, ok := doc.Operations["send-a/b.c.email-requested"]; !ok {
		t.Errorf("operation of the second event missing: %v", doc.Operations)
	}
	props := doc.Components.Messages["order.checkout.email-requested"].Payload.Properties
	if props["orderId"]["type"] != "string" || props["occurredAt"]["format"] != "date-time" {
		t.Errorf("payload %v", props)
	}
	if !strings.Contains(b.String(), `"$ref": "#/components/messages/a~1b.c.email-requested"`) {
		t.Errorf("a / in a message name is not escaped in its reference:\n%s", b.String())
	}
}
