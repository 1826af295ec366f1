# Shared helpers for the survival reference scripts (sourced; run from the repository root).
suppressPackageStartupMessages({ library(survival); library(jsonlite) })
read_data <- function(name) read.csv(file.path("tests/data", paste0("survival_", name, ".csv")),
                                     stringsAsFactors = FALSE)
provenance <- function(script, data) list(
  tool = "R", r_version = R.version.string,
  packages = list(survival = as.character(packageVersion("survival")),
                  jsonlite = as.character(packageVersion("jsonlite"))),
  date = format(Sys.Date()), script = script, data = data)
write_golden <- function(x, name) write_json(x, file.path("tests/golden", paste0(name, ".json")),
  digits = NA, auto_unbox = TRUE, na = "null", null = "null", pretty = TRUE)
