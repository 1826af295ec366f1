# Golden values for the multiplicity kernel (src/stats/multiplicity/): multivariate normal and
# t rectangle probabilities and quantiles (mvtnorm), and Dunnett / Tukey single-step adjusted
# p-values and simultaneous intervals (multcomp::glht) on tests/data/multiplicity.csv (made by
# tests/reference/multiplicity_make_data.R).
# Run from the crate root: Rscript tests/reference/multiplicity.R
#
# Precision: mvtnorm's GenzBretz is run with abseps = 1e-7 (releps = 0; 1e-6 for the
# eight-dimensional case, whose lattice converges too slowly for more) and an evaluation budget
# that does not bind (maxpts = 1e9); the error estimate mvtnorm reports is recorded beside every
# value. The quantiles' root finding evaluates pmvt at abseps = 5e-7. qmvt's own root finder
# (get_quant_loclin) stops at ptol (1e-3 by default) and does not settle at a tight ptol on a
# noisy probability, so the quantiles are computed here by uniroot (tol 1e-9) on pmvt with the
# random seed restored before every evaluation (as qmvt does), and confint(glht) is run with
# that critical value (calpha = the number); qmvt's and confint's defaults (ptol 1e-3) are
# recorded beside them for information.
suppressPackageStartupMessages({ library(jsonlite); library(mvtnorm); library(multcomp) })
source("tests/reference/provenance.R")
data_path <- "tests/data/multiplicity.csv"
out_path <- "tests/golden/multiplicity.json"
abseps <- 1e-7
quantile_abseps <- 5e-7
maxpts <- 1e9
gb <- GenzBretz(maxpts = maxpts, abseps = abseps, releps = 0)
started <- Sys.time()
rows <- function(m) unname(lapply(seq_len(nrow(m)), function(i) unname(m[i, ])))
inf_null <- function(x) ifelse(is.finite(x), x, NA)  # JSON null = infinite limit

# A probability P(lower <= T <= upper) with its mvtnorm error.
prob_case <- function(name, corr, lower, upper, df, eps = abseps) {
  gb <- GenzBretz(maxpts = maxpts, abseps = eps, releps = 0)
  set.seed(1)
  message(format(Sys.time()), " ", name)
  p <- if (is.null(df)) pmvnorm(lower, upper, corr = corr, algorithm = gb)
       else pmvt(lower, upper, df = df, corr = corr, algorithm = gb)
  miwa <- NULL
  if (is.null(df) && qr(corr)$rank == nrow(corr) && nrow(corr) <= 5) {
    miwa <- as.numeric(pmvnorm(lower, upper, corr = corr, algorithm = Miwa(steps = 4096)))
  }
  list(name = name, correlation = rows(corr), lower = inf_null(lower), upper = inf_null(upper),
       df = df, probability = as.numeric(p), error = attr(p, "error"), msg = attr(p, "msg"),
       miwa = miwa)
}

# The two-sided (both.tails) or one-sided (lower.tail) quantile by uniroot on pmvt.
tight_quantile <- function(level, corr, df, tail) {
  gb <- GenzBretz(maxpts = maxpts, abseps = quantile_abseps, releps = 0)
  message(format(Sys.time()), " quantile")
  set.seed(2)
  seed <- .Random.seed
  d <- nrow(corr)
  f <- function(q) {
    assign(".Random.seed", seed, envir = .GlobalEnv)
    lo <- if (tail == "both.tails") rep(-q, d) else rep(-Inf, d)
    p <- if (is.null(df)) pmvnorm(lo, rep(q, d), corr = corr, algorithm = gb)
         else pmvt(lo, rep(q, d), df = df, corr = corr, algorithm = gb)
    as.numeric(p) - level
  }
  uniroot(f, c(0.5, 8), tol = 1e-9)$root
}

quantile_case <- function(name, corr, df, level, tail) {
  q <- tight_quantile(level, corr, df, tail)
  set.seed(3)
  qm <- qmvt(level, df = if (is.null(df)) 0 else df, corr = corr, tail = tail)
  list(name = name, correlation = rows(corr), df = df, level = level, tail = tail,
       quantile = q, qmvt_quantile = qm$quantile)
}

ar <- function(d, rho) rho^abs(outer(1:d, 1:d, "-"))
exch <- function(d, rho) { m <- matrix(rho, d, d); diag(m) <- 1; m }
c3 <- matrix(c(1, 0.3, -0.2, 0.3, 1, 0.5, -0.2, 0.5, 1), 3)
c5 <- cov2cor(crossprod(matrix(c(2, 1, 0, 0.5, 1,
                                  0, 1, 1, 0, 0.3,
                                  1, 0, 2, 1, 0,
                                  0.4, 0.2, 0, 1, 1,
                                  0, 0, 1, 0.3, 2,
                                  1, 1, 1, 1, 1), 6, byrow = TRUE)))
# Tukey contrasts of 4 arms with n = (10, 12, 8, 15): 6 contrasts of rank 3.
tk <- contrMat(c(a = 10, b = 12, c = 8, d = 15), type = "Tukey")
tk_corr <- cov2cor(tk %*% diag(1 / c(10, 12, 8, 15)) %*% t(tk))

probabilities <- list(
  prob_case("normal dim 2 two-sided", exch(2, 0.5), rep(-1.96, 2), rep(1.96, 2), NULL),
  prob_case("normal dim 2 rectangle", exch(2, -0.7), c(-0.5, -Inf), c(1.5, 0.3), NULL),
  prob_case("t dim 2 two-sided", exch(2, 0.5), rep(-2.1, 2), rep(2.1, 2), 12),
  prob_case("t dim 3 two-sided", c3, rep(-2.3, 3), rep(2.3, 3), 10),
  prob_case("normal dim 3 one-sided", c3, rep(-Inf, 3), rep(1.8, 3), NULL),
  prob_case("t dim 5 two-sided", c5, rep(-2.5, 5), rep(2.5, 5), 25),
  prob_case("t dim 5 one-sided", c5, rep(-Inf, 5), rep(2.2, 5), 25),
  prob_case("normal dim 5 rectangle", c5, c(-1, -2, -Inf, -0.5, -3), c(2, 1.5, 1, Inf, 0.5), NULL),
  prob_case("normal dim 8 two-sided", ar(8, 0.6), rep(-2.6, 8), rep(2.6, 8), NULL, eps = 1e-6),
  prob_case("singular t dim 6 rank 3 two-sided (Tukey, 4 arms)", tk_corr, rep(-2.5, 6), rep(2.5, 6), 41),
  prob_case("singular normal dim 6 rank 3 two-sided (Tukey, 4 arms)", tk_corr, rep(-2.2, 6), rep(2.2, 6), NULL)
)
quantiles <- list(
  quantile_case("t dim 3 two-sided", c3, 10, 0.95, "both.tails"),
  quantile_case("normal dim 5 two-sided", c5, NULL, 0.95, "both.tails"),
  quantile_case("t dim 3 one-sided", c3, 25, 0.95, "lower.tail"),
  quantile_case("singular t dim 6 rank 3 two-sided (Tukey, 4 arms)", tk_corr, 41, 0.95, "both.tails")
)

# glht on the trial: y ~ arm + baseline, arm levels with placebo first (the reference).
d <- read.csv(data_path, stringsAsFactors = FALSE)
d$arm <- factor(d$arm, levels = c("placebo", "corticosteroid", "hyaluronic_acid", "prp", "stem_cell"))
fit <- lm(y ~ arm + baseline, data = d)
level <- 0.95
glht_case <- function(type, alternative) {
  g <- glht(fit, linfct = mcp(arm = type), alternative = alternative)
  set.seed(4)
  s <- summary(g, test = adjusted("single-step", maxpts = maxpts, abseps = abseps, releps = 0))
  set.seed(5)
  ci <- confint(g, level = level)
  tail <- if (alternative == "two.sided") "both.tails" else "lower.tail"
  cr <- cov2cor(vcov(g))
  q_tight <- tight_quantile(level, cr, g$df, tail)
  # multcomp's calpha is negative for a one-sided "greater" family (lwr = estimate + calpha SE)
  ci_tight <- confint(g, level = level, calpha = if (alternative == "greater") -q_tight else q_tight)
  un <- summary(g, test = univariate())
  list(type = type, alternative = alternative, df = g$df, labels = rownames(g$linfct),
       linfct = rows(g$linfct), estimate = unname(coef(g)), vcov = rows(unname(vcov(g))),
       std_error = unname(s$test$sigma), statistic = unname(s$test$tstat),
       p_univariate = unname(un$test$pvalues),
       p_adjusted = as.numeric(s$test$pvalues), p_error = attr(s$test$pvalues, "error"),
       critical_value = attr(ci$confint, "calpha"), critical_value_tight = q_tight,
       lower = inf_null(unname(ci$confint[, "lwr"])), upper = inf_null(unname(ci$confint[, "upr"])),
       lower_tight = inf_null(unname(ci_tight$confint[, "lwr"])),
       upper_tight = inf_null(unname(ci_tight$confint[, "upr"])))
}
glht_cases <- list(glht_case("Dunnett", "two.sided"), glht_case("Tukey", "two.sided"),
                   glht_case("Dunnett", "greater"))

out <- list(
  provenance = golden_provenance(
    "third_party", "tests/reference/multiplicity.R", c("stats", "mvtnorm", "multcomp", "jsonlite"),
    data = data_path,
    method = paste("mvtnorm::pmvnorm / pmvt with GenzBretz(maxpts = 1e9, abseps = 1e-7 (1e-6 in dimension 8), releps = 0)",
                   "(Miwa(steps = 4096) beside it for non-singular normal cases up to dimension 5); quantiles by uniroot",
                   "(tol 1e-9) on pmvt (abseps 5e-7) with the seed restored per evaluation (qmvt's default beside it);",
                   "multcomp::glht(mcp(arm = 'Dunnett' | 'Tukey')) with summary(adjusted('single-step'))",
                   "and confint(calpha = that quantile); confint's default (ptol 1e-3) beside it"),
    model = "y ~ arm + baseline (lm); arm levels placebo, corticosteroid, hyaluronic_acid, prp, stem_cell",
    notes = "JSON null limits are infinite; 'error' is mvtnorm's own error estimate",
    details = list(seconds = as.numeric(difftime(Sys.time(), started, units = "secs")))),
  probabilities = probabilities,
  quantiles = quantiles,
  level = level,
  glht = glht_cases
)
write_json(out, out_path, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null", null = "null")
