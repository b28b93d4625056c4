// Package publisherfn wires the publisher function: the table's stream, through its event
// source mapping, invokes the publisher with batches of new event items.
package publisherfn

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/payhooks/payhooks/shared/lambda/app"
	"github.com/payhooks/payhooks/shared/lambda/app/publishing"
)

// Run is the whole main of the publisher function.
func Run() {
	d := app.Must(publishing.FromEnv(context.Background()))
	lambda.Start(d.Publisher.HandleStream)
}
