package publishing

import (
	"context"
	"strings"
	"testing"
)

// The publishing functions cannot start without a queue, and the empty
// AWS_ENDPOINT_URL_SQS template.yaml declares (for sam local) changes nothing on AWS.
func TestFromEnv(t *testing.T) {
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_ENDPOINT_URL_SQS", "")
	t.Setenv("QUEUE_URL", "")
	if _, err := FromEnv(context.Background()); err == nil || !strings.Contains(err.Error(), "QUEUE_URL") {
		t.Fatalf("QUEUE_URL unset: err = %v", err)
	}
	const url = "https://sqs.eu-west-1.amazonaws.com/123456789012/q.fifo"
	t.Setenv("QUEUE_URL", url)
	d, err := FromEnv(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if d.SQS.Options().BaseEndpoint != nil {
		t.Fatalf("an empty endpoint variable set an endpoint: %v", *d.SQS.Options().BaseEndpoint)
	}
	if d.Queue.QueueURL != url || d.Publisher.Queue != d.Queue || d.Publisher.Store != d.Store {
		t.Fatalf("publisher not wired to the queue and store: %+v", d.Publisher)
	}
}
