// Command outbox-sweeper is the scheduled Lambda that publishes stored but unpublished
// events; it only wires.
package main

import "github.com/payhooks/payhooks/shared/app"

func main() { app.RunOutboxSweeper() }
