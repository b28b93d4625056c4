// Package secrets loads provider secrets (JSON documents named payhooks/<provider>) from
// AWS Secrets Manager or, for local work, from a file, caches them briefly, and compares
// secret values in constant time.
package secrets

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// Prefix starts every provider's secret name; template.yaml's SecretPrefix says the same.
const Prefix = "payhooks/"

// Name is the name of a provider's secret document: payhooks/<provider>.
func Name(provider string) string { return Prefix + provider }

// ErrUnavailable means the secret could not be read now; the request should be retried
// by the provider (503), not rejected.
var ErrUnavailable = errors.New("secret unavailable")

// Source returns a secret's JSON document by name.
type Source interface {
	Secret(ctx context.Context, name string) ([]byte, error)
}

// SecretsManagerAPI is the part of the Secrets Manager client payhooks uses.
type SecretsManagerAPI interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// SecretsManager reads secrets from AWS Secrets Manager (or moto locally).
type SecretsManager struct{ Client SecretsManagerAPI }

func (s SecretsManager) Secret(ctx context.Context, name string) ([]byte, error) {
	out, err := s.Client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(name)})
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrUnavailable, name, err)
	}
	if out.SecretString != nil {
		return []byte(*out.SecretString), nil
	}
	return out.SecretBinary, nil
}

// File reads secrets from one JSON file mapping names to documents, for local runs:
// {"payhooks/instaxchange": {"webhookSecrets": ["..."]}, ...}.
type File struct{ Path string }

func (f File) Secret(_ context.Context, name string) ([]byte, error) {
	b, err := os.ReadFile(f.Path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return nil, fmt.Errorf("%w: %s is not JSON: %w", ErrUnavailable, f.Path, err)
	}
	doc, ok := all[name]
	if !ok {
		return nil, fmt.Errorf("%w: %s not in %s", ErrUnavailable, name, f.Path)
	}
	return doc, nil
}

// Static serves fixed documents, for tests.
type Static map[string]string

func (s Static) Secret(_ context.Context, name string) ([]byte, error) {
	doc, ok := s[name]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrUnavailable, name)
	}
	return []byte(doc), nil
}

// Cached keeps each secret for TTL so that a warm Lambda does not call Secrets Manager per
// request, yet picks up a rotation within minutes. Failed reads are not cached.
type Cached struct {
	Source Source
	TTL    time.Duration
	Now    func() time.Time

	mu      sync.Mutex
	entries map[string]cacheEntry
}

type cacheEntry struct {
	doc     []byte
	expires time.Time
}

// NewCached wraps src with a TTL cache.
func NewCached(src Source, ttl time.Duration) *Cached {
	return &Cached{Source: src, TTL: ttl}
}

func (c *Cached) Secret(ctx context.Context, name string) ([]byte, error) {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	c.mu.Lock()
	if e, ok := c.entries[name]; ok && now().Before(e.expires) {
		c.mu.Unlock()
		return e.doc, nil
	}
	c.mu.Unlock()
	doc, err := c.Source.Secret(ctx, name)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.entries == nil {
		c.entries = map[string]cacheEntry{}
	}
	c.entries[name] = cacheEntry{doc: doc, expires: now().Add(c.TTL)}
	c.mu.Unlock()
	return doc, nil
}

// Doc is one named secret decoded into T. Made with NewDoc, it decodes a document once
// and reuses the result for as long as the Source hands back the same bytes (a Cached
// source does until its TTL ends), so the request path pays no JSON decoding.
type Doc[T any] struct {
	Source Source
	Name   string
	memo   *memo[T]
}

type memo[T any] struct {
	mu  sync.Mutex
	raw []byte
	val T
}

// NewDoc returns a Doc that remembers its last decoded value.
func NewDoc[T any](src Source, name string) Doc[T] {
	return Doc[T]{Source: src, Name: name, memo: &memo[T]{}}
}

// Load fetches and decodes the secret. A malformed document is reported as unavailable:
// it is our configuration, not the caller's input, that is wrong. Callers must treat the
// value as read-only: it may be shared with other requests.
func (d Doc[T]) Load(ctx context.Context) (T, error) {
	var v T
	b, err := d.Source.Secret(ctx, d.Name)
	if err != nil {
		return v, err
	}
	if d.memo != nil {
		d.memo.mu.Lock()
		defer d.memo.mu.Unlock()
		if len(b) > 0 && len(d.memo.raw) == len(b) && &d.memo.raw[0] == &b[0] {
			return d.memo.val, nil
		}
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return v, fmt.Errorf("%w: %s is not valid JSON for its provider: %v", ErrUnavailable, d.Name, jsonErrorKind(err))
	}
	if d.memo != nil {
		d.memo.raw, d.memo.val = b, v
	}
	return v, nil
}

// jsonErrorKind keeps the secret's contents out of error messages.
func jsonErrorKind(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at offset %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q has the wrong type", te.Field)
	default:
		return "malformed"
	}
}

// MatchAny reports whether candidate equals one of the active values. Every value is
// compared in constant time and none is skipped, so timing reveals neither which secret
// matched nor how much of it.
func MatchAny(candidate string, active []string) bool {
	match := 0
	for _, a := range active {
		if a == "" {
			continue
		}
		match |= subtle.ConstantTimeCompare([]byte(candidate), []byte(a))
	}
	return match == 1
}
