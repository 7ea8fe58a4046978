package report_test

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/syncaudit/syncaudit/decode"
	"github.com/syncaudit/syncaudit/report"
	"github.com/syncaudit/syncaudit/report/reporttest"
	"github.com/syncaudit/syncaudit/trace"
)

const schemaFile = "report.schema.json"

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", schemaFile, err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(schemaFile, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(schemaFile)
	if err != nil {
		t.Fatalf("compile %s: %v", schemaFile, err)
	}
	return sch
}

// reportDoc renders r with WriteJSON and decodes it for the validator.
func reportDoc(t *testing.T, r *report.Report) any {
	t.Helper()
	var b bytes.Buffer
	if err := report.WriteJSON(&b, r); err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(&b)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestSchemaAcceptsReports(t *testing.T) {
	sch := compileSchema(t)
	minimal := &report.Report{
		SchemaVersion: report.SchemaVersion,
		Endpoints:     []report.Endpoint{}, Candidates: []report.Candidate{}, Plan: []report.PlanEndpoint{},
		Checklist: []report.CheckItem{}, Async: []report.AsyncFlow{},
	}
	minimal.Summary.Formats = map[string]int{}
	minimal.Summary.Rejected = map[string]int{}
	minimal.Summary.Warnings = map[string]int{}
	for name, r := range map[string]*report.Report{"rich": reporttest.Rich(), "minimal": minimal} {
		if err := sch.Validate(reportDoc(t, r)); err != nil {
			t.Errorf("%s report does not validate: %v", name, err)
		}
	}
}

// TestSchemaRejects checks that the schema is strict: each edit of a valid
// document must make it fail, at the place edited.
func TestSchemaRejects(t *testing.T) {
	sch := compileSchema(t)
	tests := []struct {
		name  string
		edit  func(d map[string]any)
		where string // expected in the error
	}{
		{"renamed summary field", func(d map[string]any) { rename(obj(d, "summary"), "spansRead", "spanRead") }, "spanRead"},
		{"unknown top-level field", func(d map[string]any) { d["generatedAt"] = "now" }, "generatedAt"},
		{"missing candidates", func(d map[string]any) { delete(d, "candidates") }, "candidates"},
		{"null checklist", func(d map[string]any) { d["checklist"] = nil }, "checklist"},
		{"rank as string", func(d map[string]any) { idx(d, "candidates", 0)["rank"] = "1" }, "/candidates/0/rank"},
		{"unknown action", func(d map[string]any) { idx(d, "candidates", 0)["action"] = "make-sync" }, "/candidates/0/action"},
		{"confidence above 1", func(d map[string]any) { idx(d, "candidates", 1)["confidence"] = json.Number("1.5") }, "/candidates/1/confidence"},
		{"renamed savings field", func(d map[string]any) { rename(obj(idx(d, "candidates", 0), "savingsMs"), "p95", "P95") }, "/candidates/0/savingsMs"},
		{"extra evidence field", func(d map[string]any) { idx(obj(idx(d, "checklist", 0), ""), "evidence", 0)["severity"] = "high" }, "severity"},
		{"unknown check id", func(d map[string]any) { idx(d, "checklist", 2)["id"] = "no-retries" }, "/checklist/2/id"},
		{"negative count", func(d map[string]any) { obj(d, "summary")["traces"] = json.Number("-1") }, "/summary/traces"},
		{"fractional count", func(d map[string]any) { idx(d, "endpoints", 0)["traces"] = json.Number("1.5") }, "/endpoints/0/traces"},
		{"unknown format", func(d map[string]any) { obj(obj(d, "summary"), "formats")["csv"] = json.Number("1") }, "csv"},
		{"unknown warning", func(d map[string]any) { obj(obj(d, "summary"), "warnings")["bad-vibes"] = json.Number("1") }, "bad-vibes"},
		{"share above 1", func(d map[string]any) {
			idx(obj(idx(d, "endpoints", 0), ""), "criticalPath", 0)["share"] = json.Number("35.7")
		}, "/endpoints/0/criticalPath/0/share"},
		{"trace ID not hex", func(d map[string]any) { idx(d, "waterfalls", 0)["traceId"] = "not-a-trace-id" }, "/waterfalls/0/traceId"},
		{"unknown span kind", func(d map[string]any) { idx(idx(d, "waterfalls", 0), "spans", 0)["kind"] = "SERVER" }, "/waterfalls/0/spans/0/kind"},
		{"wrong schema version", func(d map[string]any) { d["schemaVersion"] = json.Number("2") }, "/schemaVersion"},
		{"ref missing operation", func(d map[string]any) { delete(obj(idx(d, "plan", 0), "endpoint"), "operation") }, "/plan/0/endpoint"},
		{"bool as string", func(d map[string]any) { obj(d, "summary")["jaegerCompat"] = "true" }, "/summary/jaegerCompat"},
		{"renamed baseline field", func(d map[string]any) { rename(obj(d, "baseline"), "tolerancePct", "tolerance") }, "tolerance"},
		{"audit offenders not strings", func(d map[string]any) { idx(d, "audit", 0)["offenders"] = []any{json.Number("1")} }, "/audit/0/offenders/0"},
		{"missing recommended", func(d map[string]any) { delete(idx(d, "candidates", 0), "recommended") }, "recommended"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := reportDoc(t, reporttest.Rich()).(map[string]any)
			tt.edit(doc)
			err := sch.Validate(doc)
			if err == nil {
				t.Fatal("the edited document validates")
			}
			if !strings.Contains(err.Error(), tt.where) {
				t.Errorf("error does not point at %q:\n%v", tt.where, err)
			}
		})
	}
}

func obj(d map[string]any, key string) map[string]any {
	if key == "" {
		return d
	}
	return d[key].(map[string]any)
}

func idx(d map[string]any, key string, i int) map[string]any {
	return d[key].([]any)[i].(map[string]any)
}

func rename(d map[string]any, from, to string) {
	d[to] = d[from]
	delete(d, from)
}

// schemaNode is a decoded schema object.
type schemaNode = map[string]any

// TestSchemaDocumentsEveryField walks the Go model and the schema together:
// every JSON field of every type must be a property with a description,
// the schema must have no property the model lacks, objects must be closed,
// and exactly the fields that are always written must be required.
func TestSchemaDocumentsEveryField(t *testing.T) {
	raw, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	var root schemaNode
	if err := json.Unmarshal(raw, &root); err != nil {
		t.Fatal(err)
	}
	defs, _ := root["$defs"].(map[string]any)
	resolve := func(n schemaNode) schemaNode {
		for range 10 {
			ref, ok := n["$ref"].(string)
			if !ok {
				return n
			}
			def, ok := defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
			if !ok {
				t.Fatalf("unresolvable $ref %q", ref)
			}
			n = def
		}
		t.Fatal("$ref chain too long")
		return nil
	}
	if d, _ := root["description"].(string); d == "" {
		t.Error("the schema has no description")
	}
	type job struct {
		path string
		typ  reflect.Type
		node schemaNode
	}
	// Iterate over an explicit stack, like the rest of the code base.
	stack := []job{{"", reflect.TypeFor[report.Report](), root}}
	structs := 0
	for len(stack) > 0 {
		j := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n := resolve(j.node)
		if j.typ.Kind() == reflect.Pointer {
			j.typ = j.typ.Elem()
		}
		switch j.typ.Kind() {
		case reflect.Struct:
			structs++
			if n["type"] != "object" || n["additionalProperties"] != false {
				t.Errorf("%s: want a closed object (type object, additionalProperties false)", j.path)
			}
			props, _ := n["properties"].(map[string]any)
			var names, required []string
			for _, f := range jsonFields(j.typ) {
				names = append(names, f.name)
				if !f.omit {
					required = append(required, f.name)
				}
				p, ok := props[f.name].(map[string]any)
				if !ok {
					t.Errorf("%s: field %q (%s) is not in the schema", j.path, f.name, f.typ)
					continue
				}
				if d, _ := p["description"].(string); d == "" {
					t.Errorf("%s.%s: no description", j.path, f.name)
				}
				stack = append(stack, job{j.path + "." + f.name, f.typ, p})
			}
			for name := range props {
				if !slices.Contains(names, name) {
					t.Errorf("%s: schema property %q is not a field of %s", j.path, name, j.typ)
				}
			}
			var req []string
			for _, r := range n["required"].([]any) {
				req = append(req, r.(string))
			}
			slices.Sort(req)
			slices.Sort(required)
			if !slices.Equal(req, required) {
				t.Errorf("%s: required %q, want the always-written fields %q", j.path, req, required)
			}
		case reflect.Slice:
			items, ok := n["items"].(map[string]any)
			if n["type"] != "array" || !ok {
				t.Errorf("%s: want an array with items", j.path)
				continue
			}
			stack = append(stack, job{j.path + "[]", j.typ.Elem(), items})
		case reflect.Map:
			vals, ok := n["additionalProperties"].(map[string]any)
			if n["type"] != "object" || !ok {
				t.Errorf("%s: want an object with additionalProperties", j.path)
				continue
			}
			if _, ok := n["propertyNames"]; !ok {
				t.Errorf("%s: map keys are not described (propertyNames)", j.path)
			}
			stack = append(stack, job{j.path + "{}", j.typ.Elem(), vals})
		case reflect.String:
			if n["type"] != "string" && n["enum"] == nil {
				t.Errorf("%s: want a string or an enum", j.path)
			}
		case reflect.Int:
			if n["type"] != "integer" && n["const"] == nil {
				t.Errorf("%s: want an integer", j.path)
			}
		case reflect.Float64:
			if n["type"] != "number" {
				t.Errorf("%s: want a number", j.path)
			}
		case reflect.Bool:
			if n["type"] != "boolean" {
				t.Errorf("%s: want a boolean", j.path)
			}
		default:
			t.Errorf("%s: unexpected Go kind %s", j.path, j.typ.Kind())
		}
	}
	if structs < 15 {
		t.Errorf("walked %d struct types, expected the whole model", structs)
	}
}

type jsonField struct {
	name string
	typ  reflect.Type
	omit bool
}

// jsonFields lists the JSON members of a struct as encoding/json writes
// them, flattening untagged embedded structs.
func jsonFields(t reflect.Type) []jsonField {
	var out []jsonField
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			out = append(out, jsonFields(f.Type)...)
			continue
		}
		if name == "" {
			name = f.Name
		}
		omit := slices.ContainsFunc(strings.Split(opts, ","), func(o string) bool { return o == "omitempty" || o == "omitzero" })
		out = append(out, jsonField{name, f.Type, omit})
	}
	return out
}

// TestSchemaEnums keeps the schema's closed vocabularies in step with the
// packages that define them.
func TestSchemaEnums(t *testing.T) {
	raw, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	var root struct {
		Defs map[string]json.RawMessage `json:"$defs"`
	}
	if err := json.Unmarshal(raw, &root); err != nil {
		t.Fatal(err)
	}
	var summary struct {
		Properties map[string]struct {
			PropertyNames struct {
				Enum []string `json:"enum"`
			} `json:"propertyNames"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(root.Defs["summary"], &summary); err != nil {
		t.Fatal(err)
	}
	var span, cand, key struct {
		Properties map[string]struct {
			Enum []string `json:"enum"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(root.Defs["waterfallSpan"], &span); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(root.Defs["candidate"], &cand); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(root.Defs["candidateKey"], &key); err != nil {
		t.Fatal(err)
	}

	var formats, warnings, kinds []string
	for _, f := range decode.Formats {
		formats = append(formats, string(f))
	}
	for _, w := range trace.AllWarnings() {
		warnings = append(warnings, w.String())
	}
	for k := trace.Kind(0); ; k++ {
		s := k.String()
		if k > 0 && s == "unspecified" {
			break
		}
		kinds = append(kinds, s)
	}
	reasons := []string{string(trace.RejectInvalidTraceID), string(trace.RejectInvalidSpanID), string(trace.RejectInvalidSpan),
		string(trace.RejectDuplicate), string(trace.RejectOutsideParent), string(trace.RejectFiltered)}
	tests := []struct {
		name      string
		got, want []string
	}{
		{"summary.formats keys", summary.Properties["formats"].PropertyNames.Enum, formats},
		{"summary.warnings keys", summary.Properties["warnings"].PropertyNames.Enum, warnings},
		{"summary.rejected keys", summary.Properties["rejected"].PropertyNames.Enum, reasons},
		{"waterfallSpan.kind", span.Properties["kind"].Enum, kinds},
		{"candidate.action", cand.Properties["action"].Enum, []string{string(report.MakeAsync), string(report.Parallelize)}},
		{"candidateKey.action", key.Properties["action"].Enum, []string{string(report.MakeAsync), string(report.Parallelize)}},
	}
	for _, tt := range tests {
		got, want := slices.Sorted(slices.Values(tt.got)), slices.Sorted(slices.Values(tt.want))
		if !slices.Equal(got, want) {
			t.Errorf("%s: schema has %q, the code defines %q", tt.name, got, want)
		}
	}
}
