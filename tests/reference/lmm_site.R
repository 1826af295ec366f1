# Reference values for the nested site random intercept of stats::lmm and
# analysis::TrajectoryModel: lmer(score ~ arm * t + (1 + t | patient) + (1 | site)).
#   knee_reml, knee_ml:   the bundled knee OA trial (datasets/knee_oa_trial.csv), NRS at every
#                         non-missing assessment, time = day / 365.25, placebo the reference arm,
#                         5 sites.
#   sites_reml, sites_ml: tests/data/lmm_site.csv, generated below (seed 20261207): 300
#                         patients in 8 sites of unequal size, two arms, 7 visits over a year,
#                         a real site SD (0.8), patient intercept and slope SDs 1.2 and 1.0 per
#                         year (correlation -0.3), residual SD 0.8.
#   singular_reml:        tests/data/lmm_site_singular.csv, generated below: 60 patients in 5
#                         sites with no site effect, the first seed from 1 whose REML fit puts
#                         the site SD at 0 (isSingular, tol 1e-4) with the patient part regular.
# Recorded per case: fixed effects with lmerTest's Satterthwaite df, theta, sigma, SDs and the
# correlation, REML criterion / deviance, logLik, AIC, BIC, isSingular, ranef of patients and
# sites with condVar, predict(re.form = NULL) and predict(re.form = NA) for every fifth row
# (0-based indices in predict_rows), the prediction of a new patient (no scores) at a known
# and at an unknown site (allow.new.levels), and the profile confidence interval of the site SD
# (confint(method = "profile", oldNames = TRUE), with a fine grid delta = cutoff / 64 beside
# lme4's default spline). The likelihood-ratio test of the site term (ML fits with and without
# it, anova(refit = FALSE)) for the knee and the generated data.
# Run from the crate root: Rscript tests/reference/lmm_site.R (never in CI).
source("tests/reference/lmm_common.R")

knee_path <- "datasets/knee_oa_trial.csv"
sites_path <- "tests/data/lmm_site.csv"
singular_path <- "tests/data/lmm_site_singular.csv"
out_path <- "tests/golden/lmm_site.json"
level <- 0.95
cutoff <- sqrt(qchisq(level, 1))

simulate_sites <- function(n, site_sizes, site_sd, seed) {
  set.seed(seed)
  days <- c(0, 14, 42, 90, 180, 270, 365)
  site_effect <- rnorm(length(site_sizes), 0, site_sd)
  site_of <- rep(seq_along(site_sizes), site_sizes)
  rows <- list()
  for (i in seq_len(n)) {
    arm <- if (i %% 2 == 0) "placebo" else "prp"
    b0 <- rnorm(1, 0, 1.2)
    b1 <- -0.3 * (1.0 / 1.2) * b0 + rnorm(1, 0, 1.0 * sqrt(1 - 0.09))
    d <- days + c(0, sample(-3:3, length(days) - 1, replace = TRUE))
    keep <- c(TRUE, runif(length(days) - 1) > 0.1)
    t <- d[keep] / 365.25
    s <- site_of[i]
    mu <- 6.5 + site_effect[s] + b0 + (-1.0 - (arm == "prp") * 1.5 + b1) * t
    rows[[i]] <- data.frame(id = sprintf("P%03d", i), site = sprintf("S%d", s), arm = arm,
                            day = d[keep], time = t,
                            y = round(mu + rnorm(length(t), 0, 0.8), 4))
  }
  do.call(rbind, rows)
}

sites <- simulate_sites(300, c(70, 55, 45, 40, 30, 25, 20, 15), 0.8, 20261207)
write.csv(sites, sites_path, row.names = FALSE, quote = FALSE)

for (seed in 1:200) {
  singular <- simulate_sites(60, c(16, 14, 12, 10, 8), 0, seed)
  f <- lmer(y ~ arm * time + (time | id) + (1 | site), singular, control = lmm_control)
  th <- getME(f, "theta")
  if (th[4] < 1e-4 && min(th[c(1, 3)]) > 1e-2) break
}
message("singular data: seed ", seed)
write.csv(singular, singular_path, row.names = FALSE, quote = FALSE)

condvar_groups <- function(g) {
  pv <- attr(g, "condVar")
  if (is.null(pv)) pv <- attr(g, "postVar")
  q <- ncol(g)
  lapply(seq_len(nrow(g)), function(i) list(
    group = rownames(g)[i],
    modes = I(unname(as.numeric(g[i, ]))),
    conditional_covariance = I(as.numeric(t(matrix(pv[, , i], q, q))))
  ))
}

site_interval <- function(fit) {
  par <- ".sig04"
  ci <- suppressWarnings(confint(fit, parm = par, method = "profile", level = level,
                                 oldNames = TRUE))
  pr <- suppressWarnings(profile(fit, which = par, delta = cutoff / 64, signames = TRUE))
  fine <- suppressWarnings(confint(pr, parm = par, level = level))
  list(parameter = par, lower = unname(ci[par, 1]), upper = unname(ci[par, 2]),
       lower_fine = unname(fine[par, 1]), upper_fine = unname(fine[par, 2]))
}

site_case <- function(name, formula, data, reml, patient, new_patient) {
  fit <- lmerTest::lmer(formula, data = data, REML = reml, control = lmm_control)
  s <- summary(fit)$coefficients
  re <- ranef(fit, condVar = TRUE)
  vc <- as.data.frame(VarCorr(fit))
  sd_rows <- vc[is.na(vc$var2), ]
  corr_rows <- vc[!is.na(vc$var2), ]
  nd <- new_patient(data)
  rows <- seq(1, nrow(data), by = 5)
  list(
    name = name,
    formula = deparse(formula),
    reml = reml,
    n_observations = nobs(fit),
    n_sites = nlevels(factor(data$site)),
    fixed = lapply(seq_len(nrow(s)), function(j) list(
      name = rownames(s)[j], estimate = s[j, "Estimate"], std_error = s[j, "Std. Error"],
      df = s[j, "df"], t = s[j, "t value"], p_value = s[j, "Pr(>|t|)"])),
    theta = I(unname(getME(fit, "theta"))),
    sigma = sigma(fit),
    sd = lapply(seq_len(nrow(sd_rows)), function(i) list(
      group = sd_rows$grp[i], name = ifelse(is.na(sd_rows$var1[i]), "", sd_rows$var1[i]),
      variance = sd_rows$vcov[i], std_dev = sd_rows$sdcor[i])),
    correlations = lapply(seq_len(nrow(corr_rows)), function(i) list(
      a = corr_rows$var1[i], b = corr_rows$var2[i], correlation = corr_rows$sdcor[i])),
    criterion = if (reml) REMLcrit(fit) else deviance(fit),
    log_likelihood = as.numeric(logLik(fit)),
    aic = AIC(fit),
    bic = BIC(fit),
    singular = isSingular(fit, tol = 1e-4),
    random_effects = condvar_groups(re[[patient]]),
    site_effects = condvar_groups(re[["site"]]),
    predict_rows = I(rows - 1),
    predict_conditional = I(unname(predict(fit))[rows]),
    predict_population = I(unname(predict(fit, re.form = NA))[rows]),
    new_patient = list(site = as.character(nd$site), time = I(nd$time),
                       arm = as.character(nd$arm),
                       predicted = I(unname(predict(fit, nd, allow.new.levels = TRUE)))),
    site_sd_interval = site_interval(fit),
    optimizer_messages = fit@optinfo$conv$lme4$messages
  )
}

lrt <- function(data, with, without) {
  full <- lmer(with, data, REML = FALSE, control = lmm_control)
  small <- lmer(without, data, REML = FALSE, control = lmm_control)
  a <- anova(full, small, refit = FALSE)
  list(statistic = a$Chisq[2], df = a$Df[2], p_value = a$`Pr(>Chisq)`[2],
       deviance_full = deviance(full), deviance_small = deviance(small))
}

knee <- read.csv(knee_path, stringsAsFactors = FALSE, na.strings = "")
knee <- knee[knee$instrument == "nrs" & !is.na(knee$score), ]
knee$arm <- relevel(factor(knee$arm), ref = "placebo")
knee$time <- knee$day / 365.25
sites$arm <- relevel(factor(sites$arm), ref = "placebo")
singular$arm <- relevel(factor(singular$arm), ref = "placebo")

# a new patient (no scores) in the first arm after the reference, at days 0, 90, 365: at the
# first site of the data and at a site the model has not seen
new_knee <- function(d) data.frame(patient_id = "NEW", site = c("site_01", "site_01", "site_01",
                                   "site_99", "site_99", "site_99"),
                                   arm = factor("prp", levels = levels(d$arm)),
                                   time = rep(c(0, 90, 365) / 365.25, 2))
new_sim <- function(d) data.frame(id = "NEW", site = c("S1", "S1", "S1", "S99", "S99", "S99"),
                                  arm = factor("prp", levels = levels(d$arm)),
                                  time = rep(c(0, 90, 365) / 365.25, 2))

knee_f <- score ~ arm * time + (1 + time | patient_id) + (1 | site)
sim_f <- y ~ arm * time + (1 + time | id) + (1 | site)
cases <- list(
  site_case("knee_reml", knee_f, knee, TRUE, "patient_id", new_knee),
  site_case("knee_ml", knee_f, knee, FALSE, "patient_id", new_knee),
  site_case("sites_reml", sim_f, sites, TRUE, "id", new_sim),
  site_case("sites_ml", sim_f, sites, FALSE, "id", new_sim),
  site_case("singular_reml", sim_f, singular, TRUE, "id", new_sim)
)
stopifnot(cases[[5]]$singular, !cases[[3]]$singular)
tests <- list(
  knee = lrt(knee, knee_f, score ~ arm * time + (1 + time | patient_id)),
  sites = lrt(sites, sim_f, y ~ arm * time + (1 + time | id))
)
out <- list(
  provenance = golden_provenance(
    "third_party", "tests/reference/lmm_site.R", c("lme4", "lmerTest", "jsonlite"),
    data = c(knee_path, sites_path, singular_path),
    method = "lme4::lmer (bobyqa, rhoend 1e-12) + lmerTest (Satterthwaite) + ranef(condVar) + predict + confint(method = 'profile') + anova (LRT)",
    model = "score ~ arm * time + (1 + time | patient_id) + (1 | site); y ~ arm * time + (1 + time | id) + (1 | site)",
    details = list(singular_seed = seed)
  ),
  cases = cases,
  likelihood_ratio_tests = tests
)
write_json(out, out_path, digits = NA, auto_unbox = TRUE, pretty = TRUE)
message("wrote ", out_path)
