//! The cron expression of `[ci] security_schedule`, as GitHub Actions reads it: five fields
//! (minute, hour, day of month, month, day of week), each a list of `*`, values or ranges with
//! an optional `/step`. A value out of its field's range is an error, not a schedule that never
//! runs.

use std::ops::Range;

use super::span_within;
use crate::diagnostics::Diagnostic;
use crate::load::Document;
use crate::model::PlatformSpec;

/// One field of a cron expression.
struct Field {
    /// What the field counts.
    name: &'static str,
    /// Smallest and largest value.
    min: u32,
    max: u32,
    /// Three-letter names of the values from `min` on, where the field has them.
    names: &'static [&'static str],
}

const FIELDS: [Field; 5] = [
    Field {
        name: "minute",
        min: 0,
        max: 59,
        names: &[],
    },
    Field {
        name: "hour",
        min: 0,
        max: 23,
        names: &[],
    },
    Field {
        name: "day of month",
        min: 1,
        max: 31,
        names: &[],
    },
    Field {
        name: "month",
        min: 1,
        max: 12,
        names: &[
            "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
        ],
    },
    Field {
        name: "day of week",
        min: 0,
        max: 6,
        names: &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
    },
];

impl Field {
    fn value(&self, text: &str) -> Result<u32, String> {
        if let Some(i) = self.names.iter().position(|n| n.eq_ignore_ascii_case(text)) {
            return Ok(self.min + i as u32);
        }
        let value: u32 = text.parse().map_err(|_| {
            let names = match self.names {
                [] => String::new(),
                names => format!(" or {}–{}", names[0], names[names.len() - 1]),
            };
            format!(
                "`{text}` is not a {} ({}–{}{names})",
                self.name, self.min, self.max
            )
        })?;
        if value < self.min || value > self.max {
            return Err(format!(
                "{} {value} is out of range {}–{}",
                self.name, self.min, self.max
            ));
        }
        Ok(value)
    }

    /// Checks one comma-separated item: `*`, `N`, `N-M`, each with an optional `/step`.
    fn item(&self, item: &str) -> Result<(), String> {
        let (range, step) = match item.split_once('/') {
            Some((range, step)) => (range, Some(step)),
            None => (item, None),
        };
        if let Some(step) = step
            && !step.parse::<u32>().is_ok_and(|s| s >= 1)
        {
            return Err(format!(
                "the {} step `{step}` is not a positive number",
                self.name
            ));
        }
        if range == "*" {
            return Ok(());
        }
        match range.split_once('-') {
            Some((low, high)) => {
                let (low_value, high_value) = (self.value(low)?, self.value(high)?);
                if low_value > high_value {
                    return Err(format!("the {} range `{range}` runs backwards", self.name));
                }
            }
            None => {
                self.value(range)?;
            }
        }
        Ok(())
    }
}

/// The first problem of a cron expression, with the byte range of the offending field.
pub fn cron_problem(expression: &str) -> Option<(String, Range<usize>)> {
    let fields: Vec<(usize, &str)> = expression
        .split(' ')
        .scan(0, |start, field| {
            let at = *start;
            *start += field.len() + 1;
            Some((at, field))
        })
        .collect();
    if fields.len() != FIELDS.len() || fields.iter().any(|(_, f)| f.is_empty()) {
        return Some((
            format!(
                "`{expression}` is not five fields separated by single spaces (minute hour day-of-month month day-of-week)"
            ),
            0..expression.len(),
        ));
    }
    for ((start, text), field) in fields.into_iter().zip(&FIELDS) {
        for item in text.split(',') {
            let problem = if item.is_empty() {
                Err(format!(
                    "the {} field `{text}` has an empty item",
                    field.name
                ))
            } else {
                field.item(item)
            };
            if let Err(problem) = problem {
                return Some((problem, start..start + text.len()));
            }
        }
    }
    None
}

/// Checks `[ci] security_schedule`.
pub(super) fn check_schedule(doc: &Document, spec: &PlatformSpec, out: &mut Vec<Diagnostic>) {
    let schedule = &spec.ci.security_schedule;
    let Some((problem, range)) = cron_problem(schedule) else {
        return;
    };
    let ptr = "/ci/security_schedule";
    out.push(
        Diagnostic::error(
            "E0323",
            format!("`security_schedule = \"{schedule}\"`: {problem}"),
        )
        .at(span_within(doc, ptr, schedule, range))
        .label("not a valid cron field")
        .help("fields are minute (0–59), hour (0–23), day of month (1–31), month (1–12 or JAN–DEC) and day of week (0–6 or SUN–SAT), each `*`, `N`, `N-M` or a comma list, with an optional `/step`; e.g. `30 2 * * 1` (Mondays 02:30 UTC)"),
    );
}

#[cfg(test)]
mod tests {
    use super::cron_problem;

    #[test]
    fn schedules_github_accepts_pass() {
        for ok in [
            "0 0 * * *",
            "*/15 * * * *",
            "30 2 * * 1-5",
            "0 0,12 1 */2 *",
            "0 3 * JAN-MAR sun",
            "59 23 31 12 6",
        ] {
            assert_eq!(cron_problem(ok), None, "{ok}");
        }
    }

    #[test]
    fn each_problem_names_its_field() {
        let cases = [
            ("99 99 * * *", "minute 99 is out of range 0–59", 0..2),
            ("0 24 * * *", "hour 24 is out of range 0–23", 2..4),
            ("0 0 0 * *", "day of month 0 is out of range 1–31", 4..5),
            ("0 0 * 13 *", "month 13 is out of range 1–12", 6..8),
            ("0 0 * * 7", "day of week 7 is out of range 0–6", 8..9),
            (
                "0 0 * * 5-1",
                "the day of week range `5-1` runs backwards",
                8..11,
            ),
            (
                "*/0 * * * *",
                "the minute step `0` is not a positive number",
                0..3,
            ),
            (
                "0 0 * * MO",
                "`MO` is not a day of week (0–6 or SUN–SAT)",
                8..10,
            ),
            (
                "0 0,,1 * * *",
                "the hour field `0,,1` has an empty item",
                2..6,
            ),
            ("0 0 * *", "is not five fields", 0..7),
        ];
        for (expression, fragment, range) in cases {
            let (problem, at) = cron_problem(expression).expect(expression);
            assert!(problem.contains(fragment), "{expression}: {problem}");
            assert_eq!(at, range, "{expression}");
        }
    }

    #[test]
    fn a_bad_schedule_is_reported_at_its_field() {
        let text = format!(
            "{}\n[ci]\nsecurity_schedule = \"0 99 * * *\"\n",
            include_str!("../../tests/fixtures/small.toml")
        );
        let found = super::super::problems_with("E0323", text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, 33);
        assert!(
            found[0].1.contains("hour 99 is out of range 0–23"),
            "{found:?}"
        );
    }
}
