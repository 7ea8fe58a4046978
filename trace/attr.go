package trace

// AttrKey names one of the span attributes later stages need. Only these are
// kept; everything else in the input is dropped at decode time to keep spans small.
type AttrKey uint8

// Attribute keys. Each collects the current OpenTelemetry semantic-convention
// name and its older aliases (see KeyOf).
const (
	AttrNone AttrKey = iota
	AttrHTTPMethod
	AttrHTTPRoute
	AttrURLFull
	AttrURLPath
	AttrHTTPStatus
	AttrServerAddress
	AttrPeerService
	AttrRPCSystem
	AttrRPCService
	AttrRPCMethod
	AttrDBSystem
	AttrDBNamespace
	AttrDBOperation
	AttrDBStatement
	AttrMessagingSystem
	AttrMessagingDestination
	AttrMessagingOperation
	AttrStatusMessage
	AttrCodeFunction
	AttrCodeFile
	AttrCodeLine
	// AttrTraceState is the W3C tracestate (OTLP's span traceState field,
	// Jaeger's w3c.tracestate tag); AttrSamplerType and AttrSamplerParam
	// are Jaeger's sampler tags. Package sampling reads them.
	AttrTraceState
	AttrSamplerType
	AttrSamplerParam
	attrCount
)

var attrNames = [attrCount]string{
	"", "http.request.method", "http.route", "url.full", "url.path", "http.response.status_code",
	"server.address", "peer.service", "rpc.system", "rpc.service", "rpc.method",
	"db.system.name", "db.namespace", "db.operation.name", "db.query.text",
	"messaging.system", "messaging.destination.name", "messaging.operation.type", "status.message",
	"code.function.name", "code.file.path", "code.line.number",
	"w3c.tracestate", "sampler.type", "sampler.param",
}

// String returns the current semantic-convention name of the key.
func (k AttrKey) String() string {
	if k < attrCount {
		return attrNames[k]
	}
	return ""
}

// aliases maps every accepted attribute name (current and legacy) to its key.
var aliases = map[string]AttrKey{
	"http.request.method":        AttrHTTPMethod,
	"http.method":                AttrHTTPMethod,
	"http.route":                 AttrHTTPRoute,
	"url.full":                   AttrURLFull,
	"http.url":                   AttrURLFull,
	"url.path":                   AttrURLPath,
	"http.target":                AttrURLPath,
	"http.path":                  AttrURLPath, // Zipkin
	"http.response.status_code":  AttrHTTPStatus,
	"http.status_code":           AttrHTTPStatus,
	"server.address":             AttrServerAddress,
	"net.peer.name":              AttrServerAddress,
	"http.host":                  AttrServerAddress,
	"peer.hostname":              AttrServerAddress,
	"peer.service":               AttrPeerService,
	"rpc.system":                 AttrRPCSystem,
	"rpc.service":                AttrRPCService,
	"rpc.method":                 AttrRPCMethod,
	"db.system":                  AttrDBSystem,
	"db.system.name":             AttrDBSystem,
	"db.namespace":               AttrDBNamespace,
	"db.name":                    AttrDBNamespace,
	"db.operation":               AttrDBOperation,
	"db.operation.name":          AttrDBOperation,
	"db.statement":               AttrDBStatement,
	"cassandra.query":            AttrDBStatement, // Zipkin Cassandra instrumentation
	"cassandra.keyspace":         AttrDBNamespace,
	"db.query.text":              AttrDBStatement,
	"messaging.system":           AttrMessagingSystem,
	"messaging.destination.name": AttrMessagingDestination,
	"messaging.destination":      AttrMessagingDestination,
	"messaging.operation":        AttrMessagingOperation,
	"messaging.operation.type":   AttrMessagingOperation,
	"otel.status_description":    AttrStatusMessage,
	"code.function.name":         AttrCodeFunction,
	"code.function":              AttrCodeFunction, // deprecated, with code.namespace
	"code.file.path":             AttrCodeFile,
	"code.filepath":              AttrCodeFile, // deprecated
	"code.line.number":           AttrCodeLine,
	"code.lineno":                AttrCodeLine,   // deprecated
	"w3c.tracestate":             AttrTraceState, // Jaeger's tag for OTLP's traceState
	"sampler.type":               AttrSamplerType,
	"sampler.param":              AttrSamplerParam,
}

// KeyOf returns the key for an attribute name, accepting current and legacy
// semantic-convention names; ok is false for attributes syncaudit ignores.
func KeyOf(name string) (k AttrKey, ok bool) {
	k, ok = aliases[name]
	return k, ok
}

// Attr is one kept attribute. Values are strings (status codes as decimal).
type Attr struct {
	Key   AttrKey
	Value string
}

// Attrs is a small list of kept attributes, at most one per key.
type Attrs []Attr

// Get returns the value for k, or "".
func (a Attrs) Get(k AttrKey) string {
	for i := range a {
		if a[i].Key == k {
			return a[i].Value
		}
	}
	return ""
}

// Set adds or replaces the value for k. An empty value is ignored.
// When a current and a legacy name both appear, the first value set wins
// unless replace is true.
func (a *Attrs) Set(k AttrKey, v string, replace bool) {
	if k == AttrNone || v == "" {
		return
	}
	for i := range *a {
		if (*a)[i].Key == k {
			if replace {
				(*a)[i].Value = v
			}
			return
		}
	}
	*a = append(*a, Attr{k, v})
}
