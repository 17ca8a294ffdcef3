# The front door: `make run` and `make test` (see README.md).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.bench-installed
# the dashboard's browser tests drive Debian's chromium (Playwright never downloads a
# browser) and need a CJK font for the Chinese labels; installed when missing (as root)
CHROMIUM := /usr/bin/chromium
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc

.PHONY: run test bench venv clean backup restore rebuild parked token

run: $(STAMP)
	$(BIN)/dudao dev run

test: $(STAMP) $(CHROMIUM) $(CJK_FONT)
	$(BIN)/dudao dev test -q -p no:cacheprovider

bench: $(BENCH_STAMP)
	$(BIN)/dudao dev bench

venv: $(STAMP)

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed: apt-get install python3.11 python3.11-venv"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# the peer library the bench compares with (bench/peer.py), only for `make bench`
$(BENCH_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $(BENCH_STAMP)

$(CHROMIUM) $(CJK_FONT):
	command -v chromium >/dev/null && test -e $(CJK_FONT) || \
	  { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium fonts-wqy-microhei; }

# Operator commands (deploy/README.md): they act on the databases named by
# DUDAO_MONGO_URI / DUDAO_DB_PREFIX, e.g. `make backup SERVICE=units DIR=backups/units-1`.
backup: $(STAMP)
	$(BIN)/dudao ops backup $(SERVICE) $(DIR)

restore: $(STAMP)
	$(BIN)/dudao ops restore $(SERVICE) $(DIR) $(if $(FORCE),--force,)

rebuild: $(STAMP)
	$(BIN)/dudao audit rebuild $(SERVICE) $(if $(SWAP),--swap,)

parked: $(STAMP)
	$(BIN)/dudao ops parked $(SERVICE)

token: $(STAMP)
	$(BIN)/dudao token create --role $(ROLE) --name "$(NAME)" $(if $(SCOPE),--scope $(SCOPE),)

clean:
	rm -rf $(VENV) var
