// Command axpay-webhook is the Lambda behind POST /webhooks/axpay; it only wires.
package main

import (
	"github.com/payhooks/payhooks/shared/lambda/app"
	"github.com/payhooks/payhooks/shared/provider/axpay"
)

func main() { app.RunWebhook("axpay", axpay.New) }
