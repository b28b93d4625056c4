package app

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// template.yaml declares AWS_ENDPOINT_URL_* with empty values (for sam local); on AWS
// they must change nothing: the SDK treats an empty endpoint variable as unset.
func TestEmptyEndpointVariablesChangeNothing(t *testing.T) {
	for _, k := range []string{"AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL_SECRETS_MANAGER"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_REGION", "eu-west-1")
	s, err := SettingsFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadAWS(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	d := New(cfg, s, Logger())
	if s.DynamoDBEndpoint != "" || d.DynamoDB.Options().BaseEndpoint != nil {
		t.Fatalf("an empty endpoint variable set an endpoint: %+v", s)
	}
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8000")
	cfg, _ = LoadAWS(context.Background())
	c := dynamodb.NewFromConfig(cfg)
	if got := c.Options().BaseEndpoint; got == nil || *got != "http://127.0.0.1:8000" {
		t.Fatalf("AWS_ENDPOINT_URL_DYNAMODB not applied: %v", got)
	}
}

// Webhooks and pollers only store: their settings need no queue.
func TestSettingsNeedNoQueue(t *testing.T) {
	t.Setenv("QUEUE_URL", "")
	if _, err := SettingsFromEnv(); err != nil {
		t.Fatalf("QUEUE_URL unset: %v", err)
	}
}
