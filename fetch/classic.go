package fetch

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// classicBackend queries GET /api/traces, the Jaeger UI's search API.
type classicBackend struct{ httpBackend }

func (b *classicBackend) resolution() time.Duration { return time.Microsecond }
func (b *classicBackend) endpoint() string          { return b.base.JoinPath("api/traces").String() }

// classicURL builds the search URL: times in Unix microseconds.
func classicURL(base *url.URL, q *Query, from, to time.Time, depth int) string {
	v := url.Values{}
	v.Set("service", q.Service)
	if q.Operation != "" {
		v.Set("operation", q.Operation)
	}
	v.Set("start", strconv.FormatInt(from.UnixMicro(), 10))
	v.Set("end", strconv.FormatInt(ceil(to, time.Microsecond).UnixMicro(), 10))
	v.Set("limit", strconv.Itoa(depth))
	if len(q.Tags) > 0 {
		b, _ := json.Marshal(tagMap(q.Tags)) // a map[string]string always marshals
		v.Set("tags", string(b))
	}
	u := base.JoinPath("api/traces")
	u.RawQuery = v.Encode()
	return u.String()
}

// uiResponse is the query service's structured response.
type uiResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Code    int    `json:"code"`
		Msg     string `json:"msg"`
		TraceID string `json:"traceID"`
	} `json:"errors"`
}

func (b *classicBackend) find(ctx context.Context, q *Query, from, to time.Time, depth int) (*page, error) {
	ep := b.endpoint()
	ans, err := b.c.get(ctx, b.hc, classicURL(b.base, q, from, to, depth), ep)
	if err != nil {
		return nil, err
	}
	traces, err := parseClassic(ep, ans)
	if err != nil {
		return nil, err
	}
	pg := newPage()
	pg.returned = len(traces)
	for i, raw := range traces {
		id, t, err := indexTrace(raw)
		if err != nil {
			return nil, &Error{Kind: KindBadResponse, Endpoint: ep, Status: ans.status, Err: err, permanent: true,
				Message: fmt.Sprintf("trace %d of the answer: %v", i+1, err)}
		}
		pg.addRaw(id, t)
	}
	return pg, nil
}

// uiTraceIndex is what fetch reads of a Jaeger UI trace itself: its ID,
// to de-duplicate across pages, and its spans' start times, to order the
// traces. Everything else is left to decode/jaeger.
type uiTraceIndex struct {
	TraceID string `json:"traceID"`
	Spans   []struct {
		StartTime json.Number `json:"startTime"`
	} `json:"spans"`
}

// indexTrace reads the ID, span count and earliest start of one raw UI
// trace, and returns it compacted to one line.
func indexTrace(raw json.RawMessage) (pcommon.TraceID, rawTrace, error) {
	var ix uiTraceIndex
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&ix); err != nil {
		return pcommon.TraceID{}, rawTrace{}, fmt.Errorf("not a Jaeger trace: %w", err)
	}
	id, err := parseTraceIDHex(ix.TraceID)
	if err != nil {
		return pcommon.TraceID{}, rawTrace{}, fmt.Errorf("traceID %q: %w", ix.TraceID, err)
	}
	t := rawTrace{spans: len(ix.Spans)}
	first := true
	for _, sp := range ix.Spans {
		ns, err := micros(sp.StartTime)
		if err != nil {
			return id, rawTrace{}, fmt.Errorf("trace %s: startTime %q: %w", ix.TraceID, sp.StartTime, err)
		}
		if st := time.Unix(0, ns).UTC(); first || st.Before(t.start) {
			t.start, first = st, false
		}
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return id, rawTrace{}, err
	}
	t.json = buf.Bytes()
	return id, t, nil
}

// parseClassic interprets a /api/traces answer.
func parseClassic(ep string, ans *httpAnswer) ([]json.RawMessage, error) {
	if !looksLikeJSONObject(ans.body) {
		if ans.status >= 500 {
			return nil, &Error{Kind: KindServer, Endpoint: ep, Status: ans.status, Message: orStatus(snippet(ans.body), ans.status)}
		}
		return nil, notJSON(ep, ans.status, ans.body, "")
	}
	var r uiResponse
	dec := json.NewDecoder(bytes.NewReader(ans.body))
	dec.UseNumber()
	if err := dec.Decode(&r); err != nil {
		if isTruncatedJSON(err) {
			return nil, &Error{Kind: KindBadResponse, Endpoint: ep, Status: ans.status, Err: err,
				Message: fmt.Sprintf("the answer is cut off: %d bytes of incomplete JSON", len(ans.body))}
		}
		if ans.status >= 300 {
			return nil, &Error{Kind: KindServer, Endpoint: ep, Status: ans.status, Message: snippet(ans.body)}
		}
		return nil, &Error{Kind: KindBadResponse, Endpoint: ep, Status: ans.status, Err: err, permanent: true,
			Message: fmt.Sprintf("malformed JSON: %v", err)}
	}
	if len(r.Errors) > 0 {
		msgs := make([]string, len(r.Errors))
		for i, e := range r.Errors {
			msgs[i] = e.Msg
			if e.TraceID != "" {
				msgs[i] = e.TraceID + ": " + e.Msg
			}
		}
		status := ans.status
		if status < 300 {
			// Jaeger answers 200 with per-trace errors when it could
			// load only some traces: a partial answer.
			return nil, &Error{Kind: KindServer, Endpoint: ep, Status: status,
				Message: "partial answer: " + strings.Join(msgs, "; ")}
		}
		return nil, serverError(ep, status, strings.Join(msgs, "; "))
	}
	if ans.status == http.StatusNotFound {
		return nil, &Error{Kind: KindNotJaeger, Endpoint: ep, Status: ans.status, permanent: true,
			Message: "HTTP 404: " + snippet(ans.body), Hint: "is this a Jaeger query URL?"}
	}
	if ans.status >= 300 {
		return nil, &Error{Kind: KindServer, Endpoint: ep, Status: ans.status, Message: orStatus(snippet(ans.body), ans.status)}
	}
	if r.Data == nil {
		return nil, &Error{Kind: KindNotJaeger, Endpoint: ep, Status: ans.status, permanent: true,
			Message: fmt.Sprintf("JSON without \"data\": %s", snippet(ans.body)), Hint: "is this a Jaeger query URL?"}
	}
	if string(r.Data) == "null" {
		return nil, nil
	}
	var traces []json.RawMessage
	if err := json.Unmarshal(r.Data, &traces); err != nil {
		return nil, &Error{Kind: KindBadResponse, Endpoint: ep, Status: ans.status, Err: err, permanent: true,
			Message: fmt.Sprintf("\"data\" is not a list of Jaeger traces: %v", err)}
	}
	return traces, nil
}

// micros converts a JSON number of microseconds to nanoseconds.
func micros(n json.Number) (int64, error) {
	const maxMicros = (1<<63 - 1) / 1000
	if n == "" {
		return 0, nil
	}
	v, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(string(n), 64)
		if ferr != nil {
			return 0, fmt.Errorf("not a number: %s", n)
		}
		if math.IsNaN(f) || f > maxMicros || f < -maxMicros {
			return 0, fmt.Errorf("out of range: %s", n)
		}
		return int64(f * 1e3), nil
	}
	if v > maxMicros || v < -maxMicros {
		return 0, fmt.Errorf("out of range: %s", n)
	}
	return v * 1000, nil
}

// parseTraceIDHex parses 1 to 32 hex digits (Jaeger prints 64-bit IDs
// with 16), right-aligned.
func parseTraceIDHex(s string) (pcommon.TraceID, error) {
	var id pcommon.TraceID
	if err := hexRight(id[:], s); err != nil {
		return id, fmt.Errorf("trace ID %q: %w", s, err)
	}
	return id, nil
}

func hexRight(dst []byte, s string) error {
	if s == "" || len(s) > 2*len(dst) {
		return fmt.Errorf("want 1 to %d hex digits", 2*len(dst))
	}
	if len(s)%2 == 1 {
		s = "0" + s
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return fmt.Errorf("not hex")
	}
	copy(dst[len(dst)-len(b):], b)
	return nil
}
