//! RDF from HTML files: a page stored in a pod (a resident's own page, an event's flyer) can be
//! read as Turtle or JSON-LD through its RDFa annotations, as the Community Solid Server offers.
//!
//! Why graph-rdfa-processor: it is the RDFa 1.1 processor of the Rust ecosystem (MIT, on
//! html5ever through scraper). It walks the document recursively and is still young, so the
//! input is bounded first (size, nesting depth, checked without recursion) and the processor
//! runs on its own thread with a large stack, where a failure becomes an error, not a crash.

use kommon_rdf::model::Triple;

/// Largest HTML document whose RDFa is extracted.
pub const MAX_HTML_BYTES: usize = 2 * 1024 * 1024;
/// Deepest element nesting accepted.
pub const MAX_DEPTH: usize = 256;

/// The triples of the RDFa in `html`, with relative IRIs resolved against `base`.
pub fn extract(html: &str, base: &str) -> Result<Vec<Triple>, String> {
    if html.len() > MAX_HTML_BYTES {
        return Err(format!("the page is larger than {MAX_HTML_BYTES} bytes"));
    }
    let depth = nesting_depth(html);
    if depth > MAX_DEPTH {
        return Err(format!(
            "the page nests elements {depth} deep (at most {MAX_DEPTH})"
        ));
    }
    let html = prepare(html, base);
    let base = base.to_owned();
    let worker = std::thread::Builder::new()
        .name("kommon-rdfa".into())
        .stack_size(64 * 1024 * 1024)
        .spawn(move || {
            graph_rdfa_processor::RdfaGraph::parse_str(&html, &base, None)
                .map_err(|e| e.to_string())
        })
        .map_err(|e| format!("could not start the RDFa processor: {e}"))?;
    let ntriples = worker
        .join()
        .map_err(|_| "the RDFa processor failed on this page".to_owned())??;
    // The processor writes N-Triples with Turtle's long strings, so read it as Turtle.
    oxttl::TurtleParser::new()
        .for_slice(ntriples.as_bytes())
        .map(|t| {
            t.map_err(|e| {
                format!(
                    "the RDFa processor gave invalid N-Triples: {e} in {}",
                    ntriples.chars().take(300).collect::<String>()
                )
            })
        })
        .collect()
}

/// Makes a page digestible for the processor: relative IRIs in `href`, `src`, `about` and
/// `resource` resolved against the page's URL by RFC 3986 (the processor would only
/// concatenate), and XHTML `xmlns:` prefix declarations, which RDFa 1.1 still honours, copied
/// into a `prefix` attribute on the root element.
fn prepare(html: &str, base: &str) -> String {
    static ATTRIBUTE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    static XMLNS: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    static HTML_TAG: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let attribute = ATTRIBUTE.get_or_init(|| {
        regex::Regex::new(r#"(?i)(\s)(href|src|about|resource)\s*=\s*"([^"]*)""#)
            .expect("valid regex")
    });
    let xmlns = XMLNS.get_or_init(|| {
        regex::Regex::new(r#"(?i)xmlns:([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*"([^"]*)""#)
            .expect("valid regex")
    });
    let html_tag = HTML_TAG.get_or_init(|| regex::Regex::new(r"(?i)<html\b").expect("valid regex"));
    let base_url = url::Url::parse(base).ok();
    let resolved = attribute.replace_all(html, |c: &regex::Captures<'_>| {
        let (space, name, value) = (&c[1], &c[2], &c[3]);
        let lower = name.to_ascii_lowercase();
        let is_curie_slot = lower == "about" || lower == "resource";
        let keep = value.starts_with('[')
            || (is_curie_slot && value.contains(':'))
            || url::Url::parse(value).is_ok();
        let value = match (&base_url, keep) {
            (Some(b), false) => b
                .join(value)
                .map(|u| u.to_string())
                .unwrap_or_else(|_| value.to_owned()),
            _ => value.to_owned(),
        };
        format!("{space}{name}=\"{value}\"")
    });
    let prefixes: Vec<String> = xmlns
        .captures_iter(&resolved)
        .map(|c| format!("{}: {}", &c[1], &c[2]))
        .collect();
    if prefixes.is_empty() {
        return resolved.into_owned();
    }
    let declaration = format!(" prefix=\"{}\"", prefixes.join(" ").replace('"', ""));
    html_tag
        .replace(&resolved, |c: &regex::Captures<'_>| {
            format!("{}{declaration}", &c[0])
        })
        .into_owned()
}

/// The deepest nesting of elements, by a walk over the parsed tree with an explicit stack.
fn nesting_depth(html: &str) -> usize {
    let document = scraper::Html::parse_document(html);
    let mut max = 0;
    let mut stack = vec![(document.tree.root(), 0usize)];
    while let Some((node, depth)) = stack.pop() {
        max = max.max(depth);
        for child in node.children() {
            stack.push((child, depth + 1));
        }
    }
    max
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_rdfa() {
        let html = r#"<html><body><div prefix="foaf: http://xmlns.com/foaf/0.1/" about="http://example.org/#me" typeof="foaf:Person"><span property="foaf:name">Camille</span></div></body></html>"#;
        let triples = extract(html, "http://h/page.html").unwrap();
        assert!(
            triples
                .iter()
                .any(|t| t.to_string().contains("\"Camille\"")),
            "{triples:?}"
        );
    }

    #[test]
    fn xhtml_prefixes_and_relative_links() {
        let html = r#"<html xmlns:contact="http://www.w3.org/2000/10/swap/pim/contact#"><body><p>
            <a rel="rdfs:seeAlso" href="about.htm">More</a>
            <p rel="contact:address"><a property="contact:city" rel="rdfs:seeAlso" resource="http://dbpedia.org/resource/Adelaide" href="http://en.wikipedia.org/wiki/Adelaide">Adelaide</a></p>
            </p></body></html>"#;
        let triples: Vec<String> = extract(html, "http://h/f/example.html")
            .unwrap()
            .iter()
            .map(|t| t.to_string())
            .collect();
        assert!(
            triples.iter().any(|t| t.contains("<http://h/f/about.htm>")),
            "{triples:?}"
        );
        // The XHTML prefix is known (the processor would leave `contact:city` unexpanded).
        assert!(
            triples
                .iter()
                .any(|t| t.contains("<http://www.w3.org/2000/10/swap/pim/contact#city>")),
            "{triples:?}"
        );
    }

    #[test]
    fn refuses_hostile_pages() {
        let deep = "<div>".repeat(5000);
        assert!(extract(&deep, "http://h/p").unwrap_err().contains("deep"));
        let big = "a".repeat(MAX_HTML_BYTES + 1);
        assert!(extract(&big, "http://h/p").is_err());
        // Garbage is still a page (HTML is forgiving); it has no triples.
        assert!(extract("<<<>>> &&& <div about=", "http://h/p").is_ok());
    }
}
