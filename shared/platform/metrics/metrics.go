// Package metrics writes CloudWatch Embedded Metric Format (EMF) records: one JSON line
// per count on stdout, which CloudWatch turns into metrics without any API call on the
// request path.
package metrics

import (
	"encoding/json"
	"io"
	"sort"
	"sync"
	"time"
)

// Namespace is payhooks' one CloudWatch metric namespace.
const Namespace = "payhooks"

// EMF emits counts as EMF records.
type EMF struct {
	mu  sync.Mutex
	out io.Writer
	Now func() time.Time
}

// New writes records to out (a Lambda's stdout).
func New(out io.Writer) *EMF { return &EMF{out: out} }

// Count records a count of 1 for metric with the given dimensions.
func (m *EMF) Count(metric string, dims map[string]string) { m.Add(metric, 1, dims) }

// Add records value for metric with the given dimensions.
func (m *EMF) Add(metric string, value float64, dims map[string]string) {
	if m == nil || m.out == nil {
		return
	}
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	keys := make([]string, 0, len(dims))
	for k := range dims {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	rec := make(map[string]any, len(dims)+2)
	for k, v := range dims {
		rec[k] = v
	}
	rec[metric] = value
	rec["_aws"] = map[string]any{
		"Timestamp": now().UnixMilli(),
		"CloudWatchMetrics": []any{map[string]any{
			"Namespace":  Namespace,
			"Dimensions": dimensionSets(keys),
			"Metrics":    []any{map[string]string{"Name": metric, "Unit": "Count"}},
		}},
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return
	}
	b = append(b, '\n')
	m.mu.Lock()
	_, _ = m.out.Write(b)
	m.mu.Unlock()
}

// dimensionSets publishes each metric both in total (no dimension, what alarms watch) and
// per dimension values (what dashboards break down).
func dimensionSets(keys []string) [][]string {
	if len(keys) == 0 {
		return [][]string{{}}
	}
	return [][]string{{}, keys}
}
