# Generates tests/data/compare_small.csv: a seeded simulated long-format pain table used by
# the compare-family golden tests (4 arms x 25 patients; visits at day 0, 28, 90, 180;
# instruments nrs (integer 0-10, lower is better) and vas (0-100 mm with one decimal);
# about 6 % of follow-up assessments missing, left as empty cells).
# Run from the crate root: Rscript tests/reference/compare_make_data.R
set.seed(20240531)
arms <- c("placebo", "corticosteroid", "prp", "stem_cell")
effect <- c(placebo = 0.8, corticosteroid = 1.8, prp = 2.0, stem_cell = 2.6)
days <- c(0, 28, 90, 180)
visits <- c("baseline", "week4", "month3", "month6")
rows <- list()
pid <- 0
for (arm in arms) {
  for (i in 1:25) {
    pid <- pid + 1
    id <- sprintf("P%03d", pid)
    age <- round(rnorm(1, 62, 9))
    base <- min(10, max(3, round(rnorm(1, 6.8, 1.3))))
    base_vas <- min(100, max(25, round(rnorm(1, 68, 12), 1)))
    for (v in seq_along(days)) {
      frac <- c(0, 0.6, 1, 0.85)[v]
      nrs <- if (v == 1) base else min(10, max(0, round(base - effect[[arm]] * frac + rnorm(1, 0, 1.5))))
      vas <- if (v == 1) base_vas else min(100, max(0, round(base_vas - 11 * effect[[arm]] * frac + rnorm(1, 0, 14), 1)))
      miss <- v > 1 && runif(1) < 0.06
      miss_vas <- v > 1 && runif(1) < 0.06
      rows[[length(rows) + 1]] <- data.frame(patient_id = id, therapy = arm, day = days[v],
        visit = visits[v], instrument = "nrs", score = if (miss) NA else nrs, age = age)
      rows[[length(rows) + 1]] <- data.frame(patient_id = id, therapy = arm, day = days[v],
        visit = visits[v], instrument = "vas", score = if (miss_vas) NA else vas, age = age)
    }
  }
}
d <- do.call(rbind, rows)
write.csv(d, "tests/data/compare_small.csv", row.names = FALSE, na = "", quote = FALSE)
