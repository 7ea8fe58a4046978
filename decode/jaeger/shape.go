package jaeger

import "github.com/syncaudit/syncaudit/decode/jsontext"

// A look at an object's keys, without decoding it: it ignores the contents
// of strings and never fails; malformed input is left for encoding/json to
// report.

// shape is what a JSON object holds, judged from its keys.
type shape uint8

const (
	shapeUnknown shape = iota
	shapeWrapper       // {"data": …}, api_v2 {"batch": …} or {"batches": […]}
	shapeTrace         // {"traceID", "spans", "processes"}, api_v2 {"spans", "processMap"} or Batch {"spans", "process"}
	shapeSpan          // a span object
)

// keyShapes maps the keys that decide an object's shape. Keys shared by
// traces and spans (traceID, warnings, and "process": a span's embedded
// process or an api_v2 Batch's) decide nothing.
var keyShapes = map[string]shape{
	"data":           shapeWrapper,
	"batch":          shapeWrapper,
	"batches":        shapeWrapper,
	"spans":          shapeTrace,
	"processes":      shapeTrace,
	"processmap":     shapeTrace,
	"process_map":    shapeTrace,
	"spanid":         shapeSpan,
	"span_id":        shapeSpan,
	"operationname":  shapeSpan,
	"operation_name": shapeSpan,
	"references":     shapeSpan,
	"parentspanid":   shapeSpan,
	"parent_span_id": shapeSpan,
	"starttime":      shapeSpan,
	"start_time":     shapeSpan,
	"duration":       shapeSpan,
	"tags":           shapeSpan,
	"processid":      shapeSpan,
	"process_id":     shapeSpan,
}

// shapeOf looks at the top-level keys of the object starting at obj[0]
// ('{') and returns the shape decided by the first key that decides one.
// It stops there, so a trace is not scanned past its first span.
func shapeOf(obj []byte) shape {
	depth := 0
	wantKey := false
	var lower [32]byte
	for i := 0; i < len(obj); i++ {
		switch c := obj[i]; c {
		case '"':
			end := jsontext.StringEnd(obj, i)
			if depth == 1 && wantKey {
				wantKey = false
				key := obj[i+1 : max(i+1, end-1)]
				if len(key) <= len(lower) {
					k := lower[:len(key)]
					for j, c := range key {
						if 'A' <= c && c <= 'Z' {
							c += 'a' - 'A'
						}
						k[j] = c
					}
					if s, ok := keyShapes[string(k)]; ok {
						return s
					}
				}
			}
			i = end - 1
		case '{', '[':
			depth++
			wantKey = depth == 1 && c == '{'
		case '}', ']':
			depth--
			if depth <= 0 {
				return shapeUnknown
			}
		case ',':
			wantKey = depth == 1
		}
	}
	return shapeUnknown
}
