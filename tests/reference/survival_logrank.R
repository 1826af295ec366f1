# Log-rank tests (survdiff, rho = 0), unstratified and stratified. Writes
# tests/golden/survival_logrank.json. Run via tests/reference/run_survival.sh.
source("tests/reference/survival_common.R")
cases <- list(
  list(data = "lung", group = "sex", strata = NULL),
  list(data = "lung", group = "ph_ecog", strata = NULL),
  list(data = "veteran", group = "trt", strata = NULL),
  list(data = "veteran", group = "celltype", strata = NULL),
  list(data = "veteran", group = "trt", strata = "celltype"),
  list(data = "sim", group = "arm", strata = NULL),
  list(data = "sim", group = "arm", strata = "site"))
out <- list()
for (cs in cases) {
  d <- read_data(cs$data)
  d$g <- factor(d[[cs$group]])  # levels sorted, as the crate sorts labels
  f <- if (is.null(cs$strata)) survdiff(Surv(time, status) ~ g, data = d) else {
    d$s <- d[[cs$strata]]
    survdiff(Surv(time, status) ~ g + strata(s), data = d)
  }
  obs <- if (is.matrix(f$obs)) rowSums(f$obs) else f$obs
  ex <- if (is.matrix(f$exp)) rowSums(f$exp) else f$exp
  out[[length(out) + 1]] <- list(
    data = cs$data, group = cs$group, strata = cs$strata, levels = levels(d$g),
    n = as.numeric(f$n), observed = as.numeric(obs), expected = as.numeric(ex),
    variance = unname(f$var), chisq = f$chisq, df = length(levels(d$g)) - 1,
    p_value = pchisq(f$chisq, length(levels(d$g)) - 1, lower.tail = FALSE))
}
write_golden(list(
  provenance = provenance("tests/reference/survival_logrank.R",
    c("tests/data/survival_lung.csv", "tests/data/survival_veteran.csv", "tests/data/survival_sim.csv")),
  logrank = out), "survival_logrank")
