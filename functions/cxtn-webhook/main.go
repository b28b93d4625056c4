// Command cxtn-webhook is the Lambda behind POST /webhooks/cxtn; it only wires.
package main

import (
	"github.com/payhooks/payhooks/shared/lambda/app"
	"github.com/payhooks/payhooks/shared/provider/cxtn"
)

func main() { app.RunWebhook("cxtn", cxtn.New) }
