package fetch

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// v3Backend queries GET /api/v3/traces.
type v3Backend struct{ httpBackend }

func (b *v3Backend) resolution() time.Duration { return time.Nanosecond }
func (b *v3Backend) endpoint() string          { return b.base.JoinPath("api/v3/traces").String() }

// httpBackend is what the HTTP backends share: the client, the query
// service's base URL and the HTTP client used.
type httpBackend struct {
	c    *Client
	base *url.URL
	hc   *http.Client
}

func (b *httpBackend) close() error {
	if b.c.HTTPClient == nil { // ours: drop its idle connections
		b.hc.CloseIdleConnections()
	}
	return nil
}

// v3URL builds the search URL. query.attributes is sent for Jaeger
// versions that honour it; the answer is filtered here as well because
// Jaeger v2's HTTP gateway ignores it.
func v3URL(base *url.URL, q *Query, from, to time.Time, depth int) string {
	v := url.Values{}
	v.Set("query.service_name", q.Service)
	if q.Operation != "" {
		v.Set("query.operation_name", q.Operation)
	}
	v.Set("query.start_time_min", from.UTC().Format(time.RFC3339Nano))
	v.Set("query.start_time_max", to.UTC().Format(time.RFC3339Nano))
	v.Set("query.num_traces", strconv.Itoa(depth))
	if len(q.Tags) > 0 {
		b, _ := json.Marshal(tagMap(q.Tags)) // a map[string]string always marshals
		v.Set("query.attributes", string(b))
	}
	u := base.JoinPath("api/v3/traces")
	u.RawQuery = v.Encode()
	return u.String()
}

// v3Envelope is the api_v3 HTTP answer: {"result":TracesData} or
// {"error":{"httpCode":…,"message":…}}.
type v3Envelope struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		HTTPCode int    `json:"httpCode"`
		Message  string `json:"message"`
	} `json:"error"`
}

func (b *v3Backend) find(ctx context.Context, q *Query, from, to time.Time, depth int) (*page, error) {
	ep := b.endpoint()
	ans, err := b.c.get(ctx, b.hc, v3URL(b.base, q, from, to, depth), ep)
	if err != nil {
		return nil, err
	}
	td, empty, err := parseV3(ep, ans)
	if err != nil || empty {
		return newPage(), err
	}
	pg := newPage()
	pg.add(td)
	pg.returned = len(pg.order)
	if len(q.Tags) > 0 {
		kept := pg.order[:0]
		for _, id := range pg.order {
			if matches(pg.traces[id], q, from, to) {
				kept = append(kept, id)
			} else {
				delete(pg.traces, id)
				pg.filtered++
			}
		}
		pg.order = kept
	}
	return pg, nil
}

const v3Hint = "Jaeger before 1.35 has no api_v3: try --api classic"

// parseV3 interprets an api_v3 answer. empty reports Jaeger's 404 "No
// traces found", which is an empty result, not an error.
func parseV3(ep string, ans *httpAnswer) (td ptrace.Traces, empty bool, err error) {
	if !looksLikeJSONObject(ans.body) {
		if ans.status >= 500 {
			return td, false, &Error{Kind: KindServer, Endpoint: ep, Status: ans.status, Message: orStatus(snippet(ans.body), ans.status)}
		}
		return td, false, notJSON(ep, ans.status, ans.body, v3Hint)
	}
	var env v3Envelope
	if err := json.Unmarshal(ans.body, &env); err != nil {
		if isTruncatedJSON(err) {
			return td, false, &Error{Kind: KindBadResponse, Endpoint: ep, Status: ans.status, Err: err,
				Message: fmt.Sprintf("the answer is cut off: %d bytes of incomplete JSON", len(ans.body))}
		}
		if ans.status >= 300 {
			return td, false, &Error{Kind: KindServer, Endpoint: ep, Status: ans.status, Message: snippet(ans.body)}
		}
		return td, false, &Error{Kind: KindBadResponse, Endpoint: ep, Status: ans.status, Err: err, permanent: true,
			Message: fmt.Sprintf("malformed JSON: %v", err)}
	}
	if env.Error != nil {
		code := env.Error.HTTPCode
		if code == 0 {
			code = ans.status
		}
		if code == http.StatusNotFound {
			return td, true, nil
		}
		return td, false, serverError(ep, ans.status, env.Error.Message)
	}
	if ans.status == http.StatusNotFound {
		return td, false, &Error{Kind: KindNotJaeger, Endpoint: ep, Status: ans.status, permanent: true,
			Message: "HTTP 404: " + snippet(ans.body),
			Hint:    "is this a Jaeger query URL? " + v3Hint}
	}
	if ans.status >= 300 {
		return td, false, &Error{Kind: KindServer, Endpoint: ep, Status: ans.status, Message: orStatus(snippet(ans.body), ans.status)}
	}
	if env.Result == nil || string(env.Result) == "null" {
		return td, false, &Error{Kind: KindNotJaeger, Endpoint: ep, Status: ans.status, permanent: true,
			Message: fmt.Sprintf("JSON without a \"result\": %s", snippet(ans.body)),
			Hint:    "is this a Jaeger query URL?"}
	}
	td, err = (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(env.Result)
	if err != nil {
		return td, false, &Error{Kind: KindBadResponse, Endpoint: ep, Status: ans.status, Err: err, permanent: true,
			Message: fmt.Sprintf("the result is not OTLP/JSON: %v", err)}
	}
	return td, false, nil
}

// serverError is Jaeger's own error message, with a hint for the ones a
// user can fix.
func serverError(ep string, status int, msg string) *Error {
	e := &Error{Kind: KindServer, Endpoint: ep, Status: status, Message: msg}
	switch {
	case strings.Contains(msg, "search depth"), strings.Contains(msg, "max traces"):
		e.Hint = "Jaeger's in-memory max_traces is smaller than --page-size: lower --page-size"
		e.permanent = true
	case status == http.StatusBadRequest:
		e.permanent = true
	}
	return e
}

func orStatus(s string, status int) string {
	if s != "" {
		return s
	}
	return fmt.Sprintf("HTTP %d %s", status, http.StatusText(status))
}

// matches reports whether td has a span that Jaeger's search would match:
// of the queried service, with the operation (if set), starting within
// [from, to], carrying every tag. A tag matches a span, scope, resource or
// event attribute with the same string form; error=true also matches an
// error status, and error=false a span whose status is not an error.
func matches(td ptrace.Traces, q *Query, from, to time.Time) bool {
	lo, hi := pcommon.NewTimestampFromTime(from), pcommon.NewTimestampFromTime(to)
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		if v, ok := rs.Resource().Attributes().Get("service.name"); !ok || v.AsString() != q.Service {
			continue
		}
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			ss := sss.At(j)
			spans := ss.Spans()
			for k := 0; k < spans.Len(); k++ {
				sp := spans.At(k)
				if q.Operation != "" && sp.Name() != q.Operation {
					continue
				}
				if st := sp.StartTimestamp(); st < lo || st > hi {
					continue
				}
				if spanHasTags(sp, ss.Scope().Attributes(), rs.Resource().Attributes(), q.Tags) {
					return true
				}
			}
		}
	}
	return false
}

func spanHasTags(sp ptrace.Span, scope, resource pcommon.Map, tags []Tag) bool {
	for _, t := range tags {
		if t.Key == "error" {
			isErr := sp.Status().Code() == ptrace.StatusCodeError
			if (t.Value == "true" && isErr) || (t.Value == "false" && !isErr) {
				continue
			}
		}
		if !hasAttr(sp.Attributes(), t) && !hasAttr(scope, t) && !hasAttr(resource, t) && !eventHasAttr(sp, t) {
			return false
		}
	}
	return true
}

func hasAttr(m pcommon.Map, t Tag) bool {
	v, ok := m.Get(t.Key)
	return ok && v.AsString() == t.Value
}

func eventHasAttr(sp ptrace.Span, t Tag) bool {
	evs := sp.Events()
	for i := 0; i < evs.Len(); i++ {
		if hasAttr(evs.At(i).Attributes(), t) {
			return true
		}
	}
	return false
}
