package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/payhooks/payhooks/shared/platform/secrets"

	"github.com/payhooks/payhooks/shared/provider"
	"github.com/payhooks/payhooks/shared/tooling/registry"
)

func init() {
	register("send", "post a signed sample webhook to the local gateway: send <provider> [--status S]", send)
}

func send(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return errors.New("usage: payhooks send <provider> [--status VARIANT] [--url URL] [--secrets FILE] [--list]")
	}
	w, ok := registry.Lookup(args[0])
	if !ok {
		return fmt.Errorf("unknown provider %q", args[0])
	}
	fs := flag.NewFlagSet("send", flag.ContinueOnError)
	fs.SetOutput(stderr)
	status := fs.String("status", "", "sample variant (default: the first; --list shows them)")
	fs.StringVar(status, "event", "", "alias of --status")
	url := fs.String("url", gatewayURL(), "gateway base URL")
	file := fs.String("secrets", localSecretsFile, "secrets file holding payhooks/<provider>")
	list := fs.Bool("list", false, "list the sample variants")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	samples, err := loadSamples(w, *file)
	if err != nil {
		return err
	}
	if *list {
		for _, s := range samples {
			fmt.Fprintln(stdout, s.Name)
		}
		return nil
	}
	s, err := pickSample(samples, *status)
	if err != nil {
		return err
	}
	code, body, err := post(ctx, *url+s.Path, s)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s %s -> %d %s\n", w.Provider, s.Name, code, strings.TrimSpace(string(body)))
	if code >= 300 {
		return fmt.Errorf("gateway answered %d", code)
	}
	return nil
}

func loadSamples(w registry.Webhook, file string) ([]provider.Sample, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var docs map[string]json.RawMessage
	if err := json.Unmarshal(b, &docs); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	doc, ok := docs[secrets.Name(w.Provider)]
	if !ok {
		return nil, fmt.Errorf("%s has no payhooks/%s", file, w.Provider)
	}
	return w.Samples(doc)
}

func pickSample(samples []provider.Sample, name string) (provider.Sample, error) {
	if len(samples) == 0 {
		return provider.Sample{}, errors.New("provider has no samples")
	}
	if name == "" {
		return samples[0], nil
	}
	names := make([]string, 0, len(samples))
	for _, s := range samples {
		if strings.EqualFold(s.Name, name) {
			return s, nil
		}
		names = append(names, s.Name)
	}
	return provider.Sample{}, fmt.Errorf("no sample %q (have: %s)", name, strings.Join(names, ", "))
}

func post(ctx context.Context, url string, s provider.Sample) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, s.HTTPMethod(), url, bytes.NewReader(s.Body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("content-type", "application/json")
	for k, v := range s.Headers {
		req.Header.Set(k, v)
	}
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("is `make run` running? %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, body, nil
}
