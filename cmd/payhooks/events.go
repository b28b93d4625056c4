package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/payhooks/payhooks/shared/pipeline/store"
	"github.com/payhooks/payhooks/shared/tooling/devstack"
	"github.com/payhooks/payhooks/shared/tooling/registry"
	"github.com/payhooks/payhooks/shared/tooling/replay"
)

func init() {
	register("events", "list stored events (filters: --provider --status --published --since | --from --to)", listEvents)
}

func listEvents(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("events", flag.ContinueOnError)
	fs.SetOutput(stderr)
	prov := fs.String("provider", "", "only this provider")
	status := fs.String("status", "", "only this status (succeeded, failed, pending, ...)")
	published := fs.String("published", "", "only this publish state: published, pending, quarantined or skipped")
	since := fs.Duration("since", 0, "only events received within this long (e.g. 2h)")
	fromS := fs.String("from", "", "only events received at or after this: RFC 3339, a date, or a duration ago (2h)")
	toS := fs.String("to", "", "only events received at or before this: RFC 3339, a date, or a duration ago (2h)")
	limit := fs.Int("limit", 100, "at most this many, the earliest received in the window, across providers")
	asJSON := fs.Bool("json", false, "print each event's full JSON")
	endpoint := fs.String("endpoint", dynamoEndpoint(), "DynamoDB endpoint")
	table := fs.String("table", localTable, "table name")
	if err := fs.Parse(args); err != nil {
		return err
	}
	f := store.ListFilter{Status: *status, PublishState: *published, Limit: *limit, WithPayload: *asJSON}
	if err := eventsWindow(&f, *since, *fromS, *toS, time.Now()); err != nil {
		return err
	}
	switch *published {
	case "", store.PublishPending, store.PublishPublished, store.PublishQuarantined, store.PublishSkipped:
	default:
		return fmt.Errorf("--published %q: want published, pending, quarantined or skipped", *published)
	}
	cfg, err := devstack.LocalConfig(ctx)
	if err != nil {
		return err
	}
	st := &store.Store{Client: devstack.NewClients(cfg, *endpoint, "").DynamoDB, Table: *table}
	all, err := listAcrossProviders(ctx, st, f, *prov)
	if err != nil {
		return err
	}
	return printEvents(stdout, all, *asJSON)
}

// eventsWindow sets f's receivedAt window from --since, or --from and --to.
func eventsWindow(f *store.ListFilter, since time.Duration, fromS, toS string, now time.Time) error {
	var err error
	if since > 0 {
		if fromS != "" {
			return errors.New("use --since or --from, not both")
		}
		f.From = now.Add(-since)
	} else if f.From, err = replay.ParseTime(fromS, now); err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	if f.To, err = replay.ParseTime(toS, now); err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	return nil
}

// listAcrossProviders lists the events f selects of provider prov (or of every provider),
// in the order received, at most f.Limit of them.
func listAcrossProviders(ctx context.Context, st *store.Store, f store.ListFilter, prov string) ([]store.StoredEvent, error) {
	if prov != "" {
		w, ok := registry.Lookup(prov)
		if !ok {
			return nil, fmt.Errorf("unknown provider %q", prov)
		}
		prov = w.Provider
	}
	var all []store.StoredEvent
	for _, w := range registry.Webhooks {
		if prov != "" && prov != w.Provider {
			continue
		}
		f.Provider = w.Provider
		evs, err := st.ListByProvider(ctx, f)
		if err != nil {
			return nil, err
		}
		all = append(all, evs...)
	}
	// Each provider's list holds its first --limit in the window, so together they hold the
	// first --limit overall: one list by time, whatever the provider.
	slices.SortStableFunc(all, func(a, b store.StoredEvent) int { return strings.Compare(a.ReceivedAt, b.ReceivedAt) })
	if f.Limit > 0 && len(all) > f.Limit {
		all = all[:f.Limit]
	}
	return all, nil
}

func printEvents(w io.Writer, all []store.StoredEvent, asJSON bool) error {
	if asJSON {
		for _, e := range all {
			var v any
			_ = json.Unmarshal(e.Payload, &v)
			b, _ := json.MarshalIndent(v, "", "  ")
			fmt.Fprintln(w, string(b))
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RECEIVED\tPROVIDER\tTYPE\tSTATUS\tPUBLISH\tID")
	for _, e := range all {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.ReceivedAt[:19], e.Provider, e.Type, e.Status, e.PublishState, e.ID)
	}
	return tw.Flush()
}
