// Command outbox-sweeper is the scheduled Lambda that publishes stored but unpublished
// events; it only wires.
package main

import "github.com/payhooks/payhooks/shared/lambda/sweeperfn"

func main() { sweeperfn.Run() }
