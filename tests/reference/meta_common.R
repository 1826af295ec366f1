# Shared by the meta-analysis reference scripts (tests/reference/meta_metafor.R,
# tests/reference/meta_heldout.R): one record of metafor results per studies file, measure,
# method and test. Run the scripts from the crate root.
#
# Every fit uses control = CONTROL: Fisher scoring (REML) to |change| < 1e-12, uniroot (PM and
# the Q-profile limits) to tol 1e-14, and a search range for tau^2 wide enough for mean
# differences in days or millimetres, so that the values are those at convergence.
suppressPackageStartupMessages({ library(metafor); library(jsonlite) })
source("tests/reference/provenance.R")

CONTROL <- list(threshold = 1e-12, tol = 1e-14, tau2.max = 1e6, maxiter = 1000)
METHODS <- c("FE", "DL", "REML", "PM")
TESTS <- c("z", "knha")

# escalc on a studies file (the crate's schema) for one measure; rows without the data of the
# measure are dropped, as the crate excludes them
effects <- function(d, measure) {
  if (measure %in% c("MD", "SMD")) {
    d <- d[!is.na(d$mean_treated), ]
    e <- escalc(measure, m1i = mean_treated, sd1i = sd_treated, n1i = n_treated,
                m2i = mean_control, sd2i = sd_control, n2i = n_control, data = d)
  } else {
    d <- d[!is.na(d$events_treated), ]
    e <- escalc(measure, ai = events_treated, n1i = n_treated, ci = events_control,
                n2i = n_control, data = d)
  }
  e
}

num <- function(x) unname(as.numeric(x))
# a value metafor does not report (NULL, e.g. predict's pi.lb of a fixed-effect model) as null
opt <- function(x) if (length(x)) num(x) else NULL

fit_record <- function(e, method, test, by = NULL, regress = NULL) {
  f <- rma(yi, vi, data = e, method = method, test = test, control = CONTROL)
  p <- predict(f)
  r <- list(
    method = method, test = test, k = f$k,
    estimate = num(coef(f)), se = num(f$se), statistic = num(f$zval), pval = num(f$pval),
    ci_lb = num(f$ci.lb), ci_ub = num(f$ci.ub), tau2 = num(f$tau2), I2 = num(f$I2),
    H2 = num(f$H2), QE = num(f$QE), QEp = num(f$QEp), pi_lb = opt(p$pi.lb), pi_ub = opt(p$pi.ub),
    iterations = opt(f$iter)
  )
  if (method != "FE") {
    ci <- confint(f, control = list(tol = 1e-14))$random
    r$tau2_ci <- list(lb = ci["tau^2", "ci.lb"], ub = ci["tau^2", "ci.ub"],
                      i2_lb = ci["I^2(%)", "ci.lb"], i2_ub = ci["I^2(%)", "ci.ub"],
                      h2_lb = ci["H^2", "ci.lb"], h2_ub = ci["H^2", "ci.ub"])
  }
  l <- leave1out(f)
  r$leave1out <- list(estimate = num(l$estimate), se = num(l$se), ci_lb = num(l$ci.lb),
                      ci_ub = num(l$ci.ub), tau2 = num(l$tau2), I2 = num(l$I2),
                      H2 = num(l$H2), Q = num(l$Q))
  g <- regtest(f)
  r$regtest <- list(statistic = num(g$zval), pval = num(g$pval), df = if (is.null(g$dfs)) NULL else num(g$dfs),
                    est = num(g$est), ci_lb = num(g$ci.lb), ci_ub = num(g$ci.ub),
                    tau2 = num(g$fit$tau2))
  if (!is.null(by)) {
    levels <- sort(unique(e[[by]]))
    groups <- lapply(levels, function(lv) {
      sub <- e[e[[by]] == lv, ]
      if (nrow(sub) < 2 && method != "FE") {
        return(list(label = lv, k = nrow(sub)))
      }
      fg <- rma(yi, vi, data = sub, method = method, test = test, control = CONTROL)
      list(label = lv, k = fg$k, estimate = num(coef(fg)), se = num(fg$se),
           ci_lb = num(fg$ci.lb), ci_ub = num(fg$ci.ub), tau2 = num(fg$tau2))
    })
    e$by_factor <- factor(e[[by]], levels = levels)
    m <- rma(yi, vi, mods = ~ by_factor, data = e, method = method, test = test, control = CONTROL)
    r$subgroups <- list(by = by, groups = groups, QM = num(m$QM), QMdf = num(m$QMdf),
                        QMp = num(m$QMp), tau2 = num(m$tau2), QE = num(m$QE))
  }
  if (!is.null(regress)) {
    m <- rma(as.formula(paste("yi ~", regress)), vi, data = e, method = method, test = test,
             control = CONTROL)
    r$regression <- list(moderator = regress, b = num(coef(m)), se = num(m$se),
                         pval = num(m$pval), ci_lb = num(m$ci.lb), ci_ub = num(m$ci.ub),
                         QM = num(m$QM), QMdf = num(m$QMdf), QMp = num(m$QMp),
                         tau2 = num(m$tau2), QE = num(m$QE))
  }
  r
}

case_record <- function(name, path, measure, by = NULL, regress = NULL) {
  d <- read.csv(path, stringsAsFactors = FALSE, na.strings = c("", "NA", "."))
  e <- effects(d, measure)
  fits <- list()
  for (method in METHODS) for (test in TESTS) {
    fits[[length(fits) + 1]] <- fit_record(e, method, test, by, regress)
  }
  list(name = name, data = path, measure = tolower(measure), by = by, regress = regress,
       studies = e$study, yi = num(e$yi), vi = num(e$vi), fits = fits)
}
