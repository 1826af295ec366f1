# Times lme4::lmer (default control: bobyqa then Nelder-Mead, convergence checks) and
# lmerTest's Satterthwaite df of the fixed effects on the files written by the criterion bench
# `benches/lmm.rs` (target/lmm_bench_<n>.csv): y ~ arm * time + (time | patient), REML.
# Usage: Rscript benches/lmm_lmer.R [--jitter] 1000 [10000 100000 ...]
suppressPackageStartupMessages({
  library(lme4)
  library(lmerTest)
})
args <- commandArgs(trailingOnly = TRUE)
jitter <- "--jitter" %in% args
args <- setdiff(args, "--jitter")
sizes <- if (length(args)) as.integer(args) else 1000L
for (n in sizes) {
  d <- read.csv(sprintf(if (jitter) "target/lmm_bench_%d_jitter.csv" else "target/lmm_bench_%d.csv", n))
  d$arm <- relevel(factor(d$arm), ref = "placebo")
  warn <- character(0)
  t_fit <- system.time(fit <- withCallingHandlers(
    lme4::lmer(y ~ arm * time + (time | patient), data = d, REML = TRUE),
    warning = function(w) {
      warn <<- c(warn, conditionMessage(w))
      invokeRestart("muffleWarning")
    }))
  t_df <- system.time(s <- summary(as_lmerModLmerTest(fit))$coefficients)
  msgs <- c(warn, fit@optinfo$conv$lme4$messages)
  cat(sprintf("n = %d: lmer elapsed %.2f s, + lmerTest df %.2f s, REMLcrit %.6f, theta %s%s\n",
              n, t_fit[["elapsed"]], t_df[["elapsed"]], REMLcrit(fit),
              paste(sprintf("%.6f", getME(fit, "theta")), collapse = " "),
              if (length(msgs)) paste0(", warnings: ", paste(unique(msgs), collapse = "; ")) else ""))
}
