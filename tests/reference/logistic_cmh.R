# Golden values for binary logistic regression and the Cochran-Mantel-Haenszel analyses on
# tests/data/logistic_cmh.csv (made by tests/reference/logistic_cmh_make_data.R).
# Run from the crate root: Rscript tests/reference/logistic_cmh.R
#
# Model: responder ~ arm + age + severity, glm(family = binomial), fitted with a tight
# convergence criterion and refitted from its own estimates, so that the coefficients and
# their covariance are those at the maximum to ~1e-12.
# Third-party values: glm coefficients, SEs, z, p, deviances, AIC; MASS::confint (profile
# likelihood, spline-interpolated); exp(coef) with Wald limits; mantelhaen.test (both
# continuity settings) statistic, p, common odds ratio and its Robins-Breslow-Greenland CI.
# Values computed here by hand from the published formulas (no package installed for them):
# the exact profile-likelihood limits (root of the signed root deviance by uniroot, the other
# coefficients re-maximised by glm with an offset); the standardised risk difference with its
# delta-method SE; the Mantel-Haenszel risk difference with the Sato (1989) variance.
suppressPackageStartupMessages({ library(jsonlite); library(MASS) })
source("tests/reference/provenance.R")
data_path <- "tests/data/logistic_cmh.csv"
out_path <- "tests/golden/logistic_cmh.json"
d <- read.csv(data_path, stringsAsFactors = FALSE)
level <- 0.95
q <- qnorm(1 - (1 - level) / 2)
ctrl <- glm.control(epsilon = 1e-14, maxit = 100)

fit0 <- glm(responder ~ arm + age + severity, family = binomial, data = d, control = ctrl)
# glm's covariance uses the IRLS weights of its last iteration, i.e. at the coefficients one
# step before the reported ones (a relative error ~1e-8 here); a refit started at the
# converged coefficients evaluates them at the maximum.
fit <- glm(responder ~ arm + age + severity, family = binomial, data = d, control = ctrl,
           start = coef(fit0))
s <- summary(fit)$coefficients
coefs <- lapply(seq_len(nrow(s)), function(i) list(
  label = rownames(s)[i], estimate = s[i, 1], std_error = s[i, 2], statistic = s[i, 3],
  p_value = s[i, 4]))
wald <- confint.default(fit, level = level)
odds_ratios <- lapply(seq_len(nrow(s)), function(i) list(
  label = rownames(s)[i], odds_ratio = exp(s[i, 1]), lower = exp(wald[i, 1]),
  upper = exp(wald[i, 2])))
mass_ci <- suppressMessages(confint(fit, level = level))

# Exact profile-likelihood limits: for coefficient j fixed at b, the other coefficients are
# re-maximised (glm with offset b * x_j); the limit solves sign(b - bhat) sqrt(D(b) - D) = +-q.
X <- model.matrix(fit)
y <- d$responder
profile_dev <- function(j, b) {
  off <- b * X[, j]
  rest <- X[, -j, drop = FALSE]
  g <- glm.fit(rest, y, family = binomial(), offset = off, control = ctrl)
  g$deviance
}
signed_root <- function(j, b) sign(b - coef(fit)[j]) * sqrt(max(profile_dev(j, b) - deviance(fit), 0))
profile <- lapply(seq_len(ncol(X)), function(j) {
  bh <- unname(coef(fit)[j]); se <- s[j, 2]
  lo <- uniroot(function(b) signed_root(j, b) + q, c(bh - 3 * q * se, bh), tol = 1e-13)$root
  hi <- uniroot(function(b) signed_root(j, b) - q, c(bh, bh + 3 * q * se), tol = 1e-13)$root
  list(label = colnames(X)[j], lower = lo, upper = hi, mass_lower = unname(mass_ci[j, 1]),
       mass_upper = unname(mass_ci[j, 2]))
})

# Standardised (marginal) risk difference: mean predicted risk with arm = 1 for everyone
# minus with arm = 0; delta-method SE with the model-based covariance, covariates fixed:
# gradient g = mean_i [p1_i (1 - p1_i) x1_i - p0_i (1 - p0_i) x0_i], SE = sqrt(g' V g).
X1 <- X; X1[, "arm"] <- 1
X0 <- X; X0[, "arm"] <- 0
p1 <- plogis(drop(X1 %*% coef(fit))); p0 <- plogis(drop(X0 %*% coef(fit)))
grad <- colMeans(p1 * (1 - p1) * X1) - colMeans(p0 * (1 - p0) * X0)
rd <- mean(p1) - mean(p0)
rd_se <- sqrt(drop(t(grad) %*% vcov(fit) %*% grad))

# 2 x 2 x K table by site: rows arm 1 (treated) then arm 0, columns responder 1 then 0.
sites <- sort(unique(d$site))
tab <- array(0, c(2, 2, length(sites)), dimnames = list(c("1", "0"), c("1", "0"), sites))
strata <- list()
for (k in seq_along(sites)) {
  dk <- d[d$site == sites[k], ]
  a <- sum(dk$arm == 1 & dk$responder == 1); n1 <- sum(dk$arm == 1)
  c0 <- sum(dk$arm == 0 & dk$responder == 1); n0 <- sum(dk$arm == 0)
  tab[, , k] <- matrix(c(a, c0, n1 - a, n0 - c0), 2)
  strata[[k]] <- list(site = sites[k], treated_events = a, treated_total = n1,
                      control_events = c0, control_total = n0)
}
mh <- function(correct) {
  m <- mantelhaen.test(tab, correct = correct, conf.level = level)
  list(statistic = unname(m$statistic), df = unname(m$parameter), p_value = m$p.value,
       odds_ratio = unname(m$estimate), or_lower = m$conf.int[1], or_upper = m$conf.int[2])
}
# Mantel-Haenszel risk difference with the Sato (1989) variance:
# w = n1 n0 / N, RD = sum w (a/n1 - c/n0) / sum w,
# P = (n1^2 c - n0^2 a + n1 n0 (n0 - n1) / 2) / N^2, Q = (a (n0 - c) + c (n1 - a)) / (2 N),
# Var = (RD sum P + sum Q) / (sum w)^2.
a <- tab[1, 1, ]; n1 <- tab[1, 1, ] + tab[1, 2, ]
c0 <- tab[2, 1, ]; n0 <- tab[2, 1, ] + tab[2, 2, ]; N <- n1 + n0
w <- n1 * n0 / N
rd_mh <- sum(w * (a / n1 - c0 / n0)) / sum(w)
P <- (n1^2 * c0 - n0^2 * a + n1 * n0 * (n0 - n1) / 2) / N^2
Q <- (a * (n0 - c0) + c0 * (n1 - a)) / (2 * N)
rd_mh_se <- sqrt((rd_mh * sum(P) + sum(Q)) / sum(w)^2)

out <- list(
  provenance = golden_provenance(
    "independent_script", "tests/reference/logistic_cmh.R", c("stats", "MASS", "jsonlite"),
    data = data_path,
    method = paste("glm(binomial) by IRLS with glm.control(epsilon = 1e-14, maxit = 100), refitted from its estimates;",
                   "MASS::confint (profile, spline-interpolated) and exact profile limits by uniroot;",
                   "mantelhaen.test with correct = TRUE and FALSE"),
    model = "responder ~ arm + age + severity (binomial, logit); CMH strata = site",
    notes = paste("glm, MASS::confint and mantelhaen.test values are computed by R and its packages;",
                  "no package for the standardised risk difference (marginaleffects, stdReg) is installed,",
                  "so it and its delta-method SE (model-based covariance, covariates fixed) are computed",
                  "by hand in this script, as are the exact profile limits (uniroot, tol 1e-13) and",
                  "the Mantel-Haenszel risk difference with the Sato (1989) variance"),
    details = list(glm_iterations = fit0$iter, glm_refit_iterations = fit$iter)),
  level = level,
  n = nrow(d),
  logistic = list(
    coefficients = coefs, deviance = deviance(fit), null_deviance = fit$null.deviance,
    aic = AIC(fit), df_residual = fit$df.residual, iterations = fit0$iter,
    odds_ratios = odds_ratios, profile = profile,
    vcov = unname(lapply(seq_len(ncol(X)), function(i) unname(vcov(fit)[i, ]))),
    risk_difference = list(risk_treated = mean(p1), risk_control = mean(p0),
                           estimate = rd, std_error = rd_se)),
  cmh = list(strata = strata, corrected = mh(TRUE), uncorrected = mh(FALSE),
             risk_difference = list(estimate = rd_mh, std_error = rd_mh_se,
                                    lower = rd_mh - q * rd_mh_se, upper = rd_mh + q * rd_mh_se))
)
write_json(out, out_path, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null")
