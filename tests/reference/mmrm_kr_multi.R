# Reference values for multi-degree-of-freedom Kenward-Roger F tests of an MMRM on the FEV data
# (tests/data/sas-mmrm/fev_data.csv, from the mmrm project, Apache-2.0).
#
# Model: FEV1 ~ FEV1_BL*visit + ARMCD*visit + RACE + SEX (treatment coding, reference levels
# VIS1, PBO, Asian, Male), subjects independent, within-subject covariance of the
# chosen structure over the 4 visits, REML. Writes tests/golden/mmrm_kr_multi.json.
# Run from the crate root:  Rscript tests/reference/mmrm_kr_multi.R
#
# Everything below the REML start values is computed directly from the formulas of
# Kenward & Roger (1997, Biometrics 53:983-997); nlme::gls is only used to get a starting point.
#
# Covariance parameters theta use the SAS PROC MIXED parametrization (W and R depend on it):
#   cs   Sigma = CS * J + Residual * I                        theta = (CS, Residual)
#   ar1  Sigma_jk = Residual * rho^|j-k|                       theta = (rho, Residual)
#   us   theta = Sigma[a,b], a >= b, ordered (1,1),(2,1),(2,2),(3,1),(3,2),(3,3),(4,1),...,(4,4)
#   csh  Sigma_jk = sqrt(V_j V_k) * (rho if j != k else 1)     theta = (V1, V2, V3, V4, rho)
#
# Steps per structure:
#   1. REML optimum: Newton iterations on -2 l_REML(theta) until the Newton decrement
#      g' H^-1 g < 1e-12, with analytic gradient g and analytic observed Hessian H
#      (checked against numDeriv::grad, numDeriv::hessian and numDeriv::jacobian of g).
#   2. Phi = (X' V^-1 X)^-1, W = 2 H^-1 (H: Hessian of -2 l_REML, observed information).
#   3. P_k = X' V^-1 dV_k V^-1 X, Q_kl = X' V^-1 dV_k V^-1 dV_l V^-1 X,
#      R_kl = X' V^-1 d2V_kl V^-1 X, with analytic first and second derivatives of Sigma
#      (checked against numDeriv::jacobian below).
#   4. Phi_A = Phi + 2 Phi [sum_kl W_kl (Q_kl - P_k Phi P_l - R_kl / 4)] Phi  ("kr");
#      the same without the R term ("kr_linear").
#   5. KR scaled F statistic and denominator degrees of freedom for each hypothesis matrix L.
suppressPackageStartupMessages({
  library(nlme)
  library(numDeriv)
  library(jsonlite)
})
source("tests/reference/provenance.R")

data_path <- "tests/data/sas-mmrm/fev_data.csv"
out_path <- "tests/golden/mmrm_kr_multi.json"

t_start <- Sys.time()

# ---------------------------------------------------------------------------------------------
# Data and design
# ---------------------------------------------------------------------------------------------
fev <- read.csv(data_path, stringsAsFactors = FALSE)
fev$visit <- factor(fev$AVISIT, levels = c("VIS1", "VIS2", "VIS3", "VIS4"))
fev$ARMCD <- factor(fev$ARMCD, levels = c("PBO", "TRT"))
fev$RACE <- factor(fev$RACE, levels = c("Asian", "Black or African American", "White"))
fev$SEX <- factor(fev$SEX, levels = c("Male", "Female"))
fev <- fev[!is.na(fev$FEV1), ]
fev$USUBJID <- factor(fev$USUBJID)
fev$vnum <- as.integer(fev$visit)
fev <- fev[order(fev$USUBJID, fev$vnum), ]
rownames(fev) <- NULL
stopifnot(nrow(fev) == 537, nlevels(fev$USUBJID) == 197)  # 3 of 200 subjects have no FEV1

model_formula <- FEV1 ~ FEV1_BL * visit + ARMCD * visit + RACE + SEX
X <- model.matrix(model_formula, data = fev)
y <- fev$FEV1
N <- nrow(X)
p <- ncol(X)
stopifnot(qr(X)$rank == p)

# Group subjects by their pattern of observed visits. Within a pattern every subject has the same
# Sigma_i, so whitening and all X' V^-1 (...) V^-1 X sums can be done with one k x k matrix on a
# k x (n_subjects * p) reshaped block (rows of a pattern are stored subject-major).
pattern_key <- tapply(fev$vnum, fev$USUBJID, paste, collapse = "")
fev$pattern <- pattern_key[as.character(fev$USUBJID)]
patterns <- lapply(split(seq_len(N), fev$pattern), function(rows) {
  vis <- as.integer(strsplit(fev$pattern[rows[1]], "")[[1]])
  rows <- rows[order(fev$USUBJID[rows], fev$vnum[rows])]
  list(vis = vis, k = length(vis), ns = length(rows) / length(vis), X = X[rows, , drop = FALSE],
       y = y[rows])
})
stopifnot(sum(sapply(patterns, function(g) g$ns)) == 197)

# Apply a k x k matrix M to every subject block of a subject-major (k * ns) x q matrix.
blockmul <- function(M, A, k) {
  q <- ncol(A)
  matrix(M %*% matrix(A, nrow = k), ncol = q)
}

# ---------------------------------------------------------------------------------------------
# Covariance structures: Sigma(theta), analytic dSigma/dtheta_k and d2Sigma/dtheta_k dtheta_l
# ---------------------------------------------------------------------------------------------
nv <- 4
dist_mat <- abs(outer(1:nv, 1:nv, "-"))
us_index <- do.call(rbind, lapply(1:nv, function(a) cbind(a = a, b = 1:a)))  # (1,1),(2,1),(2,2),...

structures <- list(
  cs = list(
    names = c("CS", "Residual"),
    sigma = function(th) th[1] * matrix(1, nv, nv) + th[2] * diag(nv),
    d1 = function(th) list(matrix(1, nv, nv), diag(nv)),
    d2 = NULL  # linear in theta
  ),
  ar1 = list(
    names = c("rho", "Residual"),
    sigma = function(th) th[2] * th[1]^dist_mat,
    d1 = function(th) {
      d_rho <- th[2] * ifelse(dist_mat == 0, 0, dist_mat * th[1]^(dist_mat - 1))
      list(d_rho, th[1]^dist_mat)
    },
    d2 = function(th) {
      d_rr <- th[2] * ifelse(dist_mat < 2, 0, dist_mat * (dist_mat - 1) * th[1]^(dist_mat - 2))
      d_rs <- ifelse(dist_mat == 0, 0, dist_mat * th[1]^(dist_mat - 1))
      list(list(d_rr, d_rs), list(d_rs, matrix(0, nv, nv)))
    }
  ),
  us = list(
    names = sprintf("UN(%d,%d)", us_index[, "a"], us_index[, "b"]),
    sigma = function(th) {
      S <- matrix(0, nv, nv)
      S[us_index] <- th
      S[us_index[, c("b", "a")]] <- th
      S
    },
    d1 = function(th) lapply(seq_len(nrow(us_index)), function(m) {
      E <- matrix(0, nv, nv)
      E[us_index[m, "a"], us_index[m, "b"]] <- 1
      E[us_index[m, "b"], us_index[m, "a"]] <- 1
      E
    }),
    d2 = NULL  # linear in theta
  ),
  csh = list(
    names = c("Var(1)", "Var(2)", "Var(3)", "Var(4)", "CSH"),
    sigma = function(th) {
      s <- sqrt(th[1:nv])
      C <- matrix(th[nv + 1], nv, nv)
      diag(C) <- 1
      outer(s, s) * C
    },
    d1 = function(th) {
      v <- th[1:nv]
      rho <- th[nv + 1]
      out <- lapply(1:nv, function(a) {
        D <- matrix(0, nv, nv)
        others <- setdiff(1:nv, a)
        D[a, others] <- 0.5 * rho * sqrt(v[others] / v[a])
        D[others, a] <- D[a, others]
        D[a, a] <- 1
        D
      })
      R <- outer(sqrt(v), sqrt(v))
      diag(R) <- 0
      c(out, list(R))
    },
    d2 = function(th) {
      v <- th[1:nv]
      rho <- th[nv + 1]
      K <- nv + 1
      out <- rep(list(rep(list(matrix(0, nv, nv)), K)), K)
      for (a in 1:nv) {
        others <- setdiff(1:nv, a)
        # d2 / dV_a^2: only the off-diagonal entries of row/column a
        D <- matrix(0, nv, nv)
        D[a, others] <- -0.25 * rho * sqrt(v[others]) * v[a]^(-1.5)
        D[others, a] <- D[a, others]
        out[[a]][[a]] <- D
        # d2 / dV_a dV_b (a != b): only entries (a,b) and (b,a)
        for (b in others) {
          D <- matrix(0, nv, nv)
          D[a, b] <- D[b, a] <- 0.25 * rho / sqrt(v[a] * v[b])
          out[[a]][[b]] <- D
        }
        # d2 / dV_a drho
        D <- matrix(0, nv, nv)
        D[a, others] <- 0.5 * sqrt(v[others] / v[a])
        D[others, a] <- D[a, others]
        out[[a]][[K]] <- out[[K]][[a]] <- D
      }
      out
    }
  )
)

# Starting values: REML fits from nlme::gls, converted to theta through the fitted 4 x 4
# covariance matrix of a subject with all four visits.
gls_start <- function(structure) {
  ctl <- glsControl(maxIter = 200, msMaxIter = 200)
  fit <- switch(structure,
    cs = gls(model_formula, data = fev, method = "REML", control = ctl,
             correlation = corCompSymm(form = ~ vnum | USUBJID)),
    ar1 = gls(model_formula, data = fev, method = "REML", control = ctl,
              correlation = corAR1(form = ~ vnum | USUBJID)),
    us = gls(model_formula, data = fev, method = "REML", control = ctl,
             correlation = corSymm(form = ~ vnum | USUBJID),
             weights = varIdent(form = ~ 1 | visit)),
    csh = gls(model_formula, data = fev, method = "REML", control = ctl,
              correlation = corCompSymm(form = ~ vnum | USUBJID),
              weights = varIdent(form = ~ 1 | visit))
  )
  complete_id <- names(which(table(fev$USUBJID) == nv))[1]
  S <- unclass(getVarCov(fit, individual = complete_id))
  S <- matrix(S, nv, nv)
  switch(structure,
    cs = {
      cs <- mean(S[lower.tri(S)])
      c(cs, mean(diag(S)) - cs)
    },
    ar1 = c(S[1, 2] / S[1, 1], S[1, 1]),
    us = S[us_index],
    csh = {
      v <- diag(S)
      c(v, mean((S / sqrt(outer(v, v)))[lower.tri(S)]))
    }
  )
}

# ---------------------------------------------------------------------------------------------
# REML criterion and the KR building blocks
# ---------------------------------------------------------------------------------------------
# Whitened pattern blocks at theta: Ci = chol(Sigma_i) (upper), Xt = Ci^-T X_i, yt = Ci^-T y_i.
whiten <- function(st, th) {
  S <- st$sigma(th)
  lapply(patterns, function(g) {
    Ci <- tryCatch(chol(S[g$vis, g$vis, drop = FALSE]), error = function(e) NULL)
    if (is.null(Ci)) return(NULL)
    Xt <- matrix(backsolve(Ci, matrix(g$X, nrow = g$k), transpose = TRUE), ncol = p)
    yt <- as.vector(backsolve(Ci, matrix(g$y, nrow = g$k), transpose = TRUE))
    list(Ci = Ci, Xt = Xt, yt = yt, logdet = g$ns * 2 * sum(log(diag(Ci))), k = g$k,
         ns = g$ns, vis = g$vis)
  })
}

# -2 l_REML(theta) = log|V| + r' V^-1 r + log|X' V^-1 X| + (N - p) log(2 pi), beta = GLS.
m2_reml <- function(st, th) {
  w <- whiten(st, th)
  if (any(vapply(w, is.null, TRUE))) return(NaN)
  XtX <- Reduce(`+`, lapply(w, function(b) crossprod(b$Xt)))
  Xty <- Reduce(`+`, lapply(w, function(b) crossprod(b$Xt, b$yt)))
  yty <- sum(vapply(w, function(b) sum(b$yt^2), 0))
  logdetV <- sum(vapply(w, function(b) b$logdet, 0))
  cX <- chol(XtX)
  z <- backsolve(cX, Xty, transpose = TRUE)
  logdetV + (yty - sum(z^2)) + 2 * sum(log(diag(cX))) + (N - p) * log(2 * pi)
}

# Everything KR needs at theta: beta, Phi, P_k, Q_kl, R_kl, plus the analytic REML gradient
#   d(-2 l_REML)/dtheta_k = tr(V^-1 dV_k) - r' V^-1 dV_k V^-1 r - tr(Phi P_k)   (a cross-check).
kr_blocks <- function(st, th, full = TRUE) {
  w <- whiten(st, th)
  XtX <- Reduce(`+`, lapply(w, function(b) crossprod(b$Xt)))
  Xty <- Reduce(`+`, lapply(w, function(b) crossprod(b$Xt, b$yt)))
  Phi <- chol2inv(chol(XtX))
  beta <- as.vector(Phi %*% Xty)
  names(beta) <- colnames(X)
  dS <- st$d1(th)
  K <- length(dS)
  d2S <- if (is.null(st$d2) || !full) NULL else st$d2(th)
  P <- rep(list(matrix(0, p, p)), K)
  Q <- rep(list(rep(list(matrix(0, p, p)), K)), K)
  R <- rep(list(rep(list(matrix(0, p, p)), K)), K)
  grad_an <- numeric(K)
  hess_v <- matrix(0, K, K)  # the part of the analytic Hessian not involving Phi
  U <- matrix(0, p, K)       # column k: X' V^-1 dV_k V^-1 r
  for (b in w) {
    Cinv <- backsolve(b$Ci, diag(b$k))  # Ci^-1, so Sigma_i^-1 = Cinv Cinv'
    rt <- b$yt - as.vector(b$Xt %*% beta)  # whitened residuals
    # M_k = Ci^-T dSigma_k Ci^-1, so X_i' Sigma_i^-1 dSigma_k Sigma_i^-1 X_i = Xt_i' M_k Xt_i
    M <- lapply(dS, function(D) crossprod(Cinv, D[b$vis, b$vis, drop = FALSE] %*% Cinv))
    MX <- lapply(M, function(Mk) blockmul(Mk, b$Xt, b$k))
    for (k in seq_len(K)) {
      P[[k]] <- P[[k]] + crossprod(b$Xt, MX[[k]])
      U[, k] <- U[, k] + as.vector(crossprod(MX[[k]], rt))
      grad_an[k] <- grad_an[k] + b$ns * sum(diag(M[[k]])) -
        sum(rt * as.vector(blockmul(M[[k]], matrix(rt), b$k)))
      if (full) for (l in seq_len(K)) {
        Q[[k]][[l]] <- Q[[k]][[l]] + crossprod(MX[[k]], MX[[l]])
        MM <- M[[k]] %*% M[[l]]
        hess_v[k, l] <- hess_v[k, l] - b$ns * sum(diag(MM)) +
          2 * sum(rt * as.vector(blockmul(MM, matrix(rt), b$k)))
        if (!is.null(d2S)) {
          Mkl <- crossprod(Cinv, d2S[[k]][[l]][b$vis, b$vis, drop = FALSE] %*% Cinv)
          R[[k]][[l]] <- R[[k]][[l]] + crossprod(b$Xt, blockmul(Mkl, b$Xt, b$k))
          hess_v[k, l] <- hess_v[k, l] + b$ns * sum(diag(Mkl)) -
            sum(rt * as.vector(blockmul(Mkl, matrix(rt), b$k)))
        }
      }
    }
  }
  for (k in seq_len(K)) grad_an[k] <- grad_an[k] - sum(Phi * P[[k]])
  # Analytic Hessian of -2 l_REML (Pi = V^-1 - V^-1 X Phi X' V^-1, Pi y = V^-1 r):
  #   H_kl = tr(Pi d2V_kl) - tr(Pi dV_k Pi dV_l) + 2 y'Pi dV_k Pi dV_l Pi y - y'Pi d2V_kl Pi y
  #        = [tr(V^-1 d2V_kl) - tr(V^-1 dV_k V^-1 dV_l) + 2 r'V^-1 dV_k V^-1 dV_l V^-1 r
  #           - r'V^-1 d2V_kl V^-1 r] - tr(Phi R_kl) + 2 tr(Phi Q_kl) - tr(Phi P_k Phi P_l)
  #          - 2 u_k' Phi u_l,   u_k = X' V^-1 dV_k V^-1 r
  hess_an <- NULL
  if (full) {
    hess_an <- hess_v
    for (k in seq_len(K)) for (l in seq_len(K)) {
      hess_an[k, l] <- hess_an[k, l] - sum(Phi * t(R[[k]][[l]])) +
        2 * sum(Phi * t(Q[[k]][[l]])) - sum((Phi %*% P[[k]]) * t(Phi %*% P[[l]])) -
        2 * sum(U[, k] * (Phi %*% U[, l]))
    }
    hess_an <- (hess_an + t(hess_an)) / 2
  }
  list(beta = beta, Phi = Phi, P = P, Q = Q, R = R, grad_an = grad_an, hess_an = hess_an,
       K = K)
}

# Analytic Sigma derivatives versus numDeriv::jacobian (max absolute difference).
check_derivs <- function(st, th) {
  K <- length(th)
  J1 <- jacobian(function(t) as.vector(st$sigma(t)), th)
  A1 <- sapply(st$d1(th), as.vector)
  err1 <- max(abs(J1 - A1))
  err2 <- 0
  for (k in seq_len(K)) {
    J2 <- jacobian(function(t) as.vector(st$d1(t)[[k]]), th)
    A2 <- if (is.null(st$d2)) matrix(0, nv * nv, K) else
      sapply(seq_len(K), function(l) as.vector(st$d2(th)[[k]][[l]]))
    err2 <- max(err2, abs(J2 - A2))
  }
  c(first = err1, second = err2)
}

# ---------------------------------------------------------------------------------------------
# Kenward-Roger F test
# ---------------------------------------------------------------------------------------------
kr_test <- function(L, beta, Phi, PhiA, P, W) {
  L <- matrix(L, ncol = p)
  cc <- nrow(L)
  K <- length(P)
  Theta <- crossprod(L, solve(L %*% Phi %*% t(L), L))
  TPPP <- lapply(P, function(Pk) Theta %*% Phi %*% Pk %*% Phi)  # Theta Phi P_k Phi
  tr1 <- vapply(TPPP, function(A) sum(diag(A)), 0)
  A1 <- 0
  A2 <- 0
  for (k in seq_len(K)) for (l in seq_len(K)) {
    A1 <- A1 + W[k, l] * tr1[k] * tr1[l]
    A2 <- A2 + W[k, l] * sum(t(TPPP[[k]]) * TPPP[[l]])  # tr(TPPP_k TPPP_l)
  }
  B <- (A1 + 6 * A2) / (2 * cc)
  g <- ((cc + 1) * A1 - (cc + 4) * A2) / ((cc + 2) * A2)
  den <- 3 * cc + 2 * (1 - g)
  c1 <- g / den
  c2 <- (cc - g) / den
  c3 <- (cc + 2 - g) / den
  Estar <- 1 / (1 - A2 / cc)
  Vstar <- (2 / cc) * (1 + c1 * B) / ((1 - c2 * B)^2 * (1 - c3 * B))
  rho <- Vstar / (2 * Estar^2)
  m <- 4 + (cc + 2) / (cc * rho - 1)
  lambda <- m / (Estar * (m - 2))
  Lb <- L %*% beta
  Fval <- as.numeric(crossprod(Lb, solve(L %*% PhiA %*% t(L), Lb))) / cc
  Fstar <- lambda * Fval
  list(num_df = cc, f_unscaled = Fval, lambda = lambda, f_value = Fstar, den_df = m,
       p_value = pf(Fstar, cc, m, lower.tail = FALSE), A1 = A1, A2 = A2)
}

# Hypotheses: rows of L select model.matrix columns by name.
cn <- colnames(X)
has_parts <- function(parts) vapply(strsplit(cn, ":", fixed = TRUE), function(s) {
  length(s) == length(parts) && all(vapply(parts, function(pt) any(startsWith(s, pt)), TRUE))
}, TRUE)
select_rows <- function(cols) {
  L <- matrix(0, length(cols), p, dimnames = list(NULL, cn))
  for (i in seq_along(cols)) L[i, cols[i]] <- 1
  L
}
armcd_visit_cols <- cn[has_parts(c("ARMCDTRT", "visitVIS"))]
race_cols <- cn[grepl("^RACE", cn)]
bl_visit_cols <- cn[has_parts(c("FEV1_BL", "visitVIS"))]
vis4_int <- cn[has_parts(c("ARMCDTRT", "visitVIS4"))]
stopifnot(length(armcd_visit_cols) == 3, length(race_cols) == 2, length(bl_visit_cols) == 3,
          length(vis4_int) == 1)
contrast_L <- matrix(0, 1, p, dimnames = list(NULL, cn))
contrast_L[1, c("ARMCDTRT", vis4_int)] <- 1
hypotheses <- list(
  list(label = "ARMCD:visit", columns = armcd_visit_cols, L = select_rows(armcd_visit_cols)),
  list(label = "RACE", columns = race_cols, L = select_rows(race_cols)),
  list(label = "FEV1_BL:visit", columns = bl_visit_cols, L = select_rows(bl_visit_cols)),
  list(label = "TRT-PBO at VIS4", columns = c("ARMCDTRT", vis4_int), L = contrast_L)
)

# ---------------------------------------------------------------------------------------------
# Fit and test each structure
# ---------------------------------------------------------------------------------------------
# Gradient and Hessian of -2 l_REML: analytic (kr_blocks). They are cross-checked against
# numDeriv::grad / numDeriv::hessian of -2 l_REML and numDeriv::jacobian of the analytic
# gradient (provenance$details$checks); numDeriv::hessian alone is only good to ~1e-6 relative here.
reml_grad <- function(st, th) kr_blocks(st, th, full = FALSE)$grad_an
reml_hess <- function(st, th) kr_blocks(st, th, full = TRUE)$hess_an

newton_reml <- function(st, th, tol = 1e-12, max_iter = 50) {
  f <- function(t) m2_reml(st, t)
  for (it in seq_len(max_iter)) {
    g <- reml_grad(st, th)
    H <- reml_hess(st, th)
    step <- solve(H, g)
    dec <- sum(g * step)
    # Stop once the decrement is below tol and at least two Newton steps were taken (the
    # extra step polishes theta at no cost; the criterion changes by < 1e-12 there).
    if (dec < tol && it > 2) break
    # Step halving keeps the criterion decreasing (and Sigma positive definite).
    s <- 1
    f0 <- f(th)
    repeat {
      cand <- th - s * step
      fc <- f(cand)
      if (is.finite(fc) && fc <= f0 + 1e-10) break
      s <- s / 2
      if (s < 1e-8) stop("line search failed")
    }
    th <- cand
  }
  list(theta = th, grad = g, hessian = H, decrement = dec, iterations = it, value = f(th))
}

cases <- list()
checks <- list()
for (sname in names(structures)) {
  st <- structures[[sname]]
  th0 <- gls_start(sname)
  opt <- newton_reml(st, th0)
  th <- opt$theta
  # Hessian at the final theta (the loop's H is the one that certified convergence).
  H <- reml_hess(st, th)
  W <- 2 * solve(H)
  # Cross-check: plain numDeriv gradient and Hessian of -2 l_REML at the same theta.
  g_nd <- grad(function(t) m2_reml(st, t), th)
  H_nd <- hessian(function(t) m2_reml(st, t), th)
  W_nd <- 2 * solve(H_nd)
  H_jac <- jacobian(function(t) reml_grad(st, t), th)
  H_jac <- (H_jac + t(H_jac)) / 2
  kb <- kr_blocks(st, th)
  K <- kb$K
  Lam_lin <- matrix(0, p, p)
  Lam_R <- matrix(0, p, p)
  for (k in seq_len(K)) for (l in seq_len(K)) {
    Lam_lin <- Lam_lin + W[k, l] * (kb$Q[[k]][[l]] - kb$P[[k]] %*% kb$Phi %*% kb$P[[l]])
    Lam_R <- Lam_R + W[k, l] * kb$R[[k]][[l]] / 4
  }
  Phi <- kb$Phi
  PhiA_lin <- Phi + 2 * Phi %*% Lam_lin %*% Phi
  PhiA_kr <- Phi + 2 * Phi %*% (Lam_lin - Lam_R) %*% Phi

  # Same adjusted covariances with W from numDeriv::hessian (sensitivity of the results to W).
  Lam_nd <- matrix(0, p, p)
  for (k in seq_len(K)) for (l in seq_len(K)) {
    Lam_nd <- Lam_nd + W_nd[k, l] * (kb$Q[[k]][[l]] - kb$P[[k]] %*% kb$Phi %*% kb$P[[l]] -
                                     kb$R[[k]][[l]] / 4)
  }
  PhiA_nd <- Phi + 2 * Phi %*% Lam_nd %*% Phi

  tests <- list()
  w_sens <- c(f_value = 0, den_df = 0)
  for (h in hypotheses) {
    for (method in c("kr", "kr_linear")) {
      PhiA <- if (method == "kr") PhiA_kr else PhiA_lin
      r <- kr_test(h$L, kb$beta, Phi, PhiA, kb$P, W)
      if (method == "kr") {
        r_nd <- kr_test(h$L, kb$beta, Phi, PhiA_nd, kb$P, W_nd)
        w_sens <- pmax(w_sens, c(abs(r_nd$f_value / r$f_value - 1), abs(r_nd$den_df / r$den_df - 1)))
      }
      tests[[length(tests) + 1]] <- list(
        label = h$label, columns = h$columns, method = method, num_df = r$num_df,
        f_unscaled = r$f_unscaled, lambda = r$lambda, f_value = r$f_value, den_df = r$den_df,
        p_value = r$p_value)
    }
  }

  # Cross-check on the one-row contrast: m = 2 (l' Phi l)^2 / (g' W g), lambda = 1, where
  # g_k = l' Phi P_k Phi l; also g_k against a numerical derivative of l' Phi(theta) l.
  lvec <- as.vector(contrast_L)
  gk <- vapply(kb$P, function(Pk) as.numeric(t(lvec) %*% Phi %*% Pk %*% Phi %*% lvec), 0)
  m_direct <- 2 * as.numeric(t(lvec) %*% Phi %*% lvec)^2 / as.numeric(t(gk) %*% W %*% gk)
  g_num <- grad(function(t) {
    w <- whiten(st, t)
    XtX <- Reduce(`+`, lapply(w, function(b) crossprod(b$Xt)))
    sum(lvec * solve(XtX, lvec))
  }, th)
  one_row <- kr_test(contrast_L, kb$beta, Phi, PhiA_kr, kb$P, W)
  derr <- check_derivs(st, th)
  checks[[sname]] <- list(
    newton_iterations = opt$iterations,
    newton_decrement = opt$decrement,
    newton_decrement_numderiv = sum(g_nd * solve(H_nd, g_nd)),
    max_abs_grad_analytic = max(abs(kb$grad_an)),
    max_abs_grad_numderiv = max(abs(g_nd)),
    one_row_m_direct = m_direct,
    one_row_m_kr = one_row$den_df,
    one_row_lambda = one_row$lambda,
    max_rel_err_dphi = max(abs(gk - g_num)) / max(abs(gk)),
    max_abs_err_dsigma = derr[["first"]],
    max_abs_err_d2sigma = derr[["second"]],
    max_abs_diff_r_term = max(abs(PhiA_kr - PhiA_lin)),
    max_rel_diff_hessian_numderiv = max(abs(H_nd - H)) / max(abs(H)),
    max_rel_diff_hessian_jacobian_of_gradient = max(abs(H_jac - H)) / max(abs(H)),
    max_rel_diff_w_numderiv = max(abs(W_nd - W)) / max(abs(W)),
    kr_max_rel_diff_f_value_w_numderiv = w_sens[["f_value"]],
    kr_max_rel_diff_den_df_w_numderiv = w_sens[["den_df"]]
  )

  cases[[length(cases) + 1]] <- list(
    structure = sname,
    m2_reml_loglik = opt$value,
    theta = unname(th),
    theta_names = st$names,
    newton_decrement = opt$decrement,
    coefficients = as.list(kb$beta),
    tests = tests
  )
}

runtime <- as.numeric(difftime(Sys.time(), t_start, units = "secs"))
out <- list(
  provenance = golden_provenance(
    "independent_script", "tests/reference/mmrm_kr_multi.R", c("nlme", "numDeriv", "jsonlite"),
    data = "tests/data/sas-mmrm/fev_data.csv",
    method = "direct implementation of Kenward & Roger 1997; nlme::gls only for start values",
    model = paste("FEV1 ~ FEV1_BL*visit + ARMCD*visit + RACE + SEX, treatment coding",
                  "(reference VIS1, PBO, Asian, Male), rows with missing FEV1 dropped",
                  "(537 rows, 197 subjects with data), independent subjects, REML"),
    notes = paste(
      "theta in the SAS PROC MIXED parametrization: cs (CS, Residual); ar1 (rho, Residual);",
      "us lower-triangle covariances row-wise (1,1),(2,1),(2,2),...,(4,4); csh (V1..V4, rho).",
      "REML optimum by Newton steps until g'H^-1g < 1e-12 (and >= 3 steps), with the analytic",
      "gradient g and analytic observed Hessian H of -2 l_REML.",
      "W = 2 * solve(H) at the optimum (observed information). Cross-checks in provenance.details.checks:",
      "numDeriv::grad/hessian of -2 l_REML and numDeriv::jacobian of the analytic gradient;",
      "W from numDeriv::hessian changes f_value/den_df by the kr_max_rel_diff_* amounts.",
      "P, Q, R from analytic first and second derivatives of Sigma.",
      "kr: Phi_A with the R term; kr_linear: without it (identical for cs and us).",
      "Theta = L'(L Phi L')^-1 L uses the unadjusted Phi; F uses Phi_A.",
      "f_unscaled = (L b)'(L Phi_A L')^-1 (L b)/c, f_value = lambda * f_unscaled.",
      "Label 'TRT-PBO at VIS4' is the 1-row contrast ARMCDTRT + visitVIS4:ARMCDTRT."),
    details = list(checks = checks, runtime_seconds = runtime)
  ),
  cases = cases
)
dir.create(dirname(out_path), showWarnings = FALSE, recursive = TRUE)
write_json(out, out_path, digits = NA, auto_unbox = TRUE, pretty = TRUE)
cat(sprintf("wrote %s (%.1f s)\n", out_path, runtime))
