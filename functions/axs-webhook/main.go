// Command axs-webhook is the Lambda behind GET and POST /webhooks/axs; it only wires.
package main

import (
	"github.com/payhooks/payhooks/shared/lambda/app"
	"github.com/payhooks/payhooks/shared/provider/axs"
)

func main() { app.RunWebhook("axs", axs.New) }
