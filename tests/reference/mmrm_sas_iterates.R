## mmrm_sas_iterates.R -- reproduce SAS PROC MIXED's REML iteration path and Kenward-Roger
## results for the MMRM `FEV1 = ARMCD`, REPEATED AVISIT / SUBJECT=USUBJID TYPE=<cov>
## on fev_data, and compare the KR results at SAS's final iterate with those at the
## exact REML optimum.
##
## Run from the crate root:  Rscript tests/reference/mmrm_sas_iterates.R   (about 4 minutes)
## Writes tests/golden/mmrm_sas_iterates.json. SAS's printed iteration histories come from the
## listings published with the SAS outputs (openpharma/mmrm, design/KR/kr_<cov>.txt).
## Needs: base R + numDeriv (only for the Jacobian of the reconstruction step).
##
## Conventions used (all checked against the SAS listings):
##  * -2 Res Log Like = sum_i log|S_i| + r'V^-1 r + log|X'V^-1 X| + (N-p) log(2 pi),
##    r = y - X beta_GLS (no log|X'X| term).
##  * Iteration 0 is the null model S = s2 I (3891.08088197 here).
##  * Start = MIVQUE0 (for a linear structure: solve  sum_l tr(Q V_k Q V_l) th_l = y'Q V_k Q y,
##    Q = I - X(X'X)^-1 X'), then plain Newton-Raphson steps in SAS's natural parametrisation
##    with the observed Hessian.  Iteration 1's "2 evaluations" = start + step.
##  * Printed criterion = g'H^-1 g / |f - (N-p) log(2 pi)|  (the constant is NOT in the
##    denominator), evaluated at the current iterate; stop when < 1e-8.

suppressMessages(library(numDeriv))
source("tests/reference/provenance.R")
options(digits = 17)
## ---- data ----
DATA_DIR <- "tests/data/sas-mmrm"
OUT_PATH <- "tests/golden/mmrm_sas_iterates.json"
dat <- read.csv(file.path(DATA_DIR, "fev_data.csv"))
dat <- dat[!is.na(dat$FEV1), ]
dat$vis <- as.integer(sub("VIS", "", dat$AVISIT))
dat <- dat[order(dat$USUBJID, dat$vis), ]
subj <- lapply(split(dat, dat$USUBJID), function(s)
  list(y = s$FEV1, X = cbind(1, as.numeric(s$ARMCD == "TRT")), v = s$vis))
N <- nrow(dat); p <- 2L; NT <- 4L

## ---- covariance structures in SAS's natural parametrisation ----
## Each returns list(S = 4x4, dS = list of K 4x4, d2S = K x K list of 4x4)
hetcor <- function(v, cfun) {
  ## Sigma_ij = sqrt(v_i v_j) * c_ij(rho); cfun(rho) -> list(C, dC, d2C)
  K1 <- length(v); cc <- cfun(); K2 <- length(cc$dC); K <- K1 + K2
  sq <- sqrt(v); s <- outer(sq, sq)
  ds <- lapply(1:K1, function(i) { m <- matrix(0, NT, NT)
    m[i, ] <- sq / (2 * sq[i]); m[, i] <- sq / (2 * sq[i]); m[i, i] <- 1; m })
  d2s <- function(i, j) { m <- matrix(0, NT, NT)
    if (i == j) { m[i, ] <- -sq / (4 * sq[i]^3); m[, i] <- m[i, ]; m[i, i] <- 0 }
    else { m[i, j] <- m[j, i] <- 1 / (4 * sq[i] * sq[j]) }
    m }
  S <- s * cc$C
  dS <- c(lapply(1:K1, function(i) ds[[i]] * cc$C), lapply(1:K2, function(k) s * cc$dC[[k]]))
  d2S <- matrix(list(), K, K)
  for (a in 1:K) for (b in 1:K) {
    d2S[[a, b]] <- if (a <= K1 && b <= K1) d2s(a, b) * cc$C
      else if (a <= K1) ds[[a]] * cc$dC[[b - K1]]
      else if (b <= K1) ds[[b]] * cc$dC[[a - K1]]
      else s * cc$d2C[[a - K1, b - K1]]
  }
  list(S = S, dS = dS, d2S = d2S)
}
zeroK <- function(K) { m <- matrix(list(), K, K); for (a in 1:K) for (b in 1:K) m[[a, b]] <- matrix(0, NT, NT); m }

cov_un <- function(th) {
  idx <- which(lower.tri(diag(NT), diag = TRUE) , arr.ind = TRUE)
  idx <- idx[order(idx[, 1], idx[, 2]), ]   # UN(1,1) UN(2,1) UN(2,2) UN(3,1) ...
  S <- matrix(0, NT, NT); dS <- list()
  for (k in seq_len(nrow(idx))) { i <- idx[k, 1]; j <- idx[k, 2]
    S[i, j] <- S[j, i] <- th[k]; m <- matrix(0, NT, NT); m[i, j] <- m[j, i] <- 1; dS[[k]] <- m }
  list(S = S, dS = dS, d2S = zeroK(length(th)))
}
cov_csh <- function(th) hetcor(th[1:4], function() {
  r <- th[5]; C <- matrix(r, NT, NT); diag(C) <- 1; dC <- matrix(1, NT, NT); diag(dC) <- 0
  list(C = C, dC = list(dC), d2C = matrix(list(matrix(0, NT, NT)), 1, 1)) })
cov_adh <- function(th) hetcor(th[1:4], function() {   # ANTE(1)
  rho <- th[5:7]; C <- diag(NT); dC <- lapply(1:3, function(k) matrix(0, NT, NT))
  d2C <- zeroK(3)
  for (i in 1:NT) for (j in 1:NT) if (i < j) {
    ks <- i:(j - 1); C[i, j] <- C[j, i] <- prod(rho[ks])
    for (a in ks) { dC[[a]][i, j] <- dC[[a]][j, i] <- prod(rho[setdiff(ks, a)])
      for (b in ks) if (b != a) d2C[[a, b]][i, j] <- d2C[[a, b]][j, i] <- prod(rho[setdiff(ks, c(a, b))]) } }
  list(C = C, dC = dC, d2C = d2C) })
cov_arh1 <- function(th) hetcor(th[1:4], function() {
  r <- th[5]; L <- abs(outer(1:NT, 1:NT, "-"))
  list(C = r^L, dC = list(ifelse(L > 0, L * r^(L - 1), 0)),
       d2C = matrix(list(ifelse(L > 1, L * (L - 1) * r^(L - 2), 0)), 1, 1)) })
cov_toeph <- function(th) hetcor(th[1:4], function() {
  r <- th[5:7]; L <- abs(outer(1:NT, 1:NT, "-")); C <- diag(NT)
  for (k in 1:3) C[L == k] <- r[k]
  list(C = C, dC = lapply(1:3, function(k) (L == k) * 1), d2C = zeroK(3)) })
## homogeneous structures, SAS order: (structure parameters..., Residual)
cov_cs <- function(th) { # CS, Residual
  list(S = th[1] * matrix(1, NT, NT) + th[2] * diag(NT), dS = list(matrix(1, NT, NT), diag(NT)), d2S = zeroK(2)) }
cov_ar1 <- function(th) { # AR(1), Residual
  r <- th[1]; s2 <- th[2]; L <- abs(outer(1:NT, 1:NT, "-")); d1 <- ifelse(L > 0, L * r^(L - 1), 0)
  d2 <- zeroK(2); d2[[1, 1]] <- s2 * ifelse(L > 1, L * (L - 1) * r^(L - 2), 0); d2[[1, 2]] <- d2[[2, 1]] <- d1
  list(S = s2 * r^L, dS = list(s2 * d1, r^L), d2S = d2) }
cov_toep <- function(th) { # TOEP(2..4), Residual
  L <- abs(outer(1:NT, 1:NT, "-")); S <- matrix(0, NT, NT)
  for (k in 0:3) S[L == k] <- if (k == 0) th[4] else th[k]
  list(S = S, dS = c(lapply(1:3, function(k) (L == k) * 1), list((L == 0) * 1)), d2S = zeroK(4)) }

## ---- REML objective, gradient, Hessian, and KR pieces ----
## f = sum_i log|S_i| + r'V^-1 r + log|X'V^-1 X| + (N - p) log(2 pi), r = y - X beta_GLS
## grad_k = tr(P V_k) - y'P V_k P y
## hess_kl = -tr(P V_k P V_l) + tr(P V_kl) + 2 y'P V_k P V_l P y - y'P V_kl P y
## Subjects sharing (visit pattern, arm) share S_i and X_i, so everything is accumulated per
## group; residual terms enter only through sum r_i and sum r_i r_i'.
grp_key <- sapply(subj, function(s) paste(paste(s$v, collapse = ""), s$X[1, 2]))
groups <- lapply(split(subj, grp_key), function(ss)
  list(v = ss[[1]]$v, X = ss[[1]]$X, m = length(ss), Y = sapply(ss, function(s) s$y, simplify = "array")))
groups <- lapply(groups, function(g) { g$Y <- matrix(g$Y, nrow = length(g$v)); g })   # n_i x m
reml <- function(th, covf, deriv = 2) {
  cv <- covf(th); K <- length(th)
  A <- matrix(0, p, p); Xy <- numeric(p); ld <- 0
  pre <- lapply(groups, function(g) {
    R <- chol(cv$S[g$v, g$v, drop = FALSE]); Vi <- chol2inv(R)
    list(Vi = Vi, ld = 2 * sum(log(diag(R))), ViX = Vi %*% g$X) })
  for (i in seq_along(groups)) { g <- groups[[i]]; q <- pre[[i]]
    A <- A + g$m * crossprod(g$X, q$ViX); Xy <- Xy + drop(crossprod(q$ViX, rowSums(g$Y))); ld <- ld + g$m * q$ld }
  Ai <- solve(A); beta <- drop(Ai %*% Xy); rss <- 0
  for (i in seq_along(groups)) { g <- groups[[i]]; r <- g$Y - drop(g$X %*% beta)
    pre[[i]]$rs <- rowSums(r); pre[[i]]$ViSrVi <- pre[[i]]$Vi %*% tcrossprod(r) %*% pre[[i]]$Vi
    rss <- rss + sum(diag(pre[[i]]$ViSrVi %*% cv$S[g$v, g$v, drop = FALSE])) }
  f <- ld + rss + as.numeric(determinant(A)$modulus) + (N - p) * log(2 * pi)
  out <- list(f = f, beta = beta, Phi = Ai)
  if (deriv == 0) return(out)
  zeroP <- function() matrix(0, p, p)
  trVk <- ePe <- numeric(K); B <- replicate(K, zeroP(), simplify = FALSE)
  Xz <- replicate(K, numeric(p), simplify = FALSE)
  Q <- Rm <- matrix(list(), K, K)
  for (a in 1:K) for (b in 1:K) { Q[[a, b]] <- zeroP(); Rm[[a, b]] <- zeroP() }
  T <- S2 <- E2 <- ZZ <- matrix(0, K, K)
  for (i in seq_along(groups)) { g <- groups[[i]]; q <- pre[[i]]; v <- g$v; m <- g$m
    Vk <- lapply(cv$dS, function(M) M[v, v, drop = FALSE])
    ViVk <- lapply(Vk, function(M) q$Vi %*% M)
    es <- drop(q$Vi %*% q$rs)                                 # sum_i V^-1 r_i
    for (a in 1:K) {
      trVk[a] <- trVk[a] + m * sum(diag(ViVk[[a]]))
      B[[a]] <- B[[a]] + m * crossprod(q$ViX, Vk[[a]] %*% q$ViX)
      ePe[a] <- ePe[a] + sum(Vk[[a]] * q$ViSrVi)
      Xz[[a]] <- Xz[[a]] + drop(crossprod(q$ViX, Vk[[a]] %*% es)) }
    if (deriv >= 2) for (a in 1:K) for (b in 1:K) {
      Vab <- cv$d2S[[a, b]][v, v, drop = FALSE]
      T[a, b] <- T[a, b] + m * sum(ViVk[[a]] * t(ViVk[[b]]))
      Q[[a, b]] <- Q[[a, b]] + m * crossprod(q$ViX, Vk[[a]] %*% q$Vi %*% Vk[[b]] %*% q$ViX)
      Rm[[a, b]] <- Rm[[a, b]] + m * crossprod(q$ViX, Vab %*% q$ViX)
      S2[a, b] <- S2[a, b] + m * sum(q$Vi * Vab)
      E2[a, b] <- E2[a, b] + sum(Vab * q$ViSrVi)
      ZZ[a, b] <- ZZ[a, b] + sum((Vk[[a]] %*% q$Vi %*% Vk[[b]]) * q$ViSrVi) }
  }
  out$trPV <- sapply(1:K, function(a) trVk[a] - sum(Ai * B[[a]]))
  out$yPVPy <- ePe
  out$g <- out$trPV - ePe
  out$P <- B
  if (deriv < 2) return(out)
  H <- FI <- matrix(0, K, K)
  for (a in 1:K) for (b in 1:K) {
    trPVPV <- T[a, b] - sum(Ai * t(Q[[a, b]])) - sum(Ai * Q[[a, b]]) +
      sum(diag(Ai %*% B[[a]] %*% Ai %*% B[[b]]))
    trPVab <- S2[a, b] - sum(Ai * Rm[[a, b]])
    yPVPVPy <- ZZ[a, b] - sum(Xz[[a]] * drop(Ai %*% Xz[[b]]))
    H[a, b] <- -trPVPV + trPVab + 2 * yPVPVPy - E2[a, b]
    FI[a, b] <- trPVPV                 # expected information of -2RLL (used for MIVQUE0)
  }
  out$H <- (H + t(H)) / 2; out$FI <- FI; out$Q <- Q; out$R <- Rm
  out
}

## ---- Kenward-Roger for contrast l ----
kr <- function(fit, l = c(0, 1), linear = FALSE, W = 2 * solve(fit$H)) {
  Phi <- fit$Phi; P <- fit$P; K <- length(P)
  M <- matrix(0, p, p)
  for (a in 1:K) for (b in 1:K) {
    inner <- fit$Q[[a, b]] - P[[a]] %*% Phi %*% P[[b]]
    if (!linear) inner <- inner - fit$R[[a, b]] / 4
    M <- M + W[a, b] * inner }
  PhiA <- Phi + 2 * Phi %*% M %*% Phi
  gk <- sapply(1:K, function(a) drop(t(l) %*% Phi %*% P[[a]] %*% Phi %*% l))
  v <- drop(t(l) %*% Phi %*% l)
  c(Estimate = sum(l * fit$beta), SE = sqrt(drop(t(l) %*% PhiA %*% l)), DF = 2 * v^2 / drop(t(gk) %*% W %*% gk))
}

K0 <- (N - p) * log(2 * pi)
sas_crit <- function(fit) drop(t(fit$g) %*% solve(fit$H, fit$g)) / abs(fit$f - K0)
newton <- function(th, covf) { fit <- reml(th, covf); th - solve(fit$H, fit$g) }
optimum <- function(th, covf) {   # Newton with step halving (only used to locate the optimum)
  f0 <- reml(th, covf, 0)$f
  for (i in 1:200) { fit <- reml(th, covf); st <- solve(fit$H, fit$g)
    if (any(eigen(fit$H, only.values = TRUE)$values <= 0)) st <- solve(fit$FI, fit$g)
    t <- 1
    repeat { tn <- th - t * st; fn <- tryCatch(reml(tn, covf, 0)$f, error = function(e) Inf)
      if (fn <= f0 + 1e-9 || t < 1e-8) break; t <- t / 2 }
    th <- tn; f0 <- fn
    if (max(abs(t * st / th)) < 1e-15) break }
  th }
mivque0 <- function(covf, th_identity) { f0 <- reml(th_identity, covf); solve(f0$FI, f0$yPVPy) }

## SAS reference results (full precision)
KRDIR <- file.path(DATA_DIR, "kenward-roger")
sas_kr <- function(name) {
  a <- read.csv(file.path(KRDIR, paste0("kr_", name, ".csv")))
  b <- read.csv(file.path(KRDIR, paste0("kr1_", name, ".csv")))
  c(Estimate = a$Estimate, SE_kr = a$StdErr, SE_krlin = b$StdErr, DF = a$DF) }
kr_all <- function(th, covf, fit = reml(th, covf)) { a <- kr(fit); b <- kr(fit, linear = TRUE)
  c(Estimate = a[[1]], SE_kr = a[[2]], SE_krlin = b[[2]], DF = a[[3]]) }
show_kr <- function(label, th, covf, ref) {
  v <- kr_all(th, covf); rel <- v / ref - 1
  cat(sprintf("  %-28s f = %.8f  rel.diff vs SAS: Est %9.2e  SE(kr) %9.2e  SE(kr lin) %9.2e  DF %9.2e\n",
    label, reml(th, covf, 0)$f, rel[1], rel[2], rel[3], rel[4]))
  invisible(rel) }
fmt <- function(x) paste(formatC(x, digits = 17, format = "g"), collapse = ", ")

###########################################################################
## 1. UN: full reproduction of the SAS iteration history
###########################################################################
cat("=== UN (TYPE=UN) ===\n")
sas_hist_us <- c(3891.08088197, 3668.64862630, 3667.97607884, 3667.96276376)
## null model: S = s2 I with the REML s2 = OLS residual SS / (N - p)
Xall <- cbind(1, as.numeric(dat$ARMCD == "TRT")); ols <- lm.fit(Xall, dat$FEV1)
null_f <- reml(sum(ols$residuals^2) / (N - p), function(t) list(S = t * diag(NT)), 0)$f
th <- mivque0(cov_un, c(1, 0, 1, 0, 0, 1, 0, 0, 0, 1))
cat("MIVQUE0 start:", fmt(th), "\n")
cat(sprintf("  it %d  ours %.8f  SAS %.8f\n", 0L, null_f, sas_hist_us[1]))
for (it in 1:3) { th <- newton(th, cov_un); fit <- reml(th, cov_un)
  cat(sprintf("  it %d  ours %.8f  SAS %.8f  diff %.1e  criterion %.8f\n", it, fit$f, sas_hist_us[it + 1],
              fit$f - sas_hist_us[it + 1], sas_crit(fit))) }
th_us_sas <- th; th_us_opt <- optimum(th, cov_un)
cat("theta at SAS final iterate (UN(1,1),UN(2,1),UN(2,2),UN(3,1),...):\n  ", fmt(th_us_sas), "\n")
cat("theta at exact optimum:\n  ", fmt(th_us_opt), "\n")
cat(sprintf("  -2RLL: SAS final %.10f  optimum %.10f  (diff %.3e)\n",
  reml(th_us_sas, cov_un, 0)$f, reml(th_us_opt, cov_un, 0)$f, reml(th_us_sas, cov_un, 0)$f - reml(th_us_opt, cov_un, 0)$f))
ref <- sas_kr("us")
show_kr("KR at SAS final iterate", th_us_sas, cov_un, ref)
show_kr("KR at exact optimum", th_us_opt, cov_un, ref)
print(rbind(SAS = ref, at_SAS_iterate = kr_all(th_us_sas, cov_un), at_optimum = kr_all(th_us_opt, cov_un)))

###########################################################################
## 2. Nonlinear structures (CSH, ANTE(1)=ADH, ARH(1)):
##    the starting values SAS uses are not MIVQUE0-of-UN-mapped (see notes at the end),
##    so the path is not re-run.  Instead SAS's final iterate is reconstructed:
##    find theta inside the rounding box of the printed "Covariance Parameter Estimates"
##    that reproduces SAS's full-precision Estimate, SE(kr), SE(kr linear), DF and the
##    printed final -2 Res Log Like.  If such a theta exists (residuals ~1e-10 while the
##    exact optimum gives ~1e-4), the KR formulas agree with SAS and the gap is due to
##    SAS stopping at a non-stationary iterate.
###########################################################################
lm_solve <- function(res, u, iters = 60) {   # small Levenberg-Marquardt
  mu <- 1e-3; r <- res(u)
  for (i in 1:iters) {
    J <- jacobian(res, u); A <- crossprod(J); b <- crossprod(J, r)
    repeat {
      un <- u - drop(solve(A + mu * diag(pmax(diag(A), 1e-14 * max(diag(A)))), b))
      rn <- tryCatch(res(un), error = function(e) rep(Inf, length(r)))
      if (sum(rn^2) < sum(r^2)) { u <- un; r <- rn; mu <- max(mu / 10, 1e-12); break }
      mu <- mu * 10; if (mu > 1e12) return(list(u = u, r = r))
    }
    if (sqrt(sum(b^2)) < 1e-30 || max(abs(r[1:5])) < 1e-13) break
  }
  list(u = u, r = r) }

reconstruct <- function(name, covf, printed, halfw, f_final, sas_hist, start_opt) {
  cat(sprintf("\n=== %s ===\n", toupper(name)))
  ref <- sas_kr(name)
  th_opt <- optimum(start_opt, covf)
  show_kr("KR at exact optimum", th_opt, covf, ref)
  show_kr("KR at printed SAS estimates", printed, covf, ref)
  ## residuals: 4 KR outputs + final -2RLL (relative), plus a weak pull to the printed values
  eqs <- function(th) { fit <- reml(th, covf); c(kr_all(th, covf, fit) / ref - 1, fit$f / f_final - 1) }
  sc <- abs(printed)
  for (w in c(1e-6, 1e-9, 1e-12)) {
    res <- function(u) { th <- u * sc; c(eqs(th), w * (th - printed) / halfw) }
    sol <- lm_solve(res, if (w == 1e-6) printed / sc else sol$u)
  }
  th <- sol$u * sc
  cat("  reconstructed SAS final iterate:\n   ", fmt(th), "\n")
  cat(sprintf("  equation residuals (Est, SE, SE lin, DF, -2RLL): %s\n", paste(sprintf("%.1e", eqs(th)), collapse = " ")))
  cat(sprintf("  |theta - printed| / (rounding half-width), max = %.3f  (<= 1: inside the printed box)\n",
              max(abs(th - printed) / halfw)))
  fit <- reml(th, covf)
  cat(sprintf("  criterion at reconstructed iterate: %.2e ; -2RLL %.10f vs optimum %.10f (diff %.3e)\n",
              sas_crit(fit), fit$f, reml(th_opt, covf, 0)$f, fit$f - reml(th_opt, covf, 0)$f))
  show_kr("KR at reconstructed iterate", th, covf, ref)
  ## one step back along plain Newton: theta_2 with N(theta_2) = theta_3; compare f(theta_2)
  ## with SAS's printed iteration-2 value (ill-conditioned, so only a consistency check)
  t2 <- tryCatch({ tp <- th
    for (i in 1:40) { r <- newton(tp, covf) - th
      tp <- tp - solve(jacobian(function(t) newton(t, covf), tp), r)
      if (max(abs(r / th)) < 1e-13) break }
    tp }, error = function(e) NULL)
  if (!is.null(t2)) cat(sprintf("  backward Newton step: iterate 2 f = %.8f (SAS %.8f)\n",
                                reml(t2, covf, 0)$f, sas_hist[2]))
  invisible(list(th_sas = th, th_opt = th_opt))
}

csh <- reconstruct("csh", cov_csh,
  printed = c(100.98, 35.2903, 28.6359, 168.89, 0.09475), halfw = c(5e-3, 5e-5, 5e-5, 5e-3, 5e-6),
  f_final = 3754.18491472, sas_hist = c(3754.63600088, 3754.19529795, 3754.18491472),
  start_opt = c(100, 35, 28, 169, 0.1))
adh <- reconstruct("adh", cov_adh,   # ANTE(1): Var(1..4), Rho(1..3); 7 unknowns > 5 equations
  printed = c(110.47, 41.1742, 24.0872, 151.80, 0.6996, -0.01585, 0.3180),
  halfw = c(5e-3, 5e-5, 5e-5, 5e-3, 5e-5, 5e-6, 5e-5),
  f_final = 3682.44560955, sas_hist = c(3683.39215829, 3682.46343651, 3682.44560955),
  start_opt = c(110, 41, 24, 152, 0.7, -0.02, 0.32))
arh1 <- reconstruct("arh1", cov_arh1,
  printed = c(88.7252, 34.6829, 32.6996, 169.66, 0.3674), halfw = c(5e-5, 5e-5, 5e-5, 5e-3, 5e-5),
  f_final = 3715.28043805, sas_hist = c(3715.64241672, 3715.28549111, 3715.28043805),
  start_opt = c(89, 35, 33, 170, 0.37))

###########################################################################
## 3. Structures where SAS reaches the optimum (printed final -2RLL equals the optimum
##    to 1e-8: CS 3890.97896859, AR(1) 3855.12433951) and those without a listing here
##    (TOEP, TOEPH): KR at the exact optimum only.
###########################################################################
cat("\n=== KR at the exact optimum for the remaining structures ===\n")
for (s in list(list("cs", cov_cs, c(1, 81)), list("ar1", cov_ar1, c(0.39, 84)),
               list("toep", cov_toep, c(10, 0, -10, 90)), list("toeph", cov_toeph, c(100, 40, 30, 150, 0.3, 0.1, 0.05)))) {
  th <- optimum(s[[3]], s[[2]])
  cat(sprintf("%-6s theta* = %s\n", s[[1]], fmt(th)))
  show_kr("KR at exact optimum", th, s[[2]], sas_kr(s[[1]]))
}

## Notes on what is NOT reproduced:
##  * For CSH / ANTE(1) / ARH(1) the SAS starting values are unknown.  Tried and rejected
##    (iteration-1 -2RLL does not match): UN MIVQUE0 variances with correlation 0 / mean
##    UN correlation / covariance-weighted correlation; one Fisher-scoring step from the
##    null model; MIVQUE0 of CS mapped; ridge-stabilised steps from these starts
##    (ridge lambda*I, lambda*diag(H), lambda*FI).  The reconstruction in section 2
##    therefore bypasses the path.
##  * CS / AR(1) agree at the optimum only to ~1e-7 / ~1e-6 (residual profiling in SAS;
##    not examined).

## ---- golden ----
entry <- function(th, covf, how) {
  fit <- reml(th, covf)
  list(theta = unname(th), m2_res_log_like = fit$f, sas_criterion = sas_crit(fit), how = how)
}
out <- list(
  provenance = golden_provenance(
    "independent_script", "tests/reference/mmrm_sas_iterates.R", c("numDeriv", "jsonlite"),
    data = "tests/data/sas-mmrm/fev_data.csv",
    method = "REML, Newton-Raphson and Kenward-Roger written from the formulas (base R, numDeriv)",
    model = "FEV1 = ARMCD, REPEATED AVISIT / SUBJECT=USUBJID TYPE=<cov>, REML",
    notes = paste(
      "theta = covariance parameters at SAS's final iterate, SAS parametrization and order.",
      "us: reproduced (MIVQUE0 start, plain Newton-Raphson, SAS's printed -2RLL at every iteration within 5e-9).",
      "csh, adh, arh1: reconstructed (theta within the printed rounding of SAS's estimates that reproduces",
      "SAS's full-precision KR estimate, SE (kr and kr(linear)), df and final -2RLL; adh has 7 unknowns for",
      "5 equations and lies just outside the printed rounding in one coordinate).")
  ),
  us = entry(th_us_sas, cov_un, "reproduced"),
  csh = entry(csh$th_sas, cov_csh, "reconstructed"),
  adh = entry(adh$th_sas, cov_adh, "reconstructed"),
  arh1 = entry(arh1$th_sas, cov_arh1, "reconstructed")
)
jsonlite::write_json(out, OUT_PATH, digits = NA, auto_unbox = TRUE, pretty = TRUE)
cat("wrote", OUT_PATH, "\n")
