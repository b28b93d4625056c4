package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/payhooks/payhooks/shared/lambda/app"
	"github.com/payhooks/payhooks/shared/lambda/app/publishing"
	"github.com/payhooks/payhooks/shared/pipeline/webhook"
	"github.com/payhooks/payhooks/shared/platform/secrets"
	"github.com/payhooks/payhooks/shared/poller/chainstatus/chainstatustest"
	"github.com/payhooks/payhooks/shared/provider/axpay"
	"github.com/payhooks/payhooks/shared/provider/axpay/axpaytest"
	"github.com/payhooks/payhooks/shared/tooling/devstack"
	"github.com/payhooks/payhooks/shared/tooling/gateway"
	"github.com/payhooks/payhooks/shared/tooling/registry"
	"github.com/payhooks/payhooks/shared/tooling/streampoller"
)

func init() {
	register("run", "start DynamoDB Local, moto and the local gateway (what `make run` does)", runLocal)
}

// localServer is what `payhooks run` starts; tests start it on free ports.
type localServer struct {
	stack     *devstack.Stack
	resources devstack.Resources
	deps      *publishing.Deps
	stream    *streampoller.Poller // stands in for the publisher's event source mapping
	addr      string
	srv       *http.Server
	extra     []io.Closer
	axpayURL  string
	chainURL  string
}

// startFakeAXpay serves a fake AXpay API seeded with transactions that were never
// delivered as webhooks, so `payhooks reconcile axpay` has something to find locally.
func (ls *localServer) startFakeAXpay(ctx context.Context, secretsFile string, port int) error {
	b, err := os.ReadFile(secretsFile)
	if err != nil {
		return err
	}
	var docs map[string]json.RawMessage
	if err := json.Unmarshal(b, &docs); err != nil {
		return err
	}
	cfg, err := axpay.ParseConfig(docs[secrets.Name(axpay.Name)])
	if err != nil {
		return err
	}
	signer, err := cfg.Signer()
	if err != nil {
		return err
	}
	fake := axpaytest.NewServer(signer.PublicKey(), cfg.ClientID)
	fake.Seed(axpaytest.MakeTransactions(5, time.Now().Add(-time.Hour))...)
	l, err := listen(port, "PAYHOOKS_AXPAY_PORT")
	if err != nil {
		return err
	}
	ls.axpayURL = "http://" + l.Addr().String()
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	ls.extra = append(ls.extra, closerFunc(func() error { cancel(); return nil }))
	go func() { _ = fake.Serve(sctx, l) }()
	return nil
}

// startFakeChainStatus serves a fake InstaXchange blockchain-status endpoint that settles
// every payout, so `payhooks reconcile instaxchange` can follow the sample payments locally.
func (ls *localServer) startFakeChainStatus(ctx context.Context, port int) error {
	l, err := listen(port, "PAYHOOKS_CHAINSTATUS_PORT")
	if err != nil {
		return err
	}
	fake := chainstatustest.NewServer()
	fake.Settled()
	ls.chainURL = "http://" + l.Addr().String()
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	ls.extra = append(ls.extra, closerFunc(func() error { cancel(); return nil }))
	go func() { _ = fake.Serve(sctx, l) }()
	return nil
}

type closerFunc func() error

func (f closerFunc) Close() error { return f() }

// localPorts are where `payhooks run` listens; 0 picks a free port (tests, `make load`).
type localPorts struct{ Gateway, DynamoDB, Moto, AXpay, Chain int }

// configuredPorts are make run's ports: the defaults, or PAYHOOKS_*_PORT.
func configuredPorts() localPorts {
	return localPorts{Gateway: gatewayPort(), DynamoDB: dynamoPort(), Moto: motoPort(), AXpay: axpayPort(), Chain: chainPort()}
}

// portVars name the variable that moves each port, for the refusal below.
func (p localPorts) portVars() []struct {
	port     int
	variable string
} {
	return []struct {
		port     int
		variable string
	}{{p.Gateway, "PAYHOOKS_PORT"}, {p.DynamoDB, "PAYHOOKS_DYNAMODB_PORT"}, {p.Moto, "PAYHOOKS_MOTO_PORT"}, {p.AXpay, "PAYHOOKS_AXPAY_PORT"},
		{p.Chain, "PAYHOOKS_CHAINSTATUS_PORT"}}
}

// checkFree refuses every taken port before anything starts: DynamoDB Local or moto that
// cannot bind would leave us talking to whatever answers there (another `make run`, whose
// secrets we would then overwrite).
func (p localPorts) checkFree() error {
	for _, v := range p.portVars() {
		if v.port == 0 {
			continue
		}
		l, err := listen(v.port, v.variable)
		if err != nil {
			return err
		}
		l.Close()
	}
	return nil
}

// listen listens on a loopback port (0: a free one); a taken port is an error that names the
// variable to change.
func listen(port int, variable string) (net.Listener, error) {
	addr := "127.0.0.1:" + strconv.Itoa(port)
	var l net.Listener
	var err error
	// Something bound to another address of this port (0.0.0.0, ::) may still answer here.
	if c, derr := net.DialTimeout("tcp", addr, 200*time.Millisecond); port != 0 && derr == nil {
		c.Close()
		err = errors.New("something answers there")
	} else {
		l, err = net.Listen("tcp", addr)
	}
	if err != nil {
		return nil, fmt.Errorf("port %d is taken (%v): is another `make run` up? Stop it, or choose another port with %s=<port>", port, err, variable)
	}
	return l, nil
}

func startLocal(ctx context.Context, ports localPorts, logOut io.Writer) (*localServer, error) {
	if err := ports.checkFree(); err != nil {
		return nil, err
	}
	root, err := devstack.FindRoot()
	if err != nil {
		return nil, err
	}
	st, err := devstack.Start(ctx, devstack.Options{Root: root, DynamoDBPort: ports.DynamoDB, MotoPort: ports.Moto})
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
	d := app.New(cfg, app.Settings{
		Table: ls.resources.Table, QueueURL: ls.resources.Queues.URL, SecretTTL: 5 * time.Second,
		DynamoDBEndpoint: st.DynamoDBEndpoint, SQSEndpoint: st.MotoEndpoint, SecretsManagerEndpoint: st.MotoEndpoint,
	}, log)
	d.Metrics = nil // EMF lines are for CloudWatch; locally they would drown the logs
	ls.deps = publishing.New(d)
	ls.stream = streampoller.ForPublisher(clients.Streams, ls.resources.StreamARN, ls.deps.Publisher, clients.SQS,
		ls.resources.Queues.StreamFailuresURL, log)
	stopStream := ls.stream.Start()
	ls.extra = append(ls.extra, closerFunc(func() error { stopStream(); return nil }))
	var routes []gateway.Route
	for _, w := range registry.Webhooks {
		h := ls.deps.Webhook(w.Provider, w.New).Lambda
		for _, m := range w.Methods() {
			routes = append(routes, gateway.Route{Method: m, Path: w.Path, Handler: h})
		}
	}
	if err := ls.startFakeAXpay(ctx, filepath.Join(root, localSecretsFile), ports.AXpay); err != nil {
		return fail(err)
	}
	if err := ls.startFakeChainStatus(ctx, ports.Chain); err != nil {
		return fail(err)
	}
	l, err := listen(ports.Gateway, "PAYHOOKS_PORT")
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
	ports := configuredPorts()
	if err := ports.checkFree(); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "payhooks: starting DynamoDB Local and moto...")
	ls, err := startLocal(ctx, ports, stderr)
	if err != nil {
		return err
	}
	defer ls.Close()
	fmt.Fprintf(stdout, `payhooks is running on loopback:
  gateway         %s   (routes as in template.yaml)
  DynamoDB Local  %s   table %s
  moto            %s   queue %s
                                       secrets payhooks/<provider> from %s
  publisher       the table's stream -> the publisher handler -> the queue (as the event source mapping)
Routes:
`, ls.addr, ls.stack.DynamoDBEndpoint, ls.resources.Table, ls.stack.MotoEndpoint, ls.resources.Queues.URL, localSecretsFile)
	for _, w := range registry.Webhooks {
		for _, m := range w.Methods() {
			fmt.Fprintf(stdout, "  %s %s\n", m, w.Path)
		}
	}
	fmt.Fprintf(stdout, "Fake AXpay API    %s   (5 transactions never sent as webhooks:\n"+
		"                  go run ./cmd/payhooks reconcile axpay)\n", ls.axpayURL)
	fmt.Fprintf(stdout, "Fake chain status %s   (settles the payouts of sent InstaXchange payments:\n"+
		"                  go run ./cmd/payhooks reconcile instaxchange)\n", ls.chainURL)
	fmt.Fprintln(stdout, "Try: go run ./cmd/payhooks send instaxchange    (Ctrl-C stops everything)")
	<-ctx.Done()
	fmt.Fprintln(stdout, "\npayhooks: stopping")
	if errors.Is(ctx.Err(), context.Canceled) {
		return nil
	}
	return ctx.Err()
}
