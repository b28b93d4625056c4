// Package reconcilefn wires the scheduled AXpay reconciliation Lambda: it links the AXpay
// provider and its poller, and nothing of the webhooks or the other poller.
package reconcilefn

import (
	"context"
	"fmt"
	"os"
	"strconv"

	"github.com/payhooks/payhooks/shared/lambda/app"

	"github.com/payhooks/payhooks/shared/poller/reconcile"
	"github.com/payhooks/payhooks/shared/provider/axpay"
)

// Poller assembles the AXpay reconciliation poller. The API client is built per
// run from the cached secret, so a rotated key is used without a cold start.
func Poller(d *app.Deps) *reconcile.Poller {
	prov := axpay.New(d.Secrets, d.SecretName(axpay.Name)).(*axpay.Provider)
	return &reconcile.Poller{
		Client:   func(ctx context.Context) (*axpay.Client, error) { return prov.Client(ctx, nil) },
		Ingester: d.Ingester,
		DB:       d.DynamoDB,
		Table:    d.Settings.Table,
		Log:      d.Log,
		Metrics:  d.Metrics,
	}
}

// EnvBaseURL names the variable that sets AXpay's API base URL. It wins over the secret's
// apiBaseUrl: a deployment (or a local stack) points the poller somewhere without
// touching the secret.
const EnvBaseURL = "AXPAY_BASE_URL"

// WithBaseURL makes p's clients call base instead of the secret's URL; "" changes nothing.
func WithBaseURL(p *reconcile.Poller, base string) {
	if base == "" {
		return
	}
	newClient := p.Client
	p.Client = func(ctx context.Context) (*axpay.Client, error) {
		c, err := newClient(ctx)
		if err != nil {
			return nil, err
		}
		c.BaseURL = base
		return c, nil
	}
}

// SettingsFromEnv applies AXPAY_BASE_URL, RECONCILE_OVERLAP, RECONCILE_LOOKBACK,
// RECONCILE_HORIZON, RECONCILE_SWEEP_EVERY (Go durations) and RECONCILE_PAGE_SIZE to p;
// unset variables keep the package defaults.
func SettingsFromEnv(p *reconcile.Poller) error {
	WithBaseURL(p, os.Getenv(EnvBaseURL))
	if err := app.Durations(
		app.EnvDuration{Name: "RECONCILE_OVERLAP", Dst: &p.Overlap}, app.EnvDuration{Name: "RECONCILE_LOOKBACK", Dst: &p.Lookback},
		app.EnvDuration{Name: "RECONCILE_HORIZON", Dst: &p.Horizon}, app.EnvDuration{Name: "RECONCILE_SWEEP_EVERY", Dst: &p.SweepEvery},
	); err != nil {
		return err
	}
	if s := os.Getenv("RECONCILE_PAGE_SIZE"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			return fmt.Errorf("RECONCILE_PAGE_SIZE: %q is not a positive number", s)
		}
		p.PageSize = n
	}
	return nil
}

// Run is the whole main of the scheduled AXpay reconciliation. A held lease
// or a run cut short by the deadline is success; the next schedule carries on.
func Run() {
	d := app.Must(app.FromEnv(context.Background()))
	p := Poller(d)
	app.Must(struct{}{}, SettingsFromEnv(p))
	app.RunScheduled(p.Run)
}
