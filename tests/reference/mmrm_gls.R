# Reference values for the MMRM engine from nlme::gls + emmeans on the FEV data
# (tests/data/sas-mmrm/fev_data.csv, from the mmrm project, Apache-2.0).
#
# Model: FEV1 ~ FEV1_BL*visit + ARMCD*visit + RACE + SEX, one covariance structure per case,
# REML and ML. Writes tests/golden/mmrm_gls.json. Run through tests/reference/run_mmrm.sh.
#
# Structures and their gls equivalents (subject USUBJID, visit position VISITN 1..4):
#   us    corSymm(~VISITN|USUBJID)       + varIdent(~1|visit)
#   cs    corCompSymm(~VISITN|USUBJID)
#   csh   corCompSymm(~VISITN|USUBJID)   + varIdent(~1|visit)
#   ar1   corAR1(~VISITN|USUBJID)
#   arh1  corAR1(~VISITN|USUBJID)        + varIdent(~1|visit)
#   toep  corARMA(~VISITN|USUBJID, p=3)  (AR(3) on 4 visits spans every Toeplitz correlation)
#   toeph corARMA(~VISITN|USUBJID, p=3)  + varIdent(~1|visit)
#   spexp corExp(~VISITN + VISITN2|USUBJID) (SAS sp(exp)(VISITN VISITN2): Euclidean distance)
# Ante-dependence has no gls equivalent (checked against SAS instead).
suppressPackageStartupMessages({
  library(nlme)
  library(emmeans)
  library(jsonlite)
})

data_path <- "tests/data/sas-mmrm/fev_data.csv"
out_path <- "tests/golden/mmrm_gls.json"
fev <- read.csv(data_path, stringsAsFactors = FALSE)
fev$visit <- factor(fev$AVISIT, levels = c("VIS1", "VIS2", "VIS3", "VIS4"))
fev$ARMCD <- factor(fev$ARMCD, levels = c("PBO", "TRT"))
fev$RACE <- factor(fev$RACE, levels = c("Asian", "Black or African American", "White"))
fev$SEX <- factor(fev$SEX, levels = c("Male", "Female"))
fev$USUBJID <- factor(fev$USUBJID)
fev <- fev[!is.na(fev$FEV1), ]
complete_ids <- names(which(table(fev$USUBJID) == 4))

source("tests/reference/mmrm_gls_polish.R")
source("tests/reference/provenance.R")
structures <- list(
  us = list(cor = with_value(corSymm, form = ~ VISITN | USUBJID), het = TRUE),
  cs = list(cor = with_value(corCompSymm, form = ~ VISITN | USUBJID), het = FALSE),
  csh = list(cor = with_value(corCompSymm, form = ~ VISITN | USUBJID), het = TRUE),
  ar1 = list(cor = with_value(corAR1, form = ~ VISITN | USUBJID), het = FALSE),
  arh1 = list(cor = with_value(corAR1, form = ~ VISITN | USUBJID), het = TRUE),
  toep = list(cor = with_value(corARMA, form = ~ VISITN | USUBJID, p = 3, q = 0), het = FALSE),
  toeph = list(cor = with_value(corARMA, form = ~ VISITN | USUBJID, p = 3, q = 0), het = TRUE),
  spexp = list(cor = with_value(corExp, form = ~ VISITN + VISITN2 | USUBJID), het = FALSE)
)

fit_case <- function(name, method, data, subset_label) {
  s <- structures[[name]]
  args <- list(
    model = FEV1 ~ FEV1_BL * visit + ARMCD * visit + RACE + SEX,
    data = data, method = method
  )
  conv <- fit_gls_converged(args, s$cor, s$het)
  fit <- conv$fit
  optimizer <- conv$optimizer
  idx <- which(levels(droplevels(data$USUBJID)) == complete_ids[1])
  vc <- unclass(getVarCov(fit, individual = complete_ids[1]))
  # emmeans' Satterthwaite mode for gls refits the model numerically and fails on some converged
  # fits; estimates and SEs do not depend on the df mode, and df are checked against SAS.
  emm_mode <- "df.error"
  emm <- emmeans(fit, ~ ARMCD | visit, data = data, mode = emm_mode)
  emm_prop <- emmeans(fit, ~ ARMCD | visit, data = data, mode = emm_mode, weights = "proportional")
  # Proportional weights as documented (joint row counts of the averaged factors RACE x SEX,
  # RACE varying fastest as in the reference grid). For models with varIdent, emmeans'
  # "proportional" weights sum the fit's variance weights instead of counting rows (see
  # ref_grid(fit)@grid$.wgt.), so the count weights are also passed explicitly.
  counts <- as.vector(table(data$RACE, data$SEX))
  emm_count <- emmeans(fit, ~ ARMCD | visit, data = data, mode = emm_mode, weights = counts)
  s_count <- summary(emm_count)
  con <- summary(contrast(emm, method = "trt.vs.ctrl"), infer = c(TRUE, TRUE))
  s_emm <- summary(emm)
  s_prop <- summary(emm_prop)
  list(
    case = paste(name, tolower(method), subset_label, sep = "_"),
    structure = name,
    method = method,
    subset = subset_label,
    optimizer = optimizer,
    restarts = conv$restarts,
    log_likelihood_before_restarts = conv$loglik_before_restarts,
    log_likelihood_after_restarts = conv$loglik_after_restarts,
    newton_steps = conv$newton_steps,
    newton_decrement = conv$newton_decrement,
    n_obs = nrow(data),
    log_likelihood = as.numeric(logLik(fit)),
    log_det_xtx_half = as.numeric(0.5 * determinant(crossprod(model.matrix(fit, data = data)))$modulus),
    coefficients = as.list(coef(fit)),
    std_errors = as.list(sqrt(diag(vcov(fit)))),
    covariance = vc,
    # Spatial exponential: range and variance (the matrix above depends on the subject's
    # coordinates).
    spatial = if (name == "spexp") list(
      range = unname(coef(fit$modelStruct$corStruct, unconstrained = FALSE)),
      variance = fit$sigma^2) else NULL,
    emmeans_mode = emm_mode,
    lsmeans = lapply(seq_len(nrow(s_emm)), function(i) list(
      arm = as.character(s_emm$ARMCD[i]), visit = as.character(s_emm$visit[i]),
      estimate = s_emm$emmean[i], std_error = s_emm$SE[i], df = s_emm$df[i])),
    lsmeans_proportional = lapply(seq_len(nrow(s_prop)), function(i) list(
      arm = as.character(s_prop$ARMCD[i]), visit = as.character(s_prop$visit[i]),
      estimate = s_prop$emmean[i], std_error = s_prop$SE[i], df = s_prop$df[i])),
    lsmeans_count_weights = lapply(seq_len(nrow(s_count)), function(i) list(
      arm = as.character(s_count$ARMCD[i]), visit = as.character(s_count$visit[i]),
      estimate = s_count$emmean[i], std_error = s_count$SE[i], df = s_count$df[i])),
    differences = lapply(seq_len(nrow(con)), function(i) list(
      visit = as.character(con$visit[i]), estimate = con$estimate[i], std_error = con$SE[i],
      df = con$df[i], t_value = con$t.ratio[i], p_value = con$p.value[i],
      lower = con$lower.CL[i], upper = con$upper.CL[i]))
  )
}

cases <- list()
for (name in names(structures)) {
  for (method in c("REML", "ML")) {
    message("fitting ", name, " ", method)
    res <- try(fit_case(name, method, fev, "all"), silent = TRUE)
    if (inherits(res, "try-error")) {
      message("  failed: ", res)
    } else {
      cases[[length(cases) + 1]] <- res
    }
  }
}
# Complete-data subset (subjects with all four visits observed).
fev_complete <- droplevels(fev[fev$USUBJID %in% complete_ids, ])
for (name in c("us", "cs", "ar1")) {
  message("fitting complete ", name)
  cases[[length(cases) + 1]] <- fit_case(name, "REML", fev_complete, "complete")
}

out <- list(
  provenance = golden_provenance(
    "third_party", "tests/reference/mmrm_gls.R", c("nlme", "emmeans", "numDeriv", "jsonlite"),
    data = data_path,
    method = "nlme::gls + emmeans",
    model = "FEV1 ~ FEV1_BL*visit + ARMCD*visit + RACE + SEX",
    notes = paste(
      "logLik is on the SAS scale (REML without a log|X'X| term); log_det_xtx_half is 0.5*log|X'X| for reference.",
      "emmeans df are residual df (mode df.error); Satterthwaite/KR df are checked against SAS instead.",
      "Each fit is restarted from its own estimates until logLik and coefficients stop moving (tests/reference/mmrm_gls_polish.R)."
    )
  ),
  cases = cases
)
write_json(out, out_path, digits = NA, auto_unbox = TRUE, pretty = TRUE)
message("wrote ", out_path)
