// Command outbox-publisher is the Lambda the table's stream feeds: it publishes new events.
package main

import "github.com/payhooks/payhooks/shared/lambda/publisherfn"

func main() { publisherfn.Run() }
