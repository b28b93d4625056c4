// Command instaxchange-chain-status is the scheduled Lambda that follows InstaXchange
// payouts on chain and publishes payout.confirmed / payout.unconfirmed; it only wires.
package main

import "github.com/payhooks/payhooks/shared/lambda/chainstatusfn"

func main() { chainstatusfn.Run() }
