package chainstatus

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/payhooks/payhooks/shared/support/httpapi"
	"github.com/payhooks/payhooks/shared/support/redact"
)

// DefaultBaseURL is where InstaXchange serves /utils/blockchain-status.
const DefaultBaseURL = "https://instaxchange.com"

// StatusPath is the documented endpoint: GET <base>/utils/blockchain-status?txId=<withdrawTxId>.
const StatusPath = "/utils/blockchain-status"

// maxBody bounds what one answer may make us read; a status answer is a few hundred bytes.
const maxBody = 64 << 10

// Client calls the blockchain-status endpoint. The endpoint is a public GET in the doc, so
// no credential is sent.
type Client struct {
	BaseURL string       // default DefaultBaseURL
	HTTP    *http.Client // default a client without its own timeout (callers pass a context deadline)
}

// apiName names the endpoint in an *httpapi.StatusError.
const apiName = "blockchain-status"

// Status is what one answer says, read tolerantly (the format is not published; see
// docs/providers.md#instaxchange). Hash is empty while the hash is not known, whatever the
// reason.
type Status struct {
	Hash          string
	State         string // the answer's status/state text, if any
	Confirmations *int64
	// Failure is set when the answer says the transfer failed on chain: a failed state
	// ("failed", "reverted", …), an error flag, or an error text naming a revert.
	Failure string
	// Response is the whole answer: the decoded JSON (emails and card numbers masked), or
	// the text of an answer that is not JSON, cut to 1 KiB.
	Response any
	// Malformed is set when a 2xx answer was not a JSON object; Note says what was wrong.
	Malformed bool
	Note      string
}

// Check asks for the blockchain status of one withdraw transaction. A nil error means the
// answer was read: 2xx (parsed tolerantly, never an error) or 404 (not known yet). Other
// statuses are an *httpapi.StatusError; transport failures are returned wrapped.
func (c *Client) Check(ctx context.Context, withdrawTxID string) (Status, error) {
	base := strings.TrimRight(c.BaseURL, "/")
	if base == "" {
		base = DefaultBaseURL
	}
	u := base + StatusPath + "?txId=" + url.QueryEscape(withdrawTxID)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return Status{}, fmt.Errorf("blockchain-status: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return Status{}, fmt.Errorf("blockchain-status: %w", err)
	}
	defer resp.Body.Close()
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return Status{State: "not_found", Response: textOrJSON(body)}, nil
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return Status{}, httpapi.NewStatusError(apiName, resp, body, time.Now())
	case rerr != nil:
		if ctx.Err() != nil {
			return Status{}, fmt.Errorf("blockchain-status: read answer: %w", rerr)
		}
		return Status{Malformed: true, Note: "answer cut short: " + rerr.Error()}, nil
	case len(body) > maxBody:
		return Status{Malformed: true, Note: "answer larger than 64 KiB"}, nil
	}
	return Parse(body), nil
}

// Field names a hash may appear under, in order of preference, matched without regard to
// case, at the top level or one level down under one of containers.
var (
	hashKeys   = []string{"blockchainHash", "hash", "txHash", "transactionHash"}
	stateKeys  = []string{"status", "state", "txStatus", "transactionStatus"}
	errorKeys  = []string{"error", "errorMessage", "errDescription", "reason", "revertReason", "message"}
	errorFlags = []string{"isError", "failed", "reverted"}
	containers = []string{"data", "result"}
)

// failedStates are the state words that mean the transfer failed on chain: terminal.
// Words an API uses for its own errors ("error", "fail" in JSend) are left out: a 200 that
// says the request failed says nothing about the chain.
var failedStates = map[string]bool{
	"failed": true, "failure": true, "reverted": true, "dropped": true, "cancelled": true, "canceled": true,
}

// Parse reads an answer body. It never fails: whatever it cannot read is "not yet known",
// flagged Malformed when the body is not a JSON object.
func Parse(body []byte) Status {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return Status{Malformed: true, Note: "not JSON", Response: redact.Snippet(string(body), 1024)}
	}
	if dec.More() {
		return Status{Malformed: true, Note: "trailing data after the JSON value", Response: redact.Snippet(string(body), 1024)}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		// A bare string or number could be anything (a hash, a status); guessing would risk
		// publishing a confirmation that is not one.
		return Status{Malformed: true, Note: "not a JSON object", Response: redact.Value("", v)}
	}
	levels := []map[string]any{obj}
	for _, c := range containers {
		if inner, ok := lookup(obj, c).(map[string]any); ok {
			levels = append(levels, inner)
		}
	}
	var st Status
	for _, m := range levels {
		if st.Hash == "" {
			for _, k := range hashKeys {
				if h, ok := lookup(m, k).(string); ok && plausibleHash(h) {
					st.Hash = strings.TrimSpace(h)
					break
				}
			}
		}
		if st.State == "" {
			for _, k := range stateKeys {
				if s, ok := lookup(m, k).(string); ok && strings.TrimSpace(s) != "" {
					st.State = redact.Snippet(strings.TrimSpace(s), 64)
					break
				}
			}
		}
		if st.Confirmations == nil {
			st.Confirmations = count(lookup(m, "confirmations"))
		}
		if st.Failure == "" {
			st.Failure = failure(m)
		}
	}
	if st.Failure == "" && failedStates[strings.ToLower(st.State)] {
		st.Failure = st.State
	}
	st.Response = redact.Value("", obj)
	return st
}

// failure reads an explicit failure from one level of an answer: a true error flag
// (true, 1 or "1"), or an error text naming a revert. A bare error text is not enough: an
// API error ("rate limited", "not found") answered with 200 says nothing about the chain.
func failure(m map[string]any) string {
	for _, k := range errorKeys {
		if s, ok := lookup(m, k).(string); ok && strings.Contains(strings.ToLower(s), "revert") {
			return redact.Snippet(strings.TrimSpace(s), 120)
		}
	}
	for _, k := range errorFlags {
		switch v := lookup(m, k).(type) {
		case bool:
			if v {
				return k
			}
		case string:
			if v == "1" || strings.EqualFold(v, "true") {
				return k
			}
		case json.Number:
			if v.String() == "1" {
				return k
			}
		}
	}
	return ""
}

// lookup finds key in m ignoring case, the exact spelling first.
func lookup(m map[string]any, key string) any {
	if v, ok := m[key]; ok {
		return v
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return nil
}

// plausibleHash accepts the characters of hex (with or without 0x) and base58 transaction
// ids, 16 to 128 long, so that placeholders such as "", "null", "pending" or "N/A" are
// never mistaken for a hash.
func plausibleHash(h string) bool {
	h = strings.TrimSpace(h)
	if len(h) < 16 || len(h) > 128 {
		return false
	}
	for _, r := range h {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// count reads a non-negative whole number given as a JSON number or a numeric string.
func count(v any) *int64 {
	var text string
	switch x := v.(type) {
	case json.Number:
		text = x.String()
	case string:
		text = strings.TrimSpace(x)
	default:
		return nil
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil || n < 0 {
		return nil
	}
	return &n
}

func textOrJSON(body []byte) any {
	if len(body) == 0 || len(body) > maxBody {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err == nil {
		return redact.Value("", v)
	}
	return redact.Snippet(string(body), 1024)
}
