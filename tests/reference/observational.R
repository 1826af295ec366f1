# Reference values for the registry comparisons (analysis::registry_comparison) from R: glm
# (binomial) propensity model, the weights (ATE, stabilised ATE, ATT, overlap) and Kish ESS,
# standardised mean differences (Austin 2009 denominator) and variance ratios written out from
# their formulas (no WeightIt or cobalt), survey::svyglm weighted and doubly robust differences
# in change from baseline and weighted responder rates with their design-based SEs,
# MatchIt::matchit(method = "nearest", distance = "glm", link = "linear.logit", caliper =)
# matched pairs, and survival::coxph(weights =, robust = TRUE) for time to surgery.
#
# Cases:
#   tendinopathy: datasets/tendinopathy_registry.csv (+ events), stem_cell vs corticosteroid
#   confounded:   tests/data/registry_confounded.csv (+ events; made by
#                 tests/reference/observational_make_data.R), prp vs physical_therapy
# Patients: those of the two groups with every covariate and a baseline (the last non-missing
# NRS score on a day <= 0). Change: the score at the last visit minus baseline; the svyglm
# design is that of the patients with a change (svydesign(ids = ~1, weights = ~w) on them).
# Responders: IMMPACT >= 30 % improvement at the visit, observed cases, treatment policy.
# Time to surgery: the first surgery day; else censored at the latest of last contact and the
# last assessment; surgery-free survival by survfit(weights =) at 180 and 365 days per group.
# E-values of the risk ratio of response and of the weighted hazard ratio from the formula of
# VanderWeele & Ding (2017).
# Run from the crate root: Rscript tests/reference/observational.R (never in CI).
suppressPackageStartupMessages({
  library(survey)
  library(MatchIt)
  library(survival)
  library(jsonlite)
})
source("tests/reference/provenance.R")
out_path <- "tests/golden/observational.json"

patient_table <- function(path, events_path, treated, comparator) {
  d <- read.csv(path, stringsAsFactors = FALSE, na.strings = "")
  d <- d[d$instrument == "nrs", ]
  if (is.null(d$arm)) d$arm <- d$therapy
  mean_day <- tapply(d$day, d$visit, mean)
  visits <- names(sort(mean_day[mean_day > 0]))
  last <- visits[length(visits)]
  first <- d[!duplicated(d$patient_id), ]
  p <- data.frame(patient_id = first$patient_id, therapy = first$therapy, arm = first$arm,
                  age = first$age, sex = first$sex, bmi = first$bmi, severity = first$severity,
                  stringsAsFactors = FALSE)
  pre <- d[d$day <= 0 & !is.na(d$score), ]
  base <- tapply(pre$score, pre$patient_id, function(s) s[length(s)])
  p$baseline <- as.numeric(base[p$patient_id])
  at <- d[d$visit == last & !is.na(d$score), ]
  stopifnot(!anyDuplicated(at$patient_id))
  p$follow_up <- at$score[match(p$patient_id, at$patient_id)]
  p$change <- p$follow_up - p$baseline
  b <- p$baseline
  p$response <- ifelse(b > 0, 100 * (b - p$follow_up) / b >= 30 - 1e-9, NA)
  e <- read.csv(events_path, stringsAsFactors = FALSE, na.strings = "")
  surg <- e[e$event == "surgery" & e$day >= 0, ]
  surg_day <- tapply(surg$day, surg$patient_id, min)
  lc <- e[e$event == "last_contact", ]
  last_day <- tapply(d$day, d$patient_id, max)
  p$status <- as.integer(!is.na(surg_day[p$patient_id]))
  censor <- pmax(lc$day[match(p$patient_id, lc$patient_id)], last_day[p$patient_id], na.rm = TRUE)
  p$time <- ifelse(p$status == 1, surg_day[p$patient_id], censor)
  p$treated <- as.integer(p$therapy == treated | p$arm == treated)
  keep <- p$treated == 1 | p$therapy == comparator | p$arm == comparator
  p <- p[keep, ]
  p <- p[complete.cases(p[, c("age", "sex", "bmi", "severity", "baseline")]), ]
  p$sex <- factor(p$sex)
  rownames(p) <- NULL
  list(p = p, visit = last)
}

smd_rows <- function(X, t, w, binary) {
  lapply(seq_len(ncol(X)), function(j) {
    x <- X[, j]
    v1 <- if (binary[j]) mean(x[t == 1]) * (1 - mean(x[t == 1])) else var(x[t == 1])
    v0 <- if (binary[j]) mean(x[t == 0]) * (1 - mean(x[t == 0])) else var(x[t == 0])
    s <- sqrt((v1 + v0) / 2)
    wm <- function(g) sum(w[t == g] * x[t == g]) / sum(w[t == g])
    wv <- function(g) {
      ww <- w[t == g]; xx <- x[t == g]; m <- sum(ww * xx) / sum(ww)
      sum(ww * (xx - m)^2) / (sum(ww) - sum(ww^2) / sum(ww))
    }
    list(term = colnames(X)[j], mean_treated = wm(1), mean_comparator = wm(0),
         smd = (wm(1) - wm(0)) / s, variance_ratio = if (binary[j]) NA else wv(1) / wv(0))
  })
}

svy_effect <- function(p, w, formula, family = gaussian()) {
  p$w <- w
  des <- svydesign(ids = ~1, weights = ~w, data = p)
  f <- svyglm(formula, design = des, family = family)
  list(estimate = unname(coef(f)["treated"]), se = unname(sqrt(diag(vcov(f)))["treated"]),
       intercept = unname(coef(f)[1]), intercept_se = unname(sqrt(diag(vcov(f)))[1]))
}

ess <- function(w) sum(w)^2 / sum(w^2)

# E-values (VanderWeele & Ding 2017) from their formula; a hazard ratio of a common outcome
# converted to a risk ratio by (1 - 0.5^sqrt(HR)) / (1 - 0.5^sqrt(1/HR)) (VanderWeele 2020)
e_value <- function(est, lo, hi, rare = TRUE) {
  conv <- function(h) if (rare) h else (1 - 0.5^sqrt(h)) / (1 - 0.5^sqrt(1 / h))
  est <- conv(est); lo <- conv(lo); hi <- conv(hi)
  ev <- function(r) { r <- ifelse(r < 1, 1 / r, r); r + sqrt(r * (r - 1)) }
  limit <- if (lo <= 1 && hi >= 1) 1 else if (lo > 1) ev(lo) else ev(hi)
  list(point = ev(est), limit = limit)
}

run_case <- function(name, path, events_path, treated, comparator, caliper) {
  pt <- patient_table(path, events_path, treated, comparator)
  p <- pt$p
  ps_formula <- treated ~ age + sex + bmi + severity + baseline
  fit <- glm(ps_formula, family = binomial, data = p, control = glm.control(epsilon = 1e-14, maxit = 100))
  X <- model.matrix(fit)[, -1, drop = FALSE]
  binary <- colnames(X) == "sexmale"
  lp <- predict(fit, type = "link")
  e <- plogis(lp)
  t <- p$treated
  n1 <- sum(t); n0 <- sum(1 - t); n <- n1 + n0
  weights <- list(
    ate = t / e + (1 - t) / (1 - e),
    ate_stabilised = (t / e) * n1 / n + ((1 - t) / (1 - e)) * n0 / n,
    att = t + (1 - t) * e / (1 - e),
    overlap = t * (1 - e) + (1 - t) * e
  )
  has_change <- !is.na(p$change)
  has_resp <- !is.na(p$response)
  outcome_rows <- function(w) {
    pc <- p[has_change, ]; pr <- p[has_resp, ]
    pr$response <- as.numeric(pr$response)
    pr$w <- w[has_resp]
    rr_fit <- svyglm(response ~ treated, design = svydesign(ids = ~1, weights = ~w, data = pr),
                     family = quasipoisson())
    wt <- w[has_resp]
    rate <- function(g) sum(wt[pr$treated == g] * pr$response[pr$treated == g]) / sum(wt[pr$treated == g])
    lin <- svy_effect(pr, wt, response ~ treated)
    ci <- exp(confint(rr_fit)["treated", ])
    list(
      change = svy_effect(pc, w[has_change], change ~ treated),
      doubly_robust = svy_effect(pc, w[has_change], change ~ treated + age + sex + bmi + severity + baseline),
      responders = list(rate_treated = rate(1), rate_comparator = rate(0),
                        rd = lin$estimate, rd_se = lin$se,
                        log_rr = unname(coef(rr_fit)["treated"]),
                        log_rr_se = unname(sqrt(diag(vcov(rr_fit)))["treated"]),
                        rr_lower = unname(ci[1]), rr_upper = unname(ci[2]),
                        e_value = e_value(exp(unname(coef(rr_fit)["treated"])), unname(ci[1]),
                                          unname(ci[2]))),
      cox = {
        cf <- coxph(Surv(time, status) ~ treated, data = p[p$time > 0, ], weights = w[p$time > 0],
                    robust = TRUE, ties = "efron")
        km <- lapply(0:1, function(g) {
          keep <- p$time > 0 & p$treated == g
          sf <- survfit(Surv(time, status) ~ 1, data = p[keep, ], weights = w[keep])
          summary(sf, times = c(180, 365), extend = TRUE)$surv
        })
        hr <- exp(c(coef(cf), confint(cf)))
        rare <- cf$nevent < 0.15 * cf$n
        list(coef = unname(coef(cf)), robust_se = unname(sqrt(diag(vcov(cf)))),
             n = cf$n, events = cf$nevent,
             surgery_free_treated = km[[2]], surgery_free_comparator = km[[1]],
             e_value = e_value(unname(hr[1]), unname(hr[2]), unname(hr[3]), rare))
      }
    )
  }
  est <- lapply(names(weights), function(k) {
    w <- weights[[k]]
    c(list(estimand = k, weights = w, ess_treated = ess(w[t == 1]), ess_comparator = ess(w[t == 0]),
           balance = smd_rows(X, t, w, binary)), outcome_rows(w))
  })
  unweighted <- c(list(balance = smd_rows(X, t, rep(1, n), binary)), outcome_rows(rep(1, n)))
  # MatchIt 4.5.1's nn_matchC_vec compares distances with C's integer abs(), which truncates
  # differences below 1 to 0 (a caliper on the logit scale is ignored, the left neighbour
  # always wins): the logit is passed scaled by 1e6, which the standardised caliper
  # (caliper * sd(distance)) does not change, so that the integer truncation is below 1e-6
  bug <- matchit(ps_formula, data = p, method = "nearest", distance = "glm",
                 link = "linear.logit", caliper = caliper)
  m <- matchit(ps_formula, data = p, method = "nearest", distance = 1e6 * unname(lp),
               caliper = caliper)
  mm <- m$match.matrix
  matched_t <- rownames(mm)[!is.na(mm[, 1])]
  pairs <- lapply(matched_t, function(r) c(p$patient_id[as.integer(r)], p$patient_id[as.integer(mm[r, 1])]))
  stopifnot(!anyNA(unlist(pairs)))
  # the weighted Cox kernel with Breslow ties and with a second covariate (ATE weights)
  keep <- p$time > 0
  kernel <- lapply(c("efron", "breslow"), function(ties) {
    cf <- coxph(Surv(time, status) ~ treated + age, data = p[keep, ], weights = weights$ate[keep],
                robust = TRUE, ties = ties)
    list(ties = ties, coef = unname(coef(cf)), robust_se = unname(sqrt(diag(vcov(cf)))),
         naive_se = unname(sqrt(diag(cf$naive.var))), loglik = unname(cf$loglik))
  })
  in_match <- m$weights > 0
  md <- p[in_match & has_change, ]
  list(
    name = name, data = path, events = events_path, treated = treated, comparator = comparator,
    visit = pt$visit, caliper = caliper,
    n_treated = n1, n_comparator = n0,
    patient_ids = p$patient_id,
    propensity = list(terms = names(coef(fit)), coef = unname(coef(fit)),
                      se = unname(sqrt(diag(vcov(fit)))), deviance = fit$deviance,
                      ps = unname(e), logit = unname(lp)),
    unweighted = unweighted,
    estimands = est,
    cox_kernel = kernel,
    matching = list(caliper_logit = caliper * sd(lp), distance = unname(lp),
                    unscaled_matchit_pairs = sum(!is.na(bug$match.matrix[, 1])),
                    pairs = pairs,
                    n_matched = sum(in_match),
                    balance = smd_rows(X, t, as.numeric(in_match), binary),
                    change = svy_effect(md, rep(1, nrow(md)), change ~ treated))
  )
}

cases <- list(
  run_case("tendinopathy", "datasets/tendinopathy_registry.csv",
           "datasets/tendinopathy_registry_events.csv", "stem_cell", "corticosteroid", 0.2),
  run_case("confounded", "tests/data/registry_confounded.csv",
           "tests/data/registry_confounded_events.csv", "prp", "physical_therapy", 0.2)
)

golden <- list(
  provenance = golden_provenance(
    "third_party", "tests/reference/observational.R",
    c("survey", "MatchIt", "survival", "jsonlite"),
    data = c("datasets/tendinopathy_registry.csv", "datasets/tendinopathy_registry_events.csv",
             "tests/data/registry_confounded.csv", "tests/data/registry_confounded_events.csv"),
    method = paste("glm(binomial) propensity; weights and SMDs from their formulas;",
                   "survey::svyglm(design = svydesign(ids = ~1, weights = ~w));",
                   "MatchIt::matchit(nearest, glm, linear.logit, caliper);",
                   "survival::coxph(weights =, robust = TRUE, ties = 'efron')"),
    model = "treated ~ age + sex + bmi + severity + baseline",
    notes = paste("MatchIt 4.5.1 nearest-neighbour matching on a vector distance truncates",
                  "distance differences to integers (C abs() in nn_matchC_vec); the goldens",
                  "match on 1e6 * logit(ps) with caliper = 0.2 (std.caliper = TRUE), which",
                  "equals matching on the logit; unscaled_matchit_pairs records what the",
                  "unscaled call returns")
  ),
  cases = cases
)
write_json(golden, out_path, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null")
cat("wrote", out_path, "\n")
