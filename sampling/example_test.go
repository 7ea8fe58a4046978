package sampling_test

import (
	"fmt"

	"github.com/syncaudit/syncaudit/sampling"
)

// A trace sampled at 25 % by OpenTelemetry's probability sampler stands for
// four requests; one sampled by Jaeger's probabilistic sampler at 0.1 %
// stands for a thousand.
func ExampleFromTraceState() {
	w := sampling.FromTraceState("vendor=x,ot=th:c")
	fmt.Println(w.Adjusted, w.Source)
	j := sampling.FromJaeger("probabilistic", "0.001")
	fmt.Println(j.Adjusted, j.Source)
	// Output:
	// 4 tracestate th
	// 1000 jaeger probabilistic
}
