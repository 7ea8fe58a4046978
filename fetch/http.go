package fetch

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"unicode/utf8"
)

// httpAnswer is an HTTP answer read in full.
type httpAnswer struct {
	status int
	body   []byte
}

func (c *Client) httpClient() *http.Client {
	if c.HTTPClient != nil {
		return c.HTTPClient
	}
	return &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
}

func (c *Client) maxBytes() int64 {
	if c.MaxResponseBytes > 0 {
		return c.MaxResponseBytes
	}
	return DefaultMaxResponseBytes
}

// get performs one GET and reads the whole body. Transport failures and a
// body cut short become *Error; every HTTP status is returned to the
// caller, except 401/403, which are always an authorization error.
func (c *Client) get(ctx context.Context, hc *http.Client, u, endpoint string) (*httpAnswer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("building request for %s: %w", endpoint, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "syncaudit")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, transportError(endpoint, err)
	}
	defer resp.Body.Close()
	limit := c.maxBytes()
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &Error{Kind: KindBadResponse, Endpoint: endpoint, Status: resp.StatusCode, Err: err,
			Message: fmt.Sprintf("the answer was cut off after %d bytes: %v", len(body), err)}
	}
	if int64(len(body)) > limit {
		return nil, &Error{Kind: KindBadResponse, Endpoint: endpoint, Status: resp.StatusCode, permanent: true,
			Message: fmt.Sprintf("the answer is larger than %d bytes", limit),
			Hint:    "lower --page-size or narrow the time range"}
	}
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		return nil, authError(endpoint, resp.StatusCode, body, c.Token != "")
	}
	return &httpAnswer{status: resp.StatusCode, body: body}, nil
}

func authError(endpoint string, status int, body []byte, hadToken bool) *Error {
	e := &Error{Kind: KindAuth, Endpoint: endpoint, Status: status,
		Message: fmt.Sprintf("HTTP %d %s", status, http.StatusText(status))}
	if s := snippet(body); s != "" {
		e.Message += ": " + s
	}
	if hadToken {
		e.Hint = "the token was not accepted; check --token or SYNCAUDIT_JAEGER_TOKEN"
	} else {
		e.Hint = "this Jaeger needs credentials: pass a bearer token with --token or SYNCAUDIT_JAEGER_TOKEN"
	}
	return e
}

// transportError classifies a failed HTTP round trip.
func transportError(endpoint string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	e := &Error{Kind: KindUnreachable, Endpoint: endpoint, Err: err}
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var recordErr tls.RecordHeaderError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		e.Message = "connection refused"
		e.Hint = fmt.Sprintf("is Jaeger running, and is this its query port (%d for HTTP)?", DefaultHTTPPort)
	case errors.As(err, &dnsErr):
		e.Message = fmt.Sprintf("unknown host %q", dnsErr.Name)
		if dnsErr.IsTimeout || dnsErr.IsTemporary {
			e.Message = fmt.Sprintf("cannot resolve host %q: %v", dnsErr.Name, dnsErr.Err)
		}
		e.permanent = !dnsErr.IsTemporary
	case errors.As(err, &certErr), errors.As(err, &unknownCA), errors.As(err, &hostErr):
		e.Message = "TLS certificate not trusted: " + rootCause(err).Error()
		e.permanent = true
	case errors.As(err, &recordErr):
		e.Message = "the server does not speak TLS"
		e.Hint = "use http:// instead of https://"
		e.permanent = true
	case strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		e.Message = "the server answered in plain HTTP to an HTTPS request"
		e.Hint = "use http:// instead of https://"
		e.permanent = true
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		e.Message = "connection closed before an answer: " + rootCause(err).Error()
	default:
		e.Message = rootCause(err).Error()
	}
	return e
}

// rootCause strips url.Error and net.OpError wrappers for a short message.
func rootCause(err error) error {
	for {
		var u interface{ Unwrap() error }
		if !errors.As(err, &u) {
			return err
		}
		next := u.Unwrap()
		if next == nil {
			return err
		}
		err = next
	}
}

// snippet returns the start of a body for an error message, on one line.
func snippet(body []byte) string {
	const n = 160
	b := bytes.TrimSpace(body)
	cut := len(b) > n
	if cut {
		b = b[:n]
		for len(b) > 0 && !utf8.Valid(b) {
			b = b[:len(b)-1]
		}
	}
	s := strings.Join(strings.Fields(string(b)), " ")
	if cut {
		s += "…"
	}
	return s
}

// htmlTitle reports whether body is HTML and returns its <title>, if any.
func htmlTitle(body []byte) (string, bool) {
	b := bytes.TrimLeft(body, " \t\r\n")
	if len(b) == 0 || b[0] != '<' {
		return "", false
	}
	low := bytes.ToLower(b[:min(len(b), 64<<10)])
	i := bytes.Index(low, []byte("<title>"))
	if i < 0 {
		return "", true
	}
	rest := b[i+len("<title>"):]
	j := bytes.Index(bytes.ToLower(rest), []byte("</title>"))
	if j < 0 {
		return "", true
	}
	return strings.Join(strings.Fields(string(rest[:j])), " "), true
}

// looksLikeJSONObject says whether body starts with '{' after whitespace.
func looksLikeJSONObject(body []byte) bool {
	b := bytes.TrimLeft(body, " \t\r\n")
	return len(b) > 0 && b[0] == '{'
}

// notJSON describes a body that is not the JSON a Jaeger API answers.
func notJSON(endpoint string, status int, body []byte, hint string) *Error {
	what := "an empty body"
	if s := snippet(body); s != "" {
		what = fmt.Sprintf("%q", s)
		if title, ok := htmlTitle(body); ok {
			what = "an HTML page"
			if title != "" {
				what += fmt.Sprintf(" titled %q", title)
			}
		}
	}
	e := &Error{Kind: KindNotJaeger, Endpoint: endpoint, Status: status, permanent: true,
		Message: fmt.Sprintf("HTTP %d with %s instead of JSON", status, what),
		Hint:    "is this a Jaeger query URL? Give the query service's base URL, e.g. http://localhost:16686"}
	if hint != "" {
		e.Hint += "; " + hint
	}
	return e
}

// isTruncatedJSON says whether a JSON syntax error means the input ended early.
func isTruncatedJSON(err error) bool {
	return errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "unexpected end of JSON input")
}
