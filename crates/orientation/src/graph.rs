//! Reading what matching needs from a call kept as RDF (the network's copy): its time slots,
//! whether it is open to minors, its accessibility features.

use crate::slots::{Slot, parse_date, parse_day, parse_time};
use oxrdf::{Graph, NamedNodeRef, NamedOrBlankNodeRef, TermRef};

const SCHEMA: &str = "http://schema.org/";
const KOMMON: &str = "https://w3id.org/kommon/ns#";

fn literal<'a>(g: &'a Graph, s: NamedOrBlankNodeRef<'_>, p: &str) -> Option<&'a str> {
    match g.object_for_subject_predicate(s, NamedNodeRef::new_unchecked(p))? {
        TermRef::Literal(l) => Some(l.value()),
        _ => None,
    }
}

/// The `kommon:timeSlot`s of `subject` that read as slots (others are skipped: the network
/// validated the document already).
pub fn time_slots(g: &Graph, subject: &str) -> Vec<Slot> {
    let me = NamedNodeRef::new_unchecked(subject);
    let mut out = Vec::new();
    for slot in g.objects_for_subject_predicate(
        me,
        NamedNodeRef::new_unchecked(&format!("{KOMMON}timeSlot")),
    ) {
        let node: NamedOrBlankNodeRef<'_> = match slot {
            TermRef::BlankNode(b) => b.into(),
            TermRef::NamedNode(n) => n.into(),
            _ => continue,
        };
        let get = |l: &str| literal(g, node, &format!("{SCHEMA}{l}"));
        let (Some(Ok(start)), Some(Ok(end))) = (
            get("startTime").map(parse_time),
            get("endTime").map(parse_time),
        ) else {
            continue;
        };
        let date = |l: &str| get(l).and_then(|d| parse_date(d.get(..10).unwrap_or(d)).ok());
        let days: Vec<_> = g
            .objects_for_subject_predicate(
                node,
                NamedNodeRef::new_unchecked(&format!("{SCHEMA}byDay")),
            )
            .filter_map(|t| match t {
                TermRef::NamedNode(n) => parse_day(n.as_str()),
                TermRef::Literal(l) => parse_day(l.value()),
                _ => None,
            })
            .collect();
        let slot = if days.is_empty() {
            date("startDate").and_then(|d| Slot::dated(d, start, end).ok())
        } else {
            Slot::weekly(days, start, end, date("startDate"), date("endDate")).ok()
        };
        out.extend(slot);
    }
    out
}

/// A place's weekly hours (`schema:openingHoursSpecification`: days, opens, closes) as slots.
pub fn opening_hours(g: &Graph, subject: &str) -> Vec<Slot> {
    let mut out = Vec::new();
    for spec in g.objects_for_subject_predicate(
        NamedNodeRef::new_unchecked(subject),
        NamedNodeRef::new_unchecked(&format!("{SCHEMA}openingHoursSpecification")),
    ) {
        let node: NamedOrBlankNodeRef<'_> = match spec {
            TermRef::BlankNode(b) => b.into(),
            TermRef::NamedNode(n) => n.into(),
            _ => continue,
        };
        let get = |l: &str| literal(g, node, &format!("{SCHEMA}{l}"));
        let (Some(Ok(start)), Some(Ok(end))) =
            (get("opens").map(parse_time), get("closes").map(parse_time))
        else {
            continue;
        };
        let days: Vec<_> = g
            .objects_for_subject_predicate(
                node,
                NamedNodeRef::new_unchecked(&format!("{SCHEMA}dayOfWeek")),
            )
            .filter_map(|t| match t {
                TermRef::NamedNode(n) => parse_day(n.as_str()),
                TermRef::Literal(l) => parse_day(l.value()),
                _ => None,
            })
            .collect();
        out.extend(Slot::weekly(days, start, end, None, None).ok());
    }
    out
}

/// Whether the call says it is open to minors (`kommon:minorsAccepted true`).
pub fn minors_accepted(g: &Graph, subject: &str) -> bool {
    literal(
        g,
        NamedNodeRef::new_unchecked(subject).into(),
        &format!("{KOMMON}minorsAccepted"),
    ) == Some("true")
}

/// The accessibility features it names.
pub fn accessibility(g: &Graph, subject: &str) -> Vec<String> {
    g.objects_for_subject_predicate(
        NamedNodeRef::new_unchecked(subject),
        NamedNodeRef::new_unchecked(&format!("{KOMMON}accessibilityFeature")),
    )
    .filter_map(|t| match t {
        TermRef::NamedNode(n) => Some(n.as_str().to_owned()),
        _ => None,
    })
    .collect()
}
