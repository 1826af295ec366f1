# Golden values on a held-out-style studies file (tests/data/meta_heldout.csv, written by hand
# for this check: continuous rows, binary rows, one row with both, a zero cell in Kowal 2017,
# a text moderator `design` and a numeric one `dose_million`). For md, smd, rr and or: every
# method (FE, DL, REML, PM) with z and Knapp-Hartung tests, the prediction interval, the
# Q-profile interval of tau^2, leave-one-out, regtest, the subgroup test by `design`, and
# the meta-regression on follow_up_days. Run from the crate root:
#   Rscript tests/reference/meta_heldout.R
source("tests/reference/meta_common.R")
path <- "tests/data/meta_heldout.csv"
cases <- lapply(c("MD", "SMD", "RR", "OR"), function(m)
  case_record(paste0("heldout_", tolower(m)), path, m, by = "design", regress = "follow_up_days"))
out <- list(
  provenance = golden_provenance(
    "third_party", "tests/reference/meta_heldout.R", c("metafor", "jsonlite"), data = path,
    method = paste("escalc (MD, SMD, RR, OR; defaults); rma with FE, DL, REML, PM and test z,",
                   "knha (control threshold 1e-12, tol 1e-14, tau2.max 1e6); predict; confint",
                   "(Q-profile); leave1out; regtest; rma(mods = ~ factor(design));",
                   "rma(mods = ~ follow_up_days)"),
    notes = "the escalc zero-cell correction (1/2 added to each cell of Kowal 2017) is exercised by rr and or"),
  cases = cases
)
write_json(out, "tests/golden/meta_heldout.json", digits = NA, auto_unbox = TRUE, pretty = TRUE,
           na = "null", null = "null")
