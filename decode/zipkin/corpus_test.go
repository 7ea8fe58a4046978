package zipkin

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syncaudit/syncaudit/decode/decoder"
	"github.com/syncaudit/syncaudit/decode/internal/dectest"
	"github.com/syncaudit/syncaudit/trace"
)

func TestCorpus(t *testing.T) {
	dir := dectest.CorpusDir(t)
	cases := []struct {
		file          string
		traces, spans int
	}{
		{"skew.json", 1, 4},
		{"messaging-kafka.json", 1, 28},
		{"messaging2.json", 1, 11},
		{"smartthings-oauth-authorization.json", 1, 175},
		{"smartthings-mobile-web-install.json", 1, 1041},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, "zipkin", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			var c decoder.Collect
			if err := Decode(tc.file, data, &c, decoder.DefaultLimits); err != nil {
				t.Fatal(err)
			}
			if c.Rejected.Total() != 0 {
				t.Errorf("rejected %v", c.Rejected)
			}
			ids := map[trace.TraceID]bool{}
			for _, s := range c.Spans {
				ids[s.TraceID] = true
			}
			if len(c.Spans) != tc.spans || len(ids) != tc.traces {
				t.Errorf("decoded %d traces / %d spans, want %d / %d", len(ids), len(c.Spans), tc.traces, tc.spans)
			}

			// Independent counts from the file's own span array.
			var raw []map[string]any
			if err := json.Unmarshal(data, &raw); err != nil {
				t.Fatal(err)
			}
			var wantShared, wantNoTime, wantKinds int
			for _, s := range raw {
				if s["shared"] == true {
					wantShared++
				}
				if s["timestamp"] == nil || s["timestamp"] == 0.0 || s["duration"] == nil {
					wantNoTime++
				}
				if s["kind"] != nil {
					wantKinds++
				}
			}
			var shared, noTime, kinds int
			for _, s := range c.Spans {
				if s.Flags&trace.FlagShared != 0 {
					shared++
				}
				if s.Warnings.Has(trace.WarnMissingTimestamp) {
					noTime++
				}
				if s.Kind != trace.KindInternal {
					kinds++
				}
				if s.Service == "" {
					t.Errorf("span %s has no service", s.SpanID)
				}
			}
			if len(raw) != len(c.Spans) || shared != wantShared || noTime != wantNoTime || kinds != wantKinds {
				t.Errorf("spans/shared/missing-time/kinded = %d/%d/%d/%d, the file has %d/%d/%d/%d",
					len(c.Spans), shared, noTime, kinds, len(raw), wantShared, wantNoTime, wantKinds)
			}
		})
	}
}

// TestCorpusAscendServices checks service names on a real mobile-gateway
// trace (zipkin-lens ascend.json), read by hand: every span has a
// localEndpoint.serviceName, so each keeps it; the content-service CLIENT
// call to /api/v1/banners/… has no server span, no remoteEndpoint and no
// tag that names its callee, so the decoder must not invent one (the
// callee is unknown from this file). Then, one span at a time, the span's
// serviceName is removed in memory: the naming rule must recover the same
// name from the rest of the trace.
func TestCorpusAscendServices(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(dectest.CorpusDir(t), "realworld", "zipkin-lens", "ascend.json"))
	if err != nil {
		t.Fatal(err)
	}
	// span ID and kind → service, by hand from the file.
	want := map[string]string{
		"ecc00062ceef4bf0 client":   "mobile-gateway",
		"ecc00062ceef4bf0 server":   "content-service", // shared ID: the callee half
		"c21c6c51ac71b3ba client":   "content-service", // GET /api/v1/banners/10000001502
		"52b1ab4956917c39 client":   "mobile-gateway",
		"52b1ab4956917c39 server":   "auth-service",
		"ef86c83c0a05a6d6 server":   "mobile-gateway",  // the root
		"80c0d1d62f437a1b internal": "auth-service",    // extend-token-life
		"e6422f7ff7d78099 internal": "content-service", // hystrix
	}
	key := func(s trace.Span) string { return hex.EncodeToString(s.SpanID[:]) + " " + s.Kind.String() }
	decode := func(t *testing.T, in []byte) map[string]trace.Span {
		t.Helper()
		var c decoder.Collect
		if err := Decode("ascend.json", in, &c, decoder.DefaultLimits); err != nil {
			t.Fatal(err)
		}
		got := map[string]trace.Span{}
		for _, s := range c.Spans {
			got[key(s)] = s
		}
		if len(c.Spans) != len(want) || len(got) != len(want) {
			t.Fatalf("decoded %d spans (%d distinct), want %d", len(c.Spans), len(got), len(want))
		}
		return got
	}

	got := decode(t, data)
	for k, svc := range want {
		if got[k].Service != svc {
			t.Errorf("span %s: service %q, want %q", k, got[k].Service, svc)
		}
	}
	banners := got["c21c6c51ac71b3ba client"]
	for _, k := range []trace.AttrKey{trace.AttrPeerService, trace.AttrServerAddress, trace.AttrURLFull} {
		if v := banners.Attrs.Get(k); v != "" {
			t.Errorf("banners call: %s = %q; the file names no callee", k, v)
		}
	}

	var raw []map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	for i, span := range raw {
		kind := "internal"
		if k, ok := span["kind"].(string); ok {
			kind = strings.ToLower(k)
		}
		k := span["id"].(string) + " " + kind
		t.Run("without serviceName: "+k, func(t *testing.T) {
			var mod []map[string]any
			if err := json.Unmarshal(data, &mod); err != nil {
				t.Fatal(err)
			}
			delete(mod[i]["localEndpoint"].(map[string]any), "serviceName")
			in, err := json.Marshal(mod)
			if err != nil {
				t.Fatal(err)
			}
			if got := decode(t, in)[k].Service; got != want[k] {
				t.Errorf("service %q, want %q", got, want[k])
			}
		})
	}
}

func TestCorpusSniff(t *testing.T) {
	dectest.CorpusSniff(t, dectest.CorpusDir(t), Sniff, func(rel string) bool {
		return path.Dir(rel) == "zipkin" || path.Dir(rel) == "realworld/zipkin-lens"
	})
}

func BenchmarkDecodeSmartThings(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(dectest.CorpusDir(b), "zipkin", "smartthings-mobile-web-install.json"))
	if err != nil {
		b.Fatal(err)
	}
	dectest.BenchDecode(b, data, Decode)
}
