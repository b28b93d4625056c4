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
	res, err := cxtnEndpoints(ctx, c, action, cxtnArgs{typ: *typ, url: *endpointURL, status: *status})
	if err != nil {
		return err
	}
	return cxtnPrint(stdout, res)
}

// cxtnArgs are the endpoint flags an action may need.
type cxtnArgs struct{ typ, url, status string }

// need fails unless every named flag was given.
func (a cxtnArgs) need(action string, flags ...string) error {
	vals := map[string]string{"--type": a.typ, "--url": a.url, "--status": a.status}
	for _, f := range flags {
		if vals[f] == "" {
			return fmt.Errorf("%s needs %s\n%s", action, f, cxtnUsage)
		}
	}
	return nil
}

// cxtnEndpoints runs one endpoints action against CXTN's API.
func cxtnEndpoints(ctx context.Context, c *cxtn.Client, action string, a cxtnArgs) (*cxtn.Result, error) {
	switch action {
	case "list":
		return c.List(ctx)
	case "enable":
		return c.Enable(ctx)
	case "deactivate":
		return c.Deactivate(ctx)
	case "create", "update":
		if err := a.need(action, "--type", "--url"); err != nil {
			return nil, err
		}
		if action == "create" {
			return c.Create(ctx, cxtnEventType(a.typ), a.url)
		}
		return c.Edit(ctx, cxtnEventType(a.typ), a.url)
	case "status":
		if err := a.need(action, "--type", "--status"); err != nil {
			return nil, err
		}
		return c.UpdateStatus(ctx, cxtnEventType(a.typ), cxtnEndpointStatus(a.status))
	}
	return nil, fmt.Errorf("unknown action %q\n%s", action, cxtnUsage)
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
