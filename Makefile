# payhooks — two commands: `make run` (the whole thing, locally) and `make test`.
# Everything they need is installed by the targets themselves, at pinned versions.

SHELL := /bin/bash
GO ?= go
GOARCH_LAMBDA ?= arm64
# Lambda build flags: static, stripped, no RPC shim (provided.al2023 needs none).
# TRACING=xray (default) links the X-Ray SDK for DynamoDB/SQS subsegments; TRACING=off builds
# without it (-tags payhooks_notrace): ≈ 8 MB smaller bootstraps, Lambda's own trace remains.
TRACING ?= xray
comma := ,
LAMBDA_TAGS := lambda.norpc$(if $(filter off,$(TRACING)),$(comma)payhooks_notrace)
LAMBDA_FLAGS = -trimpath -tags $(LAMBDA_TAGS) -ldflags "-s -w -buildid="
FUZZTIME ?= 5s
BENCHCOUNT ?= 6
STATICCHECK_VERSION := 2025.1.1

FUNCTIONS := $(notdir $(wildcard functions/*))

.PHONY: run test lint tools build bench bench-providers bench-e2e bench-coldstart bench-size fuzz load clean generate events invoke help

## run: start DynamoDB Local, moto and the local gateway on loopback (Ctrl-C stops all)
run: tools
	$(GO) run ./cmd/payhooks run

## invoke: FN=<LogicalId> EVENT=events/<file>.json: FN built for this machine, run under AWS's Runtime Interface Emulator against `make run`'s stack
invoke:
	@test -n "$(FN)" -a -n "$(EVENT)" || { echo "usage: make invoke FN=<LogicalId> EVENT=events/<file>.json   (with make run up)"; exit 2; }
	@$(MAKE) --no-print-directory build-$(FN) ARTIFACTS_DIR=$(CURDIR)/build/host/$(FN) GOARCH_LAMBDA=$$($(GO) env GOARCH)
	@$(GO) run ./cmd/payhooks invoke --function $(FN) --bootstrap build/host/$(FN)/bootstrap $(EVENT)

## help: this list
help:
	@sed -n 's/^## \([a-z0-9-]*\): /\1\t/p' $(MAKEFILE_LIST) | awk -F'\t' '{printf "  make %-16s %s\n", $$1, $$2}'

## test: every test, against real DynamoDB Local and moto started on free ports
test: tools
	$(GO) vet ./...
	$(MAKE) --no-print-directory fuzz FUZZTIME=2000x
	$(GO) test -count=1 -timeout 12m ./...

## lint: gofmt, go vet, cfn-lint
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	cfn-lint template.yaml

## tools: the pinned DynamoDB Local jar and jose (npm ci in tools/)
tools: tools/node_modules/.package-lock.json
tools/node_modules/.package-lock.json: tools/package.json tools/package-lock.json
	cd tools && npm ci --ignore-scripts --no-audit --no-fund

## build: every Lambda bootstrap for $(GOARCH_LAMBDA) under build/<function>/bootstrap
build:
	@for f in $(FUNCTIONS); do \
		CGO_ENABLED=0 GOOS=linux GOARCH=$(GOARCH_LAMBDA) $(GO) build $(LAMBDA_FLAGS) -o build/$$f/bootstrap ./functions/$$f || exit 1; \
		printf '%-32s %s bytes\n' $$f $$(stat -c %s build/$$f/bootstrap); \
	done

## fuzz: each fuzz target for FUZZTIME
fuzz:
	@for pkg in $$($(GO) list ./shared/...); do \
		for t in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
			echo "fuzz $$pkg $$t"; \
			$(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) $$pkg > /tmp/payhooks-fuzz.log 2>&1 || { cat /tmp/payhooks-fuzz.log; exit 1; }; \
		done; \
	done

## bench: every benchmark and measurement (providers, end to end, cold start, sizes); see BENCHMARKS.md
bench: bench-providers bench-e2e bench-coldstart bench-size

# Only packages that have benchmarks: others may start the local stack in TestMain.
BENCH_PKGS = $$(grep -rl --include='*_test.go' '^func Benchmark' shared | grep -v '^shared/tooling/perf/' | xargs -n1 dirname | sort -u | sed 's|^|./|')
E2E_BENCHTIME ?= 300x
COLDSTART_N ?= 20
COLDSTART_MODE ?= init
SIZE_TARGET := 12582912

## bench-providers: provider CPU benchmarks (benchstat-friendly, bench.out) and their ratios
bench-providers:
	set -o pipefail; $(GO) test -run '^$$' -bench . -benchmem -count $(BENCHCOUNT) $(BENCH_PKGS) | tee bench.out
	@awk '/^pkg:/ {pkg=$$2; sub(".*/", "", pkg)} \
		/^Benchmark/ {name=$$1; sub("-[0-9]+$$", "", name); sum[pkg" "name]+=$$3; cnt[pkg" "name]++} \
		END {print "\nratios (mean ns/op):"; \
		for (k in sum) {split(k, a, " "); if (a[2]=="BenchmarkVerifyNormalize") { \
			r=a[1]" BenchmarkUnmarshalReference"; d=a[1]" BenchmarkDecryptFloor"; \
			if (cnt[r]) printf "  %-14s VerifyNormalize / UnmarshalReference = %.2f\n", a[1], (sum[k]/cnt[k])/(sum[r]/cnt[r]); \
			if (cnt[d]) printf "  %-14s VerifyNormalize / DecryptFloor       = %.2f\n", a[1], (sum[k]/cnt[k])/(sum[d]/cnt[d]); }}}' bench.out

## bench-e2e: webhook ack vs the PutItem+SendMessage floor, and stored-to-queue latency at 20 webhooks/s, on DynamoDB Local and moto
bench-e2e: tools
	set -o pipefail; $(GO) test -run '^$$' -bench '^Benchmark(E2E|Floor|StoredToQueue)$$' -benchmem -benchtime $(E2E_BENCHTIME) -count 1 ./shared/tooling/perf/ | tee bench-e2e.out
	@awk '/^Benchmark/ {n=$$1; sub("-[0-9]+$$", "", n); for (i=3; i<NF; i++) v[n" "$$(i+1)]=$$i} \
		END {printf "webhook ack throughput / PutItem+SendMessage floor: %.2f\n", v["BenchmarkE2E events/s"]/v["BenchmarkFloor events/s"]; \
		printf "stored-to-queue latency p50/p99: %.1f ms / %.1f ms\n", v["BenchmarkStoredToQueue s2q-p50-ms"], v["BenchmarkStoredToQueue s2q-p99-ms"]}' bench-e2e.out

## bench-coldstart: real bootstraps against a Runtime API stand-in and under AWS's Runtime Interface Emulator (medians of COLDSTART_N starts)
bench-coldstart:
	set -o pipefail; PAYHOOKS_COLDSTART=1 PAYHOOKS_COLDSTART_N=$(COLDSTART_N) PAYHOOKS_COLDSTART_MODE=$(COLDSTART_MODE) \
		$(GO) test -count=1 -v -timeout 15m -run '^TestColdStart$$' ./shared/tooling/perf/ | grep -v '^[=-]-- \|^PASS\|^ok'

## bench-size: stripped bootstrap sizes for arm64 and amd64 against the 12 MiB target
bench-size:
	@for arch in arm64 amd64; do for f in $(FUNCTIONS); do \
		CGO_ENABLED=0 GOOS=linux GOARCH=$$arch $(GO) build $(LAMBDA_FLAGS) -o build/size/$$arch/$$f/bootstrap ./functions/$$f || exit 1; \
		sz=$$(stat -c %s build/size/$$arch/$$f/bootstrap); \
		printf '%-6s %-24s %9s bytes  %5.1f MiB  %4d%% of 12 MiB\n' $$arch $$f $$sz $$(echo "$$sz/1048576" | bc -l) $$((sz*100/$(SIZE_TARGET))); \
	done; done

## load: bounded loopback load over every provider (20% duplicates, 5% forgeries) + invariant check
LOAD_REQUESTS ?= 2000
LOAD_CONCURRENCY ?= 16
load: tools
	$(GO) run ./cmd/payhooks load --requests $(LOAD_REQUESTS) --concurrency $(LOAD_CONCURRENCY)

## generate: the local tools' provider list (shared/tooling/registry/providers_gen.go) from template.yaml and functions/*/main.go
generate:
	$(GO) generate ./shared/tooling/registry/

## events: regenerate events/ from the providers' signing code and the store's own item (deterministic: a rerun changes nothing)
events: generate
	PAYHOOKS_UPDATE_EVENTS=1 $(GO) test -count=1 -run TestEventsFiles ./shared/tooling/registry/ ./shared/tooling/streampoller/

## clean: remove build outputs
clean:
	rm -rf build .aws-sam bench.out bench-e2e.out

# sam build (BuildMethod: makefile) calls build-<LogicalId> with ARTIFACTS_DIR set. One
# pattern rule builds every function: the main package is the function's Metadata.GoPackage
# in template.yaml, so a new function needs no line here (samtemplate's
# TestEveryFunctionIsBuildableAndHasEvents runs this rule for every function).
build-%:
	@pkg=$$(awk -v id='$*' '/^  [A-Za-z0-9]+:[ \t]*$$/ {cur = $$1; sub(/:$$/, "", cur)} cur == id && $$1 == "GoPackage:" {print $$2; exit}' template.yaml); \
	test -n "$$pkg" || { echo "template.yaml: no function $* with Metadata.GoPackage" >&2; exit 2; }; \
	CGO_ENABLED=0 GOOS=linux GOARCH=$(GOARCH_LAMBDA) $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap $$pkg
