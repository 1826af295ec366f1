#!/bin/sh
# Regenerates the survival test data and goldens from R `survival`.
#
# Usage (from the repository root): sh tests/reference/run_survival.sh
# Needs R with the packages survival and jsonlite. Writes tests/data/survival_*.csv and
# tests/golden/survival_{km,logrank,cox}.json. Never part of CI: the outputs are committed.
set -eu
Rscript tests/reference/survival_data.R
Rscript tests/reference/survival_km.R
Rscript tests/reference/survival_logrank.R
Rscript tests/reference/survival_cox.R
