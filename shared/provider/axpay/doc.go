// Package axpay is the AXpay for Business provider: it authenticates webhook deliveries by
// the app's webhook API key, normalizes AXpay transactions into payment events, and calls
// AXpay's transaction-list API (signed with a dynamic API key) for reconciliation.
//
// Decisions where AXpay's documentation is silent (docs/providers.md#axpay):
//
//   - Webhook authentication: the per-app webhook API key is read from the `api-key`
//     header, else `x-api-key`, else `Authorization: Bearer <key>`, and compared in
//     constant time against every configured key (active and previous, for rotation).
//   - Outcome: AXpay calls the webhook "once a transaction is completed" and documents no
//     transaction status field, so a transaction that arrives by webhook or is listed by the
//     API is a completed payment (payment.succeeded) unless it carries an explicit `status`
//     that says otherwise. The table `statuses` in axpay.go maps every status we accept
//     (matched ignoring case, with `-` and ` ` read as `_`); a status not in it is stored as
//     event.unsupported rather than guessed. `webhookStatus` (PENDING/COMPLETED/FAILED)
//     describes the delivery of the webhook to us, not the payment, and never changes the
//     outcome.
//   - Identity: a completed transaction's event id is `axpay:<transaction id>`, so the
//     webhook and the reconciliation poll of it dedupe to one event. Any other outcome adds
//     its state (`axpay:<id>:pending`, `:failed`, `:cancelled`, `:expired`; an unsupported
//     status adds the status in lower case), so that a pending row seen by the poller never
//     swallows the later completion as a duplicate.
//   - The transaction id is the first present of `id`, `_id` (also Mongo's {"$oid": ...})
//     and `transactionId`. `createdAt` is Unix milliseconds (a number or numeric string);
//     an RFC 3339 string is accepted too, since the list API's exact shape is unpublished.
//   - API key: see apikey.go; the list response shape: see client.go.
package axpay
