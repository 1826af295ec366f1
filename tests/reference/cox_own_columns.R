# Reference values for the Cox model of a cohort-level time-to-event analysis with factor and
# continuous covariates, including the user's own patient-level columns, from R `survival`.
#
# Data: the bundled disc degeneration trial (datasets/disc_degeneration.csv, synthetic) with two
# columns the data contract does not name, derived from the patient number so that the file is
# reproducible: symptom_months = 3 + (37 n mod 97) / 4, smoker = "yes" when n mod 3 = 0, else
# "no". Written to tests/data/disc_own_columns.csv, which the test loads with the bundled events.
# Times to surgery are the `disc_surgery` times of tests/golden/survival_cohort.json (derived
# there by tests/reference/survival_cohort.R from the same files, and checked against the crate).
# Models (cases), Efron ties, reference arm usual_care; sex and smoker treatment-coded with the
# first level in sort order as reference:
#   covariates: Surv(time, status) ~ arm + age + sex + smoker + symptom_months
#   formula:    Surv(time, status) ~ arm + age + smoker + arm:smoker (an arm x factor interaction,
#               the crate's formula "arm*smoker + age")
# Run from the crate root: Rscript tests/reference/cox_own_columns.R (never in CI).
suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})
source("tests/reference/provenance.R")

src_path <- "datasets/disc_degeneration.csv"
data_path <- "tests/data/disc_own_columns.csv"
times_path <- "tests/golden/survival_cohort.json"
out_path <- "tests/golden/cox_own_columns.json"

raw <- read.csv(src_path, stringsAsFactors = FALSE, na.strings = "", colClasses = "character")
n <- as.integer(sub("^DDD-0*", "", raw$patient_id))
raw$symptom_months <- format(3 + ((37 * n) %% 97) / 4, trim = TRUE)
raw$smoker <- ifelse(n %% 3 == 0, "yes", "no")
write.csv(raw, data_path, row.names = FALSE, quote = FALSE, na = "")

d <- read.csv(data_path, stringsAsFactors = FALSE, na.strings = "")
patients <- d[!duplicated(d$patient_id), c("patient_id", "arm", "age", "sex", "smoker",
                                           "symptom_months")]
g <- fromJSON(times_path, simplifyVector = FALSE)
case <- Filter(function(x) x$name == "disc_surgery", g$cases)[[1]]
tt <- data.frame(patient_id = unlist(case$derived$patient_id),
                 time = unlist(case$derived$time),
                 status = unlist(case$derived$status))
s <- merge(tt, patients, by = "patient_id")
s$arm <- relevel(factor(s$arm), ref = "usual_care")
s$sex <- factor(s$sex)
s$smoker <- factor(s$smoker)
models <- list(
  covariates = Surv(time, status) ~ arm + age + sex + smoker + symptom_months,
  formula = Surv(time, status) ~ arm + age + smoker + arm:smoker
)
fit_case <- function(name) {
  fit <- coxph(models[[name]], data = s, ties = "efron",
               control = coxph.control(eps = 1e-10, toler.chol = 1e-12, iter.max = 100))
  sm <- summary(fit, conf.int = 0.95)
  co <- sm$coefficients
  ci <- sm$conf.int
  list(
    name = name,
    model = paste(deparse(models[[name]], width.cutoff = 500L), collapse = ""),
    n = fit$n,
    events = fit$nevent,
    log_likelihood = fit$loglik[2],
    coefficients = lapply(seq_len(nrow(co)), function(i) list(
      name = rownames(co)[i], estimate = co[i, "coef"], std_error = co[i, "se(coef)"],
      hazard_ratio = co[i, "exp(coef)"], lower = ci[i, "lower .95"], upper = ci[i, "upper .95"],
      p_value = co[i, "Pr(>|z|)"]
    ))
  )
}

out <- list(
  provenance = golden_provenance(
    "third_party", "tests/reference/cox_own_columns.R", c("survival", "jsonlite"),
    data = c(src_path, data_path, times_path),
    method = "survival::coxph, Efron ties",
    model = "cases: arm + age + sex + smoker + symptom_months; arm + age + smoker + arm:smoker; reference usual_care",
    notes = "tests/data/disc_own_columns.csv is written by this script from the bundled trial"
  ),
  cases = lapply(names(models), fit_case)
)
write_json(out, out_path, digits = NA, auto_unbox = TRUE, pretty = TRUE)
message("wrote ", out_path)
