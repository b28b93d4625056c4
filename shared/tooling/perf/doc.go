// Package perf holds payhooks' performance measurements; it has no production code.
//
//   - End to end (bench_test.go): the webhook handler values the Lambda functions run
//     (app.Deps.Webhook), fed API Gateway events, against DynamoDB Local and moto, next to
//     an I/O floor that makes only the conditional PutItem and the SendMessage per event
//     with the same clients. Each reports events/s and p50/p99 latency. A variant goes
//     through the local HTTP gateway.
//   - Cold start (coldstart_test.go, only with PAYHOOKS_COLDSTART=1): builds every
//     function's stripped bootstrap, runs it against the Runtime API stand-in in
//     runtimeapi, and reports the median time from process start to the first posted
//     response, peak RSS and binary sizes.
//
// The local stack is started only when benchmarks or the cold start run, so a plain
// `go test ./...` stays quick. `make bench` runs everything; BENCHMARKS.md records results.
package perf
