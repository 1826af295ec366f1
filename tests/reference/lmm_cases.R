# Reference values for stats::lmm on two generated datasets (committed under tests/data/):
#   lmm_slopes.csv:   60 patients, two arms, 7 visits over a year (irregular days), real random
#                     intercepts and slopes (SDs 1.2 and 1.5 per year, correlation -0.4);
#                     y ~ arm*time + (time | id), REML and ML, and (time || id) REML.
#   lmm_singular.csv: 12 patients, 4 visits, no slope variation at all: lme4 flags
#                     y ~ time + (time | id) as singular (isSingular, tol 1e-4).
# Run from the crate root: Rscript tests/reference/lmm_cases.R (never in CI).
source("tests/reference/lmm_common.R")

slopes_path <- "tests/data/lmm_slopes.csv"
singular_path <- "tests/data/lmm_singular.csv"
out_path <- "tests/golden/lmm_cases.json"

set.seed(20261205)
n <- 60
days <- c(0, 14, 42, 90, 180, 270, 365)
rows <- list()
for (i in seq_len(n)) {
  arm <- if (i <= n / 2) "placebo" else "prp"
  b0 <- rnorm(1, 0, 1.2)
  b1 <- -0.4 * (1.5 / 1.2) * b0 + rnorm(1, 0, 1.5 * sqrt(1 - 0.16))
  d <- days + c(0, sample(-3:3, length(days) - 1, replace = TRUE))
  keep <- c(TRUE, runif(length(days) - 1) > 0.1)
  t <- d[keep] / 365.25
  mu <- 6.5 + b0 + (-1.0 - (arm == "prp") * 1.5 + b1) * t
  rows[[i]] <- data.frame(id = sprintf("S%02d", i), arm = arm, day = d[keep], time = t,
                          y = round(mu + rnorm(length(t), 0, 0.8), 4))
}
slopes <- do.call(rbind, rows)
write.csv(slopes, slopes_path, row.names = FALSE, quote = FALSE)

# the first seed from 1 whose data lme4 fits as singular
for (seed in 1:100) {
  set.seed(seed)
  rows <- list()
  for (i in 1:12) {
    t <- c(0, 1, 2, 3)
    rows[[i]] <- data.frame(id = sprintf("G%02d", i), time = t,
                            y = round(5 + rnorm(1, 0, 1) - 0.5 * t + rnorm(4, 0, 1), 4))
  }
  singular <- do.call(rbind, rows)
  f <- lmer(y ~ time + (time | id), singular, control = lmm_control)
  if (isSingular(f, tol = 1e-4)) break
}
message("singular data: seed ", seed)
write.csv(singular, singular_path, row.names = FALSE, quote = FALSE)

s <- read.csv(slopes_path)
s$arm <- relevel(factor(s$arm), ref = "placebo")
g <- read.csv(singular_path)
# slope of prp and its difference from placebo (columns: (Intercept), armprp, time, armprp:time)
slope_contrasts <- list(list(label = "prp slope", weights = c(0, 0, 1, 1)),
                        list(label = "prp - placebo slope", weights = c(0, 0, 0, 1)))
cases <- list(
  lmm_case("slopes_reml", y ~ arm * time + (time | id), s, TRUE, contrasts = slope_contrasts),
  lmm_case("slopes_ml", y ~ arm * time + (time | id), s, FALSE),
  lmm_case("slopes_diagonal_reml", y ~ arm * time + (time || id), s, TRUE),
  lmm_case("singular_reml", y ~ time + (time | id), g, TRUE)
)
stopifnot(cases[[4]]$singular, !cases[[1]]$singular)
out <- list(
  provenance = golden_provenance(
    "third_party", "tests/reference/lmm_cases.R", c("lme4", "lmerTest", "jsonlite"),
    data = c(slopes_path, singular_path),
    method = "lme4::lmer (bobyqa, rhoend 1e-12) + lmerTest (Satterthwaite, contest1D) + ranef(condVar) + predict",
    details = list(singular_seed = seed),
    model = "y ~ arm*time + (time | id); y ~ arm*time + (time || id); y ~ time + (time | id) (singular)"
  ),
  cases = cases
)
write_json(out, out_path, digits = NA, auto_unbox = TRUE, pretty = TRUE)
message("wrote ", out_path)
