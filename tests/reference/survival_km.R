# Kaplan-Meier (survfit), medians with CI, survival at chosen times, RMST (print(survfit,
# rmean = tau) / summary()$table) and RMST differences between two arms. Writes
# tests/golden/survival_km.json. Run via tests/reference/run_survival.sh.
source("tests/reference/survival_common.R")
cases <- list(
  list(data = "lung", group = NULL, value = NULL, times = c(0, 100, 365, 500, 730), tau = 700),
  list(data = "lung", group = "sex", value = 0, times = c(50, 180, 365), tau = 700),
  list(data = "lung", group = "sex", value = 1, times = c(50, 180, 365), tau = 700),
  list(data = "veteran", group = "trt", value = 0, times = c(10, 30, 90, 365), tau = 500),
  list(data = "veteran", group = "trt", value = 1, times = c(10, 30, 90, 365), tau = 500),
  list(data = "sim", group = "arm", value = "stem_cell", times = c(28, 91, 182, 364), tau = 560),
  list(data = "sim", group = "arm", value = "corticosteroid", times = c(28, 91, 182, 364), tau = 560),
  list(data = "sim", group = NULL, value = NULL, times = c(7, 30, 365), tau = 600)
)
out <- list()
for (cs in cases) {
  d <- read_data(cs$data)
  if (!is.null(cs$group)) d <- d[d[[cs$group]] == cs$value, ]
  for (ct in c("log-log", "plain", "log")) {
    fit <- survfit(Surv(time, status) ~ 1, data = d, conf.type = ct)
    tab <- summary(fit, rmean = cs$tau)$table
    out[[length(out) + 1]] <- c(
      list(data = cs$data, group = cs$group, value = cs$value, conf_type = ct),
      km_record(fit, tab, cs$times),
      list(rmst = list(tau = cs$tau, estimate = num(tab["rmean"]),
                       std_err = num(tab["se(rmean)"]))))
  }
}
# RMST difference: two independent arms, se = sqrt(se1^2 + se2^2), normal CI and p-value.
diffs <- list(
  list(data = "lung", group = "sex", reference = 0, arm = 1, tau = 700),
  list(data = "veteran", group = "trt", reference = 0, arm = 1, tau = 500),
  list(data = "sim", group = "arm", reference = "corticosteroid", arm = "stem_cell", tau = 560))
dout <- list()
for (cs in diffs) {
  d <- read_data(cs$data)
  one <- function(v) {
    s <- d[d[[cs$group]] == v, ]
    t <- summary(survfit(Surv(time, status) ~ 1, data = s), rmean = cs$tau)$table
    c(num(t["rmean"]), num(t["se(rmean)"]))
  }
  a <- one(cs$arm); r <- one(cs$reference)
  est <- a[1] - r[1]; se <- sqrt(a[2]^2 + r[2]^2); z <- qnorm(0.975)
  dout[[length(dout) + 1]] <- list(
    data = cs$data, group = cs$group, reference = cs$reference, arm = cs$arm, tau = cs$tau,
    arm_rmst = a[1], arm_se = a[2], reference_rmst = r[1], reference_se = r[2],
    difference = est, std_err = se, lower = est - z * se, upper = est + z * se,
    p_value = 2 * pnorm(-abs(est / se)))
}
write_golden(list(
  provenance = provenance("tests/reference/survival_km.R",
    c("tests/data/survival_lung.csv", "tests/data/survival_veteran.csv", "tests/data/survival_sim.csv")),
  km = out, rmst_difference = dout), "survival_km")
