// Package poller is the skeleton both scheduled pollers (reconcile, chainstatus) run in:
// one lease-held run with a deadline, the pipeline and metrics they feed, and the summary
// every run leaves in the logs and metrics.
package poller

import (
	"context"
	"log/slog"
	"time"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/pipeline/ingest"
	"github.com/payhooks/payhooks/shared/poller/lease"
	"github.com/payhooks/payhooks/shared/support/redact"
)

// Ingester is the pipeline's single entry point (*ingest.Ingester).
type Ingester interface {
	Ingest(ctx context.Context, ev *event.Event) (ingest.Outcome, error)
}

// Metrics records counts (*metrics.EMF; a nil *EMF is a no-op).
type Metrics interface {
	Add(metric string, value float64, dims map[string]string)
}

// Stop says why a run ended before its work was done; "" when it was.
type Stop string

const (
	Done        Stop = ""
	Deadline    Stop = "deadline"     // the run's time was up: the next run carries on
	LeaseHeld   Stop = "lease_held"   // another run holds the lease: nothing was done
	RateLimited Stop = "rate_limited" // the provider asked us to slow down
	NoProgress  Stop = "no_progress"  // the provider's answers stopped moving forward
)

// Run is one lease-held run of a poller.
type Run struct {
	Lease  lease.Lease
	Owner  string        // lease owner; "" means lease.Owner()
	TTL    time.Duration // longest the run may hold the lease; also caps the run
	Margin time.Duration // stop this long before ctx's deadline or the lease's expiry
	Log    *slog.Logger
}

// Do takes the lease and calls work with a context that ends when the run must stop, then
// releases the lease. A run with no time left, or whose lease another run holds, does
// nothing. An error work returns because its context reached the run's own deadline (ctx
// itself still live) is no error: the run stopped on time and Do reports Deadline.
func (r Run) Do(ctx context.Context, work func(ctx context.Context) (Stop, error)) (Stop, error) {
	lr, err := r.Lease.Begin(ctx, time.Now(), r.Owner, r.TTL, r.Margin)
	switch {
	case err != nil:
		return Done, err
	case lr.Late:
		return Deadline, nil
	case lr.Held:
		return LeaseHeld, nil
	}
	defer lr.End(Logger(r.Log), "lease", r.Lease.Key)

	wctx, cancel := context.WithDeadline(ctx, lr.StopAt)
	defer cancel()
	stop, err := work(wctx)
	if ctx.Err() == nil && wctx.Err() != nil && (err != nil || stop == Done) {
		return Deadline, nil
	}
	return stop, err
}

// Count is one number a run reports, both as a metric (<prefix>_<name>) and in the log line.
type Count struct {
	Name  string
	Value int
}

// Report is the one summary of a run: a log line (error level when err is set) and, unless
// another run held the lease, one metric per count plus <prefix>_errors when err is set.
func Report(log *slog.Logger, m Metrics, prefix, provider string, stop Stop, d time.Duration, err error, counts []Count, attrs ...any) {
	dims := map[string]string{"provider": provider}
	if m != nil && stop != LeaseHeld {
		for _, c := range counts {
			m.Add(prefix+"_"+c.Name, float64(c.Value), dims)
		}
		m.Add(prefix+"_duration_ms", float64(d.Milliseconds()), dims)
		if err != nil {
			m.Add(prefix+"_errors", 1, dims)
		}
	}
	all := append([]any{"provider", provider, "stopped", string(stop)}, attrs...)
	for _, c := range counts {
		all = append(all, c.Name, c.Value)
	}
	all = append(all, "duration_ms", d.Milliseconds())
	if err != nil {
		Logger(log).Error(prefix+" run", append(all, "error", redact.Detail(err.Error()))...)
		return
	}
	Logger(log).Info(prefix+" run", all...)
}

// Logger is l, or a logger that discards when l is nil.
func Logger(l *slog.Logger) *slog.Logger {
	if l != nil {
		return l
	}
	return slog.New(slog.DiscardHandler)
}

// Clock reads now, or time.Now when now is nil, in UTC.
func Clock(now func() time.Time) time.Time {
	if now != nil {
		return now().UTC()
	}
	return time.Now().UTC()
}

// Or is v unless it is the zero value (or negative), then def: the rule for every tuning
// field of the pollers.
func Or[T int | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}
