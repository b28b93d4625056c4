// Package e2e holds the end-to-end tests of the webhook pipeline: real handler values, as
// the Lambdas and the local gateway run them, against DynamoDB Local and moto.
package e2e
