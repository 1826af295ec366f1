# Reference values for the profile-likelihood intervals of the variance components of
# stats::lmm: lme4::confint(fit, method = "profile", oldNames = TRUE) on sleepstudy
# (Reaction ~ Days + (Days | Subject), REML and ML; (Days || Subject) REML) and on the
# generated random-slopes data of lmm_cases.R (y ~ arm * time + (time | id), REML) and its
# singular case (y ~ time + (time | id), REML).
#
# lme4's profile refits a REML model by ML (devfun2 calls refitML), so the intervals of a REML
# fit are those of the ML deviance. confint interpolates the profile with splines through the
# points profile() computes (default delta = cutoff / 8); "fine" repeats the profile with
# delta = cutoff / 64 to show how far the default interpolation is from the exact limits.
# Run from the crate root: Rscript tests/reference/lmm_confint.R (never in CI).
source("tests/reference/lmm_common.R")

out_path <- "tests/golden/lmm_confint.json"
sleep <- read.csv("tests/data/sleepstudy.csv")
sleep$Subject <- factor(sleep$Subject)
slopes <- read.csv("tests/data/lmm_slopes.csv")
slopes$arm <- relevel(factor(slopes$arm), ref = "placebo")
singular <- read.csv("tests/data/lmm_singular.csv")

level <- 0.95
cutoff <- sqrt(qchisq(level, 1))

ci_case <- function(name, formula, data, reml) {
  fit <- lmer(formula, data = data, REML = reml, control = lmm_control)
  ci <- suppressWarnings(confint(fit, parm = "theta_", method = "profile", level = level,
                                 oldNames = TRUE))
  pr <- suppressWarnings(profile(fit, which = "theta_", delta = cutoff / 64,
                                 signames = TRUE))
  fine <- suppressWarnings(confint(pr, level = level))
  list(
    name = name,
    formula = deparse(formula),
    reml = reml,
    level = level,
    intervals = lapply(seq_len(nrow(ci)), function(i) list(
      parameter = rownames(ci)[i],
      lower = unname(ci[i, 1]), upper = unname(ci[i, 2]),
      lower_fine = unname(fine[rownames(ci)[i], 1]),
      upper_fine = unname(fine[rownames(ci)[i], 2])))
  )
}

# The profile of the singular case's intercept SD reaches the cutoff below the grid lme4's
# profile() stops at, so confint's spline limit is not the root there: find that limit
# directly, the ML deviance (lme4's devfun2) minimised over the other parameters by bobyqa
# (several starts, bounds -1 <= cor <= 1, SDs >= 0) and the root by uniroot.
direct_lower_sd01 <- function(formula, data) {
  fit <- lmer(formula, data = data, REML = FALSE, control = lmm_control)
  dd <- lme4:::devfun2(fit, useSc = TRUE, signames = TRUE)
  base <- attr(dd, "basedev")
  opt <- attr(dd, "optimum")[1:4]
  excess <- function(c) {
    starts <- list(opt[2:4], c(0.9, 0.01, opt[4]), c(-0.9, 0.01, opt[4]), c(0, 0.1, opt[4]),
                   c(1, 0, opt[4]), c(-1, 0, opt[4]))
    best <- Inf
    for (st in starts) {
      r <- minqa::bobyqa(st, function(p) dd(c(c, p)), lower = c(-1, 0, 1e-6),
                         upper = c(1, Inf, Inf), control = list(rhoend = 1e-12, maxfun = 1e5))
      best <- min(best, r$fval)
    }
    best - base - qchisq(level, 1)
  }
  uniroot(excess, c(1e-3, opt[1]), tol = 1e-12)$root
}

cases <- list(
  ci_case("sleepstudy_correlated_reml", Reaction ~ Days + (Days | Subject), sleep, TRUE),
  ci_case("sleepstudy_correlated_ml", Reaction ~ Days + (Days | Subject), sleep, FALSE),
  ci_case("sleepstudy_diagonal_reml", Reaction ~ Days + (Days || Subject), sleep, TRUE),
  ci_case("slopes_reml", y ~ arm * time + (time | id), slopes, TRUE),
  ci_case("singular_reml", y ~ time + (time | id), singular, TRUE)
)
cases[[5]]$direct_lower_sd01 <- direct_lower_sd01(y ~ time + (time | id), singular)
out <- list(
  provenance = golden_provenance(
    "third_party", "tests/reference/lmm_confint.R", c("lme4", "minqa", "jsonlite"),
    data = c("tests/data/sleepstudy.csv", "tests/data/lmm_slopes.csv",
             "tests/data/lmm_singular.csv"),
    method = "lme4::confint.merMod(method = 'profile', oldNames = TRUE); profile(delta = cutoff/64) for the fine limits",
    model = "Reaction ~ Days + (Days | Subject); (Days || Subject); y ~ arm*time + (time | id); y ~ time + (time | id) (singular)",
    notes = paste("lme4 profiles the ML deviance also for REML fits (refitML in devfun2);",
                  "direct_lower_sd01: the singular case's .sig01 lower limit by root finding")
  ),
  cases = cases
)
write_json(out, out_path, digits = NA, auto_unbox = TRUE, pretty = TRUE)
message("wrote ", out_path)
