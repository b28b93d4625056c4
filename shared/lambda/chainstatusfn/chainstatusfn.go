// Package chainstatusfn wires the scheduled InstaXchange chain-status Lambda.
package chainstatusfn

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/payhooks/payhooks/shared/lambda/app"

	"github.com/payhooks/payhooks/shared/poller/chainstatus"
)

// Poller assembles the poller that follows InstaXchange payouts on chain.
// The blockchain-status endpoint is a public GET: no secret is read.
func Poller(d *app.Deps) *chainstatus.Poller {
	return &chainstatus.Poller{
		Client:    &chainstatus.Client{BaseURL: chainstatus.DefaultBaseURL, HTTP: &http.Client{}},
		Ingester:  d.Ingester,
		DB:        d.DynamoDB,
		Table:     d.Settings.Table,
		Log:       d.Log,
		Metrics:   d.Metrics,
		Retention: d.Settings.Retention,
	}
}

// EnvBaseURL names the variable that points the poller at another blockchain-status host.
const EnvBaseURL = "CHAINSTATUS_BASE_URL"

// SettingsFromEnv applies CHAINSTATUS_BASE_URL, CHAINSTATUS_HORIZON,
// CHAINSTATUS_ERROR_GRACE, CHAINSTATUS_LOOKBACK, CHAINSTATUS_MAX_INTERVAL,
// CHAINSTATUS_REQUEST_TIMEOUT (Go durations), CHAINSTATUS_CONCURRENCY and
// CHAINSTATUS_CONFIRMATIONS to p; unset variables keep the package defaults.
func SettingsFromEnv(p *chainstatus.Poller) error {
	if v := os.Getenv(EnvBaseURL); v != "" {
		p.Client.BaseURL = v
	}
	if v := os.Getenv("CHAINSTATUS_CONFIRMATIONS"); v != "" {
		c, err := ParseConfirmations(v)
		if err != nil {
			return fmt.Errorf("CHAINSTATUS_CONFIRMATIONS: %w", err)
		}
		p.Confirmations = c
	}
	if err := app.Durations(
		app.EnvDuration{Name: "CHAINSTATUS_HORIZON", Dst: &p.Horizon}, app.EnvDuration{Name: "CHAINSTATUS_ERROR_GRACE", Dst: &p.ErrorGrace},
		app.EnvDuration{Name: "CHAINSTATUS_LOOKBACK", Dst: &p.Lookback}, app.EnvDuration{Name: "CHAINSTATUS_MAX_INTERVAL", Dst: &p.MaxInterval},
		app.EnvDuration{Name: "CHAINSTATUS_REQUEST_TIMEOUT", Dst: &p.RequestTimeout},
	); err != nil {
		return err
	}
	if s := os.Getenv("CHAINSTATUS_CONCURRENCY"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 || n > 32 {
			return fmt.Errorf("CHAINSTATUS_CONCURRENCY: %q is not a number from 1 to 32", s)
		}
		p.Concurrency = n
	}
	return nil
}

// Run is the whole main of the scheduled payout follower. A held
// lease or a run cut short (deadline, rate limit) is success; the next schedule carries on.
func Run() {
	d := app.Must(app.FromEnv(context.Background()))
	p := Poller(d)
	app.Must(struct{}{}, SettingsFromEnv(p))
	app.RunScheduled(p.Run)
}

// ParseConfirmations reads "LTC=6,BTC=2,*=1" into the confirmations required per currency.
// Currencies it does not name keep their defaults.
func ParseConfirmations(v string) (map[string]int64, error) {
	out := maps.Clone(chainstatus.DefaultConfirmations)
	for _, part := range strings.Split(v, ",") {
		cur, n, ok := strings.Cut(strings.TrimSpace(part), "=")
		k, err := strconv.ParseInt(strings.TrimSpace(n), 10, 64)
		if !ok || strings.TrimSpace(cur) == "" || err != nil || k < 1 || k > 1000 {
			return nil, fmt.Errorf("%q is not CURRENCY=N with N from 1 to 1000", part)
		}
		out[strings.ToUpper(strings.TrimSpace(cur))] = k
	}
	return out, nil
}
