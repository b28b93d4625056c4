package store

// Attributes of the `payouts` sparse index (see TableInput). An item is in the index only
// while it carries AttrPayoutShard: a poller removes that attribute once a payout needs no
// more checks, and the item drops out of the index without being deleted.
const (
	AttrPayoutShard     = attrPayout
	AttrPayoutNextCheck = "payoutNextCheck"
)

// PayoutKeyPrefix starts the key of a payout tracking item: PAYOUT#<provider>#<objectRef>.
const PayoutKeyPrefix = "PAYOUT#"

// PayoutKey is the key of the tracking item of one provider object's payout.
func PayoutKey(provider, objectRef string) string {
	return PayoutKeyPrefix + provider + "#" + objectRef
}
