package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/payhooks/payhooks/shared/lambda/app"
	"github.com/payhooks/payhooks/shared/lambda/app/publishing"
	"github.com/payhooks/payhooks/shared/tooling/devstack"
)

// Local defaults, overridable by environment variables (documented in the README).
func envPort(name string, def int) int {
	if v := os.Getenv(name); v != "" {
		if p, err := strconv.Atoi(v); err == nil {
			return p
		}
	}
	return def
}

func dynamoPort() int  { return envPort("PAYHOOKS_DYNAMODB_PORT", 8000) }
func motoPort() int    { return envPort("PAYHOOKS_MOTO_PORT", 5000) }
func gatewayPort() int { return envPort("PAYHOOKS_PORT", 3000) }
func axpayPort() int   { return envPort("PAYHOOKS_AXPAY_PORT", 4010) }
func chainPort() int   { return envPort("PAYHOOKS_CHAINSTATUS_PORT", 4011) }

func dynamoEndpoint() string { return "http://127.0.0.1:" + strconv.Itoa(dynamoPort()) }
func motoEndpoint() string   { return "http://127.0.0.1:" + strconv.Itoa(motoPort()) }
func gatewayURL() string     { return "http://127.0.0.1:" + strconv.Itoa(gatewayPort()) }
func axpayURL() string       { return "http://127.0.0.1:" + strconv.Itoa(axpayPort()) }
func chainURL() string       { return "http://127.0.0.1:" + strconv.Itoa(chainPort()) }

const (
	localTable       = "payhooks-events"
	localQueue       = "payhooks-events.fifo"
	localSecretsFile = "dev/secrets.json"
)

// stackFlags are the flags every command that works on a stack shares: where DynamoDB and
// SQS are, which table and queue. Defaults point at `make run`'s stack.
type stackFlags struct {
	endpoint, moto, table, queueURL *string
	verbose                         *bool
}

func addStackFlags(fs *flag.FlagSet) *stackFlags {
	return &stackFlags{
		endpoint: fs.String("endpoint", dynamoEndpoint(), "DynamoDB endpoint"),
		moto:     fs.String("moto", motoEndpoint(), "moto endpoint (SQS)"),
		table:    fs.String("table", localTable, "table name"),
		queueURL: fs.String("queue-url", "", "queue URL (default: the URL of "+localQueue+" on moto)"),
		verbose:  fs.Bool("v", false, "log every step as JSON on stderr"),
	}
}

// queueURL returns the URL of the named queue on the SQS at moto (the local stack's).
func queueURL(ctx context.Context, c devstack.Clients, moto, name string) (string, error) {
	out, err := c.SQS.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
	if err != nil {
		return "", fmt.Errorf("queue %s on %s (is `payhooks run` up?): %w", name, moto, err)
	}
	return aws.ToString(out.QueueUrl), nil
}

// deps assembles the functions' dependencies against the stack, as app.FromEnv would in
// a Lambda, with secrets read from secretsFile.
func (f *stackFlags) deps(ctx context.Context, secretsFile, secretName string, stderr io.Writer) (*publishing.Deps, error) {
	cfg, err := devstack.LocalConfig(ctx)
	if err != nil {
		return nil, err
	}
	if *f.queueURL == "" {
		if *f.queueURL, err = queueURL(ctx, devstack.NewClients(cfg, *f.endpoint, *f.moto), *f.moto, localQueue); err != nil {
			return nil, err
		}
	}
	logOut := io.Discard
	if *f.verbose {
		logOut = stderr
	}
	d := publishing.New(app.New(cfg, app.Settings{
		Table: *f.table, QueueURL: *f.queueURL, SecretName: secretName, SecretsFile: secretsFile, SecretTTL: time.Minute,
		DynamoDBEndpoint: *f.endpoint, SQSEndpoint: *f.moto,
	}, slog.New(slog.NewJSONHandler(logOut, nil))))
	d.Metrics, d.Publisher.Metrics = nil, nil
	return d, nil
}
