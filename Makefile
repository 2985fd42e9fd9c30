# The two commands. Each installs what it is missing first: dev only what running needs
# (scripts/setup.sh), test also the Python test venvs and Chromium (scripts/setup.sh --test).
.PHONY: dev test build bench

dev:            ## run locally on http://127.0.0.1:8787 with a seeded demo workspace
	bash scripts/dev.sh

test:           ## host unit tests + build + e2e against wrangler dev
	bash scripts/test.sh

build:
	bash scripts/setup.sh && bash scripts/build.sh

bench:          ## one performance table (docs/benchmarks.md)
	bash bench/run
