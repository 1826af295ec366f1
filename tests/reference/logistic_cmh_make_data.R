# Generates tests/data/logistic_cmh.csv: a seeded simulated responder table for the logistic
# regression and Cochran-Mantel-Haenszel goldens (300 patients in 4 sites; arm 1 = active,
# 0 = control; age in years; baseline severity on a 0-10 scale with one decimal; responder
# 0/1 drawn from a logistic model with site effects).
# Run from the crate root: Rscript tests/reference/logistic_cmh_make_data.R
set.seed(20261204)
n <- 300
site <- sample(c("site_a", "site_b", "site_c", "site_d"), n, replace = TRUE,
               prob = c(0.35, 0.25, 0.25, 0.15))
arm <- rbinom(n, 1, 0.5)
age <- round(rnorm(n, 58, 11))
severity <- round(pmin(10, pmax(2, rnorm(n, 6.5, 1.4))), 1)
site_effect <- c(site_a = 0, site_b = 0.4, site_c = -0.3, site_d = 0.7)[site]
eta <- -0.4 + 0.9 * arm - 0.025 * (age - 58) - 0.3 * (severity - 6.5) + site_effect
responder <- rbinom(n, 1, plogis(eta))
out <- data.frame(patient_id = sprintf("L%03d", seq_len(n)), site = site, arm = arm,
                  age = age, severity = severity, responder = responder)
write.csv(out, "tests/data/logistic_cmh.csv", row.names = FALSE, quote = FALSE)
