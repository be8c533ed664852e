# Gradus — the two commands of the README, and their parts.
#   make demo   set up, build (release), run the main job on the shipped corpora
#   make test   set up, build, run the whole test suite (what CI runs)

SWIFT ?= swift
GRADUS := .build/release/gradus
TEXT := corpora/gnomehelp.sample.jsonl.zst corpora/appstream.sample.jsonl.zst corpora/udhr.sample.jsonl.zst
PROTEIN := corpora/protein.sample.fasta.zst

.PHONY: demo test setup release bench

setup:
	@tools/setup.sh

release: setup
	$(SWIFT) build -c release

demo: release
	$(GRADUS) scan $(TEXT) --tokenizer corpora/tokenizer.json
	$(GRADUS) scan $(PROTEIN) --tokenizer residues
	$(GRADUS) index $(TEXT) --tokenizer corpora/tokenizer.json --out runs/roots.idx --force
	$(GRADUS) info runs/roots.idx
	$(GRADUS) index $(PROTEIN) --tokenizer residues --out runs/protein.idx --force
	$(GRADUS) info runs/protein.idx

test: setup
	$(SWIFT) build --build-tests
	tools/test_python.sh .build/debug/gradus
	$(SWIFT) test --skip-build --disable-swift-testing

bench: release
	$(GRADUS) bench tokenize
