# Reference values for the tail-accurate distribution helpers (src/stats/dist.rs):
# upper-tail p-values of t, F, chi-square and the normal at extreme arguments, lower tails
# of F (cdf + sf = 1 check), and quantiles qt/qnorm/qchisq/qf.
# Run from the crate root: Rscript tests/reference/compare_dist_tails.R
# Writes tests/golden/compare_dist_tails.json.
library(jsonlite)
source("tests/reference/provenance.R")

keep <- function(p) is.finite(p) && p > 1e-300

pt_cases <- list()
for (df in c(1, 1.5, 2, 3, 5, 10, 30, 100, 1000, 1e4, 1e5, 3e5, 4e5, 5e5, 1e6)) {
  for (t in c(-3, 0.5, 2, 5, 10, 30, 100, 1e3, 1e4, 1e6)) {
    p <- pt(t, df, lower.tail = FALSE)
    if (keep(p)) pt_cases[[length(pt_cases) + 1]] <- list(t = t, df = df, p = p)
  }
}

pf_cases <- list()
for (df1 in c(1, 2, 3, 5, 20)) for (df2 in c(1, 2, 3, 5, 10, 100, 1000, 1e5)) {
  for (f in c(1e-6, 0.01, 0.5, 2, 10, 100, 1e4, 1e8)) {
    p <- pf(f, df1, df2, lower.tail = FALSE)
    lo <- pf(f, df1, df2, lower.tail = TRUE)
    if (keep(p) && keep(lo)) pf_cases[[length(pf_cases) + 1]] <- list(f = f, df1 = df1, df2 = df2, p = p, lower = lo)
  }
}

pchisq_cases <- list()
for (df in c(1, 2, 3, 10, 50, 200, 1000, 1e4)) {
  for (x in c(1e-4, 1, 10, 50, 100, 300, 1000, 1400, 2e4)) {
    p <- pchisq(x, df, lower.tail = FALSE)
    if (keep(p)) pchisq_cases[[length(pchisq_cases) + 1]] <- list(x = x, df = df, p = p)
  }
}

pnorm_cases <- list()
for (z in c(-5, 0, 0.5, 1, 1.96, 5, 8, 10, 20, 30, 37)) {
  pnorm_cases[[length(pnorm_cases) + 1]] <- list(z = z, p = pnorm(z, lower.tail = FALSE))
}

probs <- c(1e-15, 1e-10, 1e-6, 0.001, 0.025, 0.1, 0.3, 0.5, 0.7, 0.9, 0.975, 0.999, 0.999999)
qt_cases <- list()
for (df in c(1, 2, 2.5, 3, 5, 10, 30, 100, 1e4, 1e6)) for (p in probs) {
  qt_cases[[length(qt_cases) + 1]] <- list(p = p, df = df, q = qt(p, df))
}
qnorm_cases <- lapply(c(1e-300, 1e-100, 1e-20, probs), function(p) list(p = p, q = qnorm(p)))
qchisq_cases <- list()
for (df in c(1, 2, 3, 10, 100, 1000)) for (p in probs) {
  qchisq_cases[[length(qchisq_cases) + 1]] <- list(p = p, df = df, q = qchisq(p, df))
}
qf_cases <- list()
for (df1 in c(1, 2, 5)) for (df2 in c(1, 3, 10, 100)) for (p in c(1e-6, 0.05, 0.5, 0.95, 0.999)) {
  # R's qf computes (1 / qbeta(p, df2/2, df1/2, lower.tail = FALSE) - 1) * df2 / df1, which
  # cancels for small p (qbeta near 1): there the reference is the same quantile from the
  # lower-side qbeta, x / (1 - x) * df2 / df1 with x = qbeta(p, df1/2, df2/2). Both are kept.
  q_lower_side <- if (p < 0.5) { x <- qbeta(p, df1 / 2, df2 / 2); x / (1 - x) * df2 / df1 } else qf(p, df1, df2)
  qf_cases[[length(qf_cases) + 1]] <- list(p = p, df1 = df1, df2 = df2, q = qf(p, df1, df2),
                                           q_lower_side = q_lower_side)
}

out <- list(
  provenance = golden_provenance(
    "third_party", "tests/reference/compare_dist_tails.R", c("stats", "jsonlite"),
    notes = "No input data: the arguments are generated in the script."
  ),
  pt_upper = pt_cases, pf = pf_cases, pchisq_upper = pchisq_cases, pnorm_upper = pnorm_cases,
  qt = qt_cases, qnorm = qnorm_cases, qchisq = qchisq_cases, qf = qf_cases
)
write_json(out, "tests/golden/compare_dist_tails.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
