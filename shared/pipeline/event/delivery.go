package event

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// DeliveryOverhead bounds what WithDelivery adds to a stored payload (the sequence and a
// conflict naming an id of at most 1024 bytes, escaped), so size bounds on the stored
// event leave room for it in the SQS message.
const DeliveryOverhead = 160 + 6*1024

// WithDelivery is the published body: the stored payload, byte for byte, with the
// publisher's per-object sequence and conflict appended as the last members. Appending
// instead of re-encoding keeps `raw` and `details` exactly as they were stored.
func WithDelivery(payload []byte, seq int64, c *Conflict) []byte {
	end := bytes.LastIndexByte(payload, '}')
	if end < 0 || (seq == 0 && c == nil) {
		return payload
	}
	out := make([]byte, 0, len(payload)+64)
	out = append(out, payload[:end]...)
	if seq > 0 {
		out = append(out, `,"sequence":`...)
		out = strconv.AppendInt(out, seq, 10)
	}
	if c != nil {
		b, _ := json.Marshal(c)
		out = append(out, `,"conflict":`...)
		out = append(out, b...)
	}
	return append(out, payload[end:]...)
}
