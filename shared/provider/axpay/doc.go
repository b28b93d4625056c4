// Package axpay is the AXpay for Business provider: it authenticates webhook deliveries by
// the app's webhook API key, normalizes AXpay transactions into payment events, and calls
// AXpay's transaction-list API (signed with a dynamic API key) for reconciliation.
//
// Decisions where AXpay's documentation is silent (see shared/providers/NOTES.md):
//
//   - Webhook authentication: the per-app webhook API key is read from the `api-key`
//     header, else `x-api-key`, else `Authorization: Bearer <key>`, and compared in
//     constant time against every configured key (active and previous, for rotation).
//   - Outcome: AXpay calls the webhook "once a transaction is completed" and documents no
//     transaction status field, so a transaction that arrives by webhook or is listed by the
//     API is treated as a completed payment (payment.succeeded) unless it carries an
//     explicit `status` that says otherwise: FAILED → payment.failed, CANCELLED →
//     payment.cancelled, EXPIRED → payment.expired, PENDING/PROCESSING → payment.pending;
//     a status we do not recognise is stored as event.unsupported rather than guessed.
//     `webhookStatus` (COMPLETED/FAILED) describes the delivery of the webhook to us, not the
//     payment, and never changes the outcome.
//   - Identity: the event id is `axpay:<transaction id>` with no status in it, so the
//     webhook and the reconciliation poll of one transaction dedupe to one event. A later
//     status change of the same transaction (if AXpay ever sent one) would therefore be
//     deduplicated away; confirm with AXpay that transactions are immutable once completed.
//   - The transaction id is the first present of `id`, `_id` (also Mongo's {"$oid": ...})
//     and `transactionId`. `createdAt` is Unix milliseconds (a number or numeric string);
//     an RFC 3339 string is accepted too, since the list API's exact shape is unpublished.
//   - API key: see apikey.go; the list response shape: see client.go.
package axpay
