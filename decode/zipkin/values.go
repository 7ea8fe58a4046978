package zipkin

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

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

// endpoint is a Zipkin endpoint; the port is not read.
type endpoint struct {
	ServiceName string `json:"serviceName"`
	IPv4        ipAddr `json:"ipv4"`
	IPv6        ipAddr `json:"ipv6"`
}

// ip returns the endpoint's address, IPv4 first; invalid when it has none.
func (e *endpoint) ip() netip.Addr {
	if e.IPv4.IsValid() {
		return e.IPv4.Addr
	}
	return e.IPv6.Addr
}

// ipAddr is an endpoint address, parsed as it is decoded so that its text
// is not kept. A value that is not an address string is ignored, as
// Zipkin does not need it.
type ipAddr struct{ netip.Addr }

// UnmarshalJSON implements json.Unmarshaler.
func (a *ipAddr) UnmarshalJSON(b []byte) error {
	a.Addr = netip.Addr{}
	if len(b) < 2 || b[0] != '"' {
		return nil
	}
	if ip, ok := parseIPv4(b[1 : len(b)-1]); ok {
		a.Addr = ip
		return nil
	}
	if s, err := jsontext.Unquote(b); err == nil {
		if ip, err := netip.ParseAddr(strings.TrimSpace(s)); err == nil {
			a.Addr = ip
		}
	}
	return nil
}

// parseIPv4 parses dotted-quad IPv4 text without allocating.
func parseIPv4(b []byte) (netip.Addr, bool) {
	var ip [4]byte
	part, digits := 0, 0
	v := 0
	for _, c := range b {
		switch {
		case '0' <= c && c <= '9':
			v = v*10 + int(c-'0')
			digits++
			if v > 255 || digits > 3 {
				return netip.Addr{}, false
			}
		case c == '.' && digits > 0 && part < 3:
			ip[part] = byte(v)
			part, digits, v = part+1, 0, 0
		default:
			return netip.Addr{}, false
		}
	}
	if part != 3 || digits == 0 {
		return netip.Addr{}, false
	}
	ip[3] = byte(v)
	return netip.AddrFrom4(ip), true
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
