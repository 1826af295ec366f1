#!/bin/sh
# Regenerates the bundled synthetic datasets byte for byte:
#   <name>.csv, <name>_events.csv, <name>_truth.json for the three presets, seed 20261128.
# Run from the crate root:  sh datasets/regenerate.sh
# `tests/it/simulate.rs` (bundled_datasets_regenerate_byte_for_byte) checks that the committed files
# equal what the simulator produces.
set -eu
cd "$(dirname "$0")/.."
for preset in knee_oa_trial tendinopathy_registry disc_degeneration; do
    cargo run --quiet --example simulate -- --preset "$preset" --seed 20261128 --out datasets/
done
