# Reference values for a cohort-level MMRM with the user's own patient-level columns: a numeric
# column (symptom_months, a covariate) and a text column (smoker, a factor), as a clinic's file
# would carry them. From nlme::gls + emmeans, REML, unstructured covariance.
#
# Data: the NRS rows of the bundled knee OA trial (datasets/knee_oa_trial.csv, synthetic) with
# two columns the data contract does not name, derived from the patient number so that the file
# is reproducible: symptom_months = 3 + (37 n mod 97) / 4, smoker = "yes" when n mod 3 = 0, else
# "no". Written to tests/data/knee_oa_own_columns.csv, which the test loads.
#
# Response and arms as in mmrm_knee_oa.R (change from the last non-missing baseline on a day
# <= 0; arms from the recorded `arm` column; reference arm placebo). Models (cases):
#   covariates: change ~ arm*visit + baseline*visit + symptom_months + smoker
#   formula:    change ~ arm*visit + baseline*visit + age + sex + symptom_months + arm:sex
#   severity_4: change ~ arm*visit + baseline*visit on the patients with severity 4 only
# Compared: every coefficient's estimate and SE, each arm minus placebo at each visit
# (emmeans trt.vs.ctrl; df are not compared here: emmeans runs with mode df.error), and the
# Wald F of every term no other term contains (the arm x sex interaction among them), and
# custom contrasts of the arms at each visit.
# Run from the crate root: Rscript tests/reference/mmrm_own_columns.R (never in CI).
suppressPackageStartupMessages({
  library(nlme)
  library(emmeans)
  library(numDeriv)
  library(jsonlite)
})
source("tests/reference/mmrm_gls_polish.R")
source("tests/reference/provenance.R")

src_path <- "datasets/knee_oa_trial.csv"
data_path <- "tests/data/knee_oa_own_columns.csv"
out_path <- "tests/golden/mmrm_own_columns.json"

raw <- read.csv(src_path, stringsAsFactors = FALSE, na.strings = "", colClasses = "character")
raw <- raw[raw$instrument == "nrs", ]
n <- as.integer(sub("^KOA-0*", "", raw$patient_id))
raw$symptom_months <- format(3 + ((37 * n) %% 97) / 4, trim = TRUE)
raw$smoker <- ifelse(n %% 3 == 0, "yes", "no")
write.csv(raw, data_path, row.names = FALSE, quote = FALSE, na = "")

d <- read.csv(data_path, stringsAsFactors = FALSE, na.strings = "")
d$day <- as.integer(d$day)
mean_day <- tapply(d$day, d$visit, mean)
visits <- names(sort(mean_day[mean_day > 0]))
pre <- d[d$day <= 0 & !is.na(d$score), ]
baseline <- tapply(pre$score, pre$patient_id, function(s) s[length(s)])
post <- d[d$day > 0 & d$visit %in% visits, ]
post <- post[!is.na(post$score) & post$patient_id %in% names(baseline), ]
post$baseline <- as.numeric(baseline[post$patient_id])
post$change <- post$score - post$baseline
post$visit <- factor(post$visit, levels = visits)
post$vnum <- as.integer(post$visit)
post$arm <- relevel(factor(post$arm), ref = "placebo")
post$smoker <- factor(post$smoker, levels = c("no", "yes"))
post$id <- factor(post$patient_id)
post <- post[order(post$patient_id, post$vnum), ]

models <- list(
  covariates = change ~ arm * visit + baseline * visit + symptom_months + smoker,
  formula = change ~ arm * visit + baseline * visit + age + sex + symptom_months + arm:sex,
  severity_4 = change ~ arm * visit + baseline * visit
)
# the third case is the standard model on the Kellgren-Lawrence grade 4 patients only (the
# crate's `--where severity=4`)
subsets <- list(covariates = TRUE, formula = TRUE, severity_4 = post$severity == 4)
# Wald F of each term that no other term contains (anova.gls, type = "marginal"): for such a
# term the hypothesis (all its coefficients zero) is the same under any coding of the factors,
# so it equals the crate's Type III test of the term; the F statistic is compared (nlme's
# denominator df, n - p, is not the crate's Satterthwaite df).
maximal_term_tests <- function(fit, model) {
  fac <- attr(terms(model), "factors")
  labels <- colnames(fac)
  contained <- function(j) any(vapply(setdiff(seq_along(labels), j), function(k)
    all(fac[fac[, j] > 0, k] > 0), logical(1)))
  keep <- labels[!vapply(seq_along(labels), contained, logical(1))]
  a <- anova(fit, type = "marginal")
  lapply(keep, function(t) list(term = t, numerator_df = a[t, "numDF"], f = a[t, "F-value"]))
}
# Custom contrasts of the arms' LS-means at each visit (a combination minus each component; an
# average of two arms minus placebo), labelled as the crate's ArmContrast; estimates and SEs
# compared (df are emmeans' df.error here).
custom_contrasts <- function(emm) {
  grid_levels <- unique(as.character(summary(emm)$arm))
  unit <- function(w) {
    v <- setNames(numeric(length(grid_levels)), grid_levels)
    v[names(w)] <- w
    unname(v)
  }
  custom <- list(
    "stem_cell[bone_marrow]+prp - stem_cell[bone_marrow]" =
      unit(c("stem_cell[bone_marrow]+prp" = 1, "stem_cell[bone_marrow]" = -1)),
    "stem_cell[bone_marrow]+prp - prp" = unit(c("stem_cell[bone_marrow]+prp" = 1, prp = -1)),
    "0.5*stem_cell[adipose] + 0.5*stem_cell[bone_marrow] - placebo" =
      unit(c("stem_cell[adipose]" = 0.5, "stem_cell[bone_marrow]" = 0.5, placebo = -1))
  )
  s <- summary(contrast(emm, method = custom), adjust = "none")
  lapply(seq_len(nrow(s)), function(i) list(
    label = as.character(s$contrast[i]), visit = as.character(s$visit[i]),
    estimate = s$estimate[i], std_error = s$SE[i]
  ))
}
fit_case <- function(name) {
  model <- models[[name]]
  data <- droplevels(post[subsets[[name]], ])
  data$arm <- relevel(factor(data$arm), ref = "placebo")
  args <- list(model = model, data = data, method = "REML")
  conv <- fit_gls_converged(args, with_value(corSymm, form = ~ vnum | id), TRUE)
  fit <- conv$fit
  fit$call$model <- model
  # equal weights over the levels of the other factors (emmeans' default), as the crate's
  # LsMeanWeights::Equal
  emm <- emmeans(fit, ~ arm | visit, data = data, mode = "df.error")
  con <- summary(contrast(emm, method = "trt.vs.ctrl"), adjust = "none")
  tt <- summary(fit)$tTable
  list(
    name = name,
    formula = paste(deparse(model[[3]], width.cutoff = 500L), collapse = ""),
    optimizer = conv$optimizer, restarts = conv$restarts,
    newton_steps = conv$newton_steps, newton_decrement = conv$newton_decrement,
    n_subjects = length(unique(data$patient_id)),
    n_observations = nrow(data),
    log_likelihood = as.numeric(logLik(fit)),
    coefficients = lapply(seq_len(nrow(tt)), function(i) list(
      name = rownames(tt)[i], estimate = tt[i, "Value"], std_error = tt[i, "Std.Error"]
    )),
    type3 = maximal_term_tests(fit, model),
    contrasts = custom_contrasts(emm),
    differences = lapply(seq_len(nrow(con)), function(i) list(
      arm = sub(" - placebo$", "", as.character(con$contrast[i])),
      visit = as.character(con$visit[i]),
      estimate = con$estimate[i], std_error = con$SE[i]
    ))
  )
}
cases <- lapply(names(models), fit_case)

out <- list(
  provenance = golden_provenance(
    "third_party", "tests/reference/mmrm_own_columns.R",
    c("nlme", "emmeans", "numDeriv", "jsonlite"),
    data = c(src_path, data_path),
    method = "nlme::gls (corSymm + varIdent, converged and Newton-polished) + emmeans",
    model = paste("change ~ arm*visit + baseline*visit + symptom_months + smoker;",
                  "change ~ arm*visit + baseline*visit + age + sex + symptom_months + arm:sex;",
                  "change ~ arm*visit + baseline*visit on severity 4;",
                  "REML"),
    notes = "tests/data/knee_oa_own_columns.csv is written by this script from the bundled trial",
    details = list(instrument = "nrs", visits = visits)
  ),
  cases = cases
)
write_json(out, out_path, digits = NA, auto_unbox = TRUE, pretty = TRUE)
message("wrote ", out_path)
