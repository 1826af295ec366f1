# A held-out registry with strong confounding by indication, for the registry-comparison
# goldens (tests/reference/observational.R): 400 patients with lateral epicondylitis, PRP or
# physical therapy, where the choice of PRP depends on age, severity grade and baseline pain.
# Synthetic; no real patient. Run from the crate root (never in CI):
#   Rscript tests/reference/observational_make_data.R
# Writes tests/data/registry_confounded.csv (assessments, the data contract) and
# tests/data/registry_confounded_events.csv (surgery and last contact).
set.seed(20261205)
n <- 400
age <- round(pmin(pmax(rnorm(n, 47, 11), 20), 80))
sex <- sample(c("female", "male"), n, replace = TRUE)
bmi <- round(pmin(pmax(rnorm(n, 26.5, 4), 17), 45), 1)
severity <- sample(1:3, n, replace = TRUE, prob = c(0.35, 0.45, 0.20))
site <- sample(sprintf("site_%02d", 1:4), n, replace = TRUE)
pain <- 5.6 + 0.6 * (severity - 1.85) + rnorm(n, 0, 1)
baseline <- pmin(pmax(round(pain), 1), 10)
# confounded assignment: older, more severe, more painful patients get PRP
lp <- -0.4 + 0.04 * (age - 47) + 0.7 * (severity - 1.85) + 0.6 * (baseline - 6)
prp <- rbinom(n, 1, plogis(lp)) == 1
therapy <- ifelse(prp, "prp", "physical_therapy")
effect <- ifelse(prp, 2.2, 1.5)
visits <- data.frame(visit = c("month_3", "month_6"), day = c(90, 180))
# surgery: Weibull hazard rising with pain, lower after PRP (HR 0.7), follow-up to day 365
rate <- exp(log(0.7) * prp + 0.35 * (pain - 5.6) + 0.4 * (severity - 1.85))
t_surg <- round(365 * (rexp(n) / (0.12 * rate))^(1 / 1.2))
surgery <- t_surg >= 1 & t_surg < 365
end <- ifelse(surgery, t_surg, 365)
rows <- list()
events <- list()
for (i in seq_len(n)) {
  id <- sprintf("REG-%04d", i)
  pat <- data.frame(patient_id = id, therapy = therapy[i], condition = "lateral_epicondylitis",
                    age = age[i], sex = sex[i], bmi = bmi[i], severity = severity[i],
                    site = site[i])
  rows[[length(rows) + 1]] <- cbind(pat[, 1:2], day = 0, visit = "baseline",
                                    instrument = "nrs", score = baseline[i], pat[, -(1:2)])
  for (k in seq_len(nrow(visits))) {
    d <- visits$day[k] + sample(-10:10, 1)
    if (d >= end[i]) break
    y <- baseline[i] - effect[i] * (1 - exp(-d / 40)) + rnorm(1, 0, 1.1)
    s <- if (runif(1) < 0.1) NA else min(max(round(y), 0), 10)
    rows[[length(rows) + 1]] <- cbind(pat[, 1:2], day = d, visit = visits$visit[k],
                                      instrument = "nrs", score = s, pat[, -(1:2)])
  }
  if (surgery[i]) {
    events[[length(events) + 1]] <- data.frame(patient_id = id, event = "surgery", day = end[i],
                                               detail = "open lateral release", grade = NA)
  }
  events[[length(events) + 1]] <- data.frame(patient_id = id, event = "last_contact",
                                             day = end[i], detail = NA, grade = NA)
}
a <- do.call(rbind, rows)
e <- do.call(rbind, events)
write.csv(a, "tests/data/registry_confounded.csv", row.names = FALSE, na = "", quote = FALSE)
write.csv(e, "tests/data/registry_confounded_events.csv", row.names = FALSE, na = "",
          quote = FALSE)
cat(sprintf("%d patients (%d prp), %d rows, %d surgeries\n", n, sum(prp), nrow(a), sum(surgery)))
