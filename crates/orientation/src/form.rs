//! Reading the fields of a posted form (repeated keys for checkboxes), bounded.

use crate::error::OrientationError;
use crate::slots::{Slot, SlotError, parse_date, parse_day, parse_time};
use chrono::{NaiveDate, NaiveTime, Weekday};

/// A form's fields, in order, keys repeated for each ticked checkbox.
pub type Fields = [(String, String)];

/// The first value of `key`, trimmed ("" when absent).
pub fn one<'a>(fields: &'a Fields, key: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.trim())
        .unwrap_or("")
}

/// Every non-empty value of `key`, trimmed, at most `max`.
pub fn all(fields: &Fields, key: &str, max: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (_, v) in fields.iter().filter(|(k, _)| k == key) {
        let v = v.trim();
        if !v.is_empty() && !out.iter().any(|o| o == v) && out.len() < max {
            out.push(v.to_owned());
        }
    }
    out
}

/// A text field within `max` characters; `Missing` when required and empty.
pub fn text(
    fields: &Fields,
    key: &'static str,
    label: &'static str,
    max: usize,
    required: bool,
) -> Result<String, OrientationError> {
    let v = one(fields, key);
    if required && v.is_empty() {
        return Err(OrientationError::Missing(label));
    }
    if v.chars().count() > max {
        return Err(OrientationError::TooLong(label, max));
    }
    Ok(v.to_owned())
}

/// A ticked checkbox.
pub fn checked(fields: &Fields, key: &str) -> bool {
    matches!(one(fields, key), "on" | "oui" | "true" | "1" | "yes")
}

/// A part of the day: its code, French and English names, start and end (hour, minute).
pub type PartOfDay = (
    &'static str,
    &'static str,
    &'static str,
    (u32, u32),
    (u32, u32),
);

/// The parts of a day a person can tick, and their hours.
pub const PARTS_OF_DAY: [PartOfDay; 3] = [
    ("matin", "le matin", "morning", (9, 0), (12, 30)),
    ("apres-midi", "l'après-midi", "afternoon", (13, 30), (18, 0)),
    ("soir", "le soir", "evening", (18, 0), (21, 30)),
];

/// The days of a week, with their codes and French names.
pub const WEEK: [(Weekday, &str, &str); 7] = [
    (Weekday::Mon, "mo", "lundi"),
    (Weekday::Tue, "tu", "mardi"),
    (Weekday::Wed, "we", "mercredi"),
    (Weekday::Thu, "th", "jeudi"),
    (Weekday::Fri, "fr", "vendredi"),
    (Weekday::Sat, "sa", "samedi"),
    (Weekday::Sun, "su", "dimanche"),
];

fn hm(h: (u32, u32)) -> NaiveTime {
    NaiveTime::from_hms_opt(h.0, h.1, 0).unwrap_or_default()
}

/// A weekly availability from ticked `day-part` boxes (`sa-matin`, `we-soir`): one weekly
/// slot per part of day, with the days it was ticked on.
pub fn weekly_availability(fields: &Fields, key: &str) -> Result<Vec<Slot>, OrientationError> {
    let ticked = all(fields, key, 21);
    let mut slots = Vec::new();
    for (part, _, _, start, end) in PARTS_OF_DAY {
        let mut days = Vec::new();
        for t in &ticked {
            let Some((day, p)) = t.split_once('-') else {
                return Err(OrientationError::UnknownValue("disponibilités", clip(t)));
            };
            let Some(day) = parse_day(day) else {
                return Err(OrientationError::UnknownValue("disponibilités", clip(t)));
            };
            if !PARTS_OF_DAY.iter().any(|x| x.0 == p) {
                return Err(OrientationError::UnknownValue("disponibilités", clip(t)));
            }
            if p == part && !days.contains(&day) {
                days.push(day);
            }
        }
        if !days.is_empty() {
            days.sort_by_key(|d| d.num_days_from_monday());
            slots.push(Slot::weekly(days, hm(start), hm(end), None, None)?);
        }
    }
    Ok(slots)
}

/// Slots written as rows (`{prefix}_jour_N`, `{prefix}_debut_N`, `{prefix}_fin_N`, N from 1):
/// a day is a date (`2027-03-14`, one-off) or a weekday (`samedi`, every week until `until`).
/// Rows left empty are skipped; a half-filled row is an error.
pub fn slot_rows(
    fields: &Fields,
    prefix: &str,
    rows: usize,
    from: Option<NaiveDate>,
    until: Option<NaiveDate>,
) -> Result<Vec<Slot>, OrientationError> {
    let mut slots = Vec::new();
    for n in 1..=rows {
        let day = one(fields, &format!("{prefix}_jour_{n}"));
        let start = one(fields, &format!("{prefix}_debut_{n}"));
        let end = one(fields, &format!("{prefix}_fin_{n}"));
        if day.is_empty() && start.is_empty() && end.is_empty() {
            continue;
        }
        if day.is_empty() || start.is_empty() || end.is_empty() {
            return Err(OrientationError::Missing("créneau (jour, début et fin)"));
        }
        let (start, end) = (parse_time(start)?, parse_time(end)?);
        let slot = match parse_date(day) {
            Ok(date) => Slot::dated(date, start, end)?,
            Err(_) => match parse_day(day) {
                Some(d) => Slot::weekly(vec![d], start, end, from, until)?,
                None => return Err(SlotError::Unreadable(clip(day)).into()),
            },
        };
        slots.push(slot);
    }
    Ok(slots)
}

fn clip(t: &str) -> String {
    t.chars().take(40).collect()
}
