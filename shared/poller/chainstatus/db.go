package chainstatus

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/payhooks/payhooks/shared/pipeline/store"
	"github.com/payhooks/payhooks/shared/poller/lease"
	"github.com/payhooks/payhooks/shared/support/money"
	"github.com/payhooks/payhooks/shared/support/redact"
)

// DB is the part of DynamoDB the poller uses: Query on the by-time and payouts indexes,
// and item writes without DeleteItem, so the function's policy stays narrow.
type DB interface {
	lease.DB
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// Keys of the poller's own items.
const (
	CursorKey = "CURSOR#chainstatus#" + Provider
	LeaseKey  = "LEASE#chainstatus#" + Provider
)

// Outcomes recorded on a finished tracking item.
const (
	OutcomeConfirmed   = "confirmed"
	OutcomeFailed      = "failed"
	OutcomeUnconfirmed = "unconfirmed"
)

var outcomeNames = map[outcome]string{outConfirmed: OutcomeConfirmed, outFailed: OutcomeFailed, outUnconfirmed: OutcomeUnconfirmed}

// Payout is one tracking item: PAYOUT#instaxchange#<transactionId>.
type Payout struct {
	TransactionID  string
	WithdrawTxID   string
	PaymentEventID string
	MerchantRef    string
	Settlement     *money.Money // the crypto amount paid out, from the payment event
	PaidAt         time.Time    // the payment's occurredAt: the horizon counts from here
	DiscoveredAt   time.Time
	NextCheck      string // payoutNextCheck as stored (empty once finished)
	Attempts       int
	LastCheckedAt  time.Time
	LastState      string
	LastError      string
	LastResponse   string // JSON (or text) of the last answer, cut to 4 KiB
	LastHash       string // the hash the last answer with one gave
	HashChanges    int    // how often that hash changed between checks
	Outcome        string // "" while tracked
	BlockchainHash string
}

// The table's attribute helpers live in the store (one place for them).
var (
	key               = store.Key
	str               = store.S
	num               = store.N
	getS              = store.GetS
	getN              = store.GetN
	getT              = store.GetT
	isConditionFailed = store.IsConditionFailed
)

func unavailable(what string, err error) error {
	return fmt.Errorf("%w: chainstatus: %s: %w", store.ErrUnavailable, what, err)
}

func decodePayout(item map[string]types.AttributeValue) Payout {
	p := Payout{
		TransactionID:  getS(item, "objectRef"),
		WithdrawTxID:   getS(item, "withdrawTxId"),
		PaymentEventID: getS(item, "paymentEventId"),
		MerchantRef:    getS(item, "merchantRef"),
		PaidAt:         getT(item, "paidAt"),
		DiscoveredAt:   getT(item, "discoveredAt"),
		NextCheck:      getS(item, store.AttrPayoutNextCheck),
		Attempts:       int(getN(item, "attempts")),
		LastCheckedAt:  getT(item, "lastCheckedAt"),
		LastState:      getS(item, "lastState"),
		LastError:      getS(item, "lastError"),
		LastResponse:   getS(item, "lastResponse"),
		LastHash:       getS(item, "lastHash"),
		HashChanges:    int(getN(item, "hashChanges")),
		Outcome:        getS(item, "outcome"),
		BlockchainHash: getS(item, "blockchainHash"),
	}
	if s := getS(item, "settlement"); s != "" {
		var m money.Money
		if json.Unmarshal([]byte(s), &m) == nil {
			p.Settlement = &m
		}
	}
	return p
}

// track writes the tracking item unless it exists: one conditional PutItem, so that
// discovering the same payment again (the cursor overlap, a re-run with --since, two runs at
// once) never resets a payout's attempts or brings a finished one back into the index.
func (p *Poller) track(ctx context.Context, po Payout) (bool, error) {
	item := key(store.PayoutKey(Provider, po.TransactionID))
	item["itemType"] = str("payout")
	// No listShard: the item stays out of the by-time index of events.
	item["provider"] = str(Provider)
	item["objectRef"] = str(po.TransactionID)
	item["withdrawTxId"] = str(po.WithdrawTxID)
	item["paymentEventId"] = str(po.PaymentEventID)
	if po.MerchantRef != "" {
		item["merchantRef"] = str(po.MerchantRef)
	}
	if po.Settlement != nil {
		b, _ := json.Marshal(po.Settlement)
		item["settlement"] = str(string(b))
	}
	item["paidAt"] = str(store.FormatTime(po.PaidAt))
	item["discoveredAt"] = str(store.FormatTime(po.DiscoveredAt))
	item["attempts"] = num(0)
	item[store.AttrPayoutShard] = str(store.PayoutShardKey(Provider, po.TransactionID))
	item[store.AttrPayoutNextCheck] = str(po.NextCheck)
	_, err := p.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           aws.String(p.Table),
		Item:                item,
		ConditionExpression: aws.String("attribute_not_exists(pk)"),
	})
	if err == nil {
		return true, nil
	}
	if isConditionFailed(err) {
		return false, nil
	}
	return false, unavailable("track payout", err)
}

// GetPayout reads a tracking item (for operators and tests).
func (p *Poller) GetPayout(ctx context.Context, transactionID string) (Payout, error) {
	out, err := p.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(p.Table), Key: key(store.PayoutKey(Provider, transactionID)), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return Payout{}, unavailable("get payout", err)
	}
	if out.Item == nil {
		return Payout{}, fmt.Errorf("payout %s: %w", transactionID, store.ErrNotFound)
	}
	return decodePayout(out.Item), nil
}

// due reads one page of one shard's payouts whose next check is at or before now, soonest
// first.
func (p *Poller) due(ctx context.Context, shard string, now time.Time, start map[string]types.AttributeValue, limit int32) ([]Payout, map[string]types.AttributeValue, error) {
	out, err := p.DB.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(p.Table),
		IndexName:                 aws.String(store.IndexPayouts),
		KeyConditionExpression:    aws.String("#sh = :p AND #nc <= :now"),
		ExpressionAttributeNames:  map[string]string{"#sh": store.AttrPayoutShard, "#nc": store.AttrPayoutNextCheck},
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": str(shard), ":now": str(store.FormatTime(now))},
		ExclusiveStartKey:         start,
		Limit:                     aws.Int32(limit),
	})
	if err != nil {
		return nil, nil, unavailable("query payouts", err)
	}
	ps := make([]Payout, 0, len(out.Items))
	for _, it := range out.Items {
		ps = append(ps, decodePayout(it))
	}
	return ps, out.LastEvaluatedKey, nil
}

// checkRecord is what one check leaves on a tracking item.
type checkRecord struct {
	at        time.Time
	attempts  int
	state     string
	errText   string
	response  string
	nextCheck time.Time // zero when the payout is finished
	outcome   string
	hash      string // the latest hash known, kept from earlier checks when this one had none
	// hashChanges counts the checks whose hash differed from the one before.
	hashChanges int
}

// record writes a check's result. The condition (still tracked, next check unchanged since
// we read it) makes a second poller that read the same item from the eventually consistent
// index lose quietly instead of moving the schedule twice or reviving a finished item.
func (p *Poller) record(ctx context.Context, po Payout, r checkRecord) (bool, error) {
	set := "SET attempts = :a, lastCheckedAt = :t, lastState = :st, lastResponse = :rs"
	vals := map[string]types.AttributeValue{
		":a": num(int64(r.attempts)), ":t": str(store.FormatTime(r.at)), ":st": str(r.state),
		":rs": str(redact.Snippet(r.response, 4096)), ":old": str(po.NextCheck),
	}
	var remove []string
	if r.hash != "" {
		set += ", lastHash = :lh, hashChanges = :hc"
		vals[":lh"], vals[":hc"] = str(r.hash), num(int64(r.hashChanges))
	}
	if r.errText != "" {
		set += ", lastError = :e"
		vals[":e"] = str(redact.Snippet(r.errText, 512))
	} else {
		remove = append(remove, "lastError")
	}
	if r.outcome == "" {
		set += ", #nc = :n"
		vals[":n"] = str(store.FormatTime(r.nextCheck))
	} else {
		set += ", outcome = :o, finishedAt = :t"
		vals[":o"] = str(r.outcome)
		if r.hash != "" && r.outcome == OutcomeConfirmed {
			set += ", blockchainHash = :h"
			vals[":h"] = str(r.hash)
		}
		if p.Retention > 0 {
			set += ", expiresAt = :x"
			vals[":x"] = num(r.at.Add(p.Retention).Unix())
		}
		// Leaving the sparse index is what stops the tracking.
		remove = append(remove, "#sh", "#nc")
	}
	expr := set
	if len(remove) > 0 {
		expr += " REMOVE " + joinComma(remove)
	}
	names := map[string]string{"#nc": store.AttrPayoutNextCheck}
	if r.outcome != "" {
		names["#sh"] = store.AttrPayoutShard
	}
	_, err := p.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(p.Table),
		Key:                       key(store.PayoutKey(Provider, po.TransactionID)),
		UpdateExpression:          aws.String(expr),
		ConditionExpression:       aws.String("#nc = :old"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: vals,
	})
	if err == nil {
		return true, nil
	}
	if isConditionFailed(err) {
		return false, nil
	}
	return false, unavailable("record check", err)
}

func joinComma(xs []string) string {
	out := ""
	for i, x := range xs {
		if i > 0 {
			out += ", "
		}
		out += x
	}
	return out
}

// lease is the poller's lease (see package lease for why one): two runs at once would not
// publish twice (event ids are idempotency keys and the check records are conditional) but
// would double the calls to InstaXchange.
func (p *Poller) lease() lease.Lease {
	return lease.Lease{DB: p.DB, Table: p.Table, Key: LeaseKey, Now: p.Now}
}

func (p *Poller) cursor() lease.Cursor {
	return lease.Cursor{DB: p.DB, Table: p.Table, Key: CursorKey, Now: p.Now}
}

// Cursor reads the discovery cursor: the receivedAt of the newest payment event examined.
func (p *Poller) Cursor(ctx context.Context) (time.Time, bool, error) {
	return p.cursor().Get(ctx)
}
