package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/payhooks/payhooks/shared/pipeline/event/eventtest"
	"github.com/payhooks/payhooks/shared/tooling/devstack"
	"github.com/payhooks/payhooks/shared/tooling/registry"
)

// What `make run` serves: every sample of every provider, sent with `payhooks send` through
// the local gateway, is accepted once, answered "duplicate" on redelivery, and published
// exactly once with a schema-valid body; `payhooks events` lists them all.
func TestLocalGatewayEverySample(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a local stack")
	}
	ctx := context.Background()
	ls, err := startLocal(ctx, localPorts{}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer ls.Close()
	root, _ := devstack.FindRoot()
	secretsFile := filepath.Join(root, localSecretsFile)
	sent := 0
	for _, w := range registry.Webhooks {
		var list bytes.Buffer
		if code := runMain(ctx, []string{"send", w.Provider, "--list", "--secrets", secretsFile}, &list, io.Discard); code != 0 {
			t.Fatalf("send --list %s: %d", w.Provider, code)
		}
		for _, v := range strings.Fields(list.String()) {
			for try, want := range []string{"", `"duplicate"`} {
				var out, errOut bytes.Buffer
				code := runMain(ctx, []string{"send", w.Provider, "--status", v, "--url", ls.addr, "--secrets", secretsFile}, &out, &errOut)
				if code != 0 || !strings.Contains(out.String(), "-> 200") || (want != "" && !strings.Contains(out.String(), want)) {
					t.Fatalf("send %s %s (try %d): %d %s %s", w.Provider, v, try, code, out.String(), errOut.String())
				}
				if try == 0 && strings.Contains(out.String(), `"accepted"`) {
					sent++
				}
			}
		}
	}
	published, err := drain(ctx, ls.deps.SQS, ls.resources.Queues.URL)
	if err != nil {
		t.Fatal(err)
	}
	if len(published) != sent {
		t.Fatalf("%d messages for %d accepted deliveries", len(published), sent)
	}
	for _, b := range published {
		eventtest.Validate(t, b)
		if bytes.Contains(b, []byte("5554748800912345")) {
			t.Fatal("full card number published")
		}
	}
	t.Setenv("PAYHOOKS_DYNAMODB_PORT", strings.TrimPrefix(ls.stack.DynamoDBEndpoint, "http://127.0.0.1:"))
	var out bytes.Buffer
	if code := runMain(ctx, []string{"events", "--limit", "1000"}, &out, os.Stderr); code != 0 {
		t.Fatal("events failed")
	}
	if rows := strings.Count(out.String(), "published"); rows != sent {
		t.Fatalf("payhooks events lists %d published events, want %d:\n%s", rows, sent, out.String())
	}
}

// A second `payhooks run` refuses a taken port before it starts or provisions anything,
// and names the variable that moves it.
func TestRunRefusesTakenPorts(t *testing.T) {
	all := []string{"PAYHOOKS_PORT", "PAYHOOKS_DYNAMODB_PORT", "PAYHOOKS_MOTO_PORT", "PAYHOOKS_AXPAY_PORT", "PAYHOOKS_CHAINSTATUS_PORT"}
	for _, variable := range all {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range all {
			p, _ := devstack.FreePort()
			t.Setenv(v, strconv.Itoa(p))
		}
		t.Setenv(variable, strconv.Itoa(l.Addr().(*net.TCPAddr).Port))
		var out, errOut bytes.Buffer
		code := runMain(context.Background(), []string{"run"}, &out, &errOut)
		l.Close()
		if code == 0 || !strings.Contains(errOut.String(), variable+"=") || !strings.Contains(errOut.String(), "is taken") {
			t.Errorf("%s taken: exit %d, %q", variable, code, errOut.String())
		}
		if strings.Contains(out.String(), "starting") {
			t.Errorf("%s taken: started anyway: %q", variable, out.String())
		}
	}
}

// `payhooks <command> --help` (and -h) prints usage and exits 0, for every command.
func TestHelpExitsZero(t *testing.T) {
	for name := range commands {
		for _, h := range []string{"--help", "-h"} {
			var out, errOut bytes.Buffer
			if code := runMain(context.Background(), []string{name, h}, &out, &errOut); code != 0 {
				t.Errorf("payhooks %s %s: exit %d: %s", name, h, code, errOut.String())
			}
		}
	}
	if code := runMain(context.Background(), []string{"--help"}, io.Discard, io.Discard); code != 0 {
		t.Errorf("payhooks --help: exit %d", code)
	}
}
