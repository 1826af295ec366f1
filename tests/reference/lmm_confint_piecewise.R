# Reference values for the profile-likelihood intervals of the variance components of
# stats::lmm with three correlated random effects per patient: the piecewise model of
# analysis::TrajectoryModel (TimeScale::Piecewise([42]), an onset and a maintenance phase)
# with a random intercept and a random slope per phase,
#   y ~ arm * (phase1 + phase2) + (phase1 + phase2 | id), REML,
#   phase1 = min(day, 42)/365.25, phase2 = max(day - 42, 0)/365.25,
# on tests/data/lmm_piecewise.csv, which this script generates (seeded, below) when it is
# absent: 80 patients, two arms, visits on days 0, 7, 14, 28, 42, 90, 180, 270, 365 moved by
# up to ±2 days after baseline, about 8 % of follow-ups missed; intercept SD 1.2, onset slope
# SD 12 per year, maintenance slope SD 1.5 per year, correlations -0.3 (intercept, onset),
# 0.2 (intercept, maintenance), 0.4 (onset, maintenance), residual SD 0.6.
#
# As in lmm_confint.R: lme4::confint(fit, method = "profile", oldNames = TRUE) (the ML deviance
# is profiled also for a REML fit), and "fine" from profile(delta = cutoff / 64).
# Run from the crate root: Rscript tests/reference/lmm_confint_piecewise.R (never in CI).
source("tests/reference/lmm_common.R")

data_path <- "tests/data/lmm_piecewise.csv"
out_path <- "tests/golden/lmm_confint_piecewise.json"

if (!file.exists(data_path)) {
  set.seed(20261205)
  days <- c(0, 7, 14, 28, 42, 90, 180, 270, 365)
  sd <- c(1.2, 12, 1.5)
  cor <- matrix(c(1, -0.3, 0.2, -0.3, 1, 0.4, 0.2, 0.4, 1), 3)
  ch <- chol(diag(sd) %*% cor %*% diag(sd))
  rows <- list()
  for (i in 1:80) {
    arm <- if (i %% 2 == 0) "active" else "placebo"
    b <- as.numeric(rnorm(3) %*% ch)
    for (k in seq_along(days)) {
      if (k > 1 && runif(1) < 0.08) next
      day <- days[k] + if (k > 1) sample(-2:2, 1) else 0
      p1 <- min(day, 42) / 365.25
      p2 <- max(day - 42, 0) / 365.25
      act <- arm == "active"
      mu <- 6.5 + b[1] + (-8 - 6 * act + b[2]) * p1 + (-0.5 - 1 * act + b[3]) * p2
      rows[[length(rows) + 1]] <- data.frame(id = sprintf("P%02d", i), arm = arm, day = day,
                                             y = round(mu + rnorm(1, sd = 0.6), 4))
    }
  }
  write.csv(do.call(rbind, rows), data_path, row.names = FALSE, quote = FALSE)
}

d <- read.csv(data_path)
d$arm <- relevel(factor(d$arm), ref = "placebo")
d$phase1 <- pmin(d$day, 42) / 365.25
d$phase2 <- pmax(d$day - 42, 0) / 365.25

level <- 0.95
cutoff <- sqrt(qchisq(level, 1))
formula <- y ~ arm * (phase1 + phase2) + (phase1 + phase2 | id)
fit <- lmer(formula, data = d, REML = TRUE, control = lmm_control)
stopifnot(!isSingular(fit))
ci <- suppressWarnings(confint(fit, parm = "theta_", method = "profile", level = level,
                               oldNames = TRUE))
pr <- suppressWarnings(profile(fit, which = "theta_", delta = cutoff / 64, signames = TRUE))
fine <- suppressWarnings(confint(pr, level = level))
case <- list(
  name = "piecewise_three_effects_reml",
  formula = deparse(formula),
  reml = TRUE,
  level = level,
  theta = getME(fit, "theta"),
  intervals = lapply(seq_len(nrow(ci)), function(i) list(
    parameter = rownames(ci)[i],
    lower = unname(ci[i, 1]), upper = unname(ci[i, 2]),
    lower_fine = unname(fine[rownames(ci)[i], 1]),
    upper_fine = unname(fine[rownames(ci)[i], 2])))
)
out <- list(
  provenance = golden_provenance(
    "third_party", "tests/reference/lmm_confint_piecewise.R", c("lme4", "jsonlite"),
    data = data_path,
    method = "lme4::confint.merMod(method = 'profile', oldNames = TRUE); profile(delta = cutoff/64) for the fine limits",
    model = "y ~ arm * (phase1 + phase2) + (phase1 + phase2 | id), knot at day 42",
    notes = "three correlated random effects per patient; lme4 profiles the ML deviance also for REML fits"
  ),
  cases = list(case)
)
write_json(out, out_path, digits = NA, auto_unbox = TRUE, pretty = TRUE)
message("wrote ", out_path)
