package app

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func TestSettingsFromEnv(t *testing.T) {
	for _, c := range []struct {
		name    string
		env     map[string]string
		want    func(Settings) bool
		wantErr bool
	}{
		{"defaults", map[string]string{"QUEUE_URL": "q"}, func(s Settings) bool {
			return s.Table == "payhooks-events" && s.SecretTTL == 5*time.Minute && s.Retention == 400*24*time.Hour
		}, false},
		{"overrides", map[string]string{"QUEUE_URL": "q", "TABLE_NAME": "t", "SECRET_TTL": "30s", "EVENT_RETENTION_DAYS": "0"}, func(s Settings) bool {
			return s.Table == "t" && s.SecretTTL == 30*time.Second && s.Retention == 0
		}, false},
		{"no queue", map[string]string{}, nil, true},
		{"bad ttl", map[string]string{"QUEUE_URL": "q", "SECRET_TTL": "soon"}, nil, true},
		{"negative retention", map[string]string{"QUEUE_URL": "q", "EVENT_RETENTION_DAYS": "-1"}, nil, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, k := range []string{"QUEUE_URL", "TABLE_NAME", "SECRET_TTL", "EVENT_RETENTION_DAYS", "SECRET_NAME", "SECRETS_FILE"} {
				t.Setenv(k, c.env[k])
			}
			s, err := SettingsFromEnv()
			if (err != nil) != c.wantErr {
				t.Fatalf("err = %v, want error %v", err, c.wantErr)
			}
			if c.want != nil && !c.want(s) {
				t.Errorf("settings = %+v", s)
			}
		})
	}
}

// New only assembles: no network I/O at cold start, and the secrets source the settings ask for.
func TestNewAssemblesWithoutIO(t *testing.T) {
	s := Settings{Table: "t", QueueURL: "http://127.0.0.1:1/q", SecretsFile: "secrets.json", SecretTTL: time.Minute,
		DynamoDBEndpoint: "http://127.0.0.1:1", SQSEndpoint: "http://127.0.0.1:1"}
	d := New(aws.Config{Region: "eu-west-1"}, s, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if d.Store == nil || d.Publisher == nil || d.Ingester == nil || d.Secrets == nil || d.Metrics == nil {
		t.Fatalf("incomplete deps: %+v", d)
	}
	if d.Store.Table != "t" || d.Publisher.QueueURL != s.QueueURL {
		t.Errorf("store table %q, queue %q", d.Store.Table, d.Publisher.QueueURL)
	}
	if _, err := d.Secrets.Secret(context.Background(), "payhooks/none"); err == nil {
		t.Error("a missing secrets file gave a secret")
	}
}
