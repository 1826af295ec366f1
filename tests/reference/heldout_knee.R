# Reference values for a held-out knee OA trial (tests/data/heldout_knee/knee_oa_trial.csv:
# written by the crate's simulator, preset knee_oa_trial, seed 20261205, 360 patients; never used
# while the analyses were written). Arms from the recorded `arm` column (stem cells from two
# sources, stem cells + PRP, PRP, corticosteroid, placebo); reference placebo; NRS; baseline the
# last non-missing score on a day <= 0.
#
# 1. MMRM (change ~ arm*visit + baseline*visit, unstructured, REML; nlme::gls converged and
#    Newton-polished) and custom contrasts of arms at every visit (emmeans; estimate and SE).
# 2. ANCOVA of the score at the last visit (score ~ arm + baseline): the overall F of arm
#    (drop1), and multcomp::glht Dunnett (each arm vs placebo) and Tukey (all pairs):
#    estimates, SEs, single-step adjusted p and simultaneous 95 % intervals, integrated with
#    abseps = 1e-8 (set.seed fixed).
# 3. Subgroups by Kellgren-Lawrence grade at month_12: score ~ arm * severity + baseline, the
#    interaction F (anova of the nested models) and each arm vs placebo per grade (emmeans).
# Run from the crate root: Rscript tests/reference/heldout_knee.R (never in CI).
suppressPackageStartupMessages({
  library(nlme)
  library(emmeans)
  library(numDeriv)
  library(multcomp)
  library(jsonlite)
})
source("tests/reference/mmrm_gls_polish.R")
source("tests/reference/provenance.R")

data_path <- "tests/data/heldout_knee/knee_oa_trial.csv"
out_path <- "tests/golden/heldout_knee.json"

d <- read.csv(data_path, stringsAsFactors = FALSE, na.strings = "")
d <- d[d$instrument == "nrs", ]
mean_day <- tapply(d$day, d$visit, mean)
visits <- names(sort(mean_day[mean_day > 0]))
last <- visits[length(visits)]
pre <- d[d$day <= 0 & !is.na(d$score), ]
baseline <- tapply(pre$score, pre$patient_id, function(s) s[length(s)])

# 1. MMRM and contrasts
post <- d[d$day > 0 & d$visit %in% visits, ]
post <- post[!is.na(post$score) & post$patient_id %in% names(baseline), ]
post$baseline <- as.numeric(baseline[post$patient_id])
post$change <- post$score - post$baseline
post$visit <- factor(post$visit, levels = visits)
post$vnum <- as.integer(post$visit)
post$arm <- relevel(factor(post$arm), ref = "placebo")
post$id <- factor(post$patient_id)
post <- post[order(post$patient_id, post$vnum), ]
model <- change ~ arm * visit + baseline * visit
args <- list(model = model, data = post, method = "REML")
conv <- fit_gls_converged(args, with_value(corSymm, form = ~ vnum | id), TRUE)
fit <- conv$fit
fit$call$model <- model
emm <- emmeans(fit, ~ arm | visit, data = post, mode = "df.error")
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
  "stem_cell[adipose] - stem_cell[bone_marrow]" =
    unit(c("stem_cell[adipose]" = 1, "stem_cell[bone_marrow]" = -1)),
  "stem_cell[adipose] - corticosteroid" = unit(c("stem_cell[adipose]" = 1, corticosteroid = -1))
)
s <- summary(contrast(emm, method = custom), adjust = "none")
mmrm_contrasts <- lapply(seq_len(nrow(s)), function(i) list(
  label = as.character(s$contrast[i]), visit = as.character(s$visit[i]),
  estimate = s$estimate[i], std_error = s$SE[i]))

# 2. ANCOVA at the last visit: overall F, Dunnett and Tukey
at <- d[d$visit == last & !is.na(d$score) & d$patient_id %in% names(baseline), ]
at$baseline <- as.numeric(baseline[at$patient_id])
at$arm <- relevel(factor(at$arm), ref = "placebo")
lmfit <- lm(score ~ arm + baseline, data = at)
dr <- drop1(lmfit, test = "F")
glht_family <- function(type) {
  g <- glht(lmfit, linfct = mcp(arm = type))
  set.seed(20261205)
  sm <- summary(g, test = adjusted("single-step", abseps = 1e-8, maxpts = 5e6))
  set.seed(20261205)
  ci <- confint(g, level = 0.95, calpha = adjusted_calpha(abseps = 1e-8, maxpts = 5e6))
  list(type = type, critical_value = attr(ci$confint, "calpha"),
       rows = lapply(seq_along(sm$test$coefficients), function(i) list(
         label = names(sm$test$coefficients)[i], estimate = unname(sm$test$coefficients[i]),
         std_error = unname(sm$test$sigma[i]), statistic = unname(sm$test$tstat[i]),
         adjusted_p = unname(sm$test$pvalues[i]),
         lower = unname(ci$confint[i, "lwr"]), upper = unname(ci$confint[i, "upr"]))))
}
ancova <- list(visit = last, n = nrow(at), df_residual = lmfit$df.residual,
               arm_f = dr["arm", "F value"], arm_p = dr["arm", "Pr(>F)"],
               arm_df = dr["arm", "Df"],
               dunnett = glht_family("Dunnett"), tukey = glht_family("Tukey"))

# 3. Subgroups by severity at month_12
at$severity_subgroup <- factor(at$severity)
sub <- at[!is.na(at$severity_subgroup), ]
with_i <- lm(score ~ arm * severity_subgroup + baseline, data = sub)
without_i <- lm(score ~ arm + severity_subgroup + baseline, data = sub)
a <- anova(without_i, with_i)
con <- summary(contrast(emmeans(with_i, ~ arm | severity_subgroup), method = "trt.vs.ctrl"),
               adjust = "none")
subgroups <- list(
  visit = last,
  interaction = list(numerator_df = a$Df[2], denominator_df = a$Res.Df[2], f = a$F[2],
                     p_value = a$`Pr(>F)`[2]),
  estimates = lapply(seq_len(nrow(con)), function(i) list(
    arm = sub(" - placebo$", "", gsub("[()]", "", as.character(con$contrast[i]))),
    subgroup = as.character(con$severity_subgroup[i]), estimate = con$estimate[i],
    std_error = con$SE[i], df = con$df[i], p_value = con$p.value[i])))

out <- list(
  provenance = golden_provenance(
    "third_party", "tests/reference/heldout_knee.R",
    c("nlme", "emmeans", "numDeriv", "multcomp", "mvtnorm", "jsonlite"),
    data = data_path,
    method = "nlme::gls + emmeans; lm + drop1 + multcomp::glht (single-step, abseps 1e-8); lm arm x severity + anova + emmeans",
    model = "change ~ arm*visit + baseline*visit (UN, REML); score ~ arm + baseline at the last visit; score ~ arm*severity + baseline",
    notes = "held-out data from the crate's simulator (preset knee_oa_trial, seed 20261205, 360 patients)",
    details = list(instrument = "nrs", visits = visits)
  ),
  mmrm_contrasts = mmrm_contrasts,
  ancova = ancova,
  subgroups = subgroups
)
write_json(out, out_path, digits = NA, auto_unbox = TRUE, pretty = TRUE)
message("wrote ", out_path)
