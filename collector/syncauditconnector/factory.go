package syncauditconnector

import (
	"context"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/consumer"
)

// typeStr is the connector's type in the Collector's configuration.
var typeStr = component.MustNewType("syncaudit")

// NewFactory returns the syncaudit connector's factory: traces in,
// metrics and logs (the detection state) out.
func NewFactory() connector.Factory {
	f := &factory{instances: map[component.ID]*syncaudit{}}
	return connector.NewFactory(typeStr, createDefaultConfig,
		connector.WithTracesToMetrics(f.createTracesToMetrics, component.StabilityLevelAlpha),
		connector.WithTracesToLogs(f.createTracesToLogs, component.StabilityLevelAlpha))
}

// factory shares one instance per component ID between the metrics and
// the logs pipelines it feeds: the traces are buffered and analysed once.
type factory struct {
	mu        sync.Mutex
	instances map[component.ID]*syncaudit
}

func (f *factory) get(set connector.Settings, cfg component.Config) *syncaudit {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.instances[set.ID]
	if c == nil {
		c = newSyncaudit(set, cfg.(*Config), func() {
			f.mu.Lock()
			delete(f.instances, set.ID)
			f.mu.Unlock()
		})
		f.instances[set.ID] = c
	}
	return c
}

func (f *factory) createTracesToMetrics(_ context.Context, set connector.Settings, cfg component.Config, next consumer.Metrics) (connector.Traces, error) {
	c := f.get(set, cfg)
	return c.attach(next, nil), nil
}

func (f *factory) createTracesToLogs(_ context.Context, set connector.Settings, cfg component.Config, next consumer.Logs) (connector.Traces, error) {
	c := f.get(set, cfg)
	return c.attach(nil, next), nil
}
