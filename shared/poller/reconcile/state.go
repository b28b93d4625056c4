package reconcile

import (
	"context"
	"time"

	"github.com/payhooks/payhooks/shared/poller/lease"
	"github.com/payhooks/payhooks/shared/provider/axpay"
)

// DB is the part of DynamoDB the poller uses: no DeleteItem, so the function's policy can
// stay at PutItem/GetItem/UpdateItem.
type DB interface {
	lease.DB
}

// Keys of the poller's items.
const (
	CursorKey = "CURSOR#" + axpay.Name
	LeaseKey  = "LEASE#" + axpay.Name
)

func (p *Poller) lease() lease.Lease {
	return lease.Lease{DB: p.DB, Table: p.Table, Key: LeaseKey, Now: p.Now}
}

func (p *Poller) cursor() lease.Cursor {
	return lease.Cursor{DB: p.DB, Table: p.Table, Key: CursorKey, Now: p.Now}
}

// Cursor reads the cursor: the createdAt of the newest transaction fully processed.
func (p *Poller) Cursor(ctx context.Context) (time.Time, bool, error) {
	return p.cursor().Get(ctx)
}
