# soterd build, run and test targets. Everything needs only the Go toolchain.

GO        ?= go
BIN       := bin
DATADIR   ?=
FUZZTIME  ?= 2s
BENCHTIME ?= 1s
PKGS      := ./...

.PHONY: all build run test fmt vet race fuzz bench install clean

all: build

build:
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/ ./cmd/...

# Starts a simnet node with its default data dir (~/.soterd/data/simnet) that
# mines to a key it creates there, so the DAG grows at once.
run: build
	./$(BIN)/soterd --simnet --generate $(if $(DATADIR),--datadir=$(DATADIR),)

# The full test suite: formatting, vet, race-enabled tests and a short run of
# every fuzz target.
test: fmt vet race fuzz

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

race:
	$(GO) test -race -timeout 25m $(PKGS)

# Runs every Fuzz target for FUZZTIME (make fuzz FUZZTIME=1m for a long run).
fuzz:
	@FUZZTIME=$(FUZZTIME) GO=$(GO) sh scripts/fuzz.sh

# The long variants of the multi-process tests in integration/: a minute of
# mining in the mesh and the transaction load, a 20,000-block DAG for the
# late joiner and the kill test.
.PHONY: integration-long
integration-long:
	SOTERD_LONG=1 $(GO) test -race -count=1 -timeout 60m -v ./integration

bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) $(PKGS)

install:
	$(GO) install ./cmd/...

clean:
	rm -rf $(BIN)
	$(GO) clean -testcache

# A local network of three mining simnet nodes, each with its home under
# ./devnet (or $DEVNET_DIR), on loopback ports, connected in a triangle;
# prints soterctl commands for each. devnet-stop stops them.
.PHONY: devnet devnet-stop
devnet: build
	@SOTERD=$(BIN)/soterd SOTERCTL=$(BIN)/soterctl sh scripts/devnet.sh start

devnet-stop:
	@sh scripts/devnet.sh stop
