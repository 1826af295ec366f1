//! The multiplicity kernel against `mvtnorm` and `multcomp` (`tests/golden/multiplicity.json`,
//! written by `tests/reference/multiplicity.R`): rectangle probabilities and quantiles of the
//! multivariate normal and t (dimensions 2 to 8, one singular), and Dunnett / Tukey single-step
//! adjusted p-values and simultaneous intervals of `glht` on an ANCOVA `y ~ arm + baseline`.

use crate::common::golden;
use crate::common::tol::{CLOSED_FORM, MVT_INTEGRATION, assert_close, assert_close_abs};
use nalgebra::DMatrix;
use pain_outcomes::RefusalReason;
use pain_outcomes::stats::Estimate;
use pain_outcomes::stats::hypothesis::Alternative;
use pain_outcomes::stats::multiplicity::{
    ContrastFamily, Contrasts, IntegrationOptions, MultiplicityMethod, SimultaneousOptions,
    all_pairs, many_to_one, mvt_probability, mvt_quantile, simultaneous_inference,
    simultaneous_inference_from_estimates,
};
use serde::Deserialize;

#[derive(Deserialize)]
struct Golden {
    probabilities: Vec<ProbabilityCase>,
    quantiles: Vec<QuantileCase>,
    level: f64,
    glht: Vec<GlhtCase>,
}

#[derive(Deserialize)]
struct ProbabilityCase {
    name: String,
    correlation: Vec<Vec<f64>>,
    /// JSON null = −∞.
    lower: Vec<Option<f64>>,
    /// JSON null = +∞.
    upper: Vec<Option<f64>>,
    df: Option<f64>,
    probability: f64,
    /// mvtnorm's error estimate.
    error: f64,
    /// mvtnorm's deterministic Miwa algorithm (non-singular normal cases up to dimension 5).
    miwa: Option<f64>,
}

#[derive(Deserialize)]
struct QuantileCase {
    name: String,
    correlation: Vec<Vec<f64>>,
    df: Option<f64>,
    level: f64,
    tail: String,
    /// By uniroot (tol 1e-13) on pmvt.
    quantile: f64,
    /// By qmvt(ptol = 1e-9).
    qmvt_quantile: f64,
}

#[derive(Deserialize)]
struct GlhtCase {
    #[serde(rename = "type")]
    kind: String,
    alternative: String,
    df: f64,
    labels: Vec<String>,
    linfct: Vec<Vec<f64>>,
    estimate: Vec<f64>,
    vcov: Vec<Vec<f64>>,
    std_error: Vec<f64>,
    statistic: Vec<f64>,
    p_univariate: Vec<f64>,
    p_adjusted: Vec<f64>,
    p_error: f64,
    critical_value: f64,
    critical_value_tight: f64,
    lower: Vec<Option<f64>>,
    upper: Vec<Option<f64>>,
    lower_tight: Vec<Option<f64>>,
    upper_tight: Vec<Option<f64>>,
}

fn matrix(rows: &[Vec<f64>]) -> DMatrix<f64> {
    let m = rows.len();
    DMatrix::from_fn(m, m, |i, j| rows[i][j])
}

/// The integration tolerance of a case: 1e-7, or 1e-6 for the singular (Tukey) cases, whose
/// kinks leave them to the lattice rule, ten times slower per digit.
fn tolerance_for(name: &str) -> IntegrationOptions {
    let tolerance = if name.contains("singular") || name.contains("Tukey") {
        1e-6
    } else {
        1e-7
    };
    IntegrationOptions::default().with_absolute_tolerance(tolerance)
}

/// Relative agreement of a critical value with R's tight root (pmvt at abseps 5e-7).
const QUANTILE: f64 = 1e-5;
/// Relative agreement with qmvt's and confint's default root (ptol 1e-3).
const QMVT_DEFAULT: f64 = 2e-3;

fn golden() -> Golden {
    golden::load("multiplicity")
}

#[test]
fn mvt_probabilities_match_mvtnorm() {
    let g = golden();
    let mut worst = 0.0_f64;
    for case in &g.probabilities {
        let lower: Vec<f64> = case
            .lower
            .iter()
            .map(|v| v.unwrap_or(f64::NEG_INFINITY))
            .collect();
        let upper: Vec<f64> = case
            .upper
            .iter()
            .map(|v| v.unwrap_or(f64::INFINITY))
            .collect();
        let p = mvt_probability(
            &lower,
            &upper,
            &matrix(&case.correlation),
            case.df,
            &tolerance_for(&case.name),
        )
        .unwrap()
        .into_result()
        .unwrap_or_else(|r| panic!("{}: {r}", case.name));
        let diff = (p.probability - case.probability).abs();
        worst = worst.max(diff);
        // each side's error estimate is below 1e-6 (mvtnorm's abseps 1e-7, 1e-6 in dimension
        // 8; ours 1e-7, 1e-6 for the singular cases): they agree within the sum of the errors
        assert!(
            p.error <= 1e-6 && case.error <= MVT_INTEGRATION,
            "{}",
            case.name
        );
        // mvtnorm's error is the 99 % bound of a randomized rule and can be exceeded (normal
        // dim 3 one-sided: 1.1e-7 against its 8.2e-8, where Miwa agrees with this crate to
        // 1e-12): a factor 1.5 on the sum
        if let Some(miwa) = case.miwa {
            assert!(
                (p.probability - miwa).abs() <= p.error + 1e-10,
                "{}: got {} (error {:e}), Miwa {miwa}",
                case.name,
                p.probability,
                p.error
            );
        }
        assert!(
            diff <= 1.5 * (p.error + case.error) + 1e-12,
            "{}: got {} (error {:e}), mvtnorm {} (error {:e}), difference {diff:e}",
            case.name,
            p.probability,
            p.error,
            case.probability,
            case.error
        );
    }
    eprintln!("largest |P - mvtnorm|: {worst:e}");
}

#[test]
fn mvt_quantiles_match_a_tight_root_of_pmvt_and_qmvt() {
    let g = golden();
    for case in &g.quantiles {
        let alternative = match case.tail.as_str() {
            "both.tails" => Alternative::TwoSided,
            _ => Alternative::Greater,
        };
        let q = mvt_quantile(
            case.level,
            &matrix(&case.correlation),
            case.df,
            alternative,
            &tolerance_for(&case.name),
        )
        .unwrap()
        .into_result()
        .unwrap_or_else(|r| panic!("{}: {r}", case.name));
        // the tight root: pmvt at abseps 5e-7 moves c by about 5e-7 / (dP/dc), a few 1e-6
        assert_close(&case.name, q.quantile, case.quantile, QUANTILE);
        // qmvt's default root finder stops at ptol 1e-3
        assert_close(&case.name, q.quantile, case.qmvt_quantile, QMVT_DEFAULT);
    }
}

fn family_of(kind: &str) -> ContrastFamily {
    kind.parse().unwrap()
}

fn alternative_of(alternative: &str) -> Alternative {
    match alternative {
        "two.sided" => Alternative::TwoSided,
        "greater" => Alternative::Greater,
        _ => Alternative::Less,
    }
}

#[test]
fn dunnett_and_tukey_single_step_match_multcomp_glht() {
    let g = golden();
    let arms = [
        "placebo",
        "corticosteroid",
        "hyaluronic_acid",
        "prp",
        "stem_cell",
    ];
    let mut worst_p = 0.0_f64;
    let mut worst_ci = 0.0_f64;
    for case in &g.glht {
        let what = format!("{} {}", case.kind, case.alternative);
        let family = family_of(&case.kind);
        // the helpers build the same contrasts as multcomp::mcp (treatment coding: the
        // reference arm is the intercept, the other arms are coefficients 1..=4)
        let k = match family {
            ContrastFamily::ManyToOne => many_to_one(&arms, "placebo").unwrap(),
            _ => all_pairs(&arms).unwrap(),
        };
        assert_eq!(k.labels, case.labels, "{what}");
        for (i, row) in case.linfct.iter().enumerate() {
            for (a, coefficient) in row.iter().enumerate().take(arms.len()).skip(1) {
                assert_eq!(k.matrix[(i, a)], *coefficient, "{what} linfct ({i}, {a})");
            }
        }
        let contrasts = Contrasts {
            family,
            labels: case.labels.clone(),
            estimates: case.estimate.clone(),
            covariance: matrix(&case.vcov),
        };
        let integration = tolerance_for(&case.kind);
        let options = SimultaneousOptions::default()
            .with_level(g.level)
            .with_alternative(alternative_of(&case.alternative))
            .with_integration(integration);
        let s = simultaneous_inference(&contrasts, Some(case.df), &options)
            .unwrap()
            .into_result()
            .unwrap();
        let name = format!("{} single-step (multivariate t)", family.name());
        assert_eq!(s.method_name, name);
        assert!(s.to_string().contains(&name));
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["method_name"], name.as_str());
        assert_eq!(json["method"], "single_step");
        let c = s.critical_value.unwrap();
        assert_close(
            &format!("{what} critical value"),
            c,
            case.critical_value_tight,
            QUANTILE,
        );
        // confint's default (qmvt, ptol 1e-3; negative for a one-sided family)
        assert_close(
            &format!("{what} critical value (qmvt)"),
            c,
            case.critical_value.abs(),
            QMVT_DEFAULT,
        );
        for (i, a) in s.contrasts.iter().enumerate() {
            let e = &a.estimate;
            let label = format!("{what} {}", e.label);
            assert_close(
                &format!("{label} se"),
                e.std_error,
                case.std_error[i],
                CLOSED_FORM,
            );
            assert_close(
                &format!("{label} t"),
                e.statistic,
                case.statistic[i],
                CLOSED_FORM,
            );
            assert_close(&format!("{label} p"), e.p_value, case.p_univariate[i], 1e-9);
            let p_ref = case.p_adjusted[i];
            let dp = (a.adjusted_p_value - p_ref).abs();
            worst_p = worst_p.max(dp);
            // both integrations to below 1e-6: within the sum of the two error bounds (a
            // factor 1.5 for mvtnorm's randomized estimate, as above)
            assert_close_abs(
                &format!("{label} adjusted p"),
                a.adjusted_p_value,
                p_ref,
                1.5 * (integration.absolute_tolerance + case.p_error) + 1e-12,
            );
            let ci = a.simultaneous_interval.unwrap();
            // R's tight limits: for the one-sided family the golden's were written with the
            // critical value's sign reversed (multcomp's calpha is negative for "greater"), so
            // they are recomputed from R's estimate, SE and tight quantile
            let (lower_tight, upper_tight) = if case.alternative == "two.sided" {
                (case.lower_tight[i], case.upper_tight[i])
            } else {
                let half = case.critical_value_tight * case.std_error[i];
                let e = case.estimate[i];
                match case.alternative.as_str() {
                    "greater" => (Some(e - half), None),
                    _ => (None, Some(e + half)),
                }
            };
            for (bound, got, reference, loose) in [
                ("lower", ci.lower, lower_tight, case.lower[i]),
                ("upper", ci.upper, upper_tight, case.upper[i]),
            ] {
                match reference {
                    Some(r) => {
                        worst_ci = worst_ci.max(((got - r) / r).abs());
                        // a limit moves by (Δc) SE
                        assert_close_abs(
                            &format!("{label} {bound}"),
                            got,
                            r,
                            QUANTILE * c * e.std_error,
                        );
                        let l = loose.unwrap();
                        assert_close_abs(
                            &format!("{label} {bound} (confint)"),
                            got,
                            l,
                            QMVT_DEFAULT * c * e.std_error,
                        );
                    }
                    None => assert!(got.is_infinite(), "{label} {bound}: {got}"),
                }
            }
        }
        assert!(
            s.integration_error.unwrap() <= integration.absolute_tolerance,
            "{what}"
        );
        assert!(case.p_error <= 1e-6, "{what}: R's error {}", case.p_error);
    }
    eprintln!("largest |p - multcomp|: {worst_p:e}; largest CI relative difference: {worst_ci:e}");
}

#[test]
fn refusals_instead_of_nan() {
    let options = SimultaneousOptions::default();
    let labels = vec!["b - a".to_string(), "c - a".to_string()];
    let contrasts = |cov: &[f64]| Contrasts {
        family: ContrastFamily::ManyToOne,
        labels: labels.clone(),
        estimates: vec![1.0, 2.0],
        covariance: DMatrix::from_row_slice(2, 2, cov),
    };
    let reason = |c: &Contrasts, df: Option<f64>, o: &SimultaneousOptions| {
        simultaneous_inference(c, df, o)
            .unwrap()
            .refusal()
            .map(|r| r.reason)
    };
    // a zero standard error
    assert_eq!(
        reason(&contrasts(&[0.0, 0.0, 0.0, 1.0]), Some(10.0), &options),
        Some(RefusalReason::ZeroVariance)
    );
    // |covariance| > product of SDs: not positive semi-definite
    assert_eq!(
        reason(&contrasts(&[1.0, 1.5, 1.5, 1.0]), Some(10.0), &options),
        Some(RefusalReason::NotPositiveDefinite)
    );
    // df <= 0
    assert_eq!(
        reason(&contrasts(&[1.0, 0.5, 0.5, 1.0]), Some(0.0), &options),
        Some(RefusalReason::NotEstimable)
    );
    // the tolerance cannot be reached within the budget
    let starved = options.with_integration(
        IntegrationOptions::default()
            .with_absolute_tolerance(1e-14)
            .with_max_evaluations(20_000),
    );
    let k = all_pairs(&["a", "b", "c", "d"]).unwrap();
    let c = k
        .apply(&[1.0, 2.0, 1.5, 0.2], &DMatrix::identity(4, 4))
        .unwrap();
    assert_eq!(
        reason(&c, Some(12.0), &starved),
        Some(RefusalReason::NoConvergence)
    );
    // a negative variance is an input the kernel refuses, never a NaN
    let s = simultaneous_inference(&contrasts(&[-1.0, 0.0, 0.0, 1.0]), None, &options).unwrap();
    assert_eq!(
        s.refusal().map(|r| r.reason),
        Some(RefusalReason::ZeroVariance)
    );
    // mismatched shapes are input errors
    let mut bad = contrasts(&[1.0, 0.0, 0.0, 1.0]);
    bad.estimates.push(3.0);
    assert!(simultaneous_inference(&bad, None, &options).is_err());
}

#[test]
fn p_adjust_methods_share_the_api_and_name_themselves() {
    let e = [
        Estimate::wald("b - a", 0.9, 0.4, Some(40.0), 0.95),
        Estimate::wald("c - a", 1.2, 0.4, Some(40.0), 0.95),
        Estimate::wald("d - a", 0.2, 0.4, Some(40.0), 0.95),
    ];
    let r = DMatrix::from_fn(3, 3, |i, j| if i == j { 1.0 } else { 0.5 });
    for (code, name) in [
        ("holm", "Holm step-down"),
        ("hochberg", "Hochberg step-up"),
        ("BH", "Benjamini-Hochberg (FDR)"),
        ("bonferroni", "Bonferroni"),
        ("single-step", "Dunnett single-step (multivariate t)"),
    ] {
        let method: MultiplicityMethod = code.parse().unwrap();
        let s = simultaneous_inference_from_estimates(
            &e,
            &r,
            ContrastFamily::ManyToOne,
            &SimultaneousOptions::default().with_method(method),
        )
        .unwrap()
        .into_result()
        .unwrap();
        assert_eq!(s.method_name, name);
        assert!(s.to_string().contains(name));
        for c in &s.contrasts {
            assert!(c.adjusted_p_value >= c.estimate.p_value - 1e-12, "{name}");
        }
    }
    // Holm: min(1, max_{j<=i} (m - j + 1) p_(j)) on the marginal p-values
    let p: Vec<f64> = e.iter().map(|x| x.p_value).collect();
    let holm = simultaneous_inference_from_estimates(
        &e,
        &r,
        ContrastFamily::ManyToOne,
        &SimultaneousOptions::default().with_method(MultiplicityMethod::Holm),
    )
    .unwrap()
    .into_result()
    .unwrap();
    assert_close(
        "holm c - a",
        holm.contrasts[1].adjusted_p_value,
        3.0 * p[1],
        CLOSED_FORM,
    );
    assert!(holm.critical_value.is_none());
}

/// `∫ f` over `[a, b]` by composite 20-point Gauss–Legendre on `panels` panels (a test oracle
/// for smooth one-dimensional integrands; nodes by Newton on the Legendre polynomial).
fn gauss_legendre_1d(a: f64, b: f64, panels: usize, f: impl Fn(f64) -> f64) -> f64 {
    let n = 20;
    let mut rule = Vec::with_capacity(n);
    for i in 1..=n {
        let mut x = (std::f64::consts::PI * (i as f64 - 0.25) / (n as f64 + 0.5)).cos();
        let mut dp = 1.0;
        for _ in 0..100 {
            let (mut p0, mut p1) = (1.0, x);
            for k in 2..=n {
                let kf = k as f64;
                let p2 = ((2.0 * kf - 1.0) * x * p1 - (kf - 1.0) * p0) / kf;
                p0 = p1;
                p1 = p2;
            }
            dp = n as f64 * (x * p1 - p0) / (x * x - 1.0);
            let step = p1 / dp;
            x -= step;
            if step.abs() < 1e-16 {
                break;
            }
        }
        rule.push((x, 2.0 / ((1.0 - x * x) * dp * dp)));
    }
    let h = (b - a) / panels as f64;
    (0..panels)
        .map(|k| {
            let mid = a + (k as f64 + 0.5) * h;
            rule.iter()
                .map(|(x, w)| w * f(mid + 0.5 * h * x))
                .sum::<f64>()
                * 0.5
                * h
        })
        .sum()
}

/// `P(|X_i| ≤ c ∀ i)` for `m` equicorrelated (ρ ≥ 0) standard normals, scaled by `s`:
/// `∫ φ(z) [Φ((sc − √ρ z)/√(1−ρ)) − Φ((−sc − √ρ z)/√(1−ρ))]^m dz` (one dimension).
fn equicorrelated_normal(m: usize, rho: f64, c: f64) -> f64 {
    use pain_outcomes::stats::dist::normal_cdf;
    let (a, b) = (rho.sqrt(), (1.0 - rho).sqrt());
    gauss_legendre_1d(-9.0, 9.0, 60, |z| {
        let inner = normal_cdf((c - a * z) / b) - normal_cdf((-c - a * z) / b);
        (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt() * inner.powi(m as i32)
    })
}

/// The same for the t with `nu` degrees of freedom: the normal probability at `c S`, averaged
/// over `S² ~ χ²_ν / ν` (as `z = ln S²`, whose density is exact).
fn equicorrelated_t(m: usize, rho: f64, c: f64, nu: f64) -> f64 {
    let half = nu / 2.0;
    let log_constant = half * half.ln() - statrs::function::gamma::ln_gamma(half);
    gauss_legendre_1d(-12.0, 4.0, 80, |z| {
        let density = (log_constant + half * (z - z.exp())).exp();
        density * equicorrelated_normal(m, rho, c * (0.5 * z).exp())
    })
}

/// The deterministic rule for ranks up to 5 against an independent one-dimensional oracle
/// (equicorrelated normal and t, where the probability is a one- or two-dimensional integral),
/// to 1e-9: the error it reports is below the tolerance and the value within it.
#[test]
fn low_rank_probabilities_match_the_equicorrelated_integral() {
    let options = IntegrationOptions::default().with_absolute_tolerance(1e-9);
    let mut worst = 0.0_f64;
    for (m, rho, c, df) in [
        (2, 0.5, 2.2, None),
        (3, 0.3, 2.4, None),
        (4, 0.5, 2.5, None),
        (5, 0.7, 2.6, None),
        (2, 0.5, 2.2, Some(12.0)),
        (3, 0.5, 2.4, Some(8.0)),
        (4, 0.4, 2.5, Some(30.0)),
        (4, 0.5, 2.6, Some(350.0)),
    ] {
        let r = DMatrix::from_fn(m, m, |i, j| if i == j { 1.0 } else { rho });
        let p = mvt_probability(&vec![-c; m], &vec![c; m], &r, df, &options)
            .unwrap()
            .into_result()
            .unwrap();
        let exact = match df {
            None => equicorrelated_normal(m, rho, c),
            Some(nu) => equicorrelated_t(m, rho, c, nu),
        };
        let diff = (p.probability - exact).abs();
        worst = worst.max(diff);
        assert!(p.error <= 1e-9, "m {m} df {df:?}: error {:e}", p.error);
        assert!(
            diff <= 2e-9,
            "m {m} rho {rho} df {df:?}: {} vs {exact} ({diff:e})",
            p.probability
        );
    }
    eprintln!("largest |P - equicorrelated integral|: {worst:e}");
}
