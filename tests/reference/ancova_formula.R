# Reference values for the cohort-level ANCOVA with the researcher's own model formula
# (AncovaBuilder), from R lm + emmeans.
#
# Data: tests/data/knee_oa_own_columns.csv (written by tests/reference/mmrm_own_columns.R from
# the bundled knee OA trial: the NRS rows with two columns the data contract does not name,
# symptom_months and smoker). Response: the NRS score at the last post-baseline visit; baseline:
# the last non-missing score on a day <= 0; arms from the recorded `arm` column, reference
# placebo; complete cases. Models (cases):
#   interaction: score ~ arm*sex + baseline + age + symptom_months
#   covariates:  score ~ arm + baseline + smoker + symptom_months
# Compared: coefficients (estimate, SE), residual df and sigma, the LS-mean of every arm
# (emmeans, equal weights over the other factors, covariates at their means) and each arm minus
# placebo (trt.vs.ctrl, adjust = "none") with SE and df, the Type III F tests of the factor
# terms (the hypothesis of emmeans::joint_tests, computed unrounded) and, for the interaction,
# the F of anova(without, with); contrast families of the arms' LS-means (all pairs with and
# without Holm's adjustment; a combination minus each component; an average of two arms).
# Run from the crate root: Rscript tests/reference/ancova_formula.R (never in CI).
suppressPackageStartupMessages({
  library(emmeans)
  library(jsonlite)
})
source("tests/reference/provenance.R")

data_path <- "tests/data/knee_oa_own_columns.csv"
out_path <- "tests/golden/ancova_formula.json"

d <- read.csv(data_path, stringsAsFactors = FALSE, na.strings = "")
mean_day <- tapply(d$day, d$visit, mean)
visits <- names(sort(mean_day[mean_day > 0]))
last <- visits[length(visits)]
pre <- d[d$day <= 0 & !is.na(d$score), ]
baseline <- tapply(pre$score, pre$patient_id, function(s) s[length(s)])
at <- d[d$visit == last & !is.na(d$score) & d$patient_id %in% names(baseline), ]
at$baseline <- as.numeric(baseline[at$patient_id])
at$arm <- relevel(factor(at$arm), ref = "placebo")
at$sex <- factor(at$sex)
at$smoker <- factor(at$smoker)

models <- list(
  interaction = score ~ arm * sex + baseline + age + symptom_months,
  covariates = score ~ arm + baseline + smoker + symptom_months
)
without <- list(interaction = score ~ arm + sex + baseline + age + symptom_months)

# The terms of `model` made of factors only (as character vectors of factor names).
factor_terms <- function(model) {
  fac <- attr(terms(model), "factors")
  is_factor <- vapply(rownames(fac), function(v) is.factor(at[[v]]), logical(1))
  keep <- colnames(fac)[vapply(colnames(fac), function(t)
    all(is_factor[fac[, t] > 0]), logical(1))]
  lapply(keep, function(t) rownames(fac)[fac[, t] > 0])
}
# Type III F of a factor term on the emmeans reference grid (equal weights, covariates at their
# means): the interaction contrasts (each level minus the first, crossed over the term's
# factors) of the cell means, F = (Lb)'(LVL')^-1(Lb)/q with V = vcov(fit). This is the
# hypothesis of emmeans::joint_tests, computed here without its rounding of F to 3 decimals.
wald_f <- function(fit, fs) {
  emm <- emmeans(fit, fs)
  con <- contrast(emm, interaction = rep("trt.vs.ctrl", length(fs)))
  L <- con@linfct
  b <- L %*% coef(fit)
  q <- qr(L)$rank
  f <- as.numeric(t(b) %*% solve(L %*% vcov(fit) %*% t(L), b)) / q
  list(term = paste(fs, collapse = ":"), numerator_df = q, denominator_df = fit$df.residual,
       f = f, p_value = pf(f, q, fit$df.residual, lower.tail = FALSE))
}
# Contrast families of arm LS-means, labelled as the crate labels them: all pairs "b - a" for
# a before b in sorted order (the crate's ArmContrast::pairwise), Holm-adjusted; and custom
# contrasts (a combination minus each component, and an average of two arms minus placebo),
# unadjusted.
contrast_families <- function(emm, arms) {
  # contrast() reads coefficient vectors by position, in the grid's level order
  grid_levels <- as.character(summary(emm)$arm)
  unit <- function(w) {
    v <- setNames(numeric(length(grid_levels)), grid_levels)
    v[names(w)] <- w
    unname(v)
  }
  pairs <- list()
  for (i in seq_along(arms)) for (j in seq_along(arms)) if (i < j) {
    pairs[[paste(arms[j], "-", arms[i])]] <- unit(setNames(c(1, -1), c(arms[j], arms[i])))
  }
  custom <- list(
    "stem_cell[bone_marrow]+prp - stem_cell[bone_marrow]" =
      unit(c("stem_cell[bone_marrow]+prp" = 1, "stem_cell[bone_marrow]" = -1)),
    "stem_cell[bone_marrow]+prp - prp" = unit(c("stem_cell[bone_marrow]+prp" = 1, prp = -1)),
    "0.5*stem_cell[adipose] + 0.5*stem_cell[bone_marrow] - placebo" =
      unit(c("stem_cell[adipose]" = 0.5, "stem_cell[bone_marrow]" = 0.5, placebo = -1))
  )
  family <- function(name, method, adjust) {
    s <- summary(contrast(emm, method = method), adjust = adjust, infer = c(TRUE, TRUE))
    list(family = name, adjust = adjust, rows = lapply(seq_len(nrow(s)), function(i) list(
      label = as.character(s$contrast[i]), estimate = s$estimate[i], std_error = s$SE[i],
      df = s$df[i], p_value = s$p.value[i], lower = s$lower.CL[i], upper = s$upper.CL[i]
    )))
  }
  # the unadjusted p of each pair, for the Holm check
  list(family("pairwise", pairs, "holm"), family("pairwise", pairs, "none"),
       family("custom", custom, "none"))
}
fit_case <- function(name) {
  model <- models[[name]]
  data <- at[complete.cases(at[, all.vars(model)]), ]
  fit <- lm(model, data = data)
  co <- summary(fit)$coefficients
  emm <- emmeans(fit, ~ arm)
  ls <- summary(emm)
  con <- summary(contrast(emm, method = "trt.vs.ctrl"), adjust = "none")
  type3 <- lapply(factor_terms(model), function(fs) wald_f(fit, fs))
  out <- list(
    name = name,
    formula = paste(deparse(model[[3]], width.cutoff = 500L), collapse = ""),
    visit = last,
    n = nrow(data),
    df_residual = fit$df.residual,
    sigma = summary(fit)$sigma,
    coefficients = lapply(seq_len(nrow(co)), function(i) list(
      name = rownames(co)[i], estimate = co[i, "Estimate"], std_error = co[i, "Std. Error"]
    )),
    lsmeans = lapply(seq_len(nrow(ls)), function(i) list(
      arm = as.character(ls$arm[i]), estimate = ls$emmean[i], std_error = ls$SE[i], df = ls$df[i]
    )),
    differences = lapply(seq_len(nrow(con)), function(i) list(
      arm = sub(" - placebo$", "", as.character(con$contrast[i])),
      estimate = con$estimate[i], std_error = con$SE[i], df = con$df[i], p_value = con$p.value[i]
    )),
    type3 = type3,
    contrasts = contrast_families(emm, sort(levels(data$arm)))
  )
  if (!is.null(without[[name]])) {
    a <- anova(lm(without[[name]], data = data), fit)
    out$interaction_test <- list(numerator_df = a$Df[2], denominator_df = a$Res.Df[2],
                                 f = a$F[2], p_value = a$`Pr(>F)`[2])
  }
  out
}

out <- list(
  provenance = golden_provenance(
    "third_party", "tests/reference/ancova_formula.R", c("emmeans", "jsonlite"),
    data = data_path,
    method = "stats::lm + emmeans (emmeans, trt.vs.ctrl, interaction contrasts) + anova(lm, lm)",
    model = "score ~ arm*sex + baseline + age + symptom_months; score ~ arm + baseline + smoker + symptom_months",
    details = list(instrument = "nrs", visit = last)
  ),
  cases = lapply(names(models), fit_case)
)
write_json(out, out_path, digits = NA, auto_unbox = TRUE, pretty = TRUE)
message("wrote ", out_path)
