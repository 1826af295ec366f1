//! Nominal visits derived from study days.

/// One nominal visit and the window of days mapped to it.
///
/// # Examples
///
/// ```
/// use pain_outcomes::domain::VisitWindow;
/// let w = VisitWindow::new("month_3", 90, 64, 135).unwrap();
/// assert!(w.contains(100));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VisitWindow {
    /// Visit label.
    pub label: String,
    /// Planned day.
    pub target_day: i32,
    /// First day of the window (inclusive).
    pub first_day: i32,
    /// Last day of the window (inclusive).
    pub last_day: i32,
}

impl VisitWindow {
    /// A window; `None` unless `first_day <= target_day <= last_day` and the label is non-empty.
    pub fn new(
        label: impl Into<String>,
        target_day: i32,
        first_day: i32,
        last_day: i32,
    ) -> Option<Self> {
        let label = label.into();
        (!label.trim().is_empty() && first_day <= target_day && target_day <= last_day).then_some(
            VisitWindow {
                label,
                target_day,
                first_day,
                last_day,
            },
        )
    }

    /// Whether `day` falls in the window.
    pub fn contains(&self, day: i32) -> bool {
        day >= self.first_day && day <= self.last_day
    }
}

/// An ordered list of non-overlapping visit windows.
///
/// The default schedule ([`VisitSchedule::default`]) is:
///
/// | visit | target day | window (days) |
/// |---|---|---|
/// | `baseline` | 0 | ≤ 0 |
/// | `week_2` | 14 | 1–28 |
/// | `week_6` | 42 | 29–63 |
/// | `month_3` | 90 | 64–135 |
/// | `month_6` | 180 | 136–270 |
/// | `month_12` | 365 | 271–545 |
/// | `month_24` | 730 | 546–912 |
///
/// Days after 912 are left unassigned (`None`): they are kept, but belong to no nominal visit.
///
/// # Examples
///
/// ```
/// use pain_outcomes::domain::VisitSchedule;
/// let s = VisitSchedule::default();
/// assert_eq!(s.assign(-3).map(|w| w.label.as_str()), Some("baseline"));
/// assert_eq!(s.assign(95).map(|w| w.label.as_str()), Some("month_3"));
/// assert!(s.assign(2000).is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VisitSchedule {
    windows: Vec<VisitWindow>,
}

impl VisitSchedule {
    /// A schedule from windows; `None` when empty, unordered by target day, or overlapping.
    ///
    /// # Examples
    ///
    /// ```
    /// use pain_outcomes::domain::{VisitSchedule, VisitWindow};
    /// let s = VisitSchedule::new(vec![
    ///     VisitWindow::new("baseline", 0, -30, 0).unwrap(),
    ///     VisitWindow::new("week_12", 84, 60, 110).unwrap(),
    /// ]).unwrap();
    /// assert_eq!(s.windows().len(), 2);
    /// ```
    pub fn new(windows: Vec<VisitWindow>) -> Option<Self> {
        if windows.is_empty() {
            return None;
        }
        for pair in windows.windows(2) {
            if pair[0].last_day >= pair[1].first_day || pair[0].label == pair[1].label {
                return None;
            }
        }
        Some(VisitSchedule { windows })
    }

    /// The windows in order.
    pub fn windows(&self) -> &[VisitWindow] {
        &self.windows
    }

    /// The window containing `day`, if any.
    pub fn assign(&self, day: i32) -> Option<&VisitWindow> {
        self.windows.iter().find(|w| w.contains(day))
    }

    /// Position of the visit labelled `label`.
    pub fn position(&self, label: &str) -> Option<usize> {
        self.windows.iter().position(|w| w.label == label)
    }
}

impl Default for VisitSchedule {
    fn default() -> Self {
        let w = |l: &str, t, a, b| VisitWindow {
            label: l.to_string(),
            target_day: t,
            first_day: a,
            last_day: b,
        };
        VisitSchedule {
            windows: vec![
                w("baseline", 0, i32::MIN, 0),
                w("week_2", 14, 1, 28),
                w("week_6", 42, 29, 63),
                w("month_3", 90, 64, 135),
                w("month_6", 180, 136, 270),
                w("month_12", 365, 271, 545),
                w("month_24", 730, 546, 912),
            ],
        }
    }
}
