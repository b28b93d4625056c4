// Package pollertest holds what the pollers' tests share: a settable clock and a metrics
// recorder.
package pollertest

import (
	"sync"
	"time"
)

// Clock is a clock the test moves.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Add moves the clock by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Metrics sums what a poller records, by metric name. Provider, when set, is the
// provider dimension every record must carry.
type Metrics struct {
	Provider string
	mu       sync.Mutex
	sum      map[string]float64
}

// Add records v (poller.Metrics).
func (m *Metrics) Add(name string, v float64, dims map[string]string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Provider != "" && dims["provider"] != m.Provider {
		panic("metric without the provider dimension: " + name)
	}
	if m.sum == nil {
		m.sum = map[string]float64{}
	}
	m.sum[name] += v
}

// Get is the sum recorded for name.
func (m *Metrics) Get(name string) float64 { m.mu.Lock(); defer m.mu.Unlock(); return m.sum[name] }

// All is a copy of every sum.
func (m *Metrics) All() map[string]float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]float64, len(m.sum))
	for k, v := range m.sum {
		out[k] = v
	}
	return out
}
