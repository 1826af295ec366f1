# Shared by the gls reference scripts: fit with two optimizers at tight tolerances, keep the
# higher (restricted) likelihood, then restart gls from its own estimates until neither the
# likelihood nor the coefficients move.
#
# Why: gls's optimizers (nlminb, BFGS) stop on a relative change of the criterion; on flat
# likelihoods (unstructured and heterogeneous structures) they stop where the gradient is still
# ~1e-4, which moves the coefficients by ~1e-4 relative. A restart begins with a fresh quasi-
# Newton Hessian at the previous solution and completes the optimization (usually 2-3 restarts;
# afterwards the coefficients repeat to ~1e-14). The result is still gls's own likelihood and
# estimates, only optimized to convergence.
#
# Restarts still leave the variance parameters ~1e-6 from the optimum (the change of the
# likelihood is below gls's tolerance), which moves small coefficients by ~1e-5 relative. So the
# last stage takes Newton steps on gls's own -2 log-likelihood, as a function of gls's
# correlation and variance-ratio parameters (numDeriv gradient and Hessian of gls fits with
# those parameters fixed), until the Newton decrement g'H^-1 g is below 1e-12; the reference
# values are then those of gls evaluated at that point (all covariance parameters fixed).
#
# make_cor(value, fixed): the corStruct with initial values (NULL = gls's default start), held
# fixed when fixed = TRUE.
# het: whether a varIdent(~1|visit) weight is part of the model.
# A make_cor for a corStruct constructor: make_cor(NULL) = gls's default start, make_cor(v, fixed)
# starts at (or holds) v.
with_value <- function(ctor, ...) {
  function(v, fixed) if (is.null(v)) ctor(...) else ctor(value = v, fixed = fixed, ...)
}

gls_controls <- list(
  nlminb = glsControl(tolerance = 1e-12, msTol = 1e-14, maxIter = 500, msMaxIter = 500),
  bfgs = glsControl(opt = "optim", optimMethod = "BFGS", tolerance = 1e-12, msTol = 1e-14,
                    maxIter = 500, msMaxIter = 500)
)

fit_gls_converged <- function(args, make_cor, het, max_restarts = 50) {
  args$correlation <- make_cor(NULL, fixed = FALSE)
  if (het) args$weights <- varIdent(form = ~ 1 | visit)
  fit <- NULL
  optimizer <- NULL
  for (nm in names(gls_controls)) {
    cand <- try(do.call(gls, c(args, list(control = gls_controls[[nm]]))), silent = TRUE)
    if (!inherits(cand, "try-error") && (is.null(fit) || logLik(cand) > logLik(fit))) {
      fit <- cand
      optimizer <- nm
    }
  }
  if (is.null(fit)) stop("gls failed with both optimizers")
  first_loglik <- as.numeric(logLik(fit))
  restarts <- 0
  for (i in seq_len(max_restarts)) {
    a <- args
    a$correlation <- make_cor(coef(fit$modelStruct$corStruct, unconstrained = FALSE), fixed = FALSE)
    if (het) {
      a$weights <- varIdent(value = coef(fit$modelStruct$varStruct, unconstrained = FALSE),
                            form = ~ 1 | visit)
    }
    nxt <- try(do.call(gls, c(a, list(control = gls_controls[[optimizer]]))), silent = TRUE)
    if (inherits(nxt, "try-error")) break
    gain <- as.numeric(logLik(nxt) - logLik(fit))
    if (gain < 0) break
    moved <- max(abs(coef(nxt) - coef(fit)) / pmax(abs(coef(fit)), 1e-8))
    fit <- nxt
    restarts <- i
    if (gain < 1e-11 && moved < 1e-12) break
  }
  restarted_loglik <- as.numeric(logLik(fit))
  pol <- newton_polish(args, fit, make_cor, het)
  fit <- pol$fit
  fit$call$control <- gls_controls[[optimizer]]
  list(fit = fit, optimizer = optimizer, restarts = restarts,
       loglik_before_restarts = first_loglik, loglik_after_restarts = restarted_loglik,
       newton_steps = pol$steps, newton_decrement = pol$decrement)
}

newton_polish <- function(args, fit, make_cor, het, max_steps = 10) {
  cor0 <- coef(fit$modelStruct$corStruct, unconstrained = FALSE)
  nc <- length(cor0)
  var0 <- if (het) coef(fit$modelStruct$varStruct, unconstrained = FALSE) else numeric(0)
  vnames <- names(var0)
  eval_at <- function(th) {
    a <- args
    a$correlation <- make_cor(unname(th[seq_len(nc)]), fixed = TRUE)
    if (het) {
      a$weights <- varIdent(fixed = setNames(th[nc + seq_along(vnames)], vnames),
                            form = ~ 1 | visit)
    }
    do.call(gls, a)
  }
  objective <- function(th) {
    r <- try(eval_at(th), silent = TRUE)
    if (inherits(r, "try-error")) Inf else -2 * as.numeric(logLik(r))
  }
  theta <- c(unname(cor0), unname(var0))
  f0 <- objective(theta)
  steps <- 0
  decrement <- NA_real_
  for (i in seq_len(max_steps)) {
    g <- numDeriv::grad(objective, theta)
    H <- numDeriv::hessian(objective, theta)
    step <- try(solve(H, g), silent = TRUE)
    if (inherits(step, "try-error")) break
    decrement <- sum(g * step)
    if (!is.finite(decrement) || decrement < 1e-12) break
    t <- 1
    improved <- FALSE
    while (t > 1e-4) {
      cand <- theta - t * step
      fc <- objective(cand)
      if (is.finite(fc) && fc <= f0) {
        theta <- cand
        f0 <- fc
        improved <- TRUE
        break
      }
      t <- t / 2
    }
    if (!improved) break
    steps <- i
  }
  list(fit = eval_at(theta), steps = steps, decrement = decrement)
}
