package store

import (
	"errors"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The one set of DynamoDB attribute helpers: every package that reads or writes items of
// the table (the store, the pollers' leases and tracking items) builds and reads
// attributes with these.

// Key is the primary key of the item `pk`.
func Key(pk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": S(pk)}
}

// S is a string attribute.
func S(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

// N is a number attribute.
func N(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

// Bool is a boolean attribute.
func Bool(v bool) types.AttributeValue { return &types.AttributeValueMemberBOOL{Value: v} }

// GetS reads a string attribute; "" when absent or of another type.
func GetS(item map[string]types.AttributeValue, k string) string {
	if v, ok := item[k].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// GetN reads an integer attribute; 0 when absent or not an integer.
func GetN(item map[string]types.AttributeValue, k string) int64 {
	if v, ok := item[k].(*types.AttributeValueMemberN); ok {
		n, _ := strconv.ParseInt(v.Value, 10, 64)
		return n
	}
	return 0
}

// GetBool reads a boolean attribute; false when absent.
func GetBool(item map[string]types.AttributeValue, k string) bool {
	v, ok := item[k].(*types.AttributeValueMemberBOOL)
	return ok && v.Value
}

// GetT reads a time written by FormatTime; the zero time when absent.
func GetT(item map[string]types.AttributeValue, k string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, GetS(item, k))
	return t
}

// IsConditionFailed reports a conditional write that found its condition false.
func IsConditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

const timeLayout = "2006-01-02T15:04:05.000000000Z07:00" // fixed width, so string order is time order

// FormatTime renders t for the table's sortable time attributes.
func FormatTime(t time.Time) string { return t.UTC().Format(timeLayout) }
