#!/bin/sh
# Regenerates the compare-family reference data and goldens. Run from the crate root; needs R
# with jsonlite, emmeans and metafor. Never part of CI (the goldens are committed).
#   tests/data/compare_small.csv          <- tests/reference/compare_make_data.R
#   tests/golden/compare_small.json       <- tests/reference/compare_golden.R
#   tests/golden/compare_knee_oa_trial.json (when datasets/knee_oa_trial.csv exists)
#   tests/golden/compare_dist_tails.json  <- tests/reference/compare_dist_tails.R
set -eu
Rscript tests/reference/compare_make_data.R
Rscript tests/reference/compare_golden.R tests/data/compare_small.csv tests/golden/compare_small.json
if [ -f datasets/knee_oa_trial.csv ]; then
  Rscript tests/reference/compare_golden.R datasets/knee_oa_trial.csv tests/golden/compare_knee_oa_trial.json
fi
Rscript tests/reference/compare_dist_tails.R
