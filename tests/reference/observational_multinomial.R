# Reference values for the generalised propensity score (analysis::generalised_propensity):
# nnet::multinom(group ~ age + sex + bmi + severity + baseline) on the bundled tendinopathy
# registry with three groups — corticosteroid (the reference category), prp and stem_cell (both
# stem-cell arms) — and the ATE weights 1 / P(own group) with Kish ESS per group.
# multinom maximises by BFGS (optim); run with reltol = 1e-16 so that the coefficients agree
# with an exact Newton maximum to about 1e-7.
# Run from the crate root: Rscript tests/reference/observational_multinomial.R (never in CI).
suppressPackageStartupMessages({
  library(nnet)
  library(jsonlite)
})
source("tests/reference/provenance.R")
out_path <- "tests/golden/observational_multinomial.json"

d <- read.csv("datasets/tendinopathy_registry.csv", stringsAsFactors = FALSE, na.strings = "")
d <- d[d$instrument == "nrs", ]
first <- d[!duplicated(d$patient_id), ]
pre <- d[d$day <= 0 & !is.na(d$score), ]
base <- tapply(pre$score, pre$patient_id, function(s) s[length(s)])
p <- data.frame(patient_id = first$patient_id, therapy = first$therapy, age = first$age,
                sex = factor(first$sex), bmi = first$bmi, severity = first$severity,
                stringsAsFactors = FALSE)
p$baseline <- as.numeric(base[p$patient_id])
groups <- c("corticosteroid", "prp", "stem_cell")
p <- p[p$therapy %in% groups, ]
p <- p[complete.cases(p), ]
p$group <- factor(p$therapy, levels = groups)
m <- multinom(group ~ age + sex + bmi + severity + baseline, data = p, reltol = 1e-16,
              maxit = 10000, trace = FALSE, Hess = TRUE)
probs <- fitted(m)
own <- probs[cbind(seq_len(nrow(p)), as.integer(p$group))]
w <- 1 / own
ess <- sapply(groups, function(g) { x <- w[p$group == g]; sum(x)^2 / sum(x^2) })
golden <- list(
  provenance = golden_provenance(
    "third_party", "tests/reference/observational_multinomial.R", c("nnet", "jsonlite"),
    data = "datasets/tendinopathy_registry.csv",
    method = "nnet::multinom (BFGS, reltol = 1e-16); ATE weights 1 / P(own group); Kish ESS",
    model = "group ~ age + sex + bmi + severity + baseline, reference category corticosteroid"
  ),
  groups = groups,
  terms = colnames(coef(m)),
  coef = unname(coef(m)),
  se = unname(summary(m)$standard.errors),
  deviance = m$deviance,
  patient_ids = p$patient_id,
  probability = unname(own),
  weight = unname(w),
  n = unname(as.vector(table(p$group))),
  ess = unname(ess)
)
write_json(golden, out_path, auto_unbox = TRUE, digits = NA, pretty = TRUE)
cat("wrote", out_path, "\n")
