# Reference values for subgroup and effect-modifier analyses (analysis::subgroups): one ANCOVA
# with an arm x subgroup interaction, from R lm + emmeans.
#
# Data: the NRS rows of the bundled knee OA trial (datasets/knee_oa_trial.csv, synthetic).
# Response: the NRS score at the last post-baseline visit (month_12); baseline: the last
# non-missing score on a day <= 0; arms from the recorded `arm` column, reference placebo;
# complete cases. Cases:
#   severity:   score ~ arm * severity + baseline, severity (Kellgren-Lawrence grade) a factor
#   age_bands:  score ~ arm * age_band + baseline, age cut at 50 and 65 (<50, 50-<65, >=65;
#               a value at a cut point goes up)
#   age_linear: score ~ arm * age + baseline (age continuous: the arm:age coefficients are the
#               slope differences; differences between arms at the mean age)
# Compared: each arm minus placebo within each subgroup (emmeans(~ arm | subgroup),
# trt.vs.ctrl, adjust = "none"; for age_linear at the mean age) with SE, df, p and CI; the
# interaction F of anova(without, with); the patients per arm and subgroup; the slope
# differences (age_linear); responders by subgroup (see responder_case).
# Run from the crate root: Rscript tests/reference/subgroups.R (never in CI).
suppressPackageStartupMessages({
  library(emmeans)
  library(jsonlite)
})
source("tests/reference/provenance.R")

data_path <- "datasets/knee_oa_trial.csv"
out_path <- "tests/golden/subgroups.json"

d <- read.csv(data_path, stringsAsFactors = FALSE, na.strings = "")
d <- d[d$instrument == "nrs", ]
mean_day <- tapply(d$day, d$visit, mean)
visits <- names(sort(mean_day[mean_day > 0]))
last <- visits[length(visits)]
pre <- d[d$day <= 0 & !is.na(d$score), ]
baseline <- tapply(pre$score, pre$patient_id, function(s) s[length(s)])
at <- d[d$visit == last & !is.na(d$score) & d$patient_id %in% names(baseline), ]
at$baseline <- as.numeric(baseline[at$patient_id])
at$arm <- relevel(factor(at$arm), ref = "placebo")
at$severity_subgroup <- factor(at$severity)
at$age_subgroup <- factor(ifelse(at$age < 50, "<50", ifelse(at$age < 65, "50-<65", ">=65")),
                          levels = c("<50", "50-<65", ">=65"))

num <- function(x) as.numeric(x)
cases <- list(
  list(name = "severity", by = "severity", term = "severity_subgroup"),
  list(name = "age_bands", by = "age:50,65", term = "age_subgroup"),
  list(name = "age_linear", by = "age", term = "age")
)

fit_case <- function(case) {
  term <- case$term
  with_f <- as.formula(paste("score ~ arm *", term, "+ baseline"))
  without_f <- as.formula(paste("score ~ arm +", term, "+ baseline"))
  data <- at[complete.cases(at[, c("score", "baseline", term)]), ]
  fit <- lm(with_f, data = data)
  a <- anova(lm(without_f, data = data), fit)
  out <- list(name = case$name, by = case$by, visit = last, n = nrow(data),
              interaction = list(numerator_df = a$Df[2], denominator_df = a$Res.Df[2],
                                 f = a$F[2], p_value = a$`Pr(>F)`[2]))
  if (is.factor(data[[term]])) {
    emm <- emmeans(fit, as.formula(paste("~ arm |", term)))
    con <- summary(contrast(emm, method = "trt.vs.ctrl"), adjust = "none",
                   infer = c(TRUE, TRUE))
    group <- as.character(con[[term]])
    tab <- table(data$arm, data[[term]])
    out$sizes <- lapply(seq_len(length(tab)), function(k) {
      i <- (k - 1) %% nrow(tab) + 1
      j <- (k - 1) %/% nrow(tab) + 1
      list(arm = rownames(tab)[i], subgroup = colnames(tab)[j], patients = tab[i, j])
    })
  } else {
    emm <- emmeans(fit, ~ arm)
    con <- summary(contrast(emm, method = "trt.vs.ctrl"), adjust = "none",
                   infer = c(TRUE, TRUE))
    group <- rep("at mean", nrow(con))
    co <- summary(fit)$coefficients
    rows <- grep(paste0(":", term, "$"), rownames(co))
    out$slope_differences <- lapply(rows, function(i) list(
      name = rownames(co)[i], estimate = co[i, "Estimate"], std_error = co[i, "Std. Error"],
      p_value = co[i, "Pr(>|t|)"]))
  }
  out$estimates <- lapply(seq_len(nrow(con)), function(i) list(
    arm = sub(" - placebo$", "", gsub("[()]", "", as.character(con$contrast[i]))),
    subgroup = group[i], estimate = con$estimate[i], std_error = con$SE[i], df = con$df[i],
    p_value = con$p.value[i], lower = con$lower.CL[i], upper = con$upper.CL[i]))
  out
}

# Responders by subgroup: IMMPACT 30 % (a reduction of at least 30 % from baseline) on NRS at
# month_3, non-responder imputation for a missing score (no events file: no intercurrent
# events); per arm and subgroup the responders and patients, and the likelihood-ratio test of
# the arm x subgroup interaction: anova(glm(r ~ arm + g), glm(r ~ arm * g), test = "LRT").
responder_case <- function(term, visit) {
  ids <- unique(d$patient_id[d$patient_id %in% names(baseline)])
  pat <- d[!duplicated(d$patient_id) & d$patient_id %in% ids, ]
  sc <- d[d$visit == visit & !is.na(d$score), c("patient_id", "score")]
  pat$score <- sc$score[match(pat$patient_id, sc$patient_id)]
  pat$baseline <- as.numeric(baseline[pat$patient_id])
  r <- (pat$baseline - pat$score) / pat$baseline >= 0.3 - 1e-9
  r[is.na(r)] <- FALSE
  pat$r <- r
  pat$arm <- relevel(factor(pat$arm), ref = "placebo")
  pat$g <- factor(pat[[term]])
  pat <- pat[!is.na(pat$g), ]
  m0 <- glm(r ~ arm + g, family = binomial, data = pat, control = glm.control(epsilon = 1e-12, maxit = 100))
  m1 <- glm(r ~ arm * g, family = binomial, data = pat, control = glm.control(epsilon = 1e-12, maxit = 100))
  a <- anova(m0, m1, test = "LRT")
  cells <- aggregate(r ~ arm + g, data = pat, FUN = function(x) c(sum(x), length(x)))
  list(by = sub("_subgroup$", "", term), visit = visit, rule = "immpact30",
       lrt = list(statistic = a$Deviance[2], df = a$Df[2], p_value = a$`Pr(>Chi)`[2]),
       cells = lapply(seq_len(nrow(cells)), function(i) list(
         arm = as.character(cells$arm[i]), subgroup = as.character(cells$g[i]),
         responders = cells$r[i, 1], analysed = cells$r[i, 2])))
}
d$severity_subgroup <- d$severity

out <- list(
  responders = list(responder_case("sex", "month_3"), responder_case("severity_subgroup", "month_6")),
  provenance = golden_provenance(
    "third_party", "tests/reference/subgroups.R", c("emmeans", "jsonlite"),
    data = data_path,
    method = "stats::lm with an arm x subgroup interaction + emmeans(~ arm | subgroup) + anova(lm, lm)",
    model = "score ~ arm * subgroup + baseline at the last visit (severity; age bands 50, 65; age linear)",
    details = list(instrument = "nrs", visit = last)
  ),
  cases = lapply(cases, fit_case)
)
write_json(out, out_path, digits = NA, auto_unbox = TRUE, pretty = TRUE)
message("wrote ", out_path)
