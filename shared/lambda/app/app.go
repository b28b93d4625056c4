// Package app is the composition root of payhooks' Lambda functions: it reads settings
// from the environment, creates the AWS clients once per cold start, and assembles the
// pipeline for a provider. A function's main.go is one call into this package.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/payhooks/payhooks/shared/pipeline/ingest"
	"github.com/payhooks/payhooks/shared/pipeline/store"
	"github.com/payhooks/payhooks/shared/pipeline/webhook"
	"github.com/payhooks/payhooks/shared/platform/metrics"
	"github.com/payhooks/payhooks/shared/platform/secrets"
	"github.com/payhooks/payhooks/shared/platform/trace"
	"github.com/payhooks/payhooks/shared/provider"
	"github.com/payhooks/payhooks/shared/support/redact"
)

// Settings are what a function reads from its environment. Secret values are never
// settings: only secret names are.
type Settings struct {
	Table       string        // TABLE_NAME
	QueueURL    string        // QUEUE_URL: read here, required and used only by package publishing
	SecretName  string        // SECRET_NAME (default payhooks/<provider>)
	SecretsFile string        // SECRETS_FILE: read secrets from a local JSON file instead of Secrets Manager
	SecretTTL   time.Duration // SECRET_TTL (default 5m)
	Retention   time.Duration // EVENT_RETENTION_DAYS (default 400; 0 keeps events forever)

	// Endpoints override where clients connect (the local stack); on AWS they stay empty.
	// Lambdas under `sam local` use the SDK's own AWS_ENDPOINT_URL_<SERVICE> variables.
	DynamoDBEndpoint, SQSEndpoint, SecretsManagerEndpoint string
}

// SettingsFromEnv reads Settings.
func SettingsFromEnv() (Settings, error) {
	s := Settings{
		Table:       getenv("TABLE_NAME", "payhooks-events"),
		QueueURL:    os.Getenv("QUEUE_URL"),
		SecretName:  os.Getenv("SECRET_NAME"),
		SecretsFile: os.Getenv("SECRETS_FILE"),
		SecretTTL:   5 * time.Minute,
		Retention:   400 * 24 * time.Hour,
		// The SDK reads this variable itself; naming it here also relaxes the checksum
		// check that DynamoDB Local fails (see New). Empty on AWS.
		DynamoDBEndpoint: os.Getenv("AWS_ENDPOINT_URL_DYNAMODB"),
	}
	if v := os.Getenv("SECRET_TTL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return s, fmt.Errorf("SECRET_TTL: %w", err)
		}
		s.SecretTTL = d
	}
	if v := os.Getenv("EVENT_RETENTION_DAYS"); v != "" {
		days, err := strconv.Atoi(v)
		if err != nil || days < 0 {
			return s, fmt.Errorf("EVENT_RETENTION_DAYS: %q is not a number of days", v)
		}
		s.Retention = time.Duration(days) * 24 * time.Hour
	}
	return s, nil
}

func getenv(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// Deps are the long-lived parts shared by every invocation of a warm function. The queue
// side (SQS client, publisher) is package publishing's: only publishing functions link it.
type Deps struct {
	Settings Settings
	AWS      aws.Config
	DynamoDB *dynamodb.Client
	Store    *store.Store
	Ingester *ingest.Ingester
	Secrets  secrets.Source
	Log      *slog.Logger
	Metrics  *metrics.EMF
}

// Logger is the JSON logger every function writes to stdout (CloudWatch Logs).
func Logger() *slog.Logger {
	level := slog.LevelInfo
	if os.Getenv("LOG_LEVEL") == "debug" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: level}))
}

// LoadAWS loads the SDK configuration. It does no network I/O: credentials are resolved
// on first use, so cold start stays short. AWS_ENDPOINT_URL_<SERVICE> variables point the
// clients at local services.
func LoadAWS(ctx context.Context) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return cfg, err
	}
	trace.InstrumentAWS(&cfg)
	return cfg, nil
}

// New assembles the dependencies from an AWS config.
func New(cfg aws.Config, s Settings, log *slog.Logger) *Deps {
	d := &Deps{Settings: s, AWS: cfg, Log: log}
	d.DynamoDB = dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if s.DynamoDBEndpoint != "" {
			o.BaseEndpoint = aws.String(s.DynamoDBEndpoint)
			o.DisableValidateResponseChecksum = true // DynamoDB Local's CRC32 differs on some errors
		}
	})
	d.Store = &store.Store{Client: d.DynamoDB, Table: s.Table, Retention: s.Retention}
	d.Ingester = &ingest.Ingester{Store: d.Store}
	d.Metrics = metrics.New(os.Stdout)
	var src secrets.Source
	if s.SecretsFile != "" {
		src = secrets.File{Path: s.SecretsFile}
	} else {
		src = secrets.SecretsManager{Client: secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) {
			if s.SecretsManagerEndpoint != "" {
				o.BaseEndpoint = aws.String(s.SecretsManagerEndpoint)
			}
		})}
	}
	d.Secrets = secrets.NewCached(src, s.SecretTTL)
	return d
}

// FromEnv loads settings and builds the dependencies.
func FromEnv(ctx context.Context) (*Deps, error) {
	s, err := SettingsFromEnv()
	if err != nil {
		return nil, err
	}
	cfg, err := LoadAWS(ctx)
	if err != nil {
		return nil, err
	}
	return New(cfg, s, Logger()), nil
}

// SecretName is the provider's secret name: SECRET_NAME, or payhooks/<provider>.
func (d *Deps) SecretName(providerName string) string {
	if d.Settings.SecretName != "" {
		return d.Settings.SecretName
	}
	return secrets.Name(providerName)
}

// Webhook assembles the webhook handler of one provider.
func (d *Deps) Webhook(providerName string, f provider.Factory) *webhook.Handler {
	return &webhook.Handler{
		Provider: f(d.Secrets, d.SecretName(providerName)),
		Ingester: d.Ingester,
		Log:      d.Log,
		Metrics:  d.Metrics,
	}
}

// Must stops a cold start that cannot work, with the reason in the function's log.
func Must[T any](v T, err error) T {
	if err != nil {
		Logger().Error("cold start failed", "error", redact.Detail(err.Error()))
		os.Exit(1)
	}
	return v
}

// RunWebhook is the whole main of a webhook function.
func RunWebhook(providerName string, f provider.Factory) {
	d := Must(FromEnv(context.Background()))
	lambda.Start(d.Webhook(providerName, f).Lambda)
}
