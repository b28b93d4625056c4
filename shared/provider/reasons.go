package provider

// Reason is the one vocabulary of refusals and failures: a stable snake_case token that is
// answered to the caller as {"error": <reason>}, logged as `reason` and used as the metric
// dimension. README's "Reasons" table lists exactly these constants (a test checks it), so
// adding a reason is one line here and one row there.
type Reason string

// Reasons of a provider's Verify or Normalize (4xx).
const (
	ReasonMissingSignature     Reason = "missing_signature"     // 401
	ReasonSignatureMismatch    Reason = "signature_mismatch"    // 401
	ReasonMissingAPIKey        Reason = "missing_api_key"       // 401
	ReasonAPIKeyMismatch       Reason = "api_key_mismatch"      // 401
	ReasonMissingToken         Reason = "missing_token"         // 401
	ReasonTokenMismatch        Reason = "token_mismatch"        // 401
	ReasonDecryptFailed        Reason = "decrypt_failed"        // 401
	ReasonUnsupportedAlgorithm Reason = "unsupported_algorithm" // 401
	ReasonInvalidP2S           Reason = "invalid_p2s"           // 401
	ReasonInvalidP2C           Reason = "invalid_p2c"           // 401
	ReasonP2CTooLarge          Reason = "p2c_too_large"         // 401
	ReasonSourceIP             Reason = "source_ip_not_allowed" // 403
	ReasonBadJWE               Reason = "bad_jwe"               // 400
	ReasonInflatedTooLarge     Reason = "inflated_too_large"    // 400: a zip DEF plaintext past its bound
	ReasonBadJSON              Reason = "bad_json"              // 400
	ReasonDuplicateMember      Reason = "duplicate_member"      // 400
	ReasonMissingField         Reason = "missing_field"         // 400
	ReasonBadField             Reason = "bad_field"             // 400
)

// Reasons of the HTTP edge (shared/pipeline/webhook).
const (
	ReasonTooLarge          Reason = "too_large"          // 413, before any decoding
	ReasonBadBase64         Reason = "bad_base64"         // 400
	ReasonBadEncoding       Reason = "bad_encoding"       // 400: the payload is not UTF-8
	ReasonUnavailable       Reason = "unavailable"        // 503 body: a dependency failed, retry
	ReasonInternal          Reason = "internal"           // 500 body: our bug (never the sender's input), retry
	ReasonPanic             Reason = "panic"              // logged and counted with internal
	ReasonItemInvalid       Reason = "item_invalid"       // logged and counted with internal: DynamoDB refused the item
	ReasonEventUnfit        Reason = "event_unfit"        // logged and counted with internal: a field has no bound
	ReasonUnexpected        Reason = "unexpected_error"   // logged and counted with internal: any other error
	ReasonSecretUnavailable Reason = "secret_unavailable" // logged and counted with unavailable
	ReasonDependencyFailed  Reason = "dependency_failed"  // logged and counted with unavailable
	ReasonStoreFailed       Reason = "store_failed"       // logged and counted with unavailable
	ReasonPublishFailed     Reason = "publish_failed"     // logged and counted with unavailable
)
