//! Time slots: the dated or weekly slots of a call for volunteers, and a person's availability,
//! with the overlap between two sets of slots and its description in French and English.

use chrono::{Datelike, NaiveDate, NaiveTime, Weekday};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A slot that cannot be.
#[derive(Clone, Debug, Error, PartialEq)]
pub enum SlotError {
    /// The slot ends at or before its start.
    #[error(
        "le créneau finit avant de commencer ({start} – {end}) / the slot ends before it starts"
    )]
    EndsBeforeStart {
        /// The start as written.
        start: String,
        /// The end as written.
        end: String,
    },
    /// A recurring slot's period ends before it starts.
    #[error(
        "la période du créneau finit avant de commencer ({from} – {until}) / the slot's period ends before it starts"
    )]
    PeriodEndsBeforeStart {
        /// First day.
        from: NaiveDate,
        /// Last day.
        until: NaiveDate,
    },
    /// A weekly slot with no day.
    #[error(
        "un créneau hebdomadaire doit avoir au moins un jour / a weekly slot needs at least one day"
    )]
    NoDay,
    /// A day, a date or a time that does not read.
    #[error(
        "« {0} » n'est pas une date, un jour ou une heure valide / is not a valid date, day or time"
    )]
    Unreadable(String),
    /// More slots than anyone needs.
    #[error("trop de créneaux (au plus {0}) / too many slots (at most {0})")]
    TooMany(usize),
}

/// The most slots one call or one person may list.
pub const MAX_SLOTS: usize = 60;

/// One slot: a date with hours, or some days of every week with hours, within an optional period.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Slot {
    /// One day, from `start` to `end`.
    Dated {
        /// The day.
        date: NaiveDate,
        /// Start time.
        start: NaiveTime,
        /// End time.
        end: NaiveTime,
    },
    /// Every week on `days`, from `start` to `end`, between `from` and `until` when given.
    Weekly {
        /// Days of the week (`mo`…`su`).
        #[serde(with = "days_serde")]
        days: Vec<Weekday>,
        /// Start time.
        start: NaiveTime,
        /// End time.
        end: NaiveTime,
        /// First day it applies.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<NaiveDate>,
        /// Last day it applies.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<NaiveDate>,
    },
}

mod days_serde {
    use super::{day_code, parse_day};
    use chrono::Weekday;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(days: &[Weekday], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(days.iter().map(|d| day_code(*d)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Weekday>, D::Error> {
        let codes: Vec<String> = Vec::deserialize(d)?;
        codes
            .iter()
            .map(|c| {
                parse_day(c).ok_or_else(|| serde::de::Error::custom(format!("unknown day {c}")))
            })
            .collect()
    }
}

/// `mo`…`su` for a day.
pub fn day_code(d: Weekday) -> &'static str {
    ["mo", "tu", "we", "th", "fr", "sa", "su"][d.num_days_from_monday() as usize]
}

/// A day from `mo`…`su`, French (`lundi`, `lun`) or English (`monday`, `Mon`) names, or a
/// schema.org IRI (`http://schema.org/Saturday`).
pub fn parse_day(text: &str) -> Option<Weekday> {
    let t = text
        .trim()
        .trim_start_matches("http://schema.org/")
        .trim_start_matches("https://schema.org/");
    let t = t.to_lowercase();
    let days = [
        (Weekday::Mon, ["mo", "lu", "monday", "lundi"]),
        (Weekday::Tue, ["tu", "ma", "tuesday", "mardi"]),
        (Weekday::Wed, ["we", "me", "wednesday", "mercredi"]),
        (Weekday::Thu, ["th", "je", "thursday", "jeudi"]),
        (Weekday::Fri, ["fr", "ve", "friday", "vendredi"]),
        (Weekday::Sat, ["sa", "sa", "saturday", "samedi"]),
        (Weekday::Sun, ["su", "di", "sunday", "dimanche"]),
    ];
    for (day, names) in days {
        if names
            .iter()
            .any(|n| t == *n || (t.len() >= 3 && n.starts_with(&t)))
        {
            return Some(day);
        }
    }
    None
}

/// Reads `HH:MM` or `HH:MM:SS`.
pub fn parse_time(text: &str) -> Result<NaiveTime, SlotError> {
    let t = text.trim();
    NaiveTime::parse_from_str(t, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(t, "%H:%M:%S"))
        .map_err(|_| SlotError::Unreadable(clip(t)))
}

/// Reads `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Result<NaiveDate, SlotError> {
    let t = text.trim();
    NaiveDate::parse_from_str(t, "%Y-%m-%d").map_err(|_| SlotError::Unreadable(clip(t)))
}

fn clip(t: &str) -> String {
    t.chars().take(40).collect()
}

impl Slot {
    /// A one-day slot, checked.
    pub fn dated(date: NaiveDate, start: NaiveTime, end: NaiveTime) -> Result<Self, SlotError> {
        let slot = Slot::Dated { date, start, end };
        slot.check()?;
        Ok(slot)
    }

    /// A weekly slot, checked.
    pub fn weekly(
        days: Vec<Weekday>,
        start: NaiveTime,
        end: NaiveTime,
        from: Option<NaiveDate>,
        until: Option<NaiveDate>,
    ) -> Result<Self, SlotError> {
        let slot = Slot::Weekly {
            days,
            start,
            end,
            from,
            until,
        };
        slot.check()?;
        Ok(slot)
    }

    /// Whether the slot can be: ends after it starts, a weekly slot has a day.
    pub fn check(&self) -> Result<(), SlotError> {
        let (start, end) = self.hours();
        if end <= start {
            return Err(SlotError::EndsBeforeStart {
                start: start.format("%H:%M").to_string(),
                end: end.format("%H:%M").to_string(),
            });
        }
        if let Slot::Weekly {
            days, from, until, ..
        } = self
        {
            if days.is_empty() {
                return Err(SlotError::NoDay);
            }
            if let (Some(f), Some(u)) = (from, until)
                && u < f
            {
                return Err(SlotError::PeriodEndsBeforeStart {
                    from: *f,
                    until: *u,
                });
            }
        }
        Ok(())
    }

    /// Start and end times.
    pub fn hours(&self) -> (NaiveTime, NaiveTime) {
        match self {
            Slot::Dated { start, end, .. } | Slot::Weekly { start, end, .. } => (*start, *end),
        }
    }

    /// Whether the slot still has a day on or after `today`.
    pub fn is_current(&self, today: NaiveDate) -> bool {
        match self {
            Slot::Dated { date, .. } => *date >= today,
            Slot::Weekly { until, .. } => until.is_none_or(|u| u >= today),
        }
    }

    fn covers_date(&self, date: NaiveDate) -> bool {
        match self {
            Slot::Dated { date: d, .. } => *d == date,
            Slot::Weekly {
                days, from, until, ..
            } => {
                days.contains(&date.weekday())
                    && from.is_none_or(|f| f <= date)
                    && until.is_none_or(|u| u >= date)
            }
        }
    }
}

/// Where two sets of slots meet.
#[derive(Clone, Debug, PartialEq)]
pub struct Overlap {
    /// Minutes in common on the best-matching slot pair (per occurrence).
    pub minutes: u32,
    /// The shared time, as a slot.
    pub when: Slot,
}

fn minutes_between(
    a: (NaiveTime, NaiveTime),
    b: (NaiveTime, NaiveTime),
) -> Option<(NaiveTime, NaiveTime)> {
    let start = a.0.max(b.0);
    let end = a.1.min(b.1);
    (end > start).then_some((start, end))
}

fn span_minutes(s: NaiveTime, e: NaiveTime) -> u32 {
    (e - s).num_minutes().max(0) as u32
}

/// The longest time two slots share, if any. Only times from `today` on count.
pub fn overlap_of(a: &Slot, b: &Slot, today: NaiveDate) -> Option<Overlap> {
    if !a.is_current(today) || !b.is_current(today) {
        return None;
    }
    let (start, end) = minutes_between(a.hours(), b.hours())?;
    let minutes = span_minutes(start, end);
    match (a, b) {
        (Slot::Dated { date, .. }, other) | (other, Slot::Dated { date, .. }) => {
            other.covers_date(*date).then_some(Overlap {
                minutes,
                when: Slot::Dated {
                    date: *date,
                    start,
                    end,
                },
            })
        }
        (
            Slot::Weekly {
                days: da,
                from: fa,
                until: ua,
                ..
            },
            Slot::Weekly {
                days: db,
                from: fb,
                until: ub,
                ..
            },
        ) => {
            let days: Vec<Weekday> = da.iter().filter(|d| db.contains(d)).copied().collect();
            if days.is_empty() {
                return None;
            }
            let from = later(*fa, *fb);
            let until = earlier(*ua, *ub);
            if let (Some(f), Some(u)) = (from, until)
                && u < f
            {
                return None;
            }
            Some(Overlap {
                minutes,
                when: Slot::Weekly {
                    days,
                    start,
                    end,
                    from,
                    until,
                },
            })
        }
    }
}

fn later(a: Option<NaiveDate>, b: Option<NaiveDate>) -> Option<NaiveDate> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

fn earlier(a: Option<NaiveDate>, b: Option<NaiveDate>) -> Option<NaiveDate> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The best overlap between two sets of slots: the most minutes, then the earliest.
pub fn best_overlap(a: &[Slot], b: &[Slot], today: NaiveDate) -> Option<Overlap> {
    let mut best: Option<Overlap> = None;
    for x in a {
        for y in b {
            if let Some(o) = overlap_of(x, y, today)
                && best.as_ref().is_none_or(|bo| o.minutes > bo.minutes)
            {
                best = Some(o);
            }
        }
    }
    best
}

/// Checks a list of slots: each can be, and there are not too many.
pub fn check_all(slots: &[Slot]) -> Result<(), SlotError> {
    if slots.len() > MAX_SLOTS {
        return Err(SlotError::TooMany(MAX_SLOTS));
    }
    slots.iter().try_for_each(Slot::check)
}

const DAYS_FR: [&str; 7] = [
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
];
const DAYS_EN: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MONTHS_FR: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

fn part_of_day_fr(start: NaiveTime, end: NaiveTime) -> Option<&'static str> {
    let h = |t: NaiveTime| t.hour_f();
    match (h(start), h(end)) {
        (s, e) if s >= 6.0 && e <= 13.0 => Some("matin"),
        (s, e) if s >= 12.0 && e <= 18.5 => Some("après-midi"),
        (s, _) if s >= 18.0 => Some("soir"),
        _ => None,
    }
}

fn part_of_day_en(start: NaiveTime, end: NaiveTime) -> Option<&'static str> {
    match part_of_day_fr(start, end) {
        Some("matin") => Some("morning"),
        Some("après-midi") => Some("afternoon"),
        Some(_) => Some("evening"),
        None => None,
    }
}

trait HourF {
    fn hour_f(&self) -> f32;
}

impl HourF for NaiveTime {
    fn hour_f(&self) -> f32 {
        use chrono::Timelike;
        self.hour() as f32 + self.minute() as f32 / 60.0
    }
}

fn time_fr(t: NaiveTime) -> String {
    use chrono::Timelike;
    if t.minute() == 0 {
        format!("{} h", t.hour())
    } else {
        format!("{} h {:02}", t.hour(), t.minute())
    }
}

fn join_fr(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} et {}", rest.join(", "), last),
    }
}

fn join_en(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {}", rest.join(", "), last),
    }
}

/// "le samedi matin", "le 14 mars de 14 h à 18 h", "le mardi et le jeudi de 18 h à 20 h".
pub fn describe_fr(slot: &Slot) -> String {
    let (start, end) = slot.hours();
    let hours = part_of_day_fr(start, end)
        .map(|p| p.to_owned())
        .unwrap_or_else(|| format!("de {} à {}", time_fr(start), time_fr(end)));
    match slot {
        Slot::Dated { date, .. } => {
            let day = format!(
                "le {} {} {}",
                DAYS_FR[date.weekday().num_days_from_monday() as usize],
                date.day(),
                MONTHS_FR[date.month0() as usize]
            );
            // A one-off slot is told to the minute: people note it down.
            format!("{day} de {} à {}", time_fr(start), time_fr(end))
        }
        Slot::Weekly { days, .. } => {
            let names: Vec<String> = days
                .iter()
                .map(|d| format!("le {}", DAYS_FR[d.num_days_from_monday() as usize]))
                .collect();
            format!("{} {hours}", join_fr(&names))
        }
    }
}

/// "on Saturday mornings", "on 14 March, 2 pm to 6 pm".
pub fn describe_en(slot: &Slot) -> String {
    let (start, end) = slot.hours();
    let hours = part_of_day_en(start, end)
        .map(|p| p.to_owned())
        .unwrap_or_else(|| format!("{} to {}", start.format("%H:%M"), end.format("%H:%M")));
    match slot {
        Slot::Dated { date, .. } => format!(
            "on {}, {} to {}",
            date.format("%A %-d %B"),
            start.format("%H:%M"),
            end.format("%H:%M")
        ),
        Slot::Weekly { days, .. } => {
            let names: Vec<String> = days
                .iter()
                .map(|d| DAYS_EN[d.num_days_from_monday() as usize].to_owned())
                .collect();
            format!("on {} {hours}", join_en(&names))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveTime {
        parse_time(s).unwrap()
    }
    fn d(s: &str) -> NaiveDate {
        parse_date(s).unwrap()
    }

    #[test]
    fn a_slot_that_ends_before_it_starts_is_refused() {
        let err = Slot::dated(d("2027-03-14"), t("18:00"), t("14:00")).unwrap_err();
        assert!(err.to_string().contains("finit avant de commencer"));
        assert_eq!(
            Slot::weekly(vec![], t("10:00"), t("12:00"), None, None),
            Err(SlotError::NoDay)
        );
        assert!(matches!(
            Slot::weekly(
                vec![Weekday::Sat],
                t("10:00"),
                t("12:00"),
                Some(d("2027-05-01")),
                Some(d("2027-04-01"))
            ),
            Err(SlotError::PeriodEndsBeforeStart { .. })
        ));
        assert!(parse_time("25:00").is_err());
        assert!(parse_date("2027-02-30").is_err());
    }

    #[test]
    fn weekly_and_dated_slots_meet_on_the_right_day() {
        let today = d("2027-03-01");
        let saturday_morning =
            Slot::weekly(vec![Weekday::Sat], t("09:00"), t("12:00"), None, None).unwrap();
        // 2027-03-13 is a Saturday.
        let call = Slot::dated(d("2027-03-13"), t("10:00"), t("13:00")).unwrap();
        let o = overlap_of(&saturday_morning, &call, today).unwrap();
        assert_eq!(o.minutes, 120);
        assert_eq!(describe_fr(&o.when), "le samedi 13 mars de 10 h à 12 h");
        let sunday = Slot::dated(d("2027-03-14"), t("10:00"), t("13:00")).unwrap();
        assert!(overlap_of(&saturday_morning, &sunday, today).is_none());
        // A past date does not count.
        let past = Slot::dated(d("2027-02-27"), t("10:00"), t("13:00")).unwrap();
        assert!(overlap_of(&saturday_morning, &past, today).is_none());
    }

    #[test]
    fn two_weekly_patterns_share_days_and_hours() {
        let today = d("2027-03-01");
        let a = Slot::weekly(
            vec![Weekday::Tue, Weekday::Sat],
            t("09:00"),
            t("12:00"),
            None,
            None,
        )
        .unwrap();
        let b = Slot::weekly(
            vec![Weekday::Sat, Weekday::Sun],
            t("10:00"),
            t("18:00"),
            None,
            Some(d("2027-06-30")),
        )
        .unwrap();
        let o = best_overlap(&[a], &[b], today).unwrap();
        assert_eq!(o.minutes, 120);
        assert_eq!(describe_fr(&o.when), "le samedi matin");
        assert_eq!(describe_en(&o.when), "on Saturday morning");
    }

    #[test]
    fn days_read_in_french_english_and_schema_org() {
        assert_eq!(parse_day("samedi"), Some(Weekday::Sat));
        assert_eq!(parse_day("Sat"), Some(Weekday::Sat));
        assert_eq!(parse_day("http://schema.org/Monday"), Some(Weekday::Mon));
        assert_eq!(parse_day("mer"), Some(Weekday::Wed));
        assert_eq!(parse_day("xx"), None);
    }
}
