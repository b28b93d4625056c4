// Command cardorders-webhook is the Lambda behind POST /webhooks/cardorders; it only wires.
package main

import (
	"github.com/payhooks/payhooks/shared/lambda/app"
	"github.com/payhooks/payhooks/shared/provider/cardorders"
)

func main() { app.RunWebhook("cardorders", cardorders.New) }
