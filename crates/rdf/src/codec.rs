//! RDF syntaxes: Turtle, TriG, N-Triples and N-Quads through oxttl, JSON-LD through
//! [`crate::jsonld`], all behind one entry point with the limits untrusted input needs.
//!
//! oxttl rather than sophia: it yields the same `oxrdf` terms the SPARQL engine uses (no
//! conversion layer), reports every syntax error with its line and column, streams, and is
//! maintained with the rest of the Oxigraph family we already pin. Sophia would add a second
//! JSON-LD stack (json-ld 0.15) to the build for nothing we use.

use crate::jsonld::{self, ContextLoader, JsonLdError, JsonLdLimits};
use oxrdf::{GraphName, Quad, Triple};
use oxttl::{
    NQuadsParser, NQuadsSerializer, NTriplesParser, NTriplesSerializer, TriGParser, TriGSerializer,
    TurtleParser, TurtleSerializer, TurtleSyntaxError,
};
use thiserror::Error;

/// A concrete RDF syntax.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RdfFormat {
    /// Turtle (`text/turtle`).
    Turtle,
    /// TriG (`application/trig`).
    TriG,
    /// N-Triples (`application/n-triples`).
    NTriples,
    /// N-Quads (`application/n-quads`).
    NQuads,
    /// JSON-LD (`application/ld+json`, and `application/activity+json` on the ActivityPub wire).
    JsonLd,
}

impl RdfFormat {
    /// The format of a media type (parameters ignored), if it is one we read.
    pub fn from_media_type(media_type: &str) -> Option<Self> {
        let essence = media_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        Some(match essence.as_str() {
            "text/turtle" | "application/x-turtle" | "application/turtle" => Self::Turtle,
            "application/trig" | "application/x-trig" => Self::TriG,
            "application/n-triples" | "text/plain" => Self::NTriples,
            "application/n-quads" | "text/x-nquads" | "text/nquads" => Self::NQuads,
            "application/ld+json" | "application/activity+json" | "application/json" => {
                Self::JsonLd
            }
            _ => return None,
        })
    }

    /// The canonical media type.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Turtle => "text/turtle",
            Self::TriG => "application/trig",
            Self::NTriples => "application/n-triples",
            Self::NQuads => "application/n-quads",
            Self::JsonLd => "application/ld+json",
        }
    }

    /// The usual file extension, without the dot.
    pub fn file_extension(self) -> &'static str {
        match self {
            Self::Turtle => "ttl",
            Self::TriG => "trig",
            Self::NTriples => "nt",
            Self::NQuads => "nq",
            Self::JsonLd => "jsonld",
        }
    }

    /// Whether the syntax can carry named graphs.
    pub fn supports_datasets(self) -> bool {
        matches!(self, Self::TriG | Self::NQuads | Self::JsonLd)
    }
}

/// Limits on what a parser accepts from an untrusted body.
#[derive(Clone, Debug)]
pub struct ParseLimits {
    /// Largest input in bytes.
    pub max_bytes: usize,
    /// Largest literal in bytes.
    pub max_literal_bytes: usize,
    /// Most triples or quads.
    pub max_quads: usize,
    /// Deepest JSON nesting (JSON-LD).
    pub max_depth: usize,
}

impl Default for ParseLimits {
    fn default() -> Self {
        Self {
            max_bytes: 8 * 1024 * 1024,
            max_literal_bytes: 256 * 1024,
            max_quads: 200_000,
            max_depth: 64,
        }
    }
}

/// Why a document could not be read.
#[derive(Debug, Error)]
pub enum ParseError {
    /// The text is not valid in its syntax; `line` and `column` start at 1.
    #[error("invalid {format}: {message} (line {line}, column {column})")]
    Syntax {
        /// The syntax that was expected.
        format: &'static str,
        /// What is wrong.
        message: String,
        /// Line of the error, from 1.
        line: u64,
        /// Column of the error, from 1.
        column: u64,
    },
    /// A limit was exceeded; the message names it.
    #[error("{0}")]
    TooLarge(String),
    /// A graph syntax was expected but the document has named graphs.
    #[error("this document has named graphs, where one graph was expected")]
    UnexpectedNamedGraph,
    /// A JSON-LD error (syntax, unknown context, depth).
    #[error(transparent)]
    JsonLd(#[from] JsonLdError),
}

fn format_name(format: RdfFormat) -> &'static str {
    match format {
        RdfFormat::Turtle => "Turtle",
        RdfFormat::TriG => "TriG",
        RdfFormat::NTriples => "N-Triples",
        RdfFormat::NQuads => "N-Quads",
        RdfFormat::JsonLd => "JSON-LD",
    }
}

fn syntax(format: RdfFormat, e: TurtleSyntaxError) -> ParseError {
    let start = e.location().start;
    ParseError::Syntax {
        format: format_name(format),
        message: e.message().to_owned(),
        line: start.line + 1,
        column: start.column + 1,
    }
}

fn bad_base(format: RdfFormat, e: impl std::fmt::Display) -> ParseError {
    ParseError::Syntax {
        format: format_name(format),
        message: format!("invalid base IRI: {e}"),
        line: 1,
        column: 1,
    }
}

fn check_quad(q: &Quad, limits: &ParseLimits, count: usize) -> Result<(), ParseError> {
    if count >= limits.max_quads {
        return Err(ParseError::TooLarge(format!(
            "the document has more than {} triples",
            limits.max_quads
        )));
    }
    if let oxrdf::Term::Literal(l) = &q.object
        && l.value().len() > limits.max_literal_bytes
    {
        return Err(ParseError::TooLarge(format!(
            "a literal is longer than {} bytes",
            limits.max_literal_bytes
        )));
    }
    Ok(())
}

/// Parses a document into quads (triples of graph syntaxes land in the default graph).
pub fn parse(
    format: RdfFormat,
    input: &[u8],
    base_iri: Option<&str>,
    limits: &ParseLimits,
    contexts: &ContextLoader,
) -> Result<Vec<Quad>, ParseError> {
    if input.len() > limits.max_bytes {
        return Err(ParseError::TooLarge(format!(
            "the document is larger than {} bytes",
            limits.max_bytes
        )));
    }
    let mut out = Vec::new();
    match format {
        RdfFormat::Turtle => {
            let mut parser = TurtleParser::new();
            if let Some(base) = base_iri {
                parser = parser
                    .with_base_iri(base)
                    .map_err(|e| bad_base(format, e))?;
            }
            for t in parser.for_slice(input) {
                let q = t
                    .map_err(|e| syntax(format, e))?
                    .in_graph(GraphName::DefaultGraph);
                check_quad(&q, limits, out.len())?;
                out.push(q);
            }
        }
        RdfFormat::NTriples => {
            for t in NTriplesParser::new().for_slice(input) {
                let q = t
                    .map_err(|e| syntax(format, e))?
                    .in_graph(GraphName::DefaultGraph);
                check_quad(&q, limits, out.len())?;
                out.push(q);
            }
        }
        RdfFormat::TriG => {
            let mut parser = TriGParser::new();
            if let Some(base) = base_iri {
                parser = parser
                    .with_base_iri(base)
                    .map_err(|e| bad_base(format, e))?;
            }
            for q in parser.for_slice(input) {
                let q = q.map_err(|e| syntax(format, e))?;
                check_quad(&q, limits, out.len())?;
                out.push(q);
            }
        }
        RdfFormat::NQuads => {
            for q in NQuadsParser::new().for_slice(input) {
                let q = q.map_err(|e| syntax(format, e))?;
                check_quad(&q, limits, out.len())?;
                out.push(q);
            }
        }
        RdfFormat::JsonLd => {
            let text = std::str::from_utf8(input).map_err(|e| ParseError::Syntax {
                format: "JSON-LD",
                message: format!("the body is not UTF-8: {e}"),
                line: 1,
                column: 1,
            })?;
            let jl = JsonLdLimits {
                max_bytes: limits.max_bytes,
                max_depth: limits.max_depth,
                max_literal_bytes: limits.max_literal_bytes,
                max_quads: limits.max_quads,
            };
            out = jsonld::to_rdf(text, base_iri, contexts, &jl)?;
        }
    }
    Ok(out)
}

/// Parses a document that must be a single graph (an LDP resource, an activity).
pub fn parse_graph(
    format: RdfFormat,
    input: &[u8],
    base_iri: Option<&str>,
    limits: &ParseLimits,
    contexts: &ContextLoader,
) -> Result<Vec<Triple>, ParseError> {
    parse(format, input, base_iri, limits, contexts)?
        .into_iter()
        .map(|q| {
            if q.graph_name.is_default_graph() {
                Ok(Triple::new(q.subject, q.predicate, q.object))
            } else {
                Err(ParseError::UnexpectedNamedGraph)
            }
        })
        .collect()
}

/// Well-known prefixes used when writing Turtle and TriG, so documents read well.
pub const COMMON_PREFIXES: &[(&str, &str)] = &[
    ("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
    ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
    ("as", "https://www.w3.org/ns/activitystreams#"),
    ("ldp", "http://www.w3.org/ns/ldp#"),
    ("foaf", "http://xmlns.com/foaf/0.1/"),
    ("vcard", "http://www.w3.org/2006/vcard/ns#"),
    ("pim", "http://www.w3.org/ns/pim/space#"),
    ("solid", "http://www.w3.org/ns/solid/terms#"),
    ("acl", "http://www.w3.org/ns/auth/acl#"),
    ("sec", "https://w3id.org/security#"),
    ("dc", "http://purl.org/dc/terms/"),
    ("schema", "http://schema.org/"),
    ("skos", "http://www.w3.org/2004/02/skos/core#"),
    ("pair", "http://virtual-assembly.org/ontologies/pair#"),
    ("prov", "http://www.w3.org/ns/prov#"),
    ("kommon", "https://w3id.org/kommon/ns#"),
];

/// Why a document could not be written.
#[derive(Debug, Error)]
pub enum SerializeError {
    /// Writing failed (only possible with a failing writer).
    #[error("could not write RDF: {0}")]
    Io(#[from] std::io::Error),
    /// The JSON-LD serialiser failed.
    #[error(transparent)]
    JsonLd(#[from] JsonLdError),
}

/// Writes quads in a dataset syntax, or triples of the default graph in a graph syntax
/// (named graphs are then dropped, so use a dataset syntax for datasets).
pub fn serialize_quads(format: RdfFormat, quads: &[Quad]) -> Result<Vec<u8>, SerializeError> {
    let mut out = Vec::new();
    match format {
        RdfFormat::NQuads => {
            let mut s = NQuadsSerializer::new().for_writer(&mut out);
            for q in quads {
                s.serialize_quad(q)?;
            }
            s.finish();
        }
        RdfFormat::TriG => {
            let mut ser = TriGSerializer::new();
            for (p, iri) in COMMON_PREFIXES {
                ser = ser
                    .with_prefix(*p, *iri)
                    .map_err(|e| std::io::Error::other(e.to_string()))?;
            }
            let mut s = ser.for_writer(&mut out);
            for q in quads {
                s.serialize_quad(q)?;
            }
            s.finish()?;
        }
        RdfFormat::JsonLd => {
            let value = jsonld::from_rdf(quads)?;
            out = serde_json::to_vec_pretty(&value).map_err(std::io::Error::other)?;
        }
        RdfFormat::Turtle | RdfFormat::NTriples => {
            let triples: Vec<Triple> = quads
                .iter()
                .filter(|q| q.graph_name.is_default_graph())
                .map(|q| Triple::new(q.subject.clone(), q.predicate.clone(), q.object.clone()))
                .collect();
            return serialize_triples(format, &triples, None);
        }
    }
    Ok(out)
}

/// Writes triples; Turtle uses [`COMMON_PREFIXES`] and, when given, relative IRIs against `base_iri`.
pub fn serialize_triples(
    format: RdfFormat,
    triples: &[Triple],
    base_iri: Option<&str>,
) -> Result<Vec<u8>, SerializeError> {
    let mut out = Vec::new();
    match format {
        RdfFormat::Turtle | RdfFormat::TriG => {
            let mut ser = TurtleSerializer::new();
            for (p, iri) in COMMON_PREFIXES {
                ser = ser
                    .with_prefix(*p, *iri)
                    .map_err(|e| std::io::Error::other(e.to_string()))?;
            }
            if let Some(base) = base_iri {
                ser = ser
                    .with_base_iri(base)
                    .map_err(|e| std::io::Error::other(e.to_string()))?;
            }
            let mut s = ser.for_writer(&mut out);
            for t in triples {
                s.serialize_triple(t)?;
            }
            s.finish()?;
        }
        RdfFormat::NTriples | RdfFormat::NQuads => {
            let mut s = NTriplesSerializer::new().for_writer(&mut out);
            for t in triples {
                s.serialize_triple(t)?;
            }
            s.finish();
        }
        RdfFormat::JsonLd => {
            let quads: Vec<Quad> = triples
                .iter()
                .map(|t| t.clone().in_graph(GraphName::DefaultGraph))
                .collect();
            let value = jsonld::from_rdf(&quads)?;
            out = serde_json::to_vec_pretty(&value).map_err(std::io::Error::other)?;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ttl(s: &str) -> Result<Vec<Quad>, ParseError> {
        parse(
            RdfFormat::Turtle,
            s.as_bytes(),
            Some("http://example.com/doc"),
            &ParseLimits::default(),
            &ContextLoader::bundled(),
        )
    }

    #[test]
    fn turtle_errors_have_positions() {
        let err = parse_ttl("<a> <b> <c> .\n<a> <b> \"unterminated .\n").unwrap_err();
        match err {
            ParseError::Syntax { line, column, .. } => {
                assert_eq!(line, 2);
                assert!(column >= 1);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn relative_iris_resolve_against_the_base() {
        let q = parse_ttl("<#me> <http://xmlns.com/foaf/0.1/name> \"Awa\" .").unwrap();
        assert_eq!(q[0].subject.to_string(), "<http://example.com/doc#me>");
    }

    #[test]
    fn limits_are_enforced() {
        let limits = ParseLimits {
            max_literal_bytes: 10,
            ..ParseLimits::default()
        };
        let err = parse(
            RdfFormat::Turtle,
            b"<http://a> <http://b> \"this literal is too long\" .",
            None,
            &limits,
            &ContextLoader::bundled(),
        )
        .unwrap_err();
        assert!(matches!(err, ParseError::TooLarge(_)), "{err}");
        let limits = ParseLimits {
            max_bytes: 5,
            ..ParseLimits::default()
        };
        let err = parse(
            RdfFormat::NTriples,
            b"<http://a> <http://b> <http://c> .",
            None,
            &limits,
            &ContextLoader::bundled(),
        )
        .unwrap_err();
        assert!(matches!(err, ParseError::TooLarge(_)));
        let limits = ParseLimits {
            max_quads: 1,
            ..ParseLimits::default()
        };
        let err = parse(
            RdfFormat::NTriples,
            b"<http://a> <http://b> <http://c> .\n<http://a> <http://b> <http://d> .",
            None,
            &limits,
            &ContextLoader::bundled(),
        )
        .unwrap_err();
        assert!(matches!(err, ParseError::TooLarge(_)));
    }

    #[test]
    fn deep_turtle_nesting_does_not_overflow() {
        let mut s = String::from("<http://a> <http://b> ");
        for _ in 0..20_000 {
            s.push_str("[ <http://c> ");
        }
        s.push_str("<http://d>");
        for _ in 0..20_000 {
            s.push_str(" ]");
        }
        s.push_str(" .");
        // Whatever the outcome, it must be a value, not a stack overflow.
        let _ = parse_ttl(&s);
        let mut s = String::from("<http://a> <http://b> ");
        s.push_str(&"(".repeat(20_000));
        s.push_str(&")".repeat(20_000));
        s.push_str(" .");
        let _ = parse_ttl(&s);
    }

    #[test]
    fn graph_formats_refuse_named_graphs_when_a_graph_is_expected() {
        let err = parse_graph(
            RdfFormat::NQuads,
            b"<http://a> <http://b> <http://c> <http://g> .",
            None,
            &ParseLimits::default(),
            &ContextLoader::bundled(),
        )
        .unwrap_err();
        assert!(matches!(err, ParseError::UnexpectedNamedGraph));
    }

    #[test]
    fn turtle_round_trips() {
        let quads = parse_ttl(
            "@prefix foaf: <http://xmlns.com/foaf/0.1/> . <#me> foaf:name \"Awa\"@fr ; foaf:knows [ foaf:name \"Léo\" ] .",
        )
        .unwrap();
        let triples: Vec<Triple> = quads
            .iter()
            .map(|q| Triple::new(q.subject.clone(), q.predicate.clone(), q.object.clone()))
            .collect();
        let ttl = serialize_triples(RdfFormat::Turtle, &triples, None).unwrap();
        let back = parse(
            RdfFormat::Turtle,
            &ttl,
            None,
            &ParseLimits::default(),
            &ContextLoader::bundled(),
        )
        .unwrap();
        let a: oxrdf::Dataset = quads.into_iter().collect();
        let b: oxrdf::Dataset = back.into_iter().collect();
        let mut a = a;
        let mut b = b;
        a.canonicalize(oxrdf::dataset::CanonicalizationAlgorithm::Unstable);
        b.canonicalize(oxrdf::dataset::CanonicalizationAlgorithm::Unstable);
        assert_eq!(a, b);
    }
}

#[cfg(test)]
mod eof_tests {
    use super::*;

    #[test]
    fn a_final_dot_at_the_end_of_input() {
        let body = "@prefix acl: <http://www.w3.org/ns/auth/acl#>. <#owner> a acl:Authorization; acl:agent <http://h/zed>; acl:mode acl:Read, acl:Write, acl:Control.";
        let r = parse_graph(
            RdfFormat::Turtle,
            body.as_bytes(),
            Some("http://h/zed/data/.acl"),
            &ParseLimits::default(),
            &ContextLoader::bundled(),
        );
        match r {
            Ok(t) => {
                for x in &t {
                    eprintln!("{x}");
                }
                assert_eq!(t.len(), 5);
            }
            Err(e) => panic!("{e}"),
        }
    }
}
