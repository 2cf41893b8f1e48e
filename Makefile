# Makefile — the README's two commands. `make demo`: install what is missing, build, train
# Fashion-MNIST. `make test`: the whole suite (release + ASan/UBSan at 1 and 2 threads, no-OpenMP).
BUILD ?= build

.PHONY: demo build test bench playground clean
demo:
	tools/deps.sh --data
	@[ -f $(BUILD)/build.ninja ] || meson setup $(BUILD) --buildtype=release
	ninja -C $(BUILD)
	$(BUILD)/examples/fashion_mnist

build:
	tools/deps.sh
	@[ -f $(BUILD)/build.ninja ] || meson setup $(BUILD) --buildtype=release
	ninja -C $(BUILD)

test:
	tools/deps.sh --data
	tools/run_tests.sh

bench: build
	bench/run.sh

# the browser playground into $(BUILD)/playground-web (serve it: python3 -m http.server -d $(BUILD)/playground-web)
playground:
	tools/deps.sh --playground
	playground/build.sh $(BUILD)/playground-web

clean:
	rm -rf $(BUILD) build-test
