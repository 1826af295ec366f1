//! Mean trajectory ± confidence band by arm over days, with a faint sample of patients.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::chart::{Axis, ChartSpec, draw_chart, draw_notes};
use super::scale::linear_ticks;
use super::style::{SeriesStyle, arm_index, arm_order, figure_id, marker_markup, score_title};
use super::svg::{Stroke, Svg, exact};
use super::{arm_legend, level_text};
use crate::analysis::{Trajectories, default_reference_arm};
use crate::data::WideTable;
use crate::error::{Error, Result};
use crate::outcome::refuse;
use crate::report::Figure;
use crate::{Outcome, RefusalReason};

/// Which patients are drawn as faint lines behind the means: `per_arm` patients of each arm
/// of `table`, chosen at random with `seed` among those with a baseline and at least one
/// follow-up score (all of them when an arm has fewer).
///
/// The choice is reproducible: a ChaCha8 stream seeded with `seed` shuffles each arm's
/// eligible rows (in table order, arm by arm) and the first `per_arm` are kept.
///
/// # Examples
///
/// ```
/// use pain_outcomes::report::IndividualSample;
/// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/knee_oa_trial.csv");
/// let cohort = pain_outcomes::data::read_csv(path, &Default::default())?.cohort;
/// let wide = cohort.wide("nrs")?;
/// let sample = IndividualSample::new(&wide).with_per_arm(5);
/// assert_eq!(sample.rows().len(), 5 * wide.arms.len());
/// assert_eq!(sample.rows(), IndividualSample::new(&wide).with_per_arm(5).rows());
/// # Ok::<(), pain_outcomes::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct IndividualSample<'a> {
    /// The patient × visit table the trajectories were described from.
    pub table: &'a WideTable,
    /// Patients drawn per arm (default 8).
    pub per_arm: usize,
    /// Seed of the random choice (default 20261128).
    pub seed: u64,
}

impl<'a> IndividualSample<'a> {
    /// Eight patients per arm of `table`, seed 20261128.
    ///
    /// # Examples
    ///
    /// See [`IndividualSample`].
    pub fn new(table: &'a WideTable) -> Self {
        IndividualSample {
            table,
            per_arm: 8,
            seed: 20_261_128,
        }
    }

    /// Sets the number of patients per arm.
    ///
    /// # Examples
    ///
    /// See [`IndividualSample`].
    pub fn with_per_arm(mut self, per_arm: usize) -> Self {
        self.per_arm = per_arm;
        self
    }

    /// Sets the seed.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::report::IndividualSample;
    /// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/knee_oa_trial.csv");
    /// let wide = pain_outcomes::data::read_csv(path, &Default::default())?.cohort.wide("nrs")?;
    /// let a = IndividualSample::new(&wide).with_seed(1).rows();
    /// let b = IndividualSample::new(&wide).with_seed(2).rows();
    /// assert_ne!(a, b);
    /// # Ok::<(), pain_outcomes::Error>(())
    /// ```
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The chosen table rows, arm by arm (table order of the arms), ascending within an arm.
    ///
    /// # Examples
    ///
    /// See [`IndividualSample`].
    pub fn rows(&self) -> Vec<usize> {
        let t = self.table;
        let nv = t.n_visits();
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let mut out = Vec::new();
        for a in 0..t.arms.len() {
            let mut eligible: Vec<usize> = (0..t.n_patients())
                .filter(|&r| t.arm.get(r).is_some_and(|&x| x as usize == a))
                .filter(|&r| t.baseline.get(r).copied().flatten().is_some())
                .filter(|&r| (0..nv).any(|v| t.score(r, v).is_some()))
                .collect();
            let k = self.per_arm.min(eligible.len());
            let (chosen, _) = eligible.partial_shuffle(&mut rng, k);
            let mut chosen = chosen.to_vec();
            chosen.sort_unstable();
            out.extend(chosen);
        }
        out
    }

    /// The (day, score) points of table row `row`: baseline at day 0, then each observed visit.
    fn points(&self, row: usize) -> Vec<(f64, f64)> {
        let t = self.table;
        let nv = t.n_visits();
        let mut pts = Vec::new();
        if let Some(b) = t.baseline.get(row).copied().flatten() {
            pts.push((0.0, b));
        }
        for v in 0..nv {
            let day = t.days.get(row * nv + v).copied().flatten();
            if let (Some(s), Some(d)) = (t.score(row, v), day) {
                pts.push((f64::from(d), s));
            }
        }
        pts.retain(|(d, s)| d.is_finite() && s.is_finite());
        pts
    }
}

/// One arm's mean points: (day, mean, lower, upper).
type MeanPoints = Vec<(f64, f64, f64, f64)>;

/// Mean score by arm over days since first treatment with its confidence band (from
/// [`describe_by_arm_and_visit`](crate::analysis::describe_by_arm_and_visit)), and, when
/// `sample` is given, that sample of patients' own trajectories as faint lines behind.
///
/// Arms are ordered with the reference arm (placebo, else usual care, else the first arm)
/// first. Visits are placed at their mean day; the baseline at day 0.
///
/// # Errors
///
/// [`Error::InvalidArgument`] when the sample's table is of another instrument than the
/// trajectories.
///
/// # Refusals
///
/// `TooFewObservations` when no arm has a mean with a confidence interval; arms without one
/// are named in a note.
///
/// # Examples
///
/// ```
/// use pain_outcomes::analysis::describe_by_arm_and_visit;
/// use pain_outcomes::report::{IndividualSample, trajectory_figure};
/// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/knee_oa_trial.csv");
/// let cohort = pain_outcomes::data::read_csv(path, &Default::default())?.cohort;
/// let wide = cohort.wide("nrs")?;
/// let trajectories = describe_by_arm_and_visit(&wide, &Default::default())?;
/// let figure = trajectory_figure(&trajectories, Some(IndividualSample::new(&wide)))?
///     .into_result()?;
/// assert_eq!(figure.id, "trajectory_nrs");
/// assert_eq!(figure.svg.matches("class=\"series\"").count(), wide.arms.len());
/// assert!(figure.svg.contains("Days since first treatment"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn trajectory_figure(
    trajectories: &Trajectories,
    sample: Option<IndividualSample<'_>>,
) -> Result<Outcome<Figure>> {
    if let Some(s) = &sample
        && s.table.instrument.code != trajectories.instrument
    {
        return Err(Error::invalid_argument(
            "sample",
            format!(
                "the table is of `{}`, the trajectories of `{}`",
                s.table.instrument.code, trajectories.instrument
            ),
        ));
    }
    let mut arms: Vec<String> = Vec::new();
    for r in &trajectories.rows {
        if !arms.contains(&r.arm) {
            arms.push(r.arm.clone());
        }
    }
    let reference = default_reference_arm(&arms).unwrap_or_default();
    let order = arm_order(&arms, &reference);
    let mut level = None;
    let mut series: Vec<(String, MeanPoints)> = Vec::new();
    let mut notes = Vec::new();
    for arm in &order {
        let mut pts = Vec::new();
        for row in trajectories.rows.iter().filter(|r| &r.arm == arm) {
            if let Outcome::Computed(d) = &row.score {
                let ci = &d.confidence_interval;
                if [row.day, d.mean, ci.lower, ci.upper]
                    .iter()
                    .all(|x| x.is_finite())
                {
                    pts.push((row.day, d.mean, ci.lower, ci.upper));
                    level = level.or(Some(ci.level));
                }
            }
        }
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        if pts.is_empty() {
            notes.push(format!("{arm}: no mean could be estimated"));
        } else {
            series.push((arm.clone(), pts));
        }
    }
    if series.is_empty() {
        return Ok(refuse(
            RefusalReason::TooFewObservations,
            format!(
                "no arm has a mean {} score with a confidence interval",
                trajectories.instrument
            ),
        ));
    }
    let individuals: Vec<(String, Vec<(f64, f64)>)> = match &sample {
        Some(s) => s
            .rows()
            .into_iter()
            .filter_map(|r| {
                let arm = s.table.arms.get(*s.table.arm.get(r)? as usize)?.clone();
                let pts = s.points(r);
                (pts.len() >= 2).then_some((arm, pts))
            })
            .collect(),
        None => Vec::new(),
    };

    let all_days = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|q| q.0))
        .chain(individuals.iter().flat_map(|(_, p)| p.iter().map(|q| q.0)));
    let max_day = all_days.fold(0.0, f64::max);
    let (x0, x1, x_ticks) = linear_ticks(0.0, max_day, 5);
    let instrument = crate::domain::Instrument::builtin(&trajectories.instrument);
    let (y0, y1, y_ticks) = match (&instrument, individuals.is_empty()) {
        (Some(i), false) => linear_ticks(i.min, i.max, 5),
        _ => {
            let lo = series
                .iter()
                .flat_map(|(_, p)| p.iter().map(|q| q.2))
                .fold(f64::INFINITY, f64::min);
            let hi = series
                .iter()
                .flat_map(|(_, p)| p.iter().map(|q| q.3))
                .fold(f64::NEG_INFINITY, f64::max);
            linear_ticks(lo, hi, 5)
        }
    };
    let drawn: Vec<String> = series.iter().map(|(a, _)| a.clone()).collect();
    let spec = ChartSpec {
        x: Axis::linear(x0, x1, x_ticks, "Days since first treatment"),
        y: Axis::linear(y0, y1, y_ticks, score_title(&trajectories.instrument)),
        legend: arm_legend(&order, &drawn),
        plot_height: 190.0,
        y_reference: None,
        x_reference: None,
    };
    let id = figure_id(&["trajectory", &trajectories.instrument]);
    let level = level_text(level.unwrap_or(0.95));
    let mut caption = format!(
        "Mean {} by arm over days since first treatment, with {level} confidence bands.",
        score_title(&trajectories.instrument)
    );
    if let Some(s) = &sample {
        caption.push_str(&format!(
            " Faint lines: {} randomly chosen patients per arm (seed {}).",
            s.per_arm, s.seed
        ));
    }
    let mut svg = Svg::new(&id, &caption, &describe(&series));
    let frame = draw_chart(&mut svg, &spec, 4.0);
    let map = |d: f64, v: f64| (frame.x.map(d), frame.y.map(v));

    if !individuals.is_empty() {
        svg.open(&[("class", "individuals")]);
        for (arm, pts) in &individuals {
            let style = SeriesStyle::nth(arm_index(&order, arm));
            let line: Vec<(f64, f64)> = pts.iter().map(|&(d, s)| map(d, s)).collect();
            svg.polyline(
                &line,
                Stroke::new(style.colour, 0.6).opacity(0.35),
                &[("class", "individual"), ("data-arm", arm)],
            );
        }
        svg.close();
    }
    // overlapping bands of many arms stay readable only when faint
    let opacity = if drawn.len() > 3 { 0.07 } else { 0.14 };
    svg.open(&[("class", "ci-bands")]);
    for (arm, pts) in &series {
        let style = SeriesStyle::nth(arm_index(&order, arm));
        let mut band: Vec<(f64, f64)> = pts.iter().map(|p| map(p.0, p.3)).collect();
        band.extend(pts.iter().rev().map(|p| map(p.0, p.2)));
        svg.polygon(
            &band,
            style.colour,
            opacity,
            &[("class", "ci-band"), ("data-arm", arm)],
        );
    }
    svg.close();
    for (arm, pts) in &series {
        let style = SeriesStyle::nth(arm_index(&order, arm));
        svg.open(&[("class", "series"), ("data-arm", arm)]);
        let line: Vec<(f64, f64)> = pts.iter().map(|p| map(p.0, p.1)).collect();
        svg.polyline(
            &line,
            Stroke::new(style.colour, 1.5).dash(style.dash),
            &[("class", "mean")],
        );
        for p in pts {
            let (x, y) = map(p.0, p.1);
            let extra = format!(" data-day=\"{}\" data-mean=\"{}\"", exact(p.0), exact(p.1));
            svg.raw(&marker_markup(&style, x, y, 5.0, &extra));
        }
        svg.close();
    }
    let below = draw_notes(&mut svg, &notes, frame.below);
    Ok(Outcome::Computed(Figure::new(
        id,
        caption,
        svg.finish(below + 2.0),
    )))
}

fn describe(series: &[(String, MeanPoints)]) -> String {
    let parts: Vec<String> = series
        .iter()
        .map(|(arm, pts)| {
            let last = pts.last().map_or(String::new(), |p| {
                format!("{:.2} [{:.2}, {:.2}] at day {:.0}", p.1, p.2, p.3, p.0)
            });
            format!("{arm}: {last}")
        })
        .collect();
    format!("Last mean by arm: {}.", parts.join("; "))
}
