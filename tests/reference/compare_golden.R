# Golden values for the compare family (descriptives, responders, onset, tests, effect
# sizes, p-value adjustment, ANCOVA) on tests/data/compare_small.csv.
# Run from the crate root: Rscript tests/reference/compare_golden.R [data.csv] [out.json]
# (defaults: tests/data/compare_small.csv -> tests/golden/compare_small.json).
suppressPackageStartupMessages({ library(jsonlite); library(emmeans); library(metafor) })
source("tests/reference/provenance.R")
args <- commandArgs(trailingOnly = TRUE)
data_path <- if (length(args) >= 1) args[1] else "tests/data/compare_small.csv"
out_path <- if (length(args) >= 2) args[2] else "tests/golden/compare_small.json"
raw <- read.csv(data_path, stringsAsFactors = FALSE)
arms <- sort(unique(raw$therapy))
reference_arm <- if ("placebo" %in% arms) "placebo" else arms[1]
# Nominal visits in time order (median day per visit label); the first is the baseline.
visits <- names(sort(tapply(raw$day, raw$visit, median)))

# One row per patient (sorted by id), one score column and one day column per visit, for an
# instrument (a visit without a row gives NA in both).
wide <- function(instr) {
  d <- raw[raw$instrument == instr, ]
  ids <- sort(unique(d$patient_id))
  w <- data.frame(patient_id = ids, stringsAsFactors = FALSE)
  w$arm <- d$therapy[match(ids, d$patient_id)]
  w$age <- d$age[match(ids, d$patient_id)]
  for (v in visits) {
    s <- d[d$visit == v, ]
    w[[paste0("d", v)]] <- s$score[match(ids, s$patient_id)]
    w[[paste0("day_", v)]] <- s$day[match(ids, s$patient_id)]
  }
  w
}
# A second instrument for the tests that use one (vas when present, else the first other).
second <- if ("vas" %in% raw$instrument) "vas" else sort(setdiff(unique(raw$instrument), "nrs"))[1]
nrs <- wide("nrs")
vas <- wide(second)
b <- paste0("d", visits[1]); l <- paste0("d", visits[length(visits)])

describe <- function(x) {
  n_missing <- sum(is.na(x)); x <- x[!is.na(x)]
  q <- quantile(x, c(0.25, 0.5, 0.75), type = 7, names = FALSE)
  ci <- t.test(x)$conf.int
  list(n = length(x), n_missing = n_missing, mean = mean(x), sd = sd(x),
       se = sd(x) / sqrt(length(x)), ci_lower = ci[1], ci_upper = ci[2],
       median = q[2], q1 = q[1], q3 = q[3], min = min(x), max = max(x))
}
desc <- list()
for (a in arms) for (v in visits) {
  desc[[length(desc) + 1]] <- c(list(instrument = "nrs", arm = a, visit = v),
                                describe(nrs[nrs$arm == a, paste0("d", v)]))
}
change_desc <- list()
for (a in arms) {
  w <- nrs[nrs$arm == a, ]
  ch <- w[[l]] - w[[b]]
  pc <- ifelse(w[[b]] == 0, NA, 100 * (w[[l]] - w[[b]]) / w[[b]])
  change_desc[[length(change_desc) + 1]] <- list(arm = a, change = describe(ch), percent_change = describe(pc))
}

# Area under the trajectory: trapezoid over observed days, normalized by the observed span.
auc_one <- function(days, y) {
  ok <- !is.na(y); d <- days[ok]; y <- y[ok]
  if (length(y) < 2) return(NULL)
  area <- sum(diff(d) * (head(y, -1) + tail(y, -1)) / 2)
  list(area = area, normalized = area / (max(d) - min(d)), span = max(d) - min(d))
}
auc <- list()
for (i in seq_len(nrow(nrs))) {
  dd <- unlist(nrs[i, paste0("day_", visits)]); yy <- unlist(nrs[i, paste0("d", visits)])
  yy[is.na(dd)] <- NA
  o <- order(dd)
  r <- auc_one(dd[o], yy[o])
  if (!is.null(r)) auc[[length(auc) + 1]] <- c(list(patient_id = nrs$patient_id[i]), r)
}

ttest <- function(t) list(statistic = unname(t$statistic), df = unname(t$parameter),
                          p_value = t$p.value, ci_lower = t$conf.int[1], ci_upper = t$conf.int[2],
                          estimate = unname(if (length(t$estimate) == 2) t$estimate[1] - t$estimate[2] else t$estimate))
chg <- function(w, a) { x <- w[w$arm == a, ]; x <- x[[l]] - x[[b]]; x[!is.na(x)] }
treat <- if ("stem_cell" %in% arms) "stem_cell" else arms[length(arms)]
other <- setdiff(arms, c(reference_arm, treat))[1]
x_t <- chg(nrs, treat); x_r <- chg(nrs, reference_arm)
pw <- nrs[nrs$arm == treat & !is.na(nrs[[b]]) & !is.na(nrs[[l]]), ]
ttests <- list(
  welch = ttest(t.test(x_t, x_r)),
  student = ttest(t.test(x_t, x_r, var.equal = TRUE)),
  welch_less = { t <- t.test(x_t, x_r, alternative = "less"); list(statistic = unname(t$statistic), df = unname(t$parameter), p_value = t$p.value, bound = t$conf.int[2]) },
  paired = ttest(t.test(pw[[b]], pw[[l]], paired = TRUE)),
  one_sample = ttest(t.test(x_t)),
  welch_second = ttest(t.test(chg(vas, other), chg(vas, reference_arm)))
)

wt <- function(w) list(statistic = unname(w$statistic), p_value = w$p.value)
vas_t <- vas[vas$arm == treat & !is.na(vas[[l]]), l][1:8]
vas_r <- vas[vas$arm == reference_arm & !is.na(vas[[l]]), l][1:9]
vp <- vas[vas$arm == treat & !is.na(vas[[b]]) & !is.na(vas[[l]]), ][1:15, ]
wilcox <- list(
  rank_sum_ties = wt(wilcox.test(x_t, x_r)),
  rank_sum_ties_no_correction = wt(wilcox.test(x_t, x_r, correct = FALSE)),
  rank_sum_exact = c(wt(wilcox.test(vas_t, vas_r)), list(x = vas_t, y = vas_r,
                     exact = is.null(wilcox.test(vas_t, vas_r)$method) || grepl("exact", wilcox.test(vas_t, vas_r)$method))),
  rank_sum_exact_greater = wt(wilcox.test(vas_t, vas_r, alternative = "greater")),
  signed_rank_exact = c(wt(wilcox.test(vp[[b]], vp[[l]], paired = TRUE)), list(x = vp[[b]], y = vp[[l]],
                        exact = grepl("exact", wilcox.test(vp[[b]], vp[[l]], paired = TRUE)$method))),
  signed_rank_ties = wt(suppressWarnings(wilcox.test(pw[[b]], pw[[l]], paired = TRUE)))
)

oneway <- function(w) {
  d <- w[!is.na(w[[l]]) & !is.na(w[[b]]), ]
  d$change <- d[[l]] - d[[b]]
  s <- summary(aov(change ~ arm, data = d))[[1]]
  we <- oneway.test(change ~ arm, data = d)
  kw <- kruskal.test(change ~ factor(arm), data = d)
  list(aov_f = s[["F value"]][1], aov_p = s[["Pr(>F)"]][1], ss_between = s[["Sum Sq"]][1],
       ss_within = s[["Sum Sq"]][2], df_within = s[["Df"]][2],
       welch_f = unname(we$statistic), welch_df2 = unname(we$parameter[2]), welch_p = we$p.value,
       kruskal_h = unname(kw$statistic), kruskal_p = kw$p.value)
}
anova_golden <- list(nrs = oneway(nrs), second = oneway(vas))

# Responders: IMMPACT >= 30 % reduction on NRS at the last visit, non-responder imputation.
resp30 <- function(w) { r <- (w[[b]] - w[[l]]) / w[[b]] >= 0.3 - 1e-9; r[is.na(r)] <- FALSE; r }
mcid_oc <- function(w) { r <- (w[[b]] - w[[l]]) >= 2 - 1e-12; r }
responder_rows <- list()
for (a in arms) {
  w <- nrs[nrs$arm == a, ]
  x30 <- sum(resp30(w)); n30 <- nrow(w)
  m <- mcid_oc(w); xm <- sum(m, na.rm = TRUE); nm <- sum(!is.na(m))
  ci <- prop.test(x30, n30, correct = FALSE)$conf.int
  cim <- prop.test(xm, nm, correct = FALSE)$conf.int
  responder_rows[[length(responder_rows) + 1]] <- list(arm = a, immpact30_nri = x30, n_nri = n30,
    wilson_lower = ci[1], wilson_upper = ci[2], mcid_oc = xm, n_oc = nm,
    mcid_wilson_lower = cim[1], mcid_wilson_upper = cim[2])
}
tab <- t(sapply(responder_rows, function(r) c(r$immpact30_nri, r$n_nri - r$immpact30_nri)))
chisq_k <- chisq.test(tab)
pt_ <- prop.test(tab[, 1], rowSums(tab))
rt <- responder_rows[[which(arms == treat)]]; rr <- responder_rows[[which(arms == reference_arm)]]
a_ <- rt$immpact30_nri; n1 <- rt$n_nri; c_ <- rr$immpact30_nri; n0 <- rr$n_nri
t2 <- matrix(c(a_, n1 - a_, c_, n0 - c_), 2, byrow = TRUE)
p1 <- a_ / n1; p0 <- c_ / n0
w1 <- prop.test(a_, n1, correct = FALSE)$conf.int; w0 <- prop.test(c_, n0, correct = FALSE)$conf.int
rd <- p1 - p0
rd_l <- rd - sqrt((p1 - w1[1])^2 + (w0[2] - p0)^2)
rd_u <- rd + sqrt((w1[2] - p1)^2 + (p0 - w0[1])^2)
z <- qnorm(0.975)
rr_est <- p1 / p0; rr_se <- sqrt(1 / a_ - 1 / n1 + 1 / c_ - 1 / n0)
or_est <- (a_ * (n0 - c_)) / ((n1 - a_) * c_); or_se <- sqrt(1 / a_ + 1 / (n1 - a_) + 1 / c_ + 1 / (n0 - c_))
ft <- fisher.test(t2)
# Conditional MLE and exact limits as in fisher.test, but solved with a tight tolerance
# (fisher.test uses uniroot's default tol = .Machine$double.eps^0.25).
fisher_tight <- function(x) {
  m <- sum(x[, 1]); n <- sum(x[, 2]); k <- sum(x[1, ]); x <- x[1, 1]
  lo <- max(0, k - n); hi <- min(k, m); support <- lo:hi
  logdc <- dhyper(support, m, n, k, log = TRUE)
  dnhyper <- function(ncp) { d <- logdc + log(ncp) * support; d <- exp(d - max(d)); d / sum(d) }
  mnhyper <- function(ncp) sum(support * dnhyper(ncp))
  pnhyper <- function(q, ncp, upper) sum(dnhyper(ncp)[if (upper) support >= q else support <= q])
  tol <- 1e-13
  mle <- exp(uniroot(function(t) mnhyper(exp(t)) - x, c(-50, 50), tol = tol)$root)
  alpha <- 0.025
  lower <- exp(uniroot(function(t) pnhyper(x, exp(t), TRUE) - alpha, c(-50, 50), tol = tol)$root)
  upper <- exp(uniroot(function(t) pnhyper(x, exp(t), FALSE) - alpha, c(-50, 50), tol = tol)$root)
  list(mle = mle, lower = lower, upper = upper)
}
ftt <- fisher_tight(t2)
p2y <- prop.test(c(a_, c_), c(n1, n0)); p2n <- prop.test(c(a_, c_), c(n1, n0), correct = FALSE)
c2y <- chisq.test(t2); c2n <- chisq.test(t2, correct = FALSE)
responders <- list(
  rows = responder_rows, treatment = treat, reference = reference_arm,
  chisq_k = list(statistic = unname(chisq_k$statistic), df = unname(chisq_k$parameter), p_value = chisq_k$p.value),
  prop_k = list(statistic = unname(pt_$statistic), df = unname(pt_$parameter), p_value = pt_$p.value),
  chisq_2x2_yates = list(statistic = unname(c2y$statistic), p_value = c2y$p.value),
  chisq_2x2 = list(statistic = unname(c2n$statistic), p_value = c2n$p.value),
  prop_2_yates = list(statistic = unname(p2y$statistic), p_value = p2y$p.value, ci_lower = p2y$conf.int[1], ci_upper = p2y$conf.int[2]),
  prop_2 = list(statistic = unname(p2n$statistic), p_value = p2n$p.value, ci_lower = p2n$conf.int[1], ci_upper = p2n$conf.int[2]),
  fisher = list(p_value = ft$p.value, estimate_uniroot = unname(ft$estimate), lower_uniroot = ft$conf.int[1],
                upper_uniroot = ft$conf.int[2], mle = ftt$mle, lower = ftt$lower, upper = ftt$upper),
  risk_difference = rd, rd_lower = rd_l, rd_upper = rd_u,
  rr = rr_est, rr_lower = exp(log(rr_est) - z * rr_se), rr_upper = exp(log(rr_est) + z * rr_se),
  or = or_est, or_lower = exp(log(or_est) - z * or_se), or_upper = exp(log(or_est) + z * or_se),
  nnt = 1 / abs(rd), rd_crosses_zero = (rd_l < 0 && rd_u > 0)
)

# Onset and durability of IMMPACT-30 response on NRS (non-responder imputation), per arm.
# Follow-up visits are numbered 1, 2, ... in time order; `first_day` is that number.
fu <- visits[-1]
onset <- list()
for (a in arms) {
  w <- nrs[nrs$arm == a, ]
  R <- sapply(fu, function(v) { r <- (w[[b]] - w[[paste0("d", v)]]) / w[[b]] >= 0.3 - 1e-9; r })
  first <- apply(R, 1, function(r) { i <- which(r %in% TRUE); if (length(i)) i[1] else NA })
  dur <- list()
  for (j in seq_along(fu)[-1]) {
    fi <- first
    prior <- !is.na(fi) & fi < j
    still <- sum(R[prior, j] %in% TRUE)
    dur[[length(dur) + 1]] <- list(visit = fu[j], prior = sum(prior), still = still,
                                   missing = sum(is.na(R[prior, j])))
  }
  onset[[length(onset) + 1]] <- list(arm = a, first_day = first, n_ever = sum(!is.na(first)),
    median_first = if (any(!is.na(first))) unname(quantile(first[!is.na(first)], 0.5, type = 7)) else NA,
    durability = dur)
}

# p.adjust on the Welch p-values of every pair of arms (in combn order of sorted arms).
pairs <- combn(arms, 2)
pvals <- apply(pairs, 2, function(p) t.test(chg(nrs, p[1]), chg(nrs, p[2]))$p.value)
pvals <- c(pvals, 0.0001, 0.2, 0.049)
adjust <- list(p = pvals, bonferroni = p.adjust(pvals, "bonferroni"), holm = p.adjust(pvals, "holm"),
               hochberg = p.adjust(pvals, "hochberg"), BH = p.adjust(pvals, "BH"))

# Effect sizes on the NRS change, treatment vs reference: Cohen's d and Hedges' g with the
# Hedges-Olkin normal-approximation CI; g and its variance also from metafor::escalc.
n1e <- length(x_t); n0e <- length(x_r)
sp <- sqrt(((n1e - 1) * var(x_t) + (n0e - 1) * var(x_r)) / (n1e + n0e - 2))
d <- (mean(x_t) - mean(x_r)) / sp
vd <- (n1e + n0e) / (n1e * n0e) + d^2 / (2 * (n1e + n0e))
mdf <- n1e + n0e - 2
J <- exp(lgamma(mdf / 2) - 0.5 * log(mdf / 2) - lgamma((mdf - 1) / 2))
g <- J * d
vg <- (n1e + n0e) / (n1e * n0e) + g^2 / (2 * (n1e + n0e))
es <- escalc(measure = "SMD", m1i = mean(x_t), sd1i = sd(x_t), n1i = n1e,
             m2i = mean(x_r), sd2i = sd(x_r), n2i = n0e)
effect <- list(d = d, d_var = vd, d_lower = d - z * sqrt(vd), d_upper = d + z * sqrt(vd),
               g = g, g_var = vg, g_lower = g - z * sqrt(vg), g_upper = g + z * sqrt(vg),
               metafor_g = as.numeric(es$yi), metafor_g_var = as.numeric(es$vi))

# ANCOVA: NRS at the last visit ~ arm + baseline (+ age), complete cases.
anc <- function(w, with_age) {
  d <- w[!is.na(w[[b]]) & !is.na(w[[l]]), ]
  d$arm <- relevel(factor(d$arm), ref = reference_arm)
  d$baseline <- d[[b]]; d$fu <- d[[l]]
  fit <- if (with_age) lm(fu ~ arm + baseline + age, data = d) else lm(fu ~ arm + baseline, data = d)
  co <- summary(fit)$coefficients
  dr <- drop1(fit, test = "F")
  emm <- emmeans(fit, "arm")
  es <- summary(emm)
  ct <- summary(contrast(emm, "trt.vs.ctrl", ref = 1, adjust = "none"), infer = c(TRUE, TRUE))
  seq_anova <- anova(if (with_age) lm(fu ~ baseline + age + arm, data = d) else lm(fu ~ baseline + arm, data = d))
  list(n = nrow(d), df_residual = fit$df.residual, sigma = summary(fit)$sigma,
       coef_names = rownames(co), estimate = unname(co[, 1]), std_error = unname(co[, 2]),
       t_value = unname(co[, 3]), p_value = unname(co[, 4]),
       arm_f = dr["arm", "F value"], arm_p = dr["arm", "Pr(>F)"], arm_ss = dr["arm", "Sum of Sq"],
       anova_arm_f = seq_anova["arm", "F value"], anova_arm_p = seq_anova["arm", "Pr(>F)"],
       emm_arm = as.character(es$arm), emmean = es$emmean, emm_se = es$SE, emm_lower = es$lower.CL, emm_upper = es$upper.CL,
       contrast = as.character(ct$contrast), contrast_estimate = ct$estimate, contrast_se = ct$SE,
       contrast_t = ct$t.ratio, contrast_p = ct$p.value, contrast_lower = ct$lower.CL, contrast_upper = ct$upper.CL)
}
ancova <- list(nrs = anc(nrs, FALSE), nrs_age = anc(nrs, TRUE), second = anc(vas, FALSE))

out <- list(
  provenance = golden_provenance("third_party", "tests/reference/compare_golden.R",
                                 c("stats", "emmeans", "metafor", "jsonlite"), data = data_path),
  arms = arms, second_instrument = second, reference = reference_arm, treatment = treat, other = other, visits = visits,
  describe = desc, change_describe = change_desc, auc = auc, t_tests = ttests, wilcox = wilcox,
  anova = anova_golden, responders = responders, onset = onset, adjust = adjust,
  effect_size = effect, ancova = ancova
)
write_json(out, out_path, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null")
