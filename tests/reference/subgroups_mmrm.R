# Reference values for the MMRM variant of the subgroup analysis (analysis::subgroups with
# SubgroupModel::Mmrm): one MMRM with an arm x subgroup x visit interaction, from nlme::gls +
# emmeans, REML, unstructured covariance (corSymm + varIdent).
#
# Data and response as tests/reference/mmrm_knee_oa.R: NRS change from baseline at the
# post-baseline visits of the bundled knee OA trial (datasets/knee_oa_trial.csv, synthetic),
# arms from therapy with stem_cell split by cell source, reference placebo, patients with a
# baseline and at least one follow-up. Subgroups: the Kellgren-Lawrence grade (`severity`, a
# factor).
# Model: change ~ arm*visit*severity + baseline*visit.
# Compared: each arm minus placebo within each grade at each visit
# (emmeans(~ arm | visit * severity), trt.vs.ctrl, adjust = "none") with SE and Satterthwaite
# df; the Type III F ratios of the interaction terms holding arm and severity (joint_tests);
# the REML log-likelihood; patients per arm and grade.
# Satterthwaite df as in mmrm_knee_oa.R: numDeriv derivatives of this script's own REML
# criterion at gls's estimates (emmeans runs with mode df.error; its df are not used).
# Run from the crate root: Rscript tests/reference/subgroups_mmrm.R (never in CI; a few minutes).
suppressPackageStartupMessages({
  library(nlme)
  library(emmeans)
  library(numDeriv)
  library(jsonlite)
})

data_path <- "datasets/knee_oa_trial.csv"
out_path <- "tests/golden/subgroups_mmrm.json"
raw <- read.csv(data_path, stringsAsFactors = FALSE, na.strings = "")
raw <- raw[raw$instrument == "nrs", ]
has_cells <- !is.na(raw$cell_source) & startsWith(raw$therapy, "stem_cell")
raw$arm <- ifelse(has_cells,
                  paste0("stem_cell[", raw$cell_source, "]", substring(raw$therapy, 10)),
                  raw$therapy)
mean_day <- tapply(raw$day, raw$visit, mean)
visits <- names(sort(mean_day[mean_day > 0]))
pre <- raw[raw$day <= 0 & !is.na(raw$score), ]
baseline <- tapply(pre$score, pre$patient_id, function(s) s[length(s)])
post <- raw[raw$day > 0 & raw$visit %in% visits, ]
stopifnot(!any(duplicated(post[, c("patient_id", "visit")])))
post <- post[!is.na(post$score) & post$patient_id %in% names(baseline), ]
post$baseline <- as.numeric(baseline[post$patient_id])
post$change <- post$score - post$baseline
post$visit <- factor(post$visit, levels = visits)
post$vnum <- as.integer(post$visit)
post$arm <- relevel(factor(post$arm), ref = "placebo")
post$severity <- factor(post$severity)
post$id <- factor(post$patient_id)
post <- post[order(post$patient_id, post$vnum), ]
complete_ids <- names(which(table(post$patient_id) == length(visits)))

source("tests/reference/mmrm_gls_polish.R")
source("tests/reference/provenance.R")
model <- change ~ arm * visit * severity + baseline * visit
v <- length(visits)

conv <- fit_gls_converged(list(model = model, data = post, method = "REML"),
                          with_value(corSymm, form = ~ vnum | id), TRUE)
fit <- conv$fit
fit$call$model <- model
vc <- unclass(getVarCov(fit, individual = complete_ids[1]))

# the REML criterion (SAS scale) and the fixed-effect covariance as functions of Sigma
X <- model.matrix(model, post)
y <- post$change
rows <- split(seq_len(nrow(post)), droplevels(post$id))
crit <- function(Sigma) {
  p <- ncol(X)
  M <- matrix(0, p, p); u <- numeric(p); yy <- 0; ld <- 0
  for (r in rows) {
    ch <- chol(Sigma[post$vnum[r], post$vnum[r], drop = FALSE])
    Xi <- backsolve(ch, X[r, , drop = FALSE], transpose = TRUE)
    yi <- backsolve(ch, y[r], transpose = TRUE)
    M <- M + crossprod(Xi); u <- u + crossprod(Xi, yi); yy <- yy + sum(yi^2)
    ld <- ld + 2 * sum(log(diag(ch)))
  }
  beta <- solve(M, u)
  list(m2ll = ld + as.numeric(determinant(M)$modulus) + yy - sum(u * beta) +
         (nrow(X) - p) * log(2 * pi), phi = solve(M))
}
sigma_of <- function(theta) {
  S <- matrix(0, v, v); S[lower.tri(S, diag = TRUE)] <- theta; S + t(S) - diag(diag(S))
}
theta_hat <- vc[lower.tri(vc, diag = TRUE)]
f <- function(th) crit(sigma_of(th))$m2ll
m2ll_check <- f(theta_hat)
H <- hessian(f, theta_hat)
A <- 2 * solve(H)

emm_mode <- "df.error"
emm <- emmeans(fit, ~ arm | visit * severity, data = post, mode = emm_mode)
con_obj <- contrast(emm, method = "trt.vs.ctrl")
con <- summary(con_obj, infer = c(TRUE, TRUE), adjust = "none")
L <- con_obj@linfct
vfun <- function(th) {
  phi <- crit(sigma_of(th))$phi
  rowSums((L %*% phi) * L)
}
var0 <- vfun(theta_hat)
J <- jacobian(vfun, theta_hat)
df_con <- 2 * var0^2 / rowSums((J %*% A) * J)
jt <- joint_tests(fit, data = post, mode = emm_mode)
analysed <- post[!duplicated(post$patient_id), ]
tab <- table(analysed$arm, analysed$severity)

out <- list(
  provenance = golden_provenance(
    "third_party", "tests/reference/subgroups_mmrm.R",
    c("nlme", "emmeans", "numDeriv", "jsonlite"),
    data = data_path,
    method = "nlme::gls (corSymm + varIdent, REML) + emmeans(~ arm | visit * severity) + joint_tests (+ numDeriv for Satterthwaite df)",
    model = "change ~ arm*visit*severity + baseline*visit, reference arm placebo",
    notes = paste(
      "logLik on the SAS scale (REML without log|X'X|); log_likelihood_script re-evaluates it",
      "with the script's own criterion. df: Satterthwaite from numDeriv derivatives of that",
      "criterion at gls's estimates; emmeans runs with mode df.error."
    ),
    details = list(instrument = "nrs", visits = visits, by = "severity")
  ),
  n_subjects = length(unique(post$id)),
  n_obs = nrow(post),
  log_likelihood = as.numeric(logLik(fit)),
  log_likelihood_script = -0.5 * m2ll_check,
  estimates = lapply(seq_len(nrow(con)), function(i) list(
    arm = sub(" - placebo$", "", gsub("[()]", "", as.character(con$contrast[i]))),
    visit = as.character(con$visit[i]), subgroup = as.character(con$severity[i]),
    estimate = con$estimate[i], std_error = con$SE[i], df = df_con[i])),
  joint_tests = lapply(seq_len(nrow(jt)), function(i) list(
    term = as.character(jt$`model term`[i]), num_df = jt$df1[i], f_value = jt$F.ratio[i])),
  sizes = lapply(seq_len(length(tab)), function(k) {
    i <- (k - 1) %% nrow(tab) + 1
    j <- (k - 1) %/% nrow(tab) + 1
    list(arm = rownames(tab)[i], subgroup = colnames(tab)[j], patients = tab[i, j])
  })
)
write_json(out, out_path, digits = NA, auto_unbox = TRUE, pretty = TRUE)
message("wrote ", out_path)
