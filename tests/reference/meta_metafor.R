# Golden values of the meta-analysis family against metafor, on two datasets shipped with
# metafor (written here as studies files in the crate's schema) and on the bundled synthetic
# studies file. Run from the crate root: Rscript tests/reference/meta_metafor.R
#
# tests/data/meta_bcg.csv        dat.bcg (BCG vaccine trials; Colditz et al. 1994): binary
#                                counts; moderators ablat (absolute latitude) and alloc
# tests/data/meta_normand1999.csv dat.normand1999 (length of stay, stroke care; Normand 1999):
#                                continuous summaries; moderator centre (the source's site)
source("tests/reference/meta_common.R")

bcg <- dat.bcg
write.csv(data.frame(study = paste(bcg$author, bcg$year), year = bcg$year,
                     events_treated = bcg$tpos, n_treated = bcg$tpos + bcg$tneg,
                     events_control = bcg$cpos, n_control = bcg$cpos + bcg$cneg,
                     ablat = bcg$ablat, alloc = bcg$alloc),
          "tests/data/meta_bcg.csv", row.names = FALSE, quote = FALSE)
nd <- dat.normand1999
write.csv(data.frame(study = nd$source, n_treated = nd$n1i, mean_treated = nd$m1i,
                     sd_treated = nd$sd1i, n_control = nd$n2i, mean_control = nd$m2i,
                     sd_control = nd$sd2i, centre = sub("-.*", "", nd$source)),
          "tests/data/meta_normand1999.csv", row.names = FALSE, quote = FALSE)

bundled <- "datasets/published_trials.csv"
cases <- list(
  case_record("bcg_rr", "tests/data/meta_bcg.csv", "RR", by = "alloc", regress = "ablat"),
  case_record("bcg_or", "tests/data/meta_bcg.csv", "OR", by = "alloc", regress = "ablat"),
  case_record("normand_md", "tests/data/meta_normand1999.csv", "MD", by = "centre"),
  case_record("normand_smd", "tests/data/meta_normand1999.csv", "SMD", by = "centre"),
  case_record("bundled_md", bundled, "MD", by = "condition", regress = "follow_up_days"),
  case_record("bundled_smd", bundled, "SMD", by = "condition", regress = "follow_up_days"),
  case_record("bundled_rr", bundled, "RR", by = "condition", regress = "follow_up_days"),
  case_record("bundled_or", bundled, "OR", by = "condition", regress = "follow_up_days")
)

out <- list(
  provenance = golden_provenance(
    "third_party", "tests/reference/meta_metafor.R", c("metafor", "metadat", "jsonlite"),
    data = c("tests/data/meta_bcg.csv", "tests/data/meta_normand1999.csv", bundled),
    method = paste("escalc (MD, SMD, RR, OR; defaults: vtype LS, add 1/2 to = only0);",
                   "rma with method FE, DL, REML, PM and test z, knha, control threshold 1e-12,",
                   "tol 1e-14, tau2.max 1e6; predict; confint (Q-profile, tol 1e-14); leave1out;",
                   "regtest (default model rma, predictor sei); rma(mods = ~ factor) for the",
                   "subgroup test and rma(mods = ~ x) for the meta-regression"),
    notes = paste("tests/data/meta_bcg.csv and meta_normand1999.csv are written by this script",
                  "from metadat's dat.bcg and dat.normand1999; subgroups with one study are",
                  "recorded without estimates for random-effects methods (the crate refuses them)")),
  cases = cases
)
write_json(out, "tests/golden/meta_metafor.json", digits = NA, auto_unbox = TRUE, pretty = TRUE,
           na = "null", null = "null")
