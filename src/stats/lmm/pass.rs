//! One pass over the classes of groups: the profiled criterion at θ and, on request, its
//! analytic first derivatives in θ, with the per-class work split across threads.
//!
//! # Derivatives
//!
//! With `V = I + ZΛΛ'Z'` (plus `θ_s² 1_k1_k'` per site) the profiled quantities are
//! `log|L|² = log|V|`, `R_X'R_X = X'V⁻¹X` and `r² = min_β (y − Xβ)'V⁻¹(y − Xβ)`, so (the
//! minimum over β being stationary) with `Ŵ = [X y]` and `e = (−β̂, 1)`:
//!
//! - `∂r²/∂θ_k = e' T_k e`, `∂(R_X'R_X)/∂θ_k = T_k[X, X]`, with `T_k = Ŵ'(∂V⁻¹/∂θ_k)Ŵ`;
//! - `∂log|R_X|²/∂θ_k = tr((R_X'R_X)⁻¹ ∂(R_X'R_X)/∂θ_k)`;
//! - `∂log|V|/∂θ_k = tr(V⁻¹ ∂V/∂θ_k)`.
//!
//! Per group, with `D = ΛΛ'`, `A_g = Λ'Z_g'Z_gΛ + I`, `B_g = A_g⁻¹Λ'`, `G_g = ΛB_g` and
//! `P_g' = I − Z_g'Z_g G_g` (so that `Z_g'V_g⁻¹ = P_g'Z_g'` for a patient's own block `V_g`):
//! `Z_g'V_g⁻¹Ŵ_g = P_g'Z_g'Ŵ_g =: U_g` and `Λ'U_g = B_gZ_g'Ŵ_g =: Y_g`. A patient component
//! `θ_k = Λ_ij` has `∂D = E_ijΛ' + ΛE_ji`, hence `x'∂D y = x_i(Λ'y)_j + (Λ'x)_j y_i` and
//!
//! - `Ŵ_g'∂V_g⁻¹Ŵ_g = −U_g'∂D U_g = −(U_{g,i·}'Y_{g,j·} + Y_{g,j·}'U_{g,i·})`,
//! - `tr(V_g⁻¹∂V_g) = tr(Z_g'V_g⁻¹Z_g ∂D) = 2(P_g'Z_g'Z_gΛ)_ij`.
//!
//! With sites, `V_k = V_0 + θ_s²11'` and Woodbury gives `V_k⁻¹ = V_0⁻¹ − c_k V_0⁻¹11'V_0⁻¹` with
//! `t_k = 1'V_0⁻¹1 = n_k − Σ_g 1'Z_gG_gZ_g'1`, `S_k = 1 + θ_s²t_k` (the Schur complement of
//! the factor) and `c_k = θ_s²/S_k`. With `b_g = P_g'Z_g'1` and
//! `s_k = 1'V_0⁻¹Ŵ = 1'Ŵ_k − Σ_g 1'Z_gG_gZ_g'Ŵ_g`, the patient block of `Z'V⁻¹Ŵ` is
//! `U_g − c_k b_g s_k'`, so
//!
//! `T_k = −Σ_g U_g'∂D U_g + Σ_sites c (R s' + s R') − Σ_sites c² τ s s'`,
//! `∂log|V| = Σ_g 2(P_g'Z_g'Z_gΛ)_ij − Σ_sites c τ`,
//!
//! with the site sums `R = Σ_g U_g'∂D b_g` and `τ = Σ_g b_g'∂D b_g`; and for θ_s,
//! `T = −2θ_s Σ_k s_k s_k'/S_k²`, `∂log|V| = 2θ_s Σ_k t_k/S_k`. Everything is a sum over
//! groups (one pass) followed by one over sites, like the criterion itself.
//!
//! # Threads
//!
//! The classes are cut into chunks of fixed size ([`CHUNK`]) whatever the number of threads;
//! each chunk is summed in order and the chunk sums are added in chunk order, so the result is
//! the same bit for bit on any number of threads.

use nalgebra::{DMatrix, DVector};
use rayon::prelude::*;

use super::criterion::{Eval, Lambda, ThetaMap, backward, forward, group_factor, lambda_t_times};
use super::data::Blocks;
use crate::stats::mmrm::Estimation;

/// Classes per chunk of the parallel pass (fixed, so the summation order does not depend on
/// the number of threads).
const CHUNK: usize = 2048;

/// First derivatives of the profiled quantities in θ (one entry per θ component).
#[derive(Debug, Clone)]
pub(crate) struct Derivatives {
    /// `∂log|L|²/∂θ_k`.
    pub dlogv: Vec<f64>,
    /// `∂(R_X'R_X)/∂θ_k`, p × p.
    pub dm: Vec<DMatrix<f64>>,
    /// `∂r²/∂θ_k`.
    pub dr2: Vec<f64>,
    /// `∂log|R_X|²/∂θ_k`.
    pub dldrx2: Vec<f64>,
}

impl Derivatives {
    /// Gradient of the profiled criterion ([`Eval::deviance`]) in θ.
    pub fn deviance_gradient(&self, ev: &Eval, method: Estimation, n: usize, p: usize) -> Vec<f64> {
        (0..self.dlogv.len())
            .map(|k| match method {
                Estimation::Ml => self.dlogv[k] + n as f64 * self.dr2[k] / ev.r2,
                Estimation::Reml => {
                    self.dlogv[k] + self.dldrx2[k] + (n - p) as f64 * self.dr2[k] / ev.r2
                }
            })
            .collect()
    }
}

/// Sums of one chunk of classes.
struct Partial {
    ldl2: f64,
    /// `Σ R_ZX,g'R_ZX,g` (upper triangle, p × p row-major).
    xtx: Vec<f64>,
    /// `Σ R_ZX,g'c_g`.
    xty: Vec<f64>,
    /// `Σ |c_g|²`.
    cc: f64,
    site_m2: Vec<f64>,
    site_mw: Vec<f64>,
    site_mc: Vec<f64>,
    d: Option<DerivPartial>,
}

/// Derivative sums of one chunk (`w = p + 1` columns of `Ŵ = [X y]`).
struct DerivPartial {
    /// `Σ_g U_{g,i·}'Y_{g,j·}` per patient component, w × w row-major.
    k: Vec<f64>,
    /// `Σ_g 2(P_g'Z_g'Z_gΛ)_ij` per patient component.
    dlogv: Vec<f64>,
    /// Per site and patient component: `Σ_g U_g'∂D b_g` (w).
    r_site: Vec<f64>,
    /// Per site and patient component: `Σ_g b_g'∂D b_g`.
    tau_site: Vec<f64>,
    /// Per site: `−Σ_g 1'Z_gG_gZ_g'Ŵ_g` (w).
    s_site: Vec<f64>,
    /// Per site: `−Σ_g 1'Z_gG_gZ_g'1`.
    t_site: Vec<f64>,
}

/// The profiled criterion at `Λ`; `None` when a factorisation fails.
pub(crate) fn evaluate(b: &Blocks, lambda: &Lambda) -> Option<Eval> {
    run(b, lambda, None).map(|(e, _)| e)
}

/// The profiled criterion at θ and its first derivatives in every θ component.
pub(crate) fn evaluate_with_derivatives(
    b: &Blocks,
    map: ThetaMap,
    theta: &[f64],
) -> Option<(Eval, Derivatives)> {
    let pairs = map.pairs();
    let (ev, d) = run(b, &map.lambda(theta), Some(&pairs))?;
    Some((ev, d?))
}

fn run(
    b: &Blocks,
    lambda: &Lambda,
    pairs: Option<&[(usize, usize)]>,
) -> Option<(Eval, Option<Derivatives>)> {
    let n_classes = b.classes.count.len();
    let chunks = n_classes.div_ceil(CHUNK);
    let parts: Vec<Option<Partial>> = (0..chunks)
        .into_par_iter()
        .map(|c| {
            let range = c * CHUNK..((c + 1) * CHUNK).min(n_classes);
            // the common sizes compiled with q known (loops unrolled), any other q generically
            match b.q {
                1 => chunk::<1>(b, lambda, range, pairs),
                2 => chunk::<2>(b, lambda, range, pairs),
                3 => chunk::<3>(b, lambda, range, pairs),
                _ => chunk::<0>(b, lambda, range, pairs),
            }
        })
        .collect();
    let parts: Vec<Partial> = parts.into_iter().collect::<Option<_>>()?;
    finish(b, lambda, parts, pairs)
}

/// Per-class scratch of [`chunk`].
struct Scratch {
    t: Vec<f64>,
    a: Vec<f64>,
    w: Vec<f64>,
    c: Vec<f64>,
    col: Vec<f64>,
    k_mat: Vec<f64>,
    mvec: Vec<f64>,
    bm: Vec<f64>,
    g: Vec<f64>,
    pt: Vec<f64>,
    ux: Vec<f64>,
    yx: Vec<f64>,
    po: Vec<f64>,
    uy: Vec<f64>,
    yv: Vec<f64>,
}

impl Scratch {
    fn new(q: usize, p: usize) -> Self {
        Self {
            t: vec![0.0; q * q],
            a: vec![0.0; q * q],
            w: vec![0.0; q * p],
            c: vec![0.0; q],
            col: vec![0.0; q],
            k_mat: vec![0.0; q * q],
            mvec: vec![0.0; q],
            bm: vec![0.0; q * q],
            g: vec![0.0; q * q],
            pt: vec![0.0; q * q],
            ux: vec![0.0; q * p],
            yx: vec![0.0; q * p],
            po: vec![0.0; q * q],
            uy: vec![0.0; q],
            yv: vec![0.0; q],
        }
    }
}

/// The sums of the classes in `range`; `Q` is `q` when it is known at compile time, 0 for any.
fn chunk<const Q: usize>(
    b: &Blocks,
    lambda: &Lambda,
    range: std::ops::Range<usize>,
    pairs: Option<&[(usize, usize)]>,
) -> Option<Partial> {
    let q = if Q == 0 { b.q } else { Q };
    let p = b.p;
    let lam = lambda.patient.as_slice();
    let theta_s = lambda.site;
    let n_sites = b.sites.as_ref().map_or(0, |s| s.count);
    let mut out = Partial {
        ldl2: 0.0,
        xtx: vec![0.0; p * p],
        xty: vec![0.0; p],
        cc: 0.0,
        site_m2: vec![0.0; n_sites],
        site_mw: vec![0.0; n_sites * p],
        site_mc: vec![0.0; n_sites],
        d: pairs.map(|pr| DerivPartial {
            k: vec![0.0; pr.len() * (p + 1) * (p + 1)],
            dlogv: vec![0.0; pr.len()],
            r_site: vec![0.0; n_sites * pr.len() * (p + 1)],
            tau_site: vec![0.0; n_sites * pr.len()],
            s_site: vec![0.0; n_sites * (p + 1)],
            t_site: vec![0.0; n_sites],
        }),
    };
    let mut s = Scratch::new(q, p);
    let cl = &b.classes;
    let mut det_product = 1.0f64;
    for g in range {
        let count = cl.count[g];
        let ztz = &cl.ztz[g * q * q..(g + 1) * q * q];
        let ztx = &cl.ztx[g * q * p..(g + 1) * q * p];
        let zty = &cl.zty_sum[g * q..(g + 1) * q];
        let outer = &cl.zty_outer[g * q * q..(g + 1) * q * q];
        group_factor(q, lam, ztz, &mut s.t, &mut s.a)?;
        let a = &s.a;
        if count == 1.0 {
            // every diagonal element of L is ≥ 1 (Λ'Z'ZΛ + I ≥ I): one logarithm per batch
            for i in 0..q {
                det_product *= a[i * q + i];
            }
            if det_product > 1e200 {
                out.ldl2 += 2.0 * det_product.ln();
                det_product = 1.0;
            }
        } else {
            for i in 0..q {
                out.ldl2 += count * 2.0 * a[i * q + i].ln();
            }
        }
        // W = L⁻¹ Λ' Z'X, c = L⁻¹ Λ' Σ Z'y, K = L⁻¹ Λ'
        lambda_t_times(q, p, lam, ztx, &mut s.w);
        lambda_t_times(q, 1, lam, zty, &mut s.c);
        for j in 0..p {
            for i in 0..q {
                s.col[i] = s.w[i * p + j];
            }
            forward(a, q, &mut s.col);
            for i in 0..q {
                s.w[i * p + j] = s.col[i];
            }
        }
        forward(a, q, &mut s.c);
        if n_sites > 0 {
            // m = L⁻¹ Λ' Z'1 θ_s
            let site = cl.site[g];
            lambda_t_times(q, 1, lam, &cl.zsum[g * q..(g + 1) * q], &mut s.mvec);
            forward(a, q, &mut s.mvec);
            s.mvec.iter_mut().for_each(|v| *v *= theta_s);
            out.site_m2[site] += count * s.mvec.iter().map(|v| v * v).sum::<f64>();
            out.site_mc[site] += s.mvec.iter().zip(&s.c).map(|(m, cc)| m * cc).sum::<f64>();
            for (i, mi) in s.mvec.iter().enumerate() {
                for j in 0..p {
                    out.site_mw[site * p + j] += count * mi * s.w[i * p + j];
                }
            }
        }
        for j in 0..q {
            for (i, v) in s.col.iter_mut().enumerate() {
                *v = lam[j * q + i];
            }
            forward(a, q, &mut s.col);
            for i in 0..q {
                s.k_mat[i * q + j] = s.col[i];
            }
        }
        for i in 0..q {
            let wi = &s.w[i * p..(i + 1) * p];
            for j in 0..p {
                let wij = wi[j];
                if wij != 0.0 {
                    let row = &mut out.xtx[j * p..(j + 1) * p];
                    for (acc, wik) in row[j..].iter_mut().zip(&wi[j..]) {
                        *acc += count * wij * wik;
                    }
                    out.xty[j] += wij * s.c[i];
                }
            }
            // Σ_g |K z_g|² = Σ_i (K S K')_ii with S = Σ z_g z_g'
            let ki = &s.k_mat[i * q..(i + 1) * q];
            for r in 0..q {
                for t in 0..q {
                    out.cc += ki[r] * outer[r * q + t] * ki[t];
                }
            }
        }
        if let (Some(d), Some(pr)) = (out.d.as_mut(), pairs) {
            class_derivatives::<Q>(b, g, lam, pr, &mut s, d);
        }
    }
    out.ldl2 += 2.0 * det_product.ln();
    Some(out)
}

/// Adds class `g`'s terms of the derivatives (see the module docs); `s.a` holds `L_g` and
/// `s.t` holds `Z'ZΛ`.
fn class_derivatives<const Q: usize>(
    b: &Blocks,
    g: usize,
    lam: &[f64],
    pairs: &[(usize, usize)],
    s: &mut Scratch,
    d: &mut DerivPartial,
) {
    let q = if Q == 0 { b.q } else { Q };
    let p = b.p;
    let w = p + 1;
    let cl = &b.classes;
    let count = cl.count[g];
    let ztz = &cl.ztz[g * q * q..(g + 1) * q * q];
    let ztx = &cl.ztx[g * q * p..(g + 1) * q * p];
    let zty = &cl.zty_sum[g * q..(g + 1) * q];
    let outer = &cl.zty_outer[g * q * q..(g + 1) * q * q];
    // B = A⁻¹Λ': column j solves A x = (row j of Λ)
    for j in 0..q {
        s.col.copy_from_slice(&lam[j * q..(j + 1) * q]);
        forward(&s.a, q, &mut s.col);
        backward(&s.a, q, &mut s.col);
        for i in 0..q {
            s.bm[i * q + j] = s.col[i];
        }
    }
    // G = ΛB, P' = I − Z'Z G
    for i in 0..q {
        for j in 0..q {
            s.g[i * q + j] = (0..q).map(|l| lam[i * q + l] * s.bm[l * q + j]).sum();
        }
    }
    for i in 0..q {
        for j in 0..q {
            let sg: f64 = (0..q).map(|l| ztz[i * q + l] * s.g[l * q + j]).sum();
            s.pt[i * q + j] = if i == j { 1.0 - sg } else { -sg };
        }
    }
    // U_X = P'Z'X, Y_X = BZ'X; the y column (class sums) uy = P'Σz, yy = BΣz; P'O for Σ U_y Y_y
    for i in 0..q {
        for j in 0..p {
            s.ux[i * p + j] = (0..q).map(|l| s.pt[i * q + l] * ztx[l * p + j]).sum();
            s.yx[i * p + j] = (0..q).map(|l| s.bm[i * q + l] * ztx[l * p + j]).sum();
        }
        for j in 0..q {
            s.po[i * q + j] = (0..q).map(|l| s.pt[i * q + l] * outer[l * q + j]).sum();
        }
    }
    let mat_vec =
        |m: &[f64], v: &[f64], i: usize| -> f64 { (0..q).map(|l| m[i * q + l] * v[l]).sum() };
    for i in 0..q {
        s.uy[i] = mat_vec(&s.pt, zty, i);
        s.yv[i] = mat_vec(&s.bm, zty, i);
    }
    for (k, &(i, j)) in pairs.iter().enumerate() {
        let kk = &mut d.k[k * w * w..(k + 1) * w * w];
        let (yy_j, uy_i) = (s.yv[j], s.uy[i]);
        let yx_j = &s.yx[j * p..(j + 1) * p];
        for (a, &u) in s.ux[i * p..(i + 1) * p].iter().enumerate() {
            let cu = count * u;
            let row = &mut kk[a * w..a * w + p];
            for (acc, y) in row.iter_mut().zip(yx_j) {
                *acc += cu * y;
            }
            kk[a * w + p] += u * yy_j;
            kk[p * w + a] += uy_i * yx_j[a];
        }
        kk[p * w + p] += (0..q)
            .map(|l| s.po[i * q + l] * s.bm[j * q + l])
            .sum::<f64>();
        // 2 (P'Z'ZΛ)_ij, with s.t = Z'ZΛ
        d.dlogv[k] += count
            * 2.0
            * (0..q)
                .map(|l| s.pt[i * q + l] * s.t[l * q + j])
                .sum::<f64>();
    }
    if b.sites.is_some() {
        let site = cl.site[g];
        let zs = &cl.zsum[g * q..(g + 1) * q];
        let bv: Vec<f64> = (0..q).map(|i| mat_vec(&s.pt, zs, i)).collect();
        let lb: Vec<f64> = (0..q).map(|i| mat_vec(&s.bm, zs, i)).collect();
        let gz: Vec<f64> = (0..q).map(|i| mat_vec(&s.g, zs, i)).collect();
        d.t_site[site] -= count * (0..q).map(|l| zs[l] * gz[l]).sum::<f64>();
        let ss = &mut d.s_site[site * w..(site + 1) * w];
        for a in 0..p {
            ss[a] -= count * (0..q).map(|l| gz[l] * ztx[l * p + a]).sum::<f64>();
        }
        ss[p] -= (0..q).map(|l| gz[l] * zty[l]).sum::<f64>();
        let np = pairs.len();
        for (k, &(i, j)) in pairs.iter().enumerate() {
            let r = &mut d.r_site[(site * np + k) * w..(site * np + k + 1) * w];
            for (a, ra) in r[..p].iter_mut().enumerate() {
                *ra += count * (s.ux[i * p + a] * lb[j] + s.yx[j * p + a] * bv[i]);
            }
            r[p] += s.uy[i] * lb[j] + s.yv[j] * bv[i];
            d.tau_site[site * np + k] += count * 2.0 * bv[i] * lb[j];
        }
    }
}

/// Adds the chunk sums in order and solves for β, r² and the derivatives.
fn finish(
    b: &Blocks,
    lambda: &Lambda,
    parts: Vec<Partial>,
    pairs: Option<&[(usize, usize)]>,
) -> Option<(Eval, Option<Derivatives>)> {
    let p = b.p;
    let theta_s = lambda.site;
    let mut it = parts.into_iter();
    let mut acc = it.next()?;
    for part in it {
        acc.ldl2 += part.ldl2;
        add(&mut acc.xtx, &part.xtx);
        add(&mut acc.xty, &part.xty);
        acc.cc += part.cc;
        add(&mut acc.site_m2, &part.site_m2);
        add(&mut acc.site_mw, &part.site_mw);
        add(&mut acc.site_mc, &part.site_mc);
        if let (Some(d), Some(e)) = (acc.d.as_mut(), part.d.as_ref()) {
            add(&mut d.k, &e.k);
            add(&mut d.dlogv, &e.dlogv);
            add(&mut d.r_site, &e.r_site);
            add(&mut d.tau_site, &e.tau_site);
            add(&mut d.s_site, &e.s_site);
            add(&mut d.t_site, &e.t_site);
        }
    }
    let mut ldl2 = acc.ldl2;
    let mut xtx = acc.xtx;
    let mut xty = acc.xty;
    let mut yy = b.yty - acc.cc;
    if let Some(sb) = &b.sites {
        let mut r = vec![0.0; p];
        for k in 0..sb.count {
            let schur = theta_s * theta_s * sb.n[k] + 1.0 - acc.site_m2[k];
            if !(schur > 0.0 && schur.is_finite()) {
                return None;
            }
            ldl2 += schur.ln();
            let root = schur.sqrt();
            for (j, rj) in r.iter_mut().enumerate() {
                *rj = (theta_s * sb.xsum[k * p + j] - acc.site_mw[k * p + j]) / root;
            }
            let ck = (theta_s * sb.ysum[k] - acc.site_mc[k]) / root;
            for j in 0..p {
                for l in j..p {
                    xtx[j * p + l] += r[j] * r[l];
                }
                xty[j] += r[j] * ck;
            }
            yy -= ck * ck;
        }
    }
    let mut m = b.xtx.clone();
    for j in 0..p {
        for k in j..p {
            m[(j, k)] -= xtx[j * p + k];
            m[(k, j)] = m[(j, k)];
        }
    }
    let rhs = DVector::from_fn(p, |j, _| b.xty[j] - xty[j]);
    let chol = m.cholesky()?;
    let lx = chol.l();
    let cb = lx.solve_lower_triangular(&rhs)?;
    let beta_c = lx.tr_solve_lower_triangular(&cb)?;
    let beta = &beta_c + &b.shift;
    let r2 = yy - cb.norm_squared();
    let ldrx2: f64 = (0..p).map(|i| 2.0 * lx[(i, i)].ln()).sum();
    if !(r2.is_finite() && ldl2.is_finite() && ldrx2.is_finite()) || r2 <= 0.0 {
        return None;
    }
    let ev = Eval {
        ldl2,
        ldrx2,
        r2,
        beta,
        lx,
    };
    let derivs = match (acc.d, pairs) {
        (Some(d), Some(pr)) => Some(combine(b, theta_s, &d, pr, &ev, &beta_c)?),
        _ => None,
    };
    Some((ev, derivs))
}

fn add(acc: &mut [f64], v: &[f64]) {
    acc.iter_mut().zip(v).for_each(|(a, b)| *a += b);
}

/// `T_k` of every component from the sums, then the derivatives of the profiled quantities.
fn combine(
    b: &Blocks,
    theta_s: f64,
    d: &DerivPartial,
    pairs: &[(usize, usize)],
    ev: &Eval,
    beta_c: &DVector<f64>,
) -> Option<Derivatives> {
    let (p, w, np) = (b.p, b.p + 1, pairs.len());
    let mut ts: Vec<DMatrix<f64>> = (0..np)
        .map(|k| {
            let kk = DMatrix::from_row_slice(w, w, &d.k[k * w * w..(k + 1) * w * w]);
            -(&kk + kk.transpose())
        })
        .collect();
    let mut dlogv = d.dlogv.clone();
    if let Some(sb) = &b.sites {
        let mut t_s = DMatrix::zeros(w, w);
        let mut dlogv_s = 0.0;
        for site in 0..sb.count {
            let t = sb.n[site] + d.t_site[site];
            let schur = 1.0 + theta_s * theta_s * t;
            let c = theta_s * theta_s / schur;
            let sv = DVector::from_fn(w, |a, _| {
                let base = if a < p {
                    sb.xsum[site * p + a]
                } else {
                    sb.ysum[site]
                };
                base + d.s_site[site * w + a]
            });
            let ssv = &sv * sv.transpose();
            for (k, tk) in ts.iter_mut().enumerate() {
                let r = DVector::from_column_slice(
                    &d.r_site[(site * np + k) * w..(site * np + k + 1) * w],
                );
                let tau = d.tau_site[site * np + k];
                let rs = &r * sv.transpose();
                *tk += (&rs + rs.transpose()) * c - &ssv * (c * c * tau);
                dlogv[k] -= c * tau;
            }
            t_s -= &ssv * (2.0 * theta_s / (schur * schur));
            dlogv_s += 2.0 * theta_s * t / schur;
        }
        ts.push(t_s);
        dlogv.push(dlogv_s);
    }
    let minv = ev.unscaled_vcov();
    let e = DVector::from_fn(w, |a, _| if a < p { -beta_c[a] } else { 1.0 });
    let dm: Vec<DMatrix<f64>> = ts
        .iter()
        .map(|t| t.view((0, 0), (p, p)).into_owned())
        .collect();
    let dr2 = ts.iter().map(|t| e.dot(&(t * &e))).collect();
    let dldrx2 = dm.iter().map(|x| (&minv * x).trace()).collect();
    let out = Derivatives {
        dlogv,
        dm,
        dr2,
        dldrx2,
    };
    out.dlogv
        .iter()
        .chain(&out.dr2)
        .chain(&out.dldrx2)
        .all(|v| v.is_finite())
        .then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::lmm::{LmmData, RandomEffectsCovariance};

    /// 40 patients in 4 sites, 3 random effects (intercept, slope, a phase); irregular days
    /// (`jitter`, every patient a class of its own) or nominal ones (classes of 10 patients).
    fn data(sites: bool, jitter: bool) -> LmmData {
        let mut state = 12345u64;
        let mut unif = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 11) as f64) / ((1u64 << 53) as f64)
        };
        let (mut y, mut x, mut z, mut g, mut site) = (vec![], vec![], vec![], vec![], vec![]);
        for i in 0..40 {
            let arm = (i % 2) as f64;
            let visits = 3 + i % 4;
            for v in 0..visits {
                let t = v as f64 * 0.3 + if jitter { 0.1 * unif() } else { 0.0 };
                let ph = (t - 0.5).max(0.0);
                y.push(5.0 + arm * t + 2.0 * unif() + t * (unif() - 0.5) * 3.0 + ph * unif());
                x.extend([1.0, arm, t, arm * t]);
                z.extend([1.0, t, ph]);
                g.push(i);
                site.push(i % 4);
            }
        }
        let n = y.len();
        let d = LmmData::new(
            y,
            DMatrix::from_row_slice(n, 4, &x),
            ["a", "b", "c", "d"].map(String::from).to_vec(),
            DMatrix::from_row_slice(n, 3, &z),
            ["a", "b", "c"].map(String::from).to_vec(),
            g,
            (0..40).map(|i| format!("P{i}")).collect(),
        )
        .unwrap();
        if sites {
            d.with_sites(site, (0..4).map(|k| format!("S{k}")).collect())
                .unwrap()
        } else {
            d
        }
    }

    /// Largest relative error of the gradient and of `∂(R_X'R_X)/∂θ` against central
    /// differences.
    fn check(sites: bool, cov: RandomEffectsCovariance, theta: &[f64]) -> (f64, f64) {
        let mut worst = (0.0f64, 0.0f64);
        for jitter in [true, false] {
            let d = data(sites, jitter);
            let b = Blocks::new(&d);
            let map = ThetaMap {
                cov,
                q: 3,
                site: sites,
            };
            for method in [Estimation::Reml, Estimation::Ml] {
                let (ev, der) = evaluate_with_derivatives(&b, map, theta).unwrap();
                let grad = der.deviance_gradient(&ev, method, b.n, b.p);
                let f = |t: &[f64]| {
                    evaluate(&b, &map.lambda(t))
                        .unwrap()
                        .deviance(method, b.n, b.p)
                };
                for k in 0..theta.len() {
                    let h = 1e-5;
                    let (mut tp, mut tm) = (theta.to_vec(), theta.to_vec());
                    tp[k] += h;
                    tm[k] -= h;
                    let fd = (f(&tp) - f(&tm)) / (2.0 * h);
                    let err = (grad[k] - fd).abs() / fd.abs().max(1.0);
                    assert!(
                        err < 1e-6,
                        "{cov:?} sites {sites} {method:?} θ_{k}: {} vs {fd}",
                        grad[k]
                    );
                    // vcov(β) Jacobian: ∂(R_X'R_X)/∂θ
                    let m = |t: &[f64]| {
                        let e = evaluate(&b, &map.lambda(t)).unwrap();
                        &e.lx * e.lx.transpose()
                    };
                    let fdm = (m(&tp) - m(&tm)) / (2.0 * h);
                    let errm = (&der.dm[k] - &fdm).abs().max() / fdm.abs().max().max(1.0);
                    assert!(errm < 1e-6, "{cov:?} sites {sites} θ_{k}: ∂M off by {errm}");
                    worst = (worst.0.max(err), worst.1.max(errm));
                }
            }
        }
        eprintln!(
            "{cov:?}, sites {sites}: gradient {:.1e}, ∂M {:.1e}",
            worst.0, worst.1
        );
        worst
    }

    /// More classes than one chunk: the sums, hence the criterion and the gradient, are the
    /// same bit for bit on 1, 2 and 3 threads.
    #[test]
    fn pass_is_bitwise_identical_on_any_number_of_threads() {
        let (mut y, mut x, mut z, mut g) = (vec![], vec![], vec![], vec![]);
        let mut state = 7u64;
        let mut unif = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 11) as f64) / ((1u64 << 53) as f64)
        };
        let m = 3 * CHUNK + 17;
        for i in 0..m {
            for v in 0..4 {
                let t = v as f64 * 0.25 + 0.02 * unif();
                y.push(5.0 + unif() + t * (unif() - 0.5));
                x.extend([1.0, t]);
                z.extend([1.0, t]);
                g.push(i);
            }
        }
        let n = y.len();
        let names = ["a", "b"].map(String::from).to_vec();
        let d = LmmData::new(
            y,
            DMatrix::from_row_slice(n, 2, &x),
            names.clone(),
            DMatrix::from_row_slice(n, 2, &z),
            names,
            g,
            (0..m).map(|i| format!("P{i}")).collect(),
        )
        .unwrap();
        let b = Blocks::new(&d);
        assert!(b.classes.count.len() > 2 * CHUNK);
        let map = ThetaMap {
            cov: RandomEffectsCovariance::Correlated,
            q: 2,
            site: false,
        };
        let bits = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let (ev, der) = pool
                .install(|| evaluate_with_derivatives(&b, map, &[0.8, -0.2, 0.5]))
                .unwrap();
            let grad = der.deviance_gradient(&ev, Estimation::Reml, b.n, b.p);
            std::iter::once(ev.deviance(Estimation::Reml, b.n, b.p))
                .chain(grad)
                .chain(ev.beta.iter().copied())
                .map(f64::to_bits)
                .collect::<Vec<u64>>()
        };
        let one = bits(1);
        assert_eq!(one, bits(2));
        assert_eq!(one, bits(3));
    }

    #[test]
    fn analytic_gradient_matches_central_differences_with_slopes_sites_and_diagonal() {
        use RandomEffectsCovariance::{Correlated, Diagonal};
        check(false, Correlated, &[0.9, -0.3, 0.2, 0.7, 0.1, 0.4]);
        check(true, Correlated, &[0.9, -0.3, 0.2, 0.7, 0.1, 0.4, 0.6]);
        check(false, Diagonal, &[0.8, 0.5, 0.3]);
        check(true, Diagonal, &[0.8, 0.5, 0.3, 0.45]);
        // a negative diagonal element (the unbounded parametrisation) and a site SD near 0
        check(true, Correlated, &[-0.9, 0.3, 0.2, 0.7, -0.1, 0.4, 1e-3]);
    }
}
