package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/payhooks/payhooks/shared/provider/cxtn"
)

func init() {
	register("cxtn", "CXTN webhook endpoints: cxtn endpoints list|create|update|status|deactivate|enable", runCXTN)
}

const cxtnUsage = "usage: payhooks cxtn endpoints <list|create|update|status|deactivate|enable> [--token BEARER] " +
	"[--base-url URL] [--type Payment|AccountTransaction] [--url ENDPOINT_URL] [--status Active|Inactive|Paused]\n" +
	"  the bearer token may come from $" + cxtnTokenEnv + " instead of --token (which other users can see in ps)"

// cxtnTokenEnv holds the API access token when --token is not given.
const cxtnTokenEnv = "CXTN_API_TOKEN"

func runCXTN(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) < 2 || args[0] != "endpoints" || strings.HasPrefix(args[1], "-") {
		return errors.New(cxtnUsage)
	}
	action := args[1]
	fs := flag.NewFlagSet("cxtn endpoints "+action, flag.ContinueOnError)
	fs.SetOutput(stderr)
	token := fs.String("token", "", "CXTN API bearer access token (default $"+cxtnTokenEnv+")")
	base := fs.String("base-url", cxtn.DefaultBaseURL, "CXTN API base URL")
	typ := fs.String("type", "", "webhook event type: Payment or AccountTransaction")
	endpointURL := fs.String("url", "", "endpoint URL receiving the webhooks (see `payhooks token cxtn`)")
	status := fs.String("status", "", "endpoint status: Active, Inactive or Paused")
	if err := fs.Parse(args[2:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q\n%s", fs.Arg(0), cxtnUsage)
	}
	if *token == "" {
		*token = os.Getenv(cxtnTokenEnv)
	}
	if *token == "" {
		return fmt.Errorf("no bearer token: pass --token or set $%s", cxtnTokenEnv)
	}
	c := &cxtn.Client{BaseURL: *base, Token: *token}
	eventType := cxtnEventType(*typ)
	need := func(flags ...string) error {
		vals := map[string]string{"--type": *typ, "--url": *endpointURL, "--status": *status}
		for _, f := range flags {
			if vals[f] == "" {
				return fmt.Errorf("%s needs %s\n%s", action, f, cxtnUsage)
			}
		}
		return nil
	}

	var res *cxtn.Result
	var err error
	switch action {
	case "list":
		res, err = c.List(ctx)
	case "enable":
		res, err = c.Enable(ctx)
	case "deactivate":
		res, err = c.Deactivate(ctx)
	case "create", "update":
		if err := need("--type", "--url"); err != nil {
			return err
		}
		if action == "create" {
			res, err = c.Create(ctx, eventType, *endpointURL)
		} else {
			res, err = c.Edit(ctx, eventType, *endpointURL)
		}
	case "status":
		if err := need("--type", "--status"); err != nil {
			return err
		}
		res, err = c.UpdateStatus(ctx, eventType, cxtnEndpointStatus(*status))
	default:
		return fmt.Errorf("unknown action %q\n%s", action, cxtnUsage)
	}
	if err != nil {
		return err
	}
	return cxtnPrint(stdout, res)
}

// cxtnEventType accepts the type in any letter case; the client refuses unknown ones.
func cxtnEventType(s string) cxtn.EventType {
	for _, t := range []cxtn.EventType{cxtn.EventPayment, cxtn.EventAccountTransaction} {
		if strings.EqualFold(s, string(t)) {
			return t
		}
	}
	return cxtn.EventType(s)
}

func cxtnEndpointStatus(s string) cxtn.EndpointStatus {
	for _, st := range []cxtn.EndpointStatus{cxtn.StatusActive, cxtn.StatusInactive, cxtn.StatusPaused} {
		if strings.EqualFold(s, string(st)) {
			return st
		}
	}
	return cxtn.EndpointStatus(s)
}

// cxtnPrint shows CXTN's Content (the endpoints, for list) indented, or the verdict.
func cxtnPrint(w io.Writer, res *cxtn.Result) error {
	body := res.Content
	if len(body) == 0 {
		body = res.Body
	}
	var buf bytes.Buffer
	if len(bytes.TrimSpace(body)) == 0 {
		buf.WriteString("ok")
	} else if json.Indent(&buf, body, "", "  ") != nil {
		buf.Reset()
		buf.Write(body)
	}
	_, err := fmt.Fprintf(w, "%s\n", buf.Bytes())
	return err
}
