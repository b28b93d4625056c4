package devstack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/payhooks/payhooks/shared/pipeline/queue"
	"github.com/payhooks/payhooks/shared/pipeline/store"
)

// Region is the region every local client claims.
const Region = "us-east-1"

// Clients are AWS clients pointed at a local stack.
type Clients struct {
	Config         aws.Config
	DynamoDB       *dynamodb.Client
	Streams        *dynamodbstreams.Client
	SQS            *sqs.Client
	SecretsManager *secretsmanager.Client
}

// LocalConfig is an AWS config with fake credentials that never reads the developer's own.
func LocalConfig(ctx context.Context) (aws.Config, error) {
	return config.LoadDefaultConfig(ctx,
		config.WithRegion(Region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("local", "local", "")),
		config.WithSharedConfigFiles(nil), config.WithSharedCredentialsFiles(nil),
	)
}

// NewClients points clients at the given endpoints.
func NewClients(cfg aws.Config, dynamoEndpoint, motoEndpoint string) Clients {
	return Clients{
		Config: cfg,
		DynamoDB: dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
			o.BaseEndpoint = aws.String(dynamoEndpoint)
			// DynamoDB Local's CRC32 header does not match some error bodies; the SDK
			// would only warn, on every conditional-write conflict.
			o.DisableValidateResponseChecksum = true
		}),
		Streams:        dynamodbstreams.NewFromConfig(cfg, func(o *dynamodbstreams.Options) { o.BaseEndpoint = aws.String(dynamoEndpoint) }),
		SQS:            sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(motoEndpoint) }),
		SecretsManager: secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) { o.BaseEndpoint = aws.String(motoEndpoint) }),
	}
}

// Resources names what Provision made.
type Resources struct {
	Table     string
	StreamARN string // the table's stream, which the publisher reads
	Queues    queue.Queues
}

// Provision creates the table with its stream, the FIFO queue with its dead-letter queue
// and the publisher's on-failure queue, and one secret per entry of the secrets file (a
// JSON map of secret name to document).
func Provision(ctx context.Context, c Clients, table, queueName, secretsFile string) (Resources, error) {
	arn, err := store.CreateTable(ctx, c.DynamoDB, table)
	if err != nil {
		return Resources{}, err
	}
	qs, err := queue.Create(ctx, c.SQS, queueName, 5)
	if err != nil {
		return Resources{}, err
	}
	if secretsFile != "" {
		if err := LoadSecrets(ctx, c.SecretsManager, secretsFile); err != nil {
			return Resources{}, err
		}
	}
	return Resources{Table: table, StreamARN: arn, Queues: qs}, nil
}

// LoadSecrets creates or updates each secret in the file.
func LoadSecrets(ctx context.Context, sm *secretsmanager.Client, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var docs map[string]json.RawMessage
	if err := json.Unmarshal(b, &docs); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for name, doc := range docs {
		_, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(string(doc))})
		var exists *smtypes.ResourceExistsException
		if errors.As(err, &exists) {
			_, err = sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(name), SecretString: aws.String(string(doc))})
		}
		if err != nil {
			return fmt.Errorf("secret %s: %w", name, err)
		}
	}
	return nil
}
