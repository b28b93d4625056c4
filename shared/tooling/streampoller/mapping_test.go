package streampoller_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"gopkg.in/yaml.v3"

	"github.com/payhooks/payhooks/shared/pipeline/publisher"
	"github.com/payhooks/payhooks/shared/pipeline/store"
	"github.com/payhooks/payhooks/shared/tooling/streampoller"
)

const root = "../../.."

// resources reads template.yaml's Resources and Parameters as plain maps.
func resources(t *testing.T) (res, params map[string]any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var tpl struct {
		Resources  map[string]any `yaml:"Resources"`
		Parameters map[string]any `yaml:"Parameters"`
	}
	// CloudFormation's short tags (!Ref, !GetAtt) decode as their scalar.
	if err := yaml.Unmarshal(b, &tpl); err != nil {
		t.Fatal(err)
	}
	return tpl.Resources, tpl.Parameters
}

func at(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

// The local stand-in runs the mapping template.yaml declares: same filter, retries, batch
// size, bisect and partial failures; and the table it reads is the template's table.
func TestTemplateDeclaresTheMappingAndTable(t *testing.T) {
	res, params := resources(t)
	m := at(res, "PublisherFunction", "Properties", "Events", "Stream", "Properties")
	if got := at(m, "FilterCriteria", "Filters", 0, "Pattern"); got != publisher.StreamFilter {
		t.Errorf("filter %v, want %s", got, publisher.StreamFilter)
	}
	if got := at(m, "MaximumRetryAttempts"); got != streampoller.MaxRetries {
		t.Errorf("MaximumRetryAttempts %v, want %d", got, streampoller.MaxRetries)
	}
	if got := at(params, "PublisherBatchSize", "Default"); got != streampoller.BatchSize {
		t.Errorf("batch size default %v, want %d", got, streampoller.BatchSize)
	}
	if at(m, "BisectBatchOnFunctionError") != true || !slices.Contains(at(m, "FunctionResponseTypes").([]any), any("ReportBatchItemFailures")) {
		t.Errorf("mapping must bisect and report batch item failures: %v", m)
	}
	if at(m, "DestinationConfig", "OnFailure", "Destination") == nil {
		t.Error("no on-failure destination")
	}
	table := at(res, "EventsTable", "Properties")
	if at(table, "StreamSpecification", "StreamViewType") != "NEW_IMAGE" {
		t.Error("the table's stream must carry NEW_IMAGE")
	}
	want := store.TableInput("x")
	gsis, _ := at(table, "GlobalSecondaryIndexes").([]any)
	if len(gsis) != len(want.GlobalSecondaryIndexes) {
		t.Fatalf("%d indexes in the template, %d in store.TableInput", len(gsis), len(want.GlobalSecondaryIndexes))
	}
	for i, g := range want.GlobalSecondaryIndexes {
		tg := gsis[i]
		if at(tg, "IndexName") != aws.ToString(g.IndexName) ||
			at(tg, "KeySchema", 0, "AttributeName") != aws.ToString(g.KeySchema[0].AttributeName) ||
			at(tg, "KeySchema", 1, "AttributeName") != aws.ToString(g.KeySchema[1].AttributeName) ||
			at(tg, "Projection", "ProjectionType") != string(g.Projection.ProjectionType) {
			t.Errorf("index %d: template %v, store %s", i, tg, aws.ToString(g.IndexName))
		}
		if len(g.Projection.NonKeyAttributes) > 0 {
			got, _ := json.Marshal(at(tg, "Projection", "NonKeyAttributes"))
			exp, _ := json.Marshal(g.Projection.NonKeyAttributes)
			if string(got) != string(exp) {
				t.Errorf("index %s projects %s, store %s", aws.ToString(g.IndexName), got, exp)
			}
		}
	}
	for _, q := range []string{"EventsQueue", "EventsDeadLetterQueue"} {
		p := at(res, q, "Properties")
		if at(p, "DeduplicationScope") != "messageGroup" || at(p, "FifoThroughputLimit") != "perMessageGroupId" {
			t.Errorf("%s is not in FIFO high-throughput mode", q)
		}
	}
}

// events/outbox-publisher-insert.json is what the mapping hands the function for a new
// event (sam local invoke PublisherFunction -e ...), and it passes the filter.
func TestPublisherEventFile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "events/outbox-publisher-insert.json"))
	if err != nil {
		t.Fatal(err)
	}
	var e events.DynamoDBEvent
	if err := json.Unmarshal(b, &e); err != nil || len(e.Records) == 0 {
		t.Fatalf("%v (%d records)", err, len(e.Records))
	}
	for i := range e.Records {
		if !publisher.Wants(&e.Records[i]) {
			t.Errorf("record %d does not pass the filter", i)
		}
		if p := e.Records[i].Change.NewImage["payload"].String(); !json.Valid([]byte(p)) {
			t.Errorf("record %d: payload %q", i, p)
		}
	}
}
