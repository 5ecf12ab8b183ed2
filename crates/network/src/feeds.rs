//! The network's data in the formats other tools read: GeoJSON (RFC 7946) for maps,
//! iCalendar (RFC 5545) for calendars, RSS 2.0 and Atom (RFC 4287) for feed readers.
//!
//! Why these crates: `icalendar`, `rss` and `atom_syndication` are the maintained writers of
//! their formats (escaping, line folding, dates); hand-written feeds get those wrong first.

use crate::entry::{Entry, Kind, parse_datetime_ms};
use crate::index::MapView;
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};
use std::sync::Arc;

/// Where the public site shows an entry, given its IRI.
pub type PageLink<'a> = &'a dyn Fn(&Entry) -> String;

/// A GeoJSON `FeatureCollection` of a map view: a `Point` feature per entry (`kind`, `name`,
/// `summary`, `page`, `source`), or per cluster (`cluster: true`, `count`).
pub fn geojson(view: &MapView, link: PageLink<'_>) -> Value {
    let mut features: Vec<Value> = Vec::with_capacity(view.points.len() + view.clusters.len());
    for (e, p) in &view.points {
        let mut props = json!({
            "id": e.id,
            "kind": e.kind.as_str(),
            "name": e.label,
            "page": link(e),
            "source": e.id,
        });
        if !e.summary.is_empty() {
            props["summary"] = json!(e.summary);
        }
        if let Some(w) = &e.website {
            props["website"] = json!(w);
        }
        if let Some(s) = &e.start {
            props["start"] = json!(s);
        }
        if let Some(c) = &e.commune {
            props["commune"] = json!(c);
        }
        if !e.skills.is_empty() {
            props["skills"] = json!(e.skills);
        }
        features.push(json!({
            "type": "Feature",
            "id": e.id,
            "geometry": {"type": "Point", "coordinates": [round(p.lon), round(p.lat)]},
            "properties": props,
        }));
    }
    for c in &view.clusters {
        features.push(json!({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round(c.point.lon), round(c.point.lat)]},
            "properties": {"cluster": true, "count": c.count},
        }));
    }
    json!({"type": "FeatureCollection", "features": features, "total": view.total})
}

/// Six decimals: about 10 cm, more than any address says.
fn round(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

fn utc(ms: i64) -> Option<DateTime<Utc>> {
    Utc.timestamp_millis_opt(ms).single()
}

/// An iCalendar of dated entries, named `name`; each event links to its page.
pub fn icalendar(entries: &[Arc<Entry>], name: &str, link: PageLink<'_>) -> String {
    use icalendar::{Calendar, Component, EventLike};
    let mut cal = Calendar::new();
    cal.name(name);
    cal.append_property(icalendar::Property::new(
        "PRODID",
        "-//Kommon//Réseau des tiers-lieux//FR",
    ));
    for e in entries {
        let (Some(start), Some(end)) = (e.start_ms().and_then(utc), e.end_ms().and_then(utc))
        else {
            continue;
        };
        // A one-moment event still lasts: calendars drop zero-length events.
        let end = if end <= start {
            start + chrono::Duration::hours(1)
        } else {
            end
        };
        let mut ev = icalendar::Event::new();
        ev.uid(&e.id)
            .summary(&e.label)
            .starts(start)
            .ends(end)
            .url(&link(e));
        let description = [e.summary.as_str(), e.description.as_str()]
            .iter()
            .filter(|s| !s.is_empty())
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n");
        if !description.is_empty() {
            ev.description(&description);
        }
        if !e.address.is_empty() {
            ev.location(&e.address);
        }
        if e.kind == Kind::Call {
            ev.add_property("CATEGORIES", "Appel à participation");
        }
        if let Some(stamp) = utc(e.updated_ms as i64) {
            ev.timestamp(stamp);
        }
        cal.push(ev.done());
    }
    cal.done().to_string()
}

/// An RSS 2.0 channel of entries.
pub fn rss(entries: &[Arc<Entry>], title: &str, site: &str, link: PageLink<'_>) -> String {
    let items: Vec<rss::Item> = entries
        .iter()
        .map(|e| {
            let page = link(e);
            rss::ItemBuilder::default()
                .title(Some(e.label.clone()))
                .link(Some(page.clone()))
                .description(Some(describe(e)))
                .guid(Some(rss::Guid {
                    value: e.id.clone(),
                    permalink: false,
                }))
                .pub_date(utc(e.updated_ms as i64).map(|d| d.to_rfc2822()))
                .categories(vec![rss::Category {
                    name: e.kind.label_fr().to_owned(),
                    domain: None,
                }])
                .build()
        })
        .collect();
    rss::ChannelBuilder::default()
        .title(title.to_owned())
        .link(site.to_owned())
        .description(format!("{title} — réseau Kommon"))
        .language(Some("fr".to_owned()))
        .items(items)
        .build()
        .to_string()
}

/// An Atom feed of entries.
pub fn atom(entries: &[Arc<Entry>], title: &str, feed_url: &str, link: PageLink<'_>) -> String {
    use atom_syndication::{Content, Entry as AtomEntry, Feed, FixedDateTime, Link, Person, Text};
    let date = |ms: u64| -> FixedDateTime { utc(ms as i64).unwrap_or_default().fixed_offset() };
    let newest = entries.iter().map(|e| e.updated_ms).max().unwrap_or(0);
    let atom_entries: Vec<AtomEntry> = entries
        .iter()
        .map(|e| {
            let page = link(e);
            AtomEntry {
                id: e.id.clone(),
                title: Text::plain(e.label.clone()),
                updated: date(e.updated_ms),
                links: vec![Link {
                    href: page,
                    rel: "alternate".into(),
                    mime_type: Some("text/html".into()),
                    ..Link::default()
                }],
                summary: Some(Text::plain(describe(e))),
                content: (!e.description.is_empty()).then(|| Content {
                    value: Some(e.description.clone()),
                    content_type: Some("text".into()),
                    ..Content::default()
                }),
                ..AtomEntry::default()
            }
        })
        .collect();
    let feed = Feed {
        id: feed_url.to_owned(),
        title: Text::plain(title.to_owned()),
        updated: date(newest),
        authors: vec![Person {
            name: title.to_owned(),
            ..Person::default()
        }],
        links: vec![Link {
            href: feed_url.to_owned(),
            rel: "self".into(),
            mime_type: Some("application/atom+xml".into()),
            ..Link::default()
        }],
        lang: Some("fr".into()),
        entries: atom_entries,
        ..Feed::default()
    };
    feed.to_string()
}

fn describe(e: &Entry) -> String {
    let mut parts = Vec::new();
    if let Some(s) = e.start.as_deref().and_then(parse_datetime_ms).and_then(utc) {
        let paris = s.with_timezone(&chrono_tz::Europe::Paris);
        parts.push(format!("{}", paris.format("%d/%m/%Y %H:%M")));
    }
    if !e.address.is_empty() {
        parts.push(e.address.clone());
    }
    if !e.summary.is_empty() {
        parts.push(e.summary.clone());
    }
    parts.join(" — ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_reaches_every_format_escaped() {
        let mut e = Entry::new(
            "https://c/e1",
            Kind::Event,
            "Concert <rock> & \"folk\", ici; là",
        );
        e.start = Some("2027-06-12T20:00:00+02:00".into());
        e.summary = "Une ligne très longue ".repeat(10);
        e.updated_ms = 1_800_000_000_000;
        let entries = vec![Arc::new(e)];
        let link = |e: &Entry| format!("https://n/fiche?id={}", e.id);
        let ics = icalendar(&entries, "Agenda", &link);
        assert!(ics.contains("BEGIN:VEVENT"), "{ics}");
        assert!(ics.contains("DTSTART:20270612T180000Z"), "{ics}");
        assert!(ics.contains("ici\\; là"), "{ics}");
        assert!(ics.lines().all(|l| l.len() <= 75), "{ics}");
        let rss = rss(&entries, "Agenda", "https://n/", &link);
        assert!(rss.contains("Concert &lt;rock&gt; &amp;"), "{rss}");
        let atom = atom(&entries, "Agenda", "https://n/agenda.atom", &link);
        assert!(atom.contains("<id>https://c/e1</id>"), "{atom}");
    }
}
