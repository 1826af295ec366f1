# Reference values for stats::lmm on lme4's sleepstudy: Reaction ~ Days with correlated
# random intercept and slope per Subject (REML and ML), a random intercept only, and
# uncorrelated intercept and slope (Days || Subject); plus the likelihood-ratio test of the
# intercept-only against the correlated model (ML, anova).
# Writes tests/data/sleepstudy.csv (the data, from lme4) and tests/golden/lmm_sleepstudy.json.
# Run from the crate root: Rscript tests/reference/lmm_sleepstudy.R (never in CI).
source("tests/reference/lmm_common.R")

data_path <- "tests/data/sleepstudy.csv"
out_path <- "tests/golden/lmm_sleepstudy.json"
d <- lme4::sleepstudy
write.csv(data.frame(Reaction = sprintf("%.17g", d$Reaction), Days = d$Days,
                     Subject = as.character(d$Subject)),
          data_path, row.names = FALSE, quote = FALSE)
d <- read.csv(data_path)
d$Subject <- factor(d$Subject)

cases <- list(
  lmm_case("correlated_reml", Reaction ~ Days + (Days | Subject), d, TRUE,
           contrasts = list(list(label = "day 5", weights = c(1, 5)))),
  lmm_case("correlated_ml", Reaction ~ Days + (Days | Subject), d, FALSE),
  lmm_case("intercept_reml", Reaction ~ Days + (1 | Subject), d, TRUE),
  lmm_case("intercept_ml", Reaction ~ Days + (1 | Subject), d, FALSE),
  lmm_case("diagonal_reml", Reaction ~ Days + (Days || Subject), d, TRUE)
)
big <- lmer(Reaction ~ Days + (Days | Subject), d, REML = FALSE, control = lmm_control)
small <- lmer(Reaction ~ Days + (1 | Subject), d, REML = FALSE, control = lmm_control)
a <- anova(small, big, refit = FALSE)
out <- list(
  provenance = golden_provenance(
    "third_party", "tests/reference/lmm_sleepstudy.R", c("lme4", "lmerTest", "jsonlite"),
    data = data_path,
    method = "lme4::lmer (bobyqa, rhoend 1e-12) + lmerTest (Satterthwaite) + ranef(condVar) + predict + anova",
    model = "Reaction ~ Days + (Days | Subject); (1 | Subject); (Days || Subject)"
  ),
  cases = cases,
  lrt = list(statistic = a$Chisq[2], df = a$Df[2], p_value = a$`Pr(>Chisq)`[2])
)
write_json(out, out_path, digits = NA, auto_unbox = TRUE, pretty = TRUE)
message("wrote ", out_path)
