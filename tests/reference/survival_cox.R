# Cox proportional hazards (coxph: Efron and Breslow ties, strata, cluster-robust variance) and
# the proportional-hazards test (cox.zph, survival 3.x algorithm). Writes
# tests/golden/survival_cox.json. Run via tests/reference/run_survival.sh.
source("tests/reference/survival_common.R")
cases <- list(
  list(name = "lung_efron", data = "lung", x = c("age", "sex", "ph_ecog"), ties = "efron"),
  list(name = "lung_breslow", data = "lung", x = c("age", "sex", "ph_ecog"), ties = "breslow"),
  list(name = "lung_cluster_inst", data = "lung", x = c("age", "sex", "ph_ecog"), ties = "efron",
       cluster = "inst"),
  list(name = "veteran_efron", data = "veteran",
       x = c("trt", "karno", "age", "smallcell", "adeno", "large"), ties = "efron"),
  list(name = "veteran_strata_celltype", data = "veteran", x = c("trt", "karno", "diagtime", "prior"),
       ties = "efron", strata = "celltype"),
  list(name = "sim_efron_cluster_site", data = "sim", x = c("stem_cell", "prp", "age"),
       ties = "efron", cluster = "site"),
  list(name = "sim_breslow_strata_site", data = "sim", x = c("stem_cell", "prp", "age", "bmi"),
       ties = "breslow", strata = "site"),
  list(name = "sim_efron_strata_cluster", data = "sim", x = c("stem_cell", "prp", "bmi"),
       ties = "efron", strata = "site", cluster = "age"))
out <- list()
for (cs in cases) {
  d <- read_data(cs$data)
  rhs <- paste(cs$x, collapse = " + ")
  if (!is.null(cs$strata)) rhs <- paste0(rhs, " + strata(", cs$strata, ")")
  if (!is.null(cs$cluster)) rhs <- paste0(rhs, " + cluster(", cs$cluster, ")")
  fml <- as.formula(paste("Surv(time, status) ~", rhs))
  fit <- coxph(fml, data = d, ties = cs$ties)
  s <- summary(fit)
  co <- s$coefficients
  zph <- list()
  for (tr in c("km", "identity", "rank", "log")) {
    z <- cox.zph(fit, transform = tr, terms = FALSE)
    zph[[tr]] <- list(chisq = num(z$table[, "chisq"]), df = num(z$table[, "df"]),
                      p = num(z$table[, "p"]))
  }
  out[[length(out) + 1]] <- list(
    name = cs$name, data = cs$data, covariates = cs$x, ties = cs$ties,
    strata = cs$strata, cluster = cs$cluster, formula = deparse(fml),
    coef = num(coef(fit)), se = num(sqrt(diag(fit$var))),
    naive_se = if (is.null(fit$naive.var)) NULL else num(sqrt(diag(fit$naive.var))),
    z = num(co[, "z"]), p = num(co[, "Pr(>|z|)"]),
    hr_lower = num(s$conf.int[, "lower .95"]), hr_upper = num(s$conf.int[, "upper .95"]),
    var = unname(fit$var), loglik = num(fit$loglik), iter = fit$iter,
    # summary.coxph rounds the Wald statistic for printing: take the fit's unrounded values.
    lr = 2 * diff(fit$loglik), lr_p = pchisq(2 * diff(fit$loglik), length(cs$x), lower.tail = FALSE),
    wald = num(fit$wald.test), wald_p = pchisq(num(fit$wald.test), length(cs$x), lower.tail = FALSE),
    score = num(fit$score), score_p = pchisq(num(fit$score), length(cs$x), lower.tail = FALSE),
    robust_score = if (is.null(fit$rscore)) NULL else num(fit$rscore),
    n = fit$n, nevent = fit$nevent, zph = zph)
}
# Monotone likelihood: an indicator that is 1 only for censored subjects (an arm with no events).
d <- read_data("lung")
d$no_event_arm <- as.integer(d$status == 0 & d$age < 65)
warn <- NULL
invisible(withCallingHandlers(coxph(Surv(time, status) ~ no_event_arm + age, data = d),
  warning = function(w) { warn <<- conditionMessage(w); invokeRestart("muffleWarning") }))
write_golden(list(
  provenance = provenance("tests/reference/survival_cox.R",
    c("tests/data/survival_lung.csv", "tests/data/survival_veteran.csv", "tests/data/survival_sim.csv")),
  cox = out,
  monotone = list(data = "lung", covariates = c("no_event_arm", "age"),
                  definition = "no_event_arm = status == 0 & age < 65", r_warning = warn)),
  "survival_cox")
