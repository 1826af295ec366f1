# Shared helpers for the survival reference scripts (sourced; run from the repository root).
suppressPackageStartupMessages({ library(survival); library(jsonlite) })
read_data <- function(name) read.csv(file.path("tests/data", paste0("survival_", name, ".csv")),
                                     stringsAsFactors = FALSE)
source("tests/reference/provenance.R")
provenance <- function(script, data, notes = NULL)
  golden_provenance("third_party", script, c("survival", "jsonlite"), data = data, notes = notes)
write_golden <- function(x, name) write_json(x, file.path("tests/golden", paste0(name, ".json")),
  digits = NA, auto_unbox = TRUE, na = "null", null = "null", pretty = TRUE)
num <- function(x) unname(as.numeric(x))
# One survfit curve as the goldens record it: the step table, the median with its CI (from
# summary()$table, whose rmean needs tau), and survival at chosen times.
km_record <- function(fit, tab, times) {
  st <- summary(fit, times = times)
  list(time = num(fit$time), n_risk = num(fit$n.risk), n_event = num(fit$n.event),
       n_censor = num(fit$n.censor), surv = num(fit$surv), std_err = num(fit$std.err),
       lower = num(fit$lower), upper = num(fit$upper),
       median = num(tab["median"]), median_lower = num(tab["0.95LCL"]),
       median_upper = num(tab["0.95UCL"]),
       at = list(times = num(st$time), n_risk = num(st$n.risk), surv = num(st$surv),
                 std_err = num(st$std.err), lower = num(st$lower), upper = num(st$upper)))
}
