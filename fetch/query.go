package fetch

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// API selects the Jaeger query API a Client talks to.
type API string

// The supported APIs.
const (
	// APIv3 is GET /api/v3/traces on the query HTTP port (Jaeger ≥ 1.35,
	// all of Jaeger v2): OTLP/JSON answers.
	APIv3 API = "v3"
	// APIGRPC is jaeger.api_v3.QueryService/FindTraces on the query gRPC
	// port (16685): one OTLP protobuf TracesData message per trace.
	APIGRPC API = "grpc"
	// APIClassic is GET /api/traces, the Jaeger UI's own API, for Jaeger
	// versions without api_v3: Jaeger UI JSON, microsecond times.
	APIClassic API = "classic"
)

// ParseAPI parses "v3", "grpc" or "classic".
func ParseAPI(s string) (API, error) {
	switch a := API(strings.ToLower(strings.TrimSpace(s))); a {
	case APIv3, APIGRPC, APIClassic:
		return a, nil
	}
	return "", fmt.Errorf("unknown API %q: want v3, grpc or classic", s)
}

// Tag is one key=value condition: a trace matches when one of its spans
// of the queried service carries it (span, scope, resource or event
// attribute; compared as strings).
type Tag struct {
	Key, Value string
}

// ParseTag parses "key=value". The key is everything before the first
// '='; the value may be empty and may contain '='.
func ParseTag(s string) (Tag, error) {
	k, v, ok := strings.Cut(s, "=")
	k = strings.TrimSpace(k)
	if !ok {
		return Tag{}, fmt.Errorf("tag %q: want key=value", s)
	}
	if k == "" {
		return Tag{}, fmt.Errorf("tag %q: empty key", s)
	}
	return Tag{Key: k, Value: v}, nil
}

// ParseTags parses each of ss with ParseTag. A key given twice is an
// error (Jaeger's queries hold one value per key).
func ParseTags(ss []string) ([]Tag, error) {
	tags := make([]Tag, 0, len(ss))
	seen := map[string]bool{}
	for _, s := range ss {
		t, err := ParseTag(s)
		if err != nil {
			return nil, err
		}
		if seen[t.Key] {
			return nil, fmt.Errorf("tag key %q given twice", t.Key)
		}
		seen[t.Key] = true
		tags = append(tags, t)
	}
	sort.Slice(tags, func(i, j int) bool { return tags[i].Key < tags[j].Key })
	return tags, nil
}

// sortedKeys returns m's keys in order.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// tagMap returns the tags as a map (for JSON and protobuf map encoding).
func tagMap(tags []Tag) map[string]string {
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	return m
}

// Query is what to fetch. A trace matches when one of its spans of Service
// (with Operation, if set, and every Tag) starts within [Start, End]; the
// whole trace is fetched.
type Query struct {
	Service   string
	Operation string
	Tags      []Tag
	// Start and End bound the start time of the matching span (both
	// inclusive).
	Start, End time.Time
	// Limit stops the fetch after this many traces; 0 means no limit.
	Limit int
	// PageSize is the most traces one request asks for (Jaeger's
	// query.num_traces, search_depth or limit). A window whose answer is
	// this full is split in two and asked again, so PageSize bounds
	// memory, not completeness. 0 means DefaultPageSize.
	PageSize int
}

// DefaultPageSize is the traces asked for per request when Query.PageSize is 0.
const DefaultPageSize = 500

// Validate checks the query for mistakes Jaeger would reject or silently
// misread.
func (q *Query) Validate() error {
	var errs []error
	if strings.TrimSpace(q.Service) == "" {
		errs = append(errs, errors.New("a service name is required"))
	}
	if q.Start.IsZero() || q.End.IsZero() {
		errs = append(errs, errors.New("a start and an end time are required"))
	} else if !q.Start.Before(q.End) {
		errs = append(errs, fmt.Errorf("start %s is not before end %s", q.Start.Format(time.RFC3339Nano), q.End.Format(time.RFC3339Nano)))
	}
	if q.Limit < 0 {
		errs = append(errs, errors.New("the limit must not be negative"))
	}
	if q.PageSize < 0 {
		errs = append(errs, errors.New("the page size must not be negative"))
	}
	for _, t := range q.Tags {
		if t.Key == "" {
			errs = append(errs, errors.New("a tag has an empty key"))
		}
	}
	return errors.Join(errs...)
}

// pageSize is the depth asked for per request: PageSize, but no more than
// the traces still wanted.
func (q *Query) pageSize(remaining int) int {
	n := q.PageSize
	if n <= 0 {
		n = DefaultPageSize
	}
	if q.Limit > 0 && remaining < n {
		n = max(remaining, 1)
	}
	return n
}
