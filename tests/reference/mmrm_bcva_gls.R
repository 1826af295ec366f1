# Reference fit of the BCVA data (1000 subjects, 10 visits, heavy dropout; from the mmrm
# project, Apache-2.0) with nlme::gls, unstructured covariance (corSymm + varIdent), REML.
# Model: BCVA_CHG ~ BCVA_BL + ARMCD*AVISIT + RACE. Writes tests/golden/mmrm_bcva_gls.json.
# Slow (minutes); run through tests/reference/run_mmrm.sh, never in CI.
suppressPackageStartupMessages({
  library(nlme)
  library(jsonlite)
})
source("tests/reference/provenance.R")
data_path <- "tests/data/sas-mmrm/bcva_data.csv"
out_path <- "tests/golden/mmrm_bcva_gls.json"
d <- read.csv(data_path, stringsAsFactors = FALSE)
d <- d[!is.na(d$BCVA_CHG), ]
d$visit <- factor(d$AVISIT, levels = sprintf("VIS%02d", 1:10))
d$ARMCD <- factor(d$ARMCD, levels = c("CTL", "TRT"))
d$RACE <- factor(d$RACE, levels = c("Asian", "Black", "White"))
d$USUBJID <- factor(d$USUBJID)
t0 <- Sys.time()
fit <- gls(BCVA_CHG ~ BCVA_BL + ARMCD * visit + RACE, data = d, method = "REML",
           correlation = corSymm(form = ~ VISITN | USUBJID),
           weights = varIdent(form = ~ 1 | visit),
           control = glsControl(opt = "optim", optimMethod = "BFGS", tolerance = 1e-12, msTol = 1e-14,
                                maxIter = 1000, msMaxIter = 1000))
elapsed <- as.numeric(difftime(Sys.time(), t0, units = "secs"))
out <- list(
  provenance = golden_provenance(
    "third_party", "tests/reference/mmrm_bcva_gls.R", c("nlme", "jsonlite"),
    data = data_path,
    method = "nlme::gls",
    model = "BCVA_CHG ~ BCVA_BL + ARMCD*visit + RACE, corSymm + varIdent, REML, optim BFGS",
    details = list(elapsed_seconds = elapsed)
  ),
  n_obs = nrow(d),
  log_likelihood = as.numeric(logLik(fit)),
  coefficients = as.list(coef(fit)),
  std_errors = as.list(sqrt(diag(vcov(fit))))
)
write_json(out, out_path, digits = NA, auto_unbox = TRUE, pretty = TRUE)
message("wrote ", out_path, " in ", round(elapsed, 1), " s")
