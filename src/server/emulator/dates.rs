//! The `DateSent`, `DateSent>` and `DateSent<` filters of ListMessage. Twilio documents them as "on",
//! "on and after" and "on and before" (both inclusive), with a day (`YYYY-MM-DD`) or a moment.
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use std::cmp::Ordering;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Bound {
    On,
    OnOrAfter,
    OnOrBefore,
}

impl Bound {
    /// The bound a query parameter name stands for; `None` for other parameters.
    pub(super) fn from_param(name: &str) -> Option<Self> {
        match name {
            "DateSent" => Some(Self::On),
            "DateSent>" => Some(Self::OnOrAfter),
            "DateSent<" => Some(Self::OnOrBefore),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum At {
    Day(NaiveDate),
    Moment(DateTime<Utc>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct DateFilter {
    bound: Bound,
    at: At,
}

impl DateFilter {
    /// Reads a day, an RFC 3339 or RFC 2822 moment, or `YYYY-MM-DD hh:mm:ss` (taken as UTC).
    pub(super) fn parse(bound: Bound, value: &str) -> Option<Self> {
        let value = value.trim();
        let at = if let Ok(day) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
            At::Day(day)
        } else if let Ok(moment) = DateTime::parse_from_rfc3339(value) {
            At::Moment(moment.with_timezone(&Utc))
        } else if let Ok(moment) = DateTime::parse_from_rfc2822(value) {
            At::Moment(moment.with_timezone(&Utc))
        } else {
            let naive = NaiveDateTime::parse_from_str(value, "%Y-%m-%d %H:%M:%S%.f")
                .or_else(|_| NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S%.f"))
                .ok()?;
            At::Moment(naive.and_utc())
        };
        Some(Self { bound, at })
    }

    pub(super) fn matches(&self, sent: DateTime<Utc>) -> bool {
        let order = match self.at {
            At::Day(day) => sent.date_naive().cmp(&day),
            At::Moment(moment) => sent.cmp(&moment),
        };
        match self.bound {
            Bound::On => order == Ordering::Equal,
            Bound::OnOrAfter => order != Ordering::Less,
            Bound::OnOrBefore => order != Ordering::Greater,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("valid")
            .with_timezone(&Utc)
    }

    fn filter(name: &str, value: &str) -> DateFilter {
        DateFilter::parse(Bound::from_param(name).expect("a date parameter"), value)
            .expect("parses")
    }

    #[test]
    fn a_day_matches_the_whole_day_inclusively() {
        let sent = at("2026-03-02T23:59:59Z");
        assert!(filter("DateSent", "2026-03-02").matches(sent));
        assert!(filter("DateSent>", "2026-03-02").matches(sent));
        assert!(filter("DateSent<", "2026-03-02").matches(sent));
        assert!(!filter("DateSent>", "2026-03-03").matches(sent));
        assert!(!filter("DateSent<", "2026-03-01").matches(sent));
    }

    #[test]
    fn a_moment_compares_to_the_second_in_any_accepted_format() {
        let sent = at("2026-03-02T10:00:00Z");
        assert!(filter("DateSent>", "2026-03-02T10:00:00Z").matches(sent));
        assert!(!filter("DateSent>", "2026-03-02T12:00:01+02:00").matches(sent));
        assert!(filter("DateSent<", "Mon, 02 Mar 2026 10:00:00 +0000").matches(sent));
        assert!(filter("DateSent", "2026-03-02 10:00:00.000").matches(sent));
    }

    #[test]
    fn garbage_and_other_parameters_are_refused() {
        assert_eq!(Bound::from_param("To"), None);
        assert_eq!(DateFilter::parse(Bound::On, "yesterday"), None);
    }
}
