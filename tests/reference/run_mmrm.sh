#!/bin/sh
# Regenerates the MMRM goldens (needs R with nlme, emmeans, numDeriv, jsonlite). Run from the crate root:
#   sh tests/reference/run_mmrm.sh
# Never part of CI. The SAS goldens are read directly from tests/data/sas-mmrm (see its README).
set -e
Rscript tests/reference/mmrm_gls.R
Rscript tests/reference/mmrm_bcva_gls.R
Rscript tests/reference/mmrm_knee_oa.R
Rscript tests/reference/mmrm_kr_multi.R
