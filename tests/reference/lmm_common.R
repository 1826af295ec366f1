# Shared by the lmm_*.R reference scripts: one lmer fit (tight bobyqa) turned into the golden
# record the crate's stats::lmm and analysis::TrajectoryModel are compared with.
suppressPackageStartupMessages({
  library(lme4)
  library(lmerTest)
  library(jsonlite)
})
source("tests/reference/provenance.R")

lmm_control <- lmerControl(optimizer = "bobyqa",
                           optCtrl = list(rhobeg = 0.2, rhoend = 1e-12, maxfun = 1e5),
                           check.conv.singular = "ignore")

# One case: the fixed effects with lmerTest's Satterthwaite df, theta, sigma, variance
# components, criterion, information criteria, isSingular, conditional modes with their
# conditional variances (condVar, q x q row-major per group) and predictions with and without
# the random effects for every row.
lmm_case <- function(name, formula, data, reml, contrasts = list()) {
  fit <- lmerTest::lmer(formula, data = data, REML = reml, control = lmm_control)
  s <- summary(fit)$coefficients
  re <- ranef(fit, condVar = TRUE)
  stopifnot(length(re) == 1)
  g <- re[[1]]
  pv <- attr(g, "condVar")
  if (is.null(pv)) pv <- attr(g, "postVar")
  q <- ncol(g)
  if (is.list(pv)) { # (a || b): one array per term, combined block-diagonally
    arr <- array(0, c(q, q, nrow(g)))
    off <- 0
    for (b in pv) {
      k <- dim(b)[1]
      arr[off + seq_len(k), off + seq_len(k), ] <- b
      off <- off + k
    }
    pv <- arr
  }
  groups <- lapply(seq_len(nrow(g)), function(i) list(
    group = rownames(g)[i],
    modes = I(unname(as.numeric(g[i, ]))),
    conditional_covariance = I(as.numeric(t(matrix(pv[, , i], q, q))))
  ))
  vc <- as.data.frame(VarCorr(fit))
  sd_rows <- vc[is.na(vc$var2), ]
  corr_rows <- vc[!is.na(vc$var2), ]
  con <- lapply(contrasts, function(cc) {
    L <- matrix(cc$weights, nrow = 1)
    r <- lmerTest::contest1D(fit, L, confint = TRUE)
    list(label = cc$label, estimate = r$Estimate, std_error = r$`Std. Error`, df = r$df,
         t = r$`t value`, p_value = r$`Pr(>|t|)`, lower = r$lower, upper = r$upper)
  })
  list(
    name = name,
    formula = deparse(formula),
    reml = reml,
    n_observations = nobs(fit),
    fixed = lapply(seq_len(nrow(s)), function(j) list(
      name = rownames(s)[j], estimate = s[j, "Estimate"], std_error = s[j, "Std. Error"],
      df = s[j, "df"], t = s[j, "t value"], p_value = s[j, "Pr(>|t|)"])),
    theta = I(unname(getME(fit, "theta"))),
    sigma = sigma(fit),
    sd = lapply(seq_len(nrow(sd_rows)), function(i) list(
      group = sd_rows$grp[i], name = ifelse(is.na(sd_rows$var1[i]), "", sd_rows$var1[i]),
      variance = sd_rows$vcov[i], std_dev = sd_rows$sdcor[i])),
    correlations = lapply(seq_len(nrow(corr_rows)), function(i) list(
      a = corr_rows$var1[i], b = corr_rows$var2[i], correlation = corr_rows$sdcor[i])),
    criterion = if (reml) REMLcrit(fit) else deviance(fit),
    log_likelihood = as.numeric(logLik(fit)),
    aic = AIC(fit),
    bic = BIC(fit),
    singular = isSingular(fit, tol = 1e-4),
    random_effects = groups,
    predict_conditional = unname(predict(fit)),
    predict_population = unname(predict(fit, re.form = NA)),
    contrasts = con,
    optimizer_messages = fit@optinfo$conv$lme4$messages
  )
}
