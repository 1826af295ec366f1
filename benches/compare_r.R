# Times in R the analysis that benches/compare.rs times in Rust, on the same file:
# per arm, descriptives (n, mean, SD, SE, t CI, median, quartiles, min, max) of baseline,
# follow-up, change and percent change; IMMPACT 30 % responders with Wilson CI (prop.test);
# each active arm vs placebo: Newcombe RD, RR, OR and fisher.test; ANCOVA
# follow_up ~ arm + baseline with drop1 F test and emmeans adjusted means.
# Usage (crate root): Rscript benches/compare_r.R target/compare_bench_1000000.csv [reps]
suppressPackageStartupMessages(library(emmeans))
emm_options(rg.limit = 1e7)
args <- commandArgs(trailingOnly = TRUE)
path <- if (length(args) >= 1) args[1] else "target/compare_bench_1000000.csv"
reps <- if (length(args) >= 2) as.integer(args[2]) else 5
t_read <- system.time(d <- read.csv(path, stringsAsFactors = FALSE))[["elapsed"]]

describe <- function(x) {
  x <- x[!is.na(x)]; q <- quantile(x, c(0.25, 0.5, 0.75), type = 7, names = FALSE)
  m <- mean(x); s <- sd(x); n <- length(x); se <- s / sqrt(n); tq <- qt(0.975, n - 1)
  c(n = n, mean = m, sd = s, se = se, lo = m - tq * se, hi = m + tq * se, q, min(x), max(x))
}
analysis <- function(d) {
  acc <- 0; counts <- list()
  for (a in sort(unique(d$therapy))) {
    w <- d[d$therapy == a, ]
    ch <- w$follow_up - w$baseline
    pc <- ifelse(w$baseline == 0, NA, 100 * ch / w$baseline)
    acc <- acc + describe(w$baseline)[2] + describe(w$follow_up)[2] + describe(ch)[2] + describe(pc)[2]
    r <- (w$baseline - w$follow_up) / w$baseline >= 0.3 - 1e-9; r[is.na(r)] <- FALSE
    x <- sum(r); n <- length(r)
    acc <- acc + prop.test(x, n, correct = FALSE)$conf.int[1]
    counts[[a]] <- c(x, n)
  }
  z <- qnorm(0.975); c0 <- counts[["placebo"]]
  for (a in setdiff(names(counts), "placebo")) {
    c1 <- counts[[a]]; p1 <- c1[1] / c1[2]; p0 <- c0[1] / c0[2]
    w1 <- prop.test(c1[1], c1[2], correct = FALSE)$conf.int; w0 <- prop.test(c0[1], c0[2], correct = FALSE)$conf.int
    rd <- p1 - p0
    lo <- rd - sqrt((p1 - w1[1])^2 + (w0[2] - p0)^2); hi <- rd + sqrt((w1[2] - p1)^2 + (p0 - w0[1])^2)
    rr <- p1 / p0; or <- (c1[1] * (c0[2] - c0[1])) / ((c1[2] - c1[1]) * c0[1])
    ft <- fisher.test(matrix(c(c1[1], c1[2] - c1[1], c0[1], c0[2] - c0[1]), 2, byrow = TRUE))
    acc <- acc + rd + lo + hi + rr + or + ft$p.value
  }
  d$arm <- relevel(factor(d$therapy), ref = "placebo")
  fit <- lm(follow_up ~ arm + baseline, data = d)
  dr <- drop1(fit, test = "F")
  em <- summary(emmeans(fit, "arm"))
  acc + dr["arm", "F value"] + em$emmean[1]
}
times <- replicate(reps, system.time(analysis(d))[["elapsed"]])
cat(sprintf("R %s: read %.2f s; analysis median %.3f s over %d runs (min %.3f, max %.3f); n = %d\n",
            R.version$version.string, t_read, median(times), reps, min(times), max(times), nrow(d)))
