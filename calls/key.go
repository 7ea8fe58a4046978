package calls

import "cmp"

// Compare orders endpoints by service, then operation; it returns -1, 0
// or +1 as cmp.Compare does.
func (e Endpoint) Compare(o Endpoint) int {
	return cmp.Or(cmp.Compare(e.Service, o.Service), cmp.Compare(e.Operation, o.Operation))
}

// Key identifies the calls from Caller to Callee made while serving
// requests to Endpoint: the grouping under which calls are counted,
// measured and reported.
type Key struct {
	Endpoint, Caller, Callee Endpoint
}

// Compare orders keys by endpoint, then caller, then callee.
func (k Key) Compare(o Key) int {
	return cmp.Or(k.Endpoint.Compare(o.Endpoint), k.Caller.Compare(o.Caller), k.Callee.Compare(o.Callee))
}
