package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"time"

	"github.com/payhooks/payhooks/shared/app"
	"github.com/payhooks/payhooks/shared/devstack"
	"github.com/payhooks/payhooks/shared/gateway"
	"github.com/payhooks/payhooks/shared/registry"
	"github.com/payhooks/payhooks/shared/webhook"
)

func init() {
	register("run", "start DynamoDB Local, moto and the local gateway (what `make run` does)", runLocal)
}

// localServer is what `payhooks run` starts; tests start it on free ports.
type localServer struct {
	stack     *devstack.Stack
	resources devstack.Resources
	deps      *app.Deps
	addr      string
	srv       *http.Server
	extra     []io.Closer
}

func startLocal(ctx context.Context, ddbPort, motoPort, gwPort int, logOut io.Writer) (*localServer, error) {
	root, err := devstack.FindRoot()
	if err != nil {
		return nil, err
	}
	st, err := devstack.Start(ctx, devstack.Options{Root: root, DynamoDBPort: ddbPort, MotoPort: motoPort})
	if err != nil {
		return nil, err
	}
	ls := &localServer{stack: st}
	fail := func(err error) (*localServer, error) { ls.Close(); return nil, err }
	cfg, err := devstack.LocalConfig(ctx)
	if err != nil {
		return fail(err)
	}
	clients := devstack.NewClients(cfg, st.DynamoDBEndpoint, st.MotoEndpoint)
	ls.resources, err = devstack.Provision(ctx, clients, localTable, localQueue, filepath.Join(root, localSecretsFile))
	if err != nil {
		return fail(err)
	}
	log := slog.New(slog.NewJSONHandler(logOut, nil))
	ls.deps = app.New(cfg, app.Settings{
		Table: ls.resources.Table, QueueURL: ls.resources.Queues.URL, SecretTTL: 5 * time.Second,
		DynamoDBEndpoint: st.DynamoDBEndpoint, SQSEndpoint: st.MotoEndpoint, SecretsManagerEndpoint: st.MotoEndpoint,
	}, log)
	ls.deps.Metrics = nil // EMF lines are for CloudWatch; locally they would drown the logs
	var routes []gateway.Route
	for _, w := range registry.Webhooks {
		routes = append(routes, gateway.Route{Method: w.Method, Path: w.Path, Handler: ls.deps.Webhook(w.Provider, w.New).Lambda})
	}
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(gwPort))
	if err != nil {
		return fail(err)
	}
	ls.addr = "http://" + l.Addr().String()
	ls.srv = &http.Server{Handler: gateway.New(routes, webhook.MaxBody, log), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = ls.srv.Serve(l) }()
	return ls, nil
}

func (ls *localServer) Close() {
	if ls.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = ls.srv.Shutdown(ctx)
		cancel()
	}
	for _, c := range ls.extra {
		_ = c.Close()
	}
	if ls.stack != nil {
		ls.stack.Stop()
	}
}

func runLocal(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "payhooks: starting DynamoDB Local and moto...")
	ls, err := startLocal(ctx, dynamoPort(), motoPort(), gatewayPort(), stderr)
	if err != nil {
		return err
	}
	defer ls.Close()
	fmt.Fprintf(stdout, `payhooks is running on loopback:
  gateway         %s   (routes as in template.yaml)
  DynamoDB Local  %s   table %s
  moto            %s   queue %s
                                       secrets payhooks/<provider> from %s
Routes:
`, ls.addr, ls.stack.DynamoDBEndpoint, ls.resources.Table, ls.stack.MotoEndpoint, ls.resources.Queues.URL, localSecretsFile)
	for _, w := range registry.Webhooks {
		fmt.Fprintf(stdout, "  %s %s\n", w.Method, w.Path)
	}
	fmt.Fprintln(stdout, "Try: go run ./cmd/payhooks send instaxchange    (Ctrl-C stops everything)")
	<-ctx.Done()
	fmt.Fprintln(stdout, "\npayhooks: stopping")
	if errors.Is(ctx.Err(), context.Canceled) {
		return nil
	}
	return ctx.Err()
}
