package event

// Type is what happened, as `<object>.<outcome>`; consumers route on it (it is also the
// SQS message attribute `type`). README's "Event types" table lists exactly these
// constants (a test checks it), so adding a type is one line here and one row there.
type Type string

// TypeUnsupported marks a well-formed, authentic event payhooks has no mapping for: it is
// stored for inspection but never published.
const TypeUnsupported Type = "event.unsupported"

// Payments (InstaXchange, AXpay, AXS).
const (
	TypePaymentPending   Type = "payment.pending"
	TypePaymentSucceeded Type = "payment.succeeded"
	TypePaymentFailed    Type = "payment.failed"
	TypePaymentCancelled Type = "payment.cancelled"
	TypePaymentExpired   Type = "payment.expired"
	TypePaymentRefunded  Type = "payment.refunded"
)

// Payouts: InstaXchange's followed on chain, CXTN's completed payments.
const (
	TypePayoutConfirmed   Type = "payout.confirmed"
	TypePayoutUnconfirmed Type = "payout.unconfirmed"
	TypePayoutFailed      Type = "payout.failed"
	TypePayoutSucceeded   Type = "payout.succeeded"
)

// Card orders (cardorders): a new card, or a top-up of an existing one.
const (
	TypeCardIssuePending          Type = "card_issue.pending"
	TypeCardIssueSucceeded        Type = "card_issue.succeeded"
	TypeCardIssueFailed           Type = "card_issue.failed"
	TypeCardIssueCancelled        Type = "card_issue.cancelled"
	TypeCardIssueRefundPending    Type = "card_issue.refund_pending"
	TypeCardRechargePending       Type = "card_recharge.pending"
	TypeCardRechargeSucceeded     Type = "card_recharge.succeeded"
	TypeCardRechargeFailed        Type = "card_recharge.failed"
	TypeCardRechargeCancelled     Type = "card_recharge.cancelled"
	TypeCardRechargeRefundPending Type = "card_recharge.refund_pending"
)

// Accounts and trades (CXTN).
const (
	TypeAccountCredited Type = "account.credited"
	TypeAccountDebited  Type = "account.debited"
	TypeTradeSettled    Type = "trade.settled"
)
