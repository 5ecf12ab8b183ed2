//! Content negotiation: the `Accept` header with q-values, against the formats an answer has.
//!
//! The best offer is the one with the highest quality. Among equal qualities, the offer matched
//! by the more specific range wins (`text/csv` beats `*/*`), then the one the client listed
//! first, then the server's own order (its first offer is the default).

use kommon_rdf::codec::RdfFormat;
use sparesults::QueryResultsFormat;

/// The syntax of a graph answer (CONSTRUCT, DESCRIBE).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GraphFormat {
    /// One of the codec's syntaxes.
    Rdf(RdfFormat),
    /// RDF/XML, written by oxrdfxml.
    RdfXml,
}

impl GraphFormat {
    /// The `Content-Type` of an answer in this syntax.
    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Self::Rdf(RdfFormat::Turtle) => "text/turtle; charset=utf-8",
            Self::Rdf(other) => other.media_type(),
            Self::RdfXml => "application/rdf+xml",
        }
    }
}

/// One format the server can answer in: its value and its media types, canonical first.
pub struct Offer<T: 'static> {
    /// What the server produces for this offer.
    pub value: T,
    /// Its media types, canonical first.
    pub media_types: &'static [&'static str],
}

/// The formats of SELECT and ASK answers, the default first.
pub(crate) const RESULTS_OFFERS: &[Offer<QueryResultsFormat>] = &[
    Offer {
        value: QueryResultsFormat::Json,
        media_types: &["application/sparql-results+json", "application/json"],
    },
    Offer {
        value: QueryResultsFormat::Xml,
        media_types: &["application/sparql-results+xml"],
    },
    Offer {
        value: QueryResultsFormat::Csv,
        media_types: &["text/csv"],
    },
    Offer {
        value: QueryResultsFormat::Tsv,
        media_types: &["text/tab-separated-values"],
    },
];

/// The formats of CONSTRUCT and DESCRIBE answers, the default first.
pub(crate) const GRAPH_OFFERS: &[Offer<GraphFormat>] = &[
    Offer {
        value: GraphFormat::Rdf(RdfFormat::Turtle),
        media_types: &["text/turtle", "application/turtle", "application/x-turtle"],
    },
    Offer {
        value: GraphFormat::Rdf(RdfFormat::NTriples),
        media_types: &["application/n-triples", "text/plain"],
    },
    Offer {
        value: GraphFormat::Rdf(RdfFormat::JsonLd),
        media_types: &["application/ld+json", "application/json"],
    },
    Offer {
        value: GraphFormat::RdfXml,
        media_types: &["application/rdf+xml"],
    },
];

/// The canonical media types of a list of offers, for a 406's message.
pub fn available<T>(offers: &[Offer<T>]) -> Vec<&'static str> {
    offers
        .iter()
        .filter_map(|o| o.media_types.first().copied())
        .collect()
}

/// One range of an `Accept` header.
struct MediaRange {
    kind: String,
    subtype: String,
    /// Quality in thousandths (0 to 1000).
    quality: u16,
}

impl MediaRange {
    /// How specifically this range matches `media_type`: 3 exact, 2 `type/*`, 1 `*/*`.
    fn specificity(&self, media_type: &str) -> Option<u8> {
        let (kind, subtype) = media_type.split_once('/')?;
        if self.kind == "*" {
            Some(1)
        } else if self.kind != kind {
            None
        } else if self.subtype == "*" {
            Some(2)
        } else if self.subtype == subtype {
            Some(3)
        } else {
            None
        }
    }
}

/// Parses a quality value (`0`, `0.5`, `1.000`) into thousandths.
fn parse_quality(text: &str) -> Option<u16> {
    let value: f32 = text.trim().parse().ok()?;
    if !(0.0..=1.0).contains(&value) {
        return None;
    }
    // In range and finite, so the cast cannot truncate beyond the rounding wanted.
    Some((value * 1000.0).round() as u16)
}

/// Parses an `Accept` header leniently: malformed ranges are skipped.
fn parse_accept(header: &str) -> Vec<MediaRange> {
    let mut out = Vec::new();
    for item in header.split(',') {
        let mut pieces = item.split(';');
        let range = pieces
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if range.is_empty() {
            continue;
        }
        let (kind, subtype) = match range.split_once('/') {
            Some((k, s)) if !k.trim().is_empty() && !s.trim().is_empty() => {
                (k.trim().to_owned(), s.trim().to_owned())
            }
            // Some clients send a bare `*`.
            None if range == "*" => ("*".to_owned(), "*".to_owned()),
            _ => continue,
        };
        if kind == "*" && subtype != "*" {
            continue;
        }
        let mut quality = Some(1000);
        for param in pieces {
            if let Some((name, value)) = param.split_once('=')
                && name.trim().eq_ignore_ascii_case("q")
            {
                quality = parse_quality(value);
            }
        }
        let Some(quality) = quality else { continue };
        out.push(MediaRange {
            kind,
            subtype,
            quality,
        });
    }
    out
}

/// Picks the offer that best fits `accept`; the first offer when there is no usable header,
/// `None` when the header excludes every offer.
pub fn negotiate<T: Copy>(accept: Option<&str>, offers: &[Offer<T>]) -> Option<T> {
    negotiate_with(accept, offers, false)
}

/// Like [`negotiate`], but among offers of equal quality and specificity the server's order
/// wins over the client's: Linked Data clients list many syntaxes at `q=1` in arbitrary order,
/// and a server that prefers Turtle should answer Turtle then.
pub fn negotiate_server_first<T: Copy>(accept: Option<&str>, offers: &[Offer<T>]) -> Option<T> {
    negotiate_with(accept, offers, true)
}

fn negotiate_with<T: Copy>(
    accept: Option<&str>,
    offers: &[Offer<T>],
    server_first: bool,
) -> Option<T> {
    let default = offers.first().map(|o| o.value);
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return default;
    };
    let ranges = parse_accept(accept);
    if ranges.is_empty() {
        return default;
    }
    // (quality, specificity, client position reversed, server position reversed): higher wins.
    let mut best: Option<((u16, u8, usize, usize), T)> = None;
    for (server_pos, offer) in offers.iter().enumerate() {
        let mut offer_best: Option<(u16, u8, usize)> = None;
        for media_type in offer.media_types {
            // The most specific range matching this media type decides its quality.
            let mut matched: Option<(u8, u16, usize)> = None;
            for (client_pos, range) in ranges.iter().enumerate() {
                if let Some(spec) = range.specificity(media_type)
                    && matched.is_none_or(|(s, _, _)| spec > s)
                {
                    matched = Some((spec, range.quality, client_pos));
                }
            }
            if let Some((spec, quality, client_pos)) = matched {
                let candidate = (quality, spec, usize::MAX - client_pos);
                if offer_best.is_none_or(|b| candidate > b) {
                    offer_best = Some(candidate);
                }
            }
        }
        if let Some((quality, spec, client_rank)) = offer_best
            && quality > 0
        {
            let server_rank = usize::MAX - server_pos;
            let key = if server_first {
                (quality, spec, server_rank, client_rank)
            } else {
                (quality, spec, client_rank, server_rank)
            };
            if best.as_ref().is_none_or(|(k, _)| key > *k) {
                best = Some((key, offer.value));
            }
        }
    }
    best.map(|(_, value)| value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn results(accept: &str) -> Option<QueryResultsFormat> {
        negotiate(Some(accept), RESULTS_OFFERS)
    }

    #[test]
    fn defaults_without_a_usable_header() {
        assert_eq!(
            negotiate(None, RESULTS_OFFERS),
            Some(QueryResultsFormat::Json)
        );
        assert_eq!(results(""), Some(QueryResultsFormat::Json));
        assert_eq!(results("*/*"), Some(QueryResultsFormat::Json));
        assert_eq!(results("garbage"), Some(QueryResultsFormat::Json));
        assert_eq!(
            negotiate(None, GRAPH_OFFERS),
            Some(GraphFormat::Rdf(RdfFormat::Turtle))
        );
    }

    #[test]
    fn q_values_and_specificity() {
        assert_eq!(
            results("application/sparql-results+json;q=0.5, text/csv"),
            Some(QueryResultsFormat::Csv)
        );
        assert_eq!(results("text/csv, */*"), Some(QueryResultsFormat::Csv));
        assert_eq!(
            results("text/*;q=0.9, text/tab-separated-values"),
            Some(QueryResultsFormat::Tsv)
        );
        assert_eq!(
            results("application/sparql-results+xml, application/sparql-results+json"),
            Some(QueryResultsFormat::Xml)
        );
        assert_eq!(
            results("*/*;q=0.1, text/csv;q=0"),
            Some(QueryResultsFormat::Json)
        );
        assert_eq!(
            results("text/csv;q=0, text/*"),
            Some(QueryResultsFormat::Tsv)
        );
        assert_eq!(results("text/html"), None);
        assert_eq!(results("application/json"), Some(QueryResultsFormat::Json));
    }

    #[test]
    fn graph_aliases() {
        assert_eq!(
            negotiate(Some("application/turtle,text/turtle"), GRAPH_OFFERS),
            Some(GraphFormat::Rdf(RdfFormat::Turtle))
        );
        assert_eq!(
            negotiate(Some("application/n-triples"), GRAPH_OFFERS),
            Some(GraphFormat::Rdf(RdfFormat::NTriples))
        );
        assert_eq!(
            negotiate(Some("application/ld+json"), GRAPH_OFFERS),
            Some(GraphFormat::Rdf(RdfFormat::JsonLd))
        );
        assert_eq!(
            negotiate(Some("application/rdf+xml"), GRAPH_OFFERS),
            Some(GraphFormat::RdfXml)
        );
        assert_eq!(
            negotiate(Some("application/sparql-results+json"), GRAPH_OFFERS),
            None
        );
    }
}
