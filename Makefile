# Kefu: the two commands a newcomer needs are `make demo` and `make test`.
BUILD ?= build
PORT ?= 8080
DATA ?= .kefu-demo
JOBS ?= $(shell nproc)

.PHONY: all deps build web demo test test-quick bench clean

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD)/build.ninja: CMakeLists.txt
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

web: deps
	@bash scripts/build-web.sh

# Builds everything and serves the demo shop on http://127.0.0.1:$(PORT) (data in $(DATA)/).
demo: build web
	./$(BUILD)/kefu demo --data $(DATA) --port $(PORT)

# Builds and runs every test; the last line is "N passed, N failed".
test: build web
	@bash scripts/run-tests.sh $(BUILD)

test-quick: build
	@KEFU_QUICK=1 bash scripts/run-tests.sh $(BUILD)

bench: build web
	@bash scripts/run-bench.sh $(BUILD)

clean:
	rm -rf $(BUILD)
