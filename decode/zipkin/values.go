package zipkin

import (
	"errors"
	"fmt"

	"github.com/syncaudit/syncaudit/decode/jsontext"
)

// rawSpan is the subset of a Zipkin v2 span that syncaudit reads; other
// keys (annotations, debug, ipv4, …) are skipped by the decoder.
type rawSpan struct {
	TraceID        string                     `json:"traceId"`
	ID             string                     `json:"id"`
	ParentID       string                     `json:"parentId"`
	Name           string                     `json:"name"`
	Kind           string                     `json:"kind"`
	Timestamp      timestamp                  `json:"timestamp"`
	Duration       duration                   `json:"duration"`
	LocalEndpoint  *endpoint                  `json:"localEndpoint"`
	RemoteEndpoint *endpoint                  `json:"remoteEndpoint"`
	Tags           map[string]jsontext.Scalar `json:"tags"`
	Shared         bool                       `json:"shared"`
}

// endpoint is a Zipkin endpoint; only the service name is kept.
type endpoint struct {
	ServiceName string `json:"serviceName"`
}

// micros is an epoch-microsecond timestamp or a microsecond duration: a
// JSON number or a decimal string. ns is nanoseconds.
type micros struct {
	ns  int64
	set bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (m *micros) UnmarshalJSON(b []byte) error {
	*m = micros{}
	if len(b) == 0 || b[0] == 'n' {
		return nil
	}
	s := string(b)
	if b[0] == '"' {
		var err error
		if s, err = jsontext.Unquote(b); err != nil {
			return err
		}
	} else if b[0] != '-' && (b[0] < '0' || b[0] > '9') {
		return fmt.Errorf("want microseconds, found %s", jsontext.ValueKind(b))
	}
	ns, err := jsontext.MicrosToNanos(s)
	if errors.Is(err, jsontext.ErrNotNumber) {
		return fmt.Errorf("%q is not a number of microseconds", s)
	}
	if err != nil {
		return err
	}
	*m = micros{ns, true}
	return nil
}

// timestamp is a span's epoch-microsecond start.
type timestamp struct{ micros }

// UnmarshalJSON implements json.Unmarshaler.
func (t *timestamp) UnmarshalJSON(b []byte) error {
	if err := t.micros.UnmarshalJSON(b); err != nil {
		return fmt.Errorf("field \"timestamp\": %w", err)
	}
	return nil
}

// duration is a span's duration in microseconds.
type duration struct{ micros }

// UnmarshalJSON implements json.Unmarshaler.
func (d *duration) UnmarshalJSON(b []byte) error {
	if err := d.micros.UnmarshalJSON(b); err != nil {
		return fmt.Errorf("field \"duration\": %w", err)
	}
	return nil
}
