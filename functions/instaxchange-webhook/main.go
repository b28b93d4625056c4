// Command instaxchange-webhook is the Lambda behind POST /webhooks/instaxchange; it only wires.
package main

import (
	"github.com/payhooks/payhooks/shared/lambda/app"
	"github.com/payhooks/payhooks/shared/provider/instaxchange"
)

func main() { app.RunWebhook("instaxchange", instaxchange.New) }
