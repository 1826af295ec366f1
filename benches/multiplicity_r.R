# Times in R what benches/multiplicity.rs times in Rust, on the same file: the ANCOVA
# score ~ arm + baseline at the last visit of the held-out knee trial
# (tests/data/heldout_knee/knee_oa_trial.csv), then multcomp's single-step adjusted p-values
# (summary(glht)) and simultaneous intervals (confint(glht)) at the same integration error as
# the crate (abseps 5e-7 for Dunnett, 1e-6 for Tukey; maxpts large enough not to bind):
#   dunnett_6: each of the 5 other arms vs placebo
#   tukey_4:   all pairs of placebo, corticosteroid, prp, stem_cell[adipose]
#   tukey_5:   all pairs of those and stem_cell[bone_marrow]
# Usage (crate root): Rscript benches/multiplicity_r.R [reps]
suppressPackageStartupMessages(library(multcomp))
args <- commandArgs(trailingOnly = TRUE)
reps <- if (length(args) >= 1) as.integer(args[1]) else 3
d <- read.csv("tests/data/heldout_knee/knee_oa_trial.csv", stringsAsFactors = FALSE,
              na.strings = "")
d <- d[d$instrument == "nrs", ]
mean_day <- tapply(d$day, d$visit, mean)
visits <- names(sort(mean_day[mean_day > 0]))
last <- visits[length(visits)]
pre <- d[d$day <= 0 & !is.na(d$score), ]
baseline <- tapply(pre$score, pre$patient_id, function(s) s[length(s)])
at <- d[d$visit == last & !is.na(d$score) & d$patient_id %in% names(baseline), ]
at$baseline <- as.numeric(baseline[at$patient_id])

run <- function(arms, type, abseps) {
  x <- at[at$arm %in% arms, ]
  x$arm <- relevel(factor(x$arm), ref = "placebo")
  fit <- lm(score ~ arm + baseline, data = x)
  g <- glht(fit, linfct = mcp(arm = type))
  times <- replicate(reps, system.time({
    set.seed(1)
    s <- summary(g, test = adjusted("single-step", abseps = abseps, maxpts = 1e8))
    ci <- confint(g, calpha = adjusted_calpha(abseps = abseps, maxpts = 1e8))
  })[["elapsed"]])
  median(times)
}
four <- c("placebo", "corticosteroid", "prp", "stem_cell[adipose]")
cases <- list(
  dunnett_6 = list(arms = unique(at$arm), type = "Dunnett", abseps = 5e-7),
  tukey_4 = list(arms = four, type = "Tukey", abseps = 1e-6),
  tukey_5 = list(arms = c(four, "stem_cell[bone_marrow]"), type = "Tukey", abseps = 1e-6)
)
cat(sprintf("R %s, multcomp %s, mvtnorm %s; median of %d runs\n",
            getRversion(), packageVersion("multcomp"), packageVersion("mvtnorm"), reps))
for (name in names(cases)) {
  c <- cases[[name]]
  cat(sprintf("%-10s %8.3f s\n", name, run(c$arms, c$type, c$abseps)))
}
