# Times R survival on the file written by `cargo bench --bench survival`:
# Kaplan-Meier (survfit), log-rank (survdiff) and Cox (coxph, Efron, 3 covariates) on 10^6
# patients. Usage (repository root, after the Rust bench): Rscript benches/survival_r.R
# Reading the CSV is not timed (the Rust bench does not time it either). Median of 3 runs.
suppressPackageStartupMessages(library(survival))
path <- "target/survival_bench_1000000.csv"
d <- read.csv(path)
stopifnot(nrow(d) == 1e6)
timeit <- function(expr) {
  f <- substitute(expr)
  median(replicate(3, system.time(eval(f, parent.frame()))[["elapsed"]]))
}
t_km <- timeit(survfit(Surv(time, status) ~ 1, data = d, conf.type = "log-log"))
t_lr <- timeit(survdiff(Surv(time, status) ~ arm, data = d))
t_cox <- timeit(coxph(Surv(time, status) ~ arm + age + bmi, data = d, ties = "efron"))
fit <- coxph(Surv(time, status) ~ arm + age + bmi, data = d)
cat(sprintf("R %s, survival %s, n = %d\n", getRversion(), packageVersion("survival"), nrow(d)))
cat(sprintf("survfit  %.3f s\nsurvdiff %.3f s\ncoxph    %.3f s\ntotal    %.3f s\n",
            t_km, t_lr, t_cox, t_km + t_lr + t_cox))
cat("coxph coefficients:", format(coef(fit), digits = 10), "\n")
