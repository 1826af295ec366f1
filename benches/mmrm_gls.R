# Times nlme::gls (unstructured: corSymm + varIdent, REML) on the files written by the
# criterion bench `benches/mmrm.rs` (target/mmrm_bench_<n>.csv).
# Usage: Rscript benches/mmrm_gls.R 1000 [10000 ...]
suppressPackageStartupMessages(library(nlme))
args <- commandArgs(trailingOnly = TRUE)
sizes <- if (length(args)) as.integer(args) else 1000L
for (n in sizes) {
  d <- read.csv(sprintf("target/mmrm_bench_%d.csv", n))
  d$visit <- factor(d$visit, levels = paste0("V", 1:6))
  d$arm <- factor(d$arm, levels = c(0, 1))
  d$vnum <- as.integer(d$visit)
  t <- system.time(fit <- gls(y ~ baseline * visit + arm * visit, data = d, method = "REML",
                             correlation = corSymm(form = ~ vnum | subject),
                             weights = varIdent(form = ~ 1 | visit)))
  cat(sprintf("n = %d: gls elapsed %.2f s, logLik %.6f\n", n, t[["elapsed"]], as.numeric(logLik(fit))))
}
