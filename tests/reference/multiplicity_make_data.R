# Generates tests/data/multiplicity.csv: a seeded simulated one-visit trial for the
# multiplicity goldens (five arms with unequal n, a baseline NRS-like score as covariate and
# the follow-up score y).
# Run from the crate root: Rscript tests/reference/multiplicity_make_data.R
set.seed(20260311)
arms <- c("placebo", "corticosteroid", "hyaluronic_acid", "prp", "stem_cell")
n <- c(31, 24, 27, 19, 22)
arm <- rep(arms, n)
baseline <- round(pmin(10, pmax(3, rnorm(length(arm), 6.8, 1.2))), 1)
effect <- c(placebo = 0, corticosteroid = -0.6, hyaluronic_acid = -0.3, prp = -1.0,
            stem_cell = -1.4)[arm]
y <- round(1.2 + 0.6 * baseline + effect + rnorm(length(arm), 0, 1.3), 2)
out <- data.frame(patient_id = sprintf("M%03d", seq_along(arm)), arm = arm,
                  baseline = baseline, y = y)
write.csv(out, "tests/data/multiplicity.csv", row.names = FALSE, quote = FALSE)
