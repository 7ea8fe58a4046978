// Package integration holds the tests that run real components: the
// instrumented shop (OpenTelemetry Go SDK, embedded NATS) exporting through
// a Collector built with the Collector Builder, and Jaeger v2. They are
// skipped unless SYNCAUDIT_INTEGRATION=1 (make integration sets it and
// builds the components with scripts/install-tools.sh first).
//
// Input: the scripts under ../scripts. Output: pass/fail, and the measured
// numbers in the test log and under ../out/.
package integration
