# Gradus — the two commands of the README, and their parts.
#   make demo   set up, build (release), run the main job on the shipped corpora
#   make test   set up, build, run the whole test suite (what CI runs)

SWIFT ?= swift
GRADUS := .build/release/gradus
TEXT := corpora/gnomehelp.sample.jsonl.zst corpora/appstream.sample.jsonl.zst corpora/udhr.sample.jsonl.zst
PROTEIN := corpora/protein.sample.fasta.zst

.PHONY: demo demo-protein test setup release bench

setup:
	@tools/setup.sh

release: setup
	$(SWIFT) build -c release

demo: release
	$(GRADUS) index $(TEXT) --tokenizer corpora/tokenizer.json --pack 256 --group-field lang --out runs/text.idx --force
	$(GRADUS) info runs/text.idx
	$(GRADUS) schedule configs/gpt-cl.json --steps 600 --every 100 --index runs/text.idx
	rm -rf runs/demo
	$(GRADUS) experiment configs/demo-matrix.json --index runs/text.idx --out runs/demo --jobs 2
	@echo "report: runs/demo/report.md (plots in runs/demo/plots/)"

# The same job on the protein corpus: residue tokenizer, document-mode model.
demo-protein: release
	$(GRADUS) index $(PROTEIN) --tokenizer residues --pack 256 --out runs/protein.idx --force
	$(GRADUS) info runs/protein.idx
	rm -rf runs/demo-protein
	$(GRADUS) experiment configs/demo-protein-matrix.json --index runs/protein.idx --out runs/demo-protein
	@echo "report: runs/demo-protein/report.md"

test: setup
	$(SWIFT) build --build-tests
	tools/test_python.sh .build/debug/gradus
	tools/test_slurm.sh .build/debug/gradus
	$(SWIFT) test --skip-build --disable-swift-testing

bench: release
	$(GRADUS) bench tokenize
	$(GRADUS) bench index
	$(GRADUS) bench sampler
	$(GRADUS) bench train
	$(GRADUS) bench ltd
