// Command axpay-reconcile is the scheduled Lambda that polls AXpay's transaction list for
// payments whose webhook never reached us; it only wires.
package main

import "github.com/payhooks/payhooks/shared/lambda/reconcilefn"

func main() { reconcilefn.Run() }
