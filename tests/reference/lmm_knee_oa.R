# Reference values for analysis::TrajectoryModel on the bundled knee OA trial: the NRS score at
# every non-missing assessment (baseline included), time = day / 365.25, arms from the `arm`
# column with placebo as reference.
#   linear_reml:    score ~ arm * time + (time | patient_id), REML
#   piecewise_reml: score ~ arm * (phase1 + phase2) + (1 | patient_id), knot at day 42
#                   (phase1 = min(day, 42)/365.25, phase2 = max(day - 42, 0)/365.25)
#   log_diagonal_reml: score ~ arm * log_time + (log_time || patient_id), log_time = log(1 + day)
# Compared: everything of lmm_common.R, each arm's slope per phase and its difference from
# placebo (lmerTest::contest1D), the arm mean curves at days 0, 90, 365 (contest1D) and the
# predicted course of two patients (predict with and without random effects).
# Run from the crate root: Rscript tests/reference/lmm_knee_oa.R (never in CI).
# The held-out trial (tests/golden/lmm_heldout.json, the linear case only):
#   Rscript tests/reference/lmm_knee_oa.R tests/data/heldout_knee/knee_oa_trial.csv \
#     tests/golden/lmm_heldout.json linear_reml
source("tests/reference/lmm_common.R")

args <- commandArgs(trailingOnly = TRUE)
data_path <- if (length(args) >= 1) args[1] else "datasets/knee_oa_trial.csv"
out_path <- if (length(args) >= 2) args[2] else "tests/golden/lmm_knee_oa.json"
only <- if (length(args) >= 3) args[3] else NULL
d <- read.csv(data_path, stringsAsFactors = FALSE, na.strings = "")
d <- d[d$instrument == "nrs" & !is.na(d$score), ]
d$arm <- relevel(factor(d$arm), ref = "placebo")
d$time <- d$day / 365.25
d$phase1 <- pmin(d$day, 42) / 365.25
d$phase2 <- pmax(d$day - 42, 0) / 365.25
d$log_time <- log1p(pmax(d$day, 0))
arms <- levels(d$arm)

weights_for <- function(fit, w) {
  b <- fixef(fit)
  v <- setNames(numeric(length(b)), names(b))
  v[names(w)] <- w
  unname(v)
}
slope_contrasts <- function(fit, phases) {
  out <- list()
  for (ph in phases) for (a in arms) {
    w <- c(1)
    names(w) <- ph
    if (a != "placebo") w[paste0("arm", a, ":", ph)] <- 1
    out[[length(out) + 1]] <- list(label = paste0(a, " slope (", ph, ")"), weights = weights_for(fit, w))
    if (a != "placebo") {
      w2 <- c(1)
      names(w2) <- paste0("arm", a, ":", ph)
      out[[length(out) + 1]] <- list(label = paste0(a, " - placebo slope (", ph, ")"),
                                     weights = weights_for(fit, w2))
    }
  }
  out
}
curve_contrasts <- function(fit, tv) {
  out <- list()
  for (day in c(0, 90, 365)) for (a in arms) {
    vals <- tv(day)
    w <- c(`(Intercept)` = 1, vals)
    if (a != "placebo") {
      w[paste0("arm", a)] <- 1
      for (v in names(vals)) w[paste0("arm", a, ":", v)] <- vals[[v]]
    }
    out[[length(out) + 1]] <- list(label = paste0(a, " at day ", day), weights = weights_for(fit, w))
  }
  out
}
courses <- function(fit, tv) {
  lapply(c("KOA-0001", "KOA-0002"), function(id) {
    arm <- as.character(d$arm[d$patient_id == id][1])
    days <- c(0, 42, 180, 365)
    nd <- data.frame(patient_id = id, arm = factor(arm, levels = arms), day = days)
    nd$time <- days / 365.25
    nd$phase1 <- pmin(days, 42) / 365.25
    nd$phase2 <- pmax(days - 42, 0) / 365.25
    nd$log_time <- log1p(pmax(days, 0))
    list(patient = id, days = days, population = unname(predict(fit, nd, re.form = NA)),
         predicted = unname(predict(fit, nd)))
  })
}
run <- function(name, formula, phases, tv) {
  fit <- lmer(formula, d, REML = TRUE, control = lmm_control)
  con <- c(slope_contrasts(fit, phases), curve_contrasts(fit, tv))
  case <- lmm_case(name, formula, d, TRUE, contrasts = con)
  case$courses <- courses(fit, tv)
  case
}
cases <- list(
  run("linear_reml", score ~ arm * time + (time | patient_id), "time",
      function(day) c(time = day / 365.25)),
  run("piecewise_reml", score ~ arm * (phase1 + phase2) + (1 | patient_id), c("phase1", "phase2"),
      function(day) c(phase1 = min(day, 42) / 365.25, phase2 = max(day - 42, 0) / 365.25)),
  run("log_diagonal_reml", score ~ arm * log_time + (log_time || patient_id), "log_time",
      function(day) c(log_time = log1p(max(day, 0))))
)
if (!is.null(only)) cases <- Filter(function(case) case$name == only, cases)
out <- list(
  provenance = golden_provenance(
    "third_party", "tests/reference/lmm_knee_oa.R", c("lme4", "lmerTest", "jsonlite"),
    data = data_path,
    method = "lme4::lmer (bobyqa, rhoend 1e-12) + lmerTest (Satterthwaite, contest1D) + ranef(condVar) + predict",
    model = "score ~ arm * time + (time | patient_id); score ~ arm * (phase1 + phase2) + (1 | patient_id); score ~ arm * log_time + (log_time || patient_id)"
  ),
  cases = cases
)
write_json(out, out_path, digits = NA, auto_unbox = TRUE, pretty = TRUE)
message("wrote ", out_path)
