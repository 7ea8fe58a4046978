package syncauditconnector

import (
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
)

func TestConfigStruct(t *testing.T) {
	if err := componenttest.CheckConfigStruct(createDefaultConfig()); err != nil {
		t.Fatal(err)
	}
	if err := createDefaultConfig().(*Config).Validate(); err != nil {
		t.Fatalf("default config: %v", err)
	}
}

// TestConfigUnmarshal: keys are read from confmap, and Validate rejects
// what cannot work.
func TestConfigUnmarshal(t *testing.T) {
	tests := []struct {
		name    string
		in      map[string]any
		want    func(*Config)
		wantErr string
	}{
		{name: "defaults", in: map[string]any{}, want: func(*Config) {}},
		{name: "all", in: map[string]any{"trace_timeout": "30s", "max_traces": 10, "max_spans": 100, "interval": "5m",
			"enqueue_cost": "2ms", "min_confidence": 0.7, "workers": 2},
			want: func(c *Config) {
				c.TraceTimeout, c.MaxTraces, c.MaxSpans, c.Interval = 30*time.Second, 10, 100, 5*time.Minute
				c.EnqueueCost, c.MinConfidence, c.Workers = 2*time.Millisecond, 0.7, 2
			}},
		{name: "zero timeout", in: map[string]any{"trace_timeout": "0s"}, wantErr: "trace_timeout must be positive"},
		{name: "negative max_traces", in: map[string]any{"max_traces": -1}, wantErr: "max_traces must be positive"},
		{name: "zero max_spans", in: map[string]any{"max_spans": 0}, wantErr: "max_spans must be positive"},
		{name: "zero interval", in: map[string]any{"interval": "0s"}, wantErr: "interval must be positive"},
		{name: "negative enqueue cost", in: map[string]any{"enqueue_cost": "-1ms"}, wantErr: "enqueue_cost must not be negative"},
		{name: "confidence", in: map[string]any{"min_confidence": 1.5}, wantErr: "min_confidence must be between 0 and 1"},
		{name: "workers", in: map[string]any{"workers": -2}, wantErr: "workers must not be negative"},
		{name: "unknown key", in: map[string]any{"decision_wait": "1s"}, wantErr: "decision_wait"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			err := confmap.NewFromStringMap(tt.in).Unmarshal(cfg)
			if err == nil {
				err = confmap.Validate(cfg)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := createDefaultConfig().(*Config)
			tt.want(want)
			if *cfg != *want {
				t.Errorf("got %+v, want %+v", *cfg, *want)
			}
		})
	}
}
