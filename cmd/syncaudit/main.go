// Command syncaudit finds the synchronous calls on your requests' critical
// paths that could be made asynchronous, from exported OpenTelemetry,
// Jaeger or Zipkin traces. See README.md.
package main

import (
	"os"

	"github.com/syncaudit/syncaudit/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], cli.System()))
}
