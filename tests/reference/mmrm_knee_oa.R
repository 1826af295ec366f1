# Reference values for the cohort-level MMRM on the bundled knee OA trial
# (datasets/knee_oa_trial.csv, synthetic), from nlme::gls + emmeans, REML.
#
# Response: NRS change from baseline at the post-baseline visits, derived exactly as
# `Cohort::wide("nrs")` does:
#   - baseline = the patient's last non-missing NRS score on a day <= 0 (file order: rows are
#     sorted by day);
#   - post-baseline visits = the `visit` labels whose NRS rows have a mean day > 0, in order of
#     that mean day; a row with day <= 0 never counts as a follow-up;
#   - arm = therapy, with `stem_cell` split by cell source (`stem_cell[adipose]`, ...);
#   - patients without a baseline or without any observed follow-up are left out.
# Model: change ~ arm*visit + baseline*visit, reference arm placebo, first visit as reference.
# Cases: US (corSymm + varIdent), CS (corCompSymm), AR(1) (corAR1) on all patients (with
# dropout), and the same three on the complete-data subset (patients observed at every
# post-baseline visit). Writes tests/golden/mmrm_knee_oa.json. Run through
# tests/reference/run_mmrm.sh, never in CI.
#
# Degrees of freedom. emmeans' Satterthwaite mode for gls builds the df from nlme's apVar
# (a numerical Hessian on nlme's unconstrained scale, "appx-satterthwaite" by refits here, and
# slow); it is not used (mode "df.error": estimates and SEs do not depend on the mode). The
# `df` compared by the tests are Satterthwaite df computed here from the
# REML criterion written out below, at gls's estimates: nu = 2 (c'Phi c)^2 / (g' A g),
# g = d(c'Phi c)/d theta, A = 2 H^-1, H the Hessian of -2 log L_REML, both by numDeriv
# (Richardson extrapolation) in the natural parametrization (entries of Sigma). This is the
# SAS PROC MIXED / R mmrm definition (observed Hessian).
suppressPackageStartupMessages({
  library(nlme)
  library(emmeans)
  library(numDeriv)
  library(jsonlite)
})

data_path <- "datasets/knee_oa_trial.csv"
out_path <- "tests/golden/mmrm_knee_oa.json"
raw <- read.csv(data_path, stringsAsFactors = FALSE, na.strings = "")
raw <- raw[raw$instrument == "nrs", ]
has_cells <- !is.na(raw$cell_source) & startsWith(raw$therapy, "stem_cell")
raw$arm <- ifelse(has_cells,
                  paste0("stem_cell[", raw$cell_source, "]", substring(raw$therapy, 10)),
                  raw$therapy)

# Post-baseline visits by mean day.
mean_day <- tapply(raw$day, raw$visit, mean)
visits <- names(sort(mean_day[mean_day > 0]))
# Baseline: last non-missing score with day <= 0 (file order).
pre <- raw[raw$day <= 0 & !is.na(raw$score), ]
baseline <- tapply(pre$score, pre$patient_id, function(s) s[length(s)])
post <- raw[raw$day > 0 & raw$visit %in% visits, ]
stopifnot(!any(duplicated(post[, c("patient_id", "visit")])))
post <- post[!is.na(post$score) & post$patient_id %in% names(baseline), ]
post$baseline <- as.numeric(baseline[post$patient_id])
post$change <- post$score - post$baseline
post$visit <- factor(post$visit, levels = visits)
post$vnum <- as.integer(post$visit)
post$arm <- relevel(factor(post$arm), ref = "placebo")
post$id <- factor(post$patient_id)
post <- post[order(post$patient_id, post$vnum), ]
complete_ids <- names(which(table(post$patient_id) == length(visits)))

source("tests/reference/mmrm_gls_polish.R")
source("tests/reference/provenance.R")
structures <- list(
  us = list(cor = with_value(corSymm, form = ~ vnum | id), het = TRUE),
  cs = list(cor = with_value(corCompSymm, form = ~ vnum | id), het = FALSE),
  ar1 = list(cor = with_value(corAR1, form = ~ vnum | id), het = FALSE)
)
model <- change ~ arm * visit + baseline * visit

# -2 log L_REML on SAS's scale (no log|X'X| term), as a function of Sigma.
reml_m2ll_factory <- function(data) {
  X <- model.matrix(model, data)
  y <- data$change
  rows <- split(seq_len(nrow(data)), droplevels(data$id))
  n <- nrow(X)
  p <- ncol(X)
  list(
    X = X,
    eval = function(Sigma) {
      M <- matrix(0, p, p); u <- numeric(p); yy <- 0; ld <- 0
      for (r in rows) {
        S <- Sigma[data$vnum[r], data$vnum[r], drop = FALSE]
        ch <- chol(S)
        Xi <- backsolve(ch, X[r, , drop = FALSE], transpose = TRUE)
        yi <- backsolve(ch, y[r], transpose = TRUE)
        M <- M + crossprod(Xi); u <- u + crossprod(Xi, yi); yy <- yy + sum(yi^2)
        ld <- ld + 2 * sum(log(diag(ch)))
      }
      beta <- solve(M, u)
      list(m2ll = ld + as.numeric(determinant(M)$modulus) + yy - sum(u * beta) +
             (n - p) * log(2 * pi), phi = solve(M))
    }
  )
}

sigma_of <- function(name, theta, v) {
  switch(name,
    us = { S <- matrix(0, v, v); S[lower.tri(S, diag = TRUE)] <- theta; S + t(S) - diag(diag(S)) },
    cs = theta[1] * diag(v) + theta[2],
    ar1 = theta[1] * theta[2]^abs(outer(seq_len(v), seq_len(v), "-"))
  )
}
theta_of <- function(name, S) {
  switch(name,
    us = S[lower.tri(S, diag = TRUE)],
    cs = c(S[1, 1] - S[2, 1], S[2, 1]),
    ar1 = c(S[1, 1], S[2, 1] / S[1, 1])
  )
}

fit_case <- function(name, data, subset_label) {
  s <- structures[[name]]
  args <- list(model = model, data = data, method = "REML")
  conv <- fit_gls_converged(args, s$cor, s$het)
  fit <- conv$fit
  optimizer <- conv$optimizer
  fit$call$model <- model
  vc <- unclass(getVarCov(fit, individual = complete_ids[1]))
  # Independent REML criterion: check it reproduces gls's logLik, then Satterthwaite df.
  crit <- reml_m2ll_factory(data)
  X <- crit$X
  v <- length(visits)
  theta_hat <- theta_of(name, vc)
  f <- function(th) crit$eval(sigma_of(name, th, v))$m2ll
  m2ll_check <- f(theta_hat)
  grad_theta <- grad(f, theta_hat)
  H <- hessian(f, theta_hat)
  A <- 2 * solve(H)
  # emmeans' own df for gls ("appx-satterthwaite") need refits and are not compared: the
  # estimates, SEs and F ratios do not depend on the df mode.
  emm_mode <- "df.error"
  emm <- emmeans(fit, ~ arm | visit, data = data, mode = emm_mode)
  con <- summary(contrast(emm, method = "trt.vs.ctrl"), infer = c(TRUE, TRUE), adjust = "none")
  s_emm <- summary(emm)
  L_lsm <- emm@linfct
  L_con <- contrast(emm, method = "trt.vs.ctrl")@linfct
  L_coef <- diag(ncol(X))
  L_all <- rbind(L_lsm, L_con, L_coef)
  vfun <- function(th) {
    phi <- crit$eval(sigma_of(name, th, v))$phi
    rowSums((L_all %*% phi) * L_all)
  }
  var0 <- vfun(theta_hat)
  J <- jacobian(vfun, theta_hat)
  df_all <- 2 * var0^2 / rowSums((J %*% A) * J)
  n_lsm <- nrow(L_lsm); n_con <- nrow(L_con)
  df_lsm <- df_all[seq_len(n_lsm)]
  df_con <- df_all[n_lsm + seq_len(n_con)]
  df_coef <- df_all[n_lsm + n_con + seq_len(ncol(X))]
  names(df_coef) <- colnames(X)
  jt <- joint_tests(fit, data = data, mode = emm_mode)
  list(
    case = paste(name, "reml", subset_label, sep = "_"),
    structure = name,
    method = "REML",
    subset = subset_label,
    optimizer = optimizer,
    restarts = conv$restarts,
    log_likelihood_before_restarts = conv$loglik_before_restarts,
    log_likelihood_after_restarts = conv$loglik_after_restarts,
    newton_steps = conv$newton_steps,
    newton_decrement = conv$newton_decrement,
    n_subjects = length(unique(data$id)),
    n_obs = nrow(data),
    log_likelihood = as.numeric(logLik(fit)),
    log_likelihood_script = -0.5 * m2ll_check,
    gradient_norm_at_gls = sqrt(sum(grad_theta^2)),
    coefficients = as.list(coef(fit)),
    std_errors = as.list(sqrt(diag(vcov(fit)))),
    df_coefficients = as.list(df_coef),
    covariance = vc,
    emmeans_mode = emm_mode,
    lsmeans = lapply(seq_len(nrow(s_emm)), function(i) list(
      arm = as.character(s_emm$arm[i]), visit = as.character(s_emm$visit[i]),
      estimate = s_emm$emmean[i], std_error = s_emm$SE[i], df = df_lsm[i])),
    differences = lapply(seq_len(nrow(con)), function(i) list(
      arm = sub(" - placebo$", "", as.character(con$contrast[i])),
      visit = as.character(con$visit[i]), estimate = con$estimate[i], std_error = con$SE[i],
      df = df_con[i], t_value = con$t.ratio[i])),
    joint_tests = lapply(seq_len(nrow(jt)), function(i) list(
      term = as.character(jt$`model term`[i]), num_df = jt$df1[i], f_value = jt$F.ratio[i]))
  )
}

cases <- list()
post_complete <- droplevels(post[post$patient_id %in% complete_ids, ])
for (subset_label in c("all", "complete")) {
  data <- if (subset_label == "all") post else post_complete
  for (name in names(structures)) {
    message("fitting ", name, " ", subset_label)
    cases[[length(cases) + 1]] <- fit_case(name, data, subset_label)
  }
}

out <- list(
  provenance = golden_provenance(
    "third_party", "tests/reference/mmrm_knee_oa.R", c("nlme", "emmeans", "numDeriv", "jsonlite"),
    data = data_path,
    method = "nlme::gls + emmeans (+ numDeriv for Satterthwaite df)",
    model = "change ~ arm*visit + baseline*visit, REML, reference arm placebo",
    notes = paste(
      "logLik is on the SAS scale (REML without a log|X'X| term); log_likelihood_script",
      "re-evaluates it with the script's own REML criterion at gls's estimates.",
      "df are Satterthwaite df from numDeriv derivatives of the script's REML criterion at",
      "gls's estimates; emmeans is run with mode df.error (its df are not used)."
    ),
    details = list(instrument = "nrs", visits = visits)
  ),
  cases = cases
)
write_json(out, out_path, digits = NA, auto_unbox = TRUE, pretty = TRUE)
message("wrote ", out_path)
