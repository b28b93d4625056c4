package queue

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Queues are the URLs of the event queue, its dead-letter queue, and the queue where the
// publisher's event source mapping records stream batches it gave up on.
type Queues struct {
	URL, DLQURL, DLQArn string
	StreamFailuresURL   string
}

// Create makes the FIFO queue `name` (which must end in .fifo) and its dead-letter queue,
// as template.yaml does on AWS, for local stacks and tests.
func Create(ctx context.Context, client *sqs.Client, name string, maxReceives int) (Queues, error) {
	dlqName := name[:len(name)-len(".fifo")] + "-dlq.fifo"
	dlq, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName:  aws.String(dlqName),
		Attributes: map[string]string{"FifoQueue": "true", "MessageRetentionPeriod": "1209600"},
	})
	if err != nil {
		return Queues{}, fmt.Errorf("create %s: %w", dlqName, err)
	}
	attrs, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: dlq.QueueUrl, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return Queues{}, fmt.Errorf("dlq arn: %w", err)
	}
	arn := attrs.Attributes[string(types.QueueAttributeNameQueueArn)]
	q, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName: aws.String(name),
		Attributes: map[string]string{
			"FifoQueue":         "true",
			"VisibilityTimeout": "60",
			// High-throughput FIFO: deduplication and throughput are per message group
			// (one provider object), not per queue.
			"DeduplicationScope":  "messageGroup",
			"FifoThroughputLimit": "perMessageGroupId",
			"RedrivePolicy":       fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":%d}`, arn, maxReceives),
		},
	})
	if err != nil {
		return Queues{}, fmt.Errorf("create %s: %w", name, err)
	}
	failName := name[:len(name)-len(".fifo")] + "-stream-failures"
	sf, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName: aws.String(failName), Attributes: map[string]string{"MessageRetentionPeriod": "1209600"},
	})
	if err != nil {
		return Queues{}, fmt.Errorf("create %s: %w", failName, err)
	}
	return Queues{URL: *q.QueueUrl, DLQURL: *dlq.QueueUrl, DLQArn: arn, StreamFailuresURL: *sf.QueueUrl}, nil
}
