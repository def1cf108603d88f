# onnxpipe: two commands do all the set-up on a fresh Debian machine:
#   make demo    install what is missing, build, score the bundled example
#   make test    install what is missing, run the whole suite
SWIFT ?= swift
PREFIX ?= /usr/local
BIN := .build/release/onnxpipe
PYTHON := .venv/bin/python

.PHONY: all deps package-deps deb test-package test-chdb build demo test interop test-metrics test-spark sanitize fuzz fuzz-smoke soak format format-check lint-man install uninstall fixtures fixtures-compat compat compat-report bench bench-quick bench-text bench-fixed bench-parse bench-stages bench-deps clean

# Unit and runtime-wrapper suites (not the end-to-end ones, which run the plain binary).
SANITIZE_SKIP := AdaptiveBatchingTests|LiveFrameTests|GoldenTests|BadInputTests|ModelAndUsageErrorTests|StreamingTests|ProgressTests|TextGoldenTests|BadRecordTests|LiveTextTests|DocumentationTests|BenchCommandTests|FaultTests|SlowConsumerTests|SignalTests|InputRobustnessTests|ReloadTests|ModelAdapterTests|InputFileTests|CompletionScriptTests|ExampleOutputTests

all: build

deps:
	@sh .ci/deps.sh

# The release binary: Swift's runtime and standard library linked in, so it runs where no Swift
# toolchain is (it needs libc, libstdc++ and ONNX Runtime's library only); no rpath; stripped;
# symbols bound at start-up so the whole GOT is read-only (RELRO + BIND_NOW).
RELEASE_FLAGS := -c release --product onnxpipe --static-swift-stdlib --disable-local-rpath \
  -Xlinker -s -Xlinker -z -Xlinker relro -Xlinker -z -Xlinker now

build: deps
	$(SWIFT) build $(RELEASE_FLAGS)

demo: build
	@sh examples/demo.sh $(BIN)

test: deps format-check lint-man
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --parallel --num-workers 2 --skip 'LiveTextTests|LiveFrameTests'
	@# Deadline tests (an answer within 50 ms) run alone, not beside the parallel suites.
	$(SWIFT) test --skip-build --filter 'LiveTextTests|LiveFrameTests'
	$(MAKE) --no-print-directory interop
	$(MAKE) --no-print-directory compat
	$(MAKE) --no-print-directory fuzz-smoke
	@bash Tests/Soak/soak.sh .build/debug/onnxpipe 48

# Arrow IPC against pyarrow, Polars, pandas, DuckDB, the Arrow project's integration streams and onnxruntime,
# pandas DataFrame round trips (the .venv that `make deps` fills), and --metrics parsed by prometheus_client.
interop:
	ONNXPIPE=.build/debug/onnxpipe $(PYTHON) -m unittest -v Tests/Interop/test_arrow.py \
	  Tests/Interop/test_arrow_ecosystem.py Tests/Interop/test_arrow_integration.py Tests/Interop/test_metrics.py \
	  Tests/Interop/test_dataframe.py Tests/Interop/test_format_matrix.py

# --metrics served by Debian's prometheus-node-exporter (textfile collector) and scraped on loopback.
test-metrics: deps
	@command -v prometheus-node-exporter >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus-node-exporter >/dev/null; }
	$(SWIFT) build --product onnxpipe
	cd Tests/Interop && ONNXPIPE=$(CURDIR)/.build/debug/onnxpipe ../../$(PYTHON) -m unittest -v test_node_exporter.py

# onnxpipe under Spark local[2]: RDD.pipe and mapInArrow, and a partition that must fail the job.
# Installs pyspark into .venv (and a JRE if java is missing).
test-spark: build
	@sh .ci/spark-deps.sh
	ONNXPIPE=$(BIN) $(PYTHON) Tests/Spark/test_spark.py

# onnxpipe under ClickHouse through chDB (in-process ClickHouse): the executable() table function
# and the executable_pool function of examples/clickhouse/, against onnxruntime's labels.
# Installs chdb into .venv (about 530 MB).
test-chdb: build
	@sh .ci/chdb-deps.sh
	ONNXPIPE=$(BIN) $(PYTHON) Tests/ClickHouse/test_chdb.py

# ThreadSanitizer and AddressSanitizer over the pipeline, codecs and ONNX Runtime wrapper.
# Leak checking is off: XCTest's own runner leaks two objects at exit.
sanitize: deps
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path .build-tsan
	$(SWIFT) test --skip-build --sanitize=thread --scratch-path .build-tsan --skip '$(SANITIZE_SKIP)'
	$(SWIFT) build --build-tests --sanitize=address --scratch-path .build-asan
	ASAN_OPTIONS=detect_leaks=0 $(SWIFT) test --skip-build --sanitize=address --scratch-path .build-asan --skip '$(SANITIZE_SKIP)'

# libFuzzer targets (Tests/Fuzz): each is compiled with the OnnxPipeCore sources as one module.
FUZZ_SECONDS ?= 600
FUZZ_TARGETS := raw_frames ndjson csv numbers arrow
CORE_SOURCES := $(shell find Sources/OnnxPipeCore -name '*.swift' | sort)

.build-fuzz/%: Tests/Fuzz/%.swift $(CORE_SOURCES)
	@mkdir -p .build-fuzz
	@swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name OnnxPipeCore \
	  $(CORE_SOURCES) $< -o $@ 2> $@.log || { cat $@.log >&2; exit 1; }

fuzz: $(addprefix .build-fuzz/,$(FUZZ_TARGETS))
	@for target in $(FUZZ_TARGETS); do \
	  mkdir -p .build-fuzz/corpus/$$target; \
	  echo "fuzz: $$target for $(FUZZ_SECONDS) s"; \
	  .build-fuzz/$$target -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=.build-fuzz/crash-$$target- .build-fuzz/corpus/$$target Tests/Fuzz/corpus/$$target \
	    2> .build-fuzz/$$target.out || { tail -40 .build-fuzz/$$target.out >&2; exit 1; }; \
	  grep -E "^stat::number_of_executed_units|^stat::average_exec_per_sec" .build-fuzz/$$target.out; \
	done

# A long stream with more workers than cores and random delays, checked against one worker.
SOAK_MB ?= 2048
soak: build
	@bash Tests/Soak/soak.sh $(BIN) $(SOAK_MB)

fuzz-smoke:
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=10

format:
	$(SWIFT) format format --in-place --recursive Package.swift Sources Tests

format-check:
	$(SWIFT) format lint --strict --recursive Package.swift Sources Tests

lint-man:
	@command -v groff >/dev/null 2>&1 || { echo "make: groff missing; run 'make deps'" >&2; exit 1; }
	@out=$$(groff -mdoc -ww -z man/onnxpipe.1 2>&1); if [ -n "$$out" ]; then echo "$$out" >&2; exit 1; fi

# Installs what `make build` built, and nothing else: no apt, no pip, no build as root.
# The completion scripts come from the binary itself (onnxpipe completions SHELL).
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
BASH_COMPLETION_DIR ?= $(PREFIX)/share/bash-completion/completions
ZSH_COMPLETION_DIR ?= $(PREFIX)/share/zsh/site-functions
FISH_COMPLETION_DIR ?= $(PREFIX)/share/fish/vendor_completions.d
INSTALLED := $(BINDIR)/onnxpipe $(MANDIR)/man1/onnxpipe.1 $(BASH_COMPLETION_DIR)/onnxpipe \
  $(ZSH_COMPLETION_DIR)/_onnxpipe $(FISH_COMPLETION_DIR)/onnxpipe.fish

install:
	@test -x $(BIN) || { echo "make install: no $(BIN) yet; run 'make build' first" >&2; exit 1; }
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASH_COMPLETION_DIR) \
	  $(DESTDIR)$(ZSH_COMPLETION_DIR) $(DESTDIR)$(FISH_COMPLETION_DIR)
	install -m 755 $(BIN) $(DESTDIR)$(BINDIR)/onnxpipe
	install -m 644 man/onnxpipe.1 $(DESTDIR)$(MANDIR)/man1/onnxpipe.1
	$(BIN) completions bash > $(DESTDIR)$(BASH_COMPLETION_DIR)/onnxpipe
	$(BIN) completions zsh > $(DESTDIR)$(ZSH_COMPLETION_DIR)/_onnxpipe
	$(BIN) completions fish > $(DESTDIR)$(FISH_COMPLETION_DIR)/onnxpipe.fish
	chmod 644 $(addprefix $(DESTDIR),$(wordlist 3,5,$(INSTALLED)))

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))

# The Debian package, .build/deb/onnxpipe_VERSION_ARCH.deb (.ci/package/build-deb.sh), and lintian
# on it: an error or a warning fails; the tags we keep are explained in .ci/package/lintian-overrides.
package-deps:
	@sh .ci/package/deps.sh

deb: build package-deps
	@deb=$$(sh .ci/package/build-deb.sh) && echo "deb: $$deb ($$(du -h $$deb | cut -f1))" && \
	  lintian --fail-on error,warning --info $$deb

# make install/uninstall into a scratch DESTDIR, then the .deb installed with apt in a clean Debian
# trixie root (mmdebstrap, minbase, no Swift): --version, man -w, completions, the bundled examples
# against Tests/Package/expected. About 25 s with the package cache warm, a minute without.
test-package: deb
	@sh Tests/Package/test-install.sh
	@sh Tests/Package/test-package.sh .build/deb/onnxpipe_*.deb

# Regenerates the committed test fixtures (needs PyPI: numpy, scikit-learn, skl2onnx, onnx, onnxruntime).
$(PYTHON):
	python3 -m venv .venv
	$(PYTHON) -m pip install -q -r bench/requirements.txt

fixtures: $(PYTHON)
	$(PYTHON) Tests/Fixtures/generate.py

# The compatibility corpus (Tests/Fixtures/compat, committed): models from the real converters at the
# versions pinned in requirements.txt (onnxruntime 1.21.0 like the library onnxpipe links), inputs in
# every format and onnxruntime's outputs. Installs those pins into a venv of their own, .venv-compat
# (COMPAT_PYTHON for another), so the project's .venv keeps its versions; torch's CPU build is
# optional: without it the committed torch cases are kept.
COMPAT := Tests/Fixtures/compat
COMPAT_PYTHON ?= .venv-compat/bin/python

fixtures-compat:
	@test -x $(COMPAT_PYTHON) || python3 -m venv $(dir $(COMPAT_PYTHON))..
	$(COMPAT_PYTHON) -m pip install -q -r $(COMPAT)/requirements.txt
	@if $(COMPAT_PYTHON) -m pip install -q -r $(COMPAT)/requirements-torch.txt; then \
	  nice -n 10 $(COMPAT_PYTHON) $(COMPAT)/generate.py; \
	else \
	  echo "fixtures-compat: no CPU build of torch to install; keeping the committed torch cases" >&2; \
	  nice -n 10 $(COMPAT_PYTHON) $(COMPAT)/generate.py --no-torch; \
	fi

# The DataFrame fixtures (Tests/Fixtures/dataframe, committed): pandas frames with gaps as CSV, NDJSON
# and Arrow, skl2onnx and LightGBM models made from them, onnxruntime's outputs; the corpus's pins.
.PHONY: fixtures-dataframe
fixtures-dataframe:
	@test -x $(COMPAT_PYTHON) || python3 -m venv $(dir $(COMPAT_PYTHON))..
	$(COMPAT_PYTHON) -m pip install -q -r $(COMPAT)/requirements.txt
	$(COMPAT_PYTHON) Tests/Fixtures/dataframe/generate.py

# Every corpus model x format against onnxruntime's outputs (in `make test`); the runs not passed
# yet are listed, with why, in known_failures.txt.
compat:
	$(PYTHON) $(COMPAT)/check.py --known-failures $(COMPAT)/known_failures.txt .build/debug/onnxpipe

# How today's binary does on the corpus: one line per case and format, never fails.
compat-report: $(PYTHON)
	$(SWIFT) build --product onnxpipe
	$(PYTHON) $(COMPAT)/check.py --report .build/debug/onnxpipe

# GNU parallel is one of the baselines.
bench-deps: $(PYTHON)
	@# GNU parallel (the python-parallel baselines); moreutils' parallel of the same name takes other options.
	@parallel --version 2>/dev/null | grep -q 'GNU parallel' || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq parallel >/dev/null; }
	@# make deps fills .venv from Tests/Interop/requirements.txt; the bench also needs onnx (its near-free model).
	$(PYTHON) -m pip install -q -r bench/requirements.txt

bench: build $(PYTHON) bench-deps
	$(PYTHON) bench/run.py --binary $(BIN)

bench-quick: build $(PYTHON) bench-deps
	$(PYTHON) bench/run.py --binary $(BIN) --quick

# NDJSON and CSV against the Python scripts only (a few minutes; prints, writes nothing).
bench-text: build $(PYTHON) bench-deps
	$(PYTHON) bench/run.py --binary $(BIN) --text-only

# Parse-bound text: a near-free model (ReduceSum over 32 floats) over NDJSON and CSV against the Python
# scripts (a minute; prints, writes nothing).
bench-parse: build $(PYTHON) bench-deps
	$(PYTHON) bench/run.py --binary $(BIN) --parse

# The serial stages (reader, writer) per format and the cores at which each would cap throughput
# (a minute; prints, writes nothing).
bench-stages: build $(PYTHON) bench-deps
	$(PYTHON) bench/run.py --binary $(BIN) --stages

# A model with its batch fixed to 1 against the C API one row per call (a minute; prints, writes nothing).
bench-fixed: build $(PYTHON) bench-deps
	$(PYTHON) bench/run.py --binary $(BIN) --fixed-only

clean:
	rm -rf .build .build-tsan .build-asan .build-fuzz
