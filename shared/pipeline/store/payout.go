package store

// Attributes of the `payouts` sparse index (see TableInput). An item is in the index only
// while it carries AttrPayoutShard: a poller removes that attribute once a payout needs no
// more checks, and the item drops out of the index without being deleted.
//
// AttrPayoutShard is `<provider>#<shard>` (PayoutShardKey), so a provider's payouts spread
// over Shards partitions of the index like the events do: every check rewrites
// payoutNextCheck, and one key would carry all of those writes.
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

// PayoutShardKey is the payouts-index hash key of one object's tracking item.
func PayoutShardKey(provider, objectRef string) string { return provider + "#" + shard(objectRef) }

// PayoutShardKeys are the hash keys a reader of a provider's payouts queries: its Shards
// keys, then the provider's name alone, the single key tracking items were written under
// before the index was sharded. Such items stay readable until they finish (none is
// written any more), so no backfill is needed.
func PayoutShardKeys(provider string) []string {
	keys := make([]string, 0, Shards+1)
	for i := range Shards {
		keys = append(keys, shardKey(provider+"#", i))
	}
	return append(keys, provider)
}
