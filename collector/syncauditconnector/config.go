package syncauditconnector

import (
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
)

// Config is the syncaudit connector's configuration (see the package
// documentation for each key).
type Config struct {
	// TraceTimeout is how long a trace is buffered after its first span
	// before it is taken as complete and analysed (as the tail-sampling
	// processor's decision_wait). Spans of the trace arriving later are
	// counted as late and dropped.
	TraceTimeout time.Duration `mapstructure:"trace_timeout"`
	// MaxTraces bounds the traces buffered at once; spans of new traces
	// beyond it are dropped and counted.
	MaxTraces int `mapstructure:"max_traces"`
	// MaxSpans bounds the spans buffered at once (memory: about 400 bytes
	// each, see the README); spans beyond it are dropped and counted.
	MaxSpans int `mapstructure:"max_spans"`
	// Interval is how often metrics and the detection state are emitted.
	Interval time.Duration `mapstructure:"interval"`
	// EnqueueCost is what a caller still pays to publish instead of
	// calling (detect.Options.EnqueueCost); `syncaudit analyze --state`
	// must be given the same --enqueue-cost.
	EnqueueCost time.Duration `mapstructure:"enqueue_cost"`
	// MinConfidence is the confidence from which a candidate is
	// recommended and enters the plan of the emitted metrics.
	MinConfidence float64 `mapstructure:"min_confidence"`
	// Workers bounds the goroutines one batch of traces is analysed on (0:
	// GOMAXPROCS).
	Workers int `mapstructure:"workers"`
}

var _ confmap.Validator = (*Config)(nil)

// Defaults.
const (
	DefaultTraceTimeout = 10 * time.Second
	DefaultMaxTraces    = 50000
	DefaultMaxSpans     = 1000000
	DefaultInterval     = 60 * time.Second
)

func createDefaultConfig() component.Config {
	return &Config{
		TraceTimeout:  DefaultTraceTimeout,
		MaxTraces:     DefaultMaxTraces,
		MaxSpans:      DefaultMaxSpans,
		Interval:      DefaultInterval,
		EnqueueCost:   time.Millisecond,
		MinConfidence: 0.5,
	}
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	var errs []error
	if c.TraceTimeout <= 0 {
		errs = append(errs, fmt.Errorf("trace_timeout must be positive, got %v", c.TraceTimeout))
	}
	if c.MaxTraces <= 0 {
		errs = append(errs, fmt.Errorf("max_traces must be positive, got %d", c.MaxTraces))
	}
	if c.MaxSpans <= 0 {
		errs = append(errs, fmt.Errorf("max_spans must be positive, got %d", c.MaxSpans))
	}
	if c.Interval <= 0 {
		errs = append(errs, fmt.Errorf("interval must be positive, got %v", c.Interval))
	}
	if c.EnqueueCost < 0 {
		errs = append(errs, fmt.Errorf("enqueue_cost must not be negative, got %v", c.EnqueueCost))
	}
	if c.MinConfidence < 0 || c.MinConfidence > 1 {
		errs = append(errs, fmt.Errorf("min_confidence must be between 0 and 1, got %v", c.MinConfidence))
	}
	if c.Workers < 0 {
		errs = append(errs, fmt.Errorf("workers must not be negative, got %d", c.Workers))
	}
	return errors.Join(errs...)
}
