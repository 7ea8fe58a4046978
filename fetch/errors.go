package fetch

import (
	"errors"
	"fmt"
)

// ErrNoTraces is returned when Jaeger answered every request but no trace
// matched the query. It is not wrapped in an *Error: nothing failed.
var ErrNoTraces = errors.New("no traces matched")

// Kind classifies a failed Jaeger request by what the user can do about it.
type Kind int

const (
	// KindUnreachable: no connection (refused, unknown host, TLS failure,
	// connection reset before an answer).
	KindUnreachable Kind = iota + 1
	// KindNotJaeger: the server answered, but not as a Jaeger query API
	// (404 on the API path, HTML or other non-JSON body, unknown gRPC method).
	KindNotJaeger
	// KindAuth: the server wants credentials or refused the ones sent
	// (HTTP 401/403, gRPC Unauthenticated/PermissionDenied).
	KindAuth
	// KindTimeout: a request took longer than the per-request timeout.
	KindTimeout
	// KindServer: Jaeger answered with an error (bad parameter, storage
	// failure, 5xx from a proxy).
	KindServer
	// KindBadResponse: the answer was cut off or is malformed JSON/protobuf.
	KindBadResponse
)

// String names the kind for messages: "unreachable", "timeout", ….
func (k Kind) String() string {
	switch k {
	case KindUnreachable:
		return "unreachable"
	case KindNotJaeger:
		return "not a Jaeger query API"
	case KindAuth:
		return "authorization refused"
	case KindTimeout:
		return "timeout"
	case KindServer:
		return "server error"
	case KindBadResponse:
		return "bad response"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Error is a failed request to Jaeger. Its message says what failed, where,
// and what to try.
type Error struct {
	Kind Kind
	// Endpoint is the URL or gRPC address (with method) that failed.
	Endpoint string
	// Status is the HTTP status (0 if there was no HTTP answer).
	Status int
	// Message is Jaeger's own error message, or a short description.
	Message string
	// Hint tells the user what to try; it may be empty.
	Hint string
	// Err is the underlying cause, if any.
	Err error
	// permanent marks errors that repeating cannot fix (too large, not
	// JSON, bad certificate).
	permanent bool
}

// Error says what failed, where (the endpoint) and why, in terms of
// the Kind (e.g. "cannot reach Jaeger at …: …").
func (e *Error) Error() string {
	msg := e.Message
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	var s string
	switch e.Kind {
	case KindUnreachable:
		s = fmt.Sprintf("cannot reach Jaeger at %s: %s", e.Endpoint, msg)
	case KindNotJaeger:
		s = fmt.Sprintf("%s did not answer as a Jaeger query API: %s", e.Endpoint, msg)
	case KindAuth:
		s = fmt.Sprintf("Jaeger refused the request to %s: %s", e.Endpoint, msg)
	case KindTimeout:
		s = fmt.Sprintf("Jaeger did not answer %s in time: %s", e.Endpoint, msg)
	case KindBadResponse:
		s = fmt.Sprintf("bad answer from %s: %s", e.Endpoint, msg)
	default:
		if e.Status != 0 {
			s = fmt.Sprintf("Jaeger answered HTTP %d to %s: %s", e.Status, e.Endpoint, msg)
		} else {
			s = fmt.Sprintf("Jaeger failed %s: %s", e.Endpoint, msg)
		}
	}
	if e.Hint != "" {
		s += " (" + e.Hint + ")"
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// retryable says whether repeating the request may succeed.
func (e *Error) retryable() bool {
	if e.permanent {
		return false
	}
	switch e.Kind {
	case KindBadResponse:
		return true
	case KindServer:
		return e.Status == 502 || e.Status == 503 || e.Status == 504
	case KindUnreachable:
		// A connection refused or reset in the middle of a run (a restart)
		// is worth another try; the caller only retries once something
		// has already succeeded.
		return true
	}
	return false
}

// PartialError reports a fetch that failed after some traces were already
// fetched; those traces must not be presented as the complete result.
type PartialError struct {
	// Traces and Requests are what had succeeded before the failure.
	Traces, Requests int
	Err              error
}

// Error says how many requests and traces had succeeded, then the cause.
func (e *PartialError) Error() string {
	return fmt.Sprintf("fetch failed after %d request(s) and %d trace(s): %v", e.Requests, e.Traces, e.Err)
}

// Unwrap returns the cause.
func (e *PartialError) Unwrap() error { return e.Err }
