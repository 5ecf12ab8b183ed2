//! RDF from HTML files: a page stored in a pod (a resident's own page, an event's flyer) can be
//! read as Turtle or JSON-LD through its RDFa annotations, as the Community Solid Server offers.
//!
//! This is the processing sequence of RDFa Core 1.1 (§7.5) for HTML: `@about`, `@resource`,
//! `@href`, `@src`, `@typeof`, `@rel`/`@rev` with chaining and incomplete triples, `@property`
//! with `@content`, `@datatype` and `@lang`, CURIEs from `@prefix`, XHTML `xmlns:` declarations
//! and the initial context, terms from `@vocab`. Lists (`@inlist`) are read as plain repeated
//! values. The page is parsed by html5ever (through `scraper`) and walked with an explicit
//! stack, so a deeply nested page cannot exhaust the thread's stack; size and depth are bounded.
//!
//! We tried graph-rdfa-processor first: it concatenates relative IRIs instead of resolving them,
//! ignores `xmlns:` prefixes and mis-reads an element that has both `@rel` and `@property`, which
//! ordinary pages (and solid-crud-tests) do.

use kommon_rdf::model::vocab::{rdf, xsd};
use kommon_rdf::model::{BlankNode, Literal, NamedNode, NamedOrBlankNode, Term, Triple};
use scraper::{ElementRef, Html};
use std::collections::HashMap;

/// Largest HTML document whose RDFa is extracted.
pub const MAX_HTML_BYTES: usize = 2 * 1024 * 1024;
/// Deepest element nesting accepted.
pub const MAX_DEPTH: usize = 256;
/// Most triples extracted from one page.
pub const MAX_TRIPLES: usize = 100_000;

/// The prefixes of the RDFa 1.1 initial context that pages use most.
const INITIAL_PREFIXES: &[(&str, &str)] = &[
    ("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
    ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
    ("owl", "http://www.w3.org/2002/07/owl#"),
    ("foaf", "http://xmlns.com/foaf/0.1/"),
    ("dc", "http://purl.org/dc/terms/"),
    ("dcterms", "http://purl.org/dc/terms/"),
    ("schema", "http://schema.org/"),
    ("skos", "http://www.w3.org/2004/02/skos/core#"),
    ("vcard", "http://www.w3.org/2006/vcard/ns#"),
    ("og", "http://ogp.me/ns#"),
    ("sioc", "http://rdfs.org/sioc/ns#"),
    ("prov", "http://www.w3.org/ns/prov#"),
    ("as", "https://www.w3.org/ns/activitystreams#"),
    ("ldp", "http://www.w3.org/ns/ldp#"),
    ("cc", "http://creativecommons.org/ns#"),
    ("void", "http://rdfs.org/ns/void#"),
];

/// What an element inherits from its ancestors (RDFa's evaluation context).
#[derive(Clone)]
struct Context {
    parent_subject: NamedOrBlankNode,
    parent_object: NamedOrBlankNode,
    incomplete: Vec<(NamedNode, bool)>,
    prefixes: HashMap<String, String>,
    vocab: Option<String>,
    language: Option<String>,
}

struct Processor<'a> {
    base: url::Url,
    triples: Vec<Triple>,
    blank: u64,
    document: &'a Html,
}

/// The triples of the RDFa in `html`, with relative IRIs resolved against `base`.
pub fn extract(html: &str, base: &str) -> Result<Vec<Triple>, String> {
    if html.len() > MAX_HTML_BYTES {
        return Err(format!("the page is larger than {MAX_HTML_BYTES} bytes"));
    }
    let base_url = url::Url::parse(base).map_err(|e| format!("bad base IRI {base}: {e}"))?;
    let document = Html::parse_document(html);
    let depth = nesting_depth(&document);
    if depth > MAX_DEPTH {
        return Err(format!(
            "the page nests elements {depth} deep (at most {MAX_DEPTH})"
        ));
    }
    let mut processor = Processor {
        base: base_url,
        triples: Vec::new(),
        blank: 0,
        document: &document,
    };
    processor.run()?;
    Ok(processor.triples)
}

fn nesting_depth(document: &Html) -> usize {
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

impl Processor<'_> {
    fn fresh(&mut self) -> NamedOrBlankNode {
        self.blank += 1;
        NamedOrBlankNode::BlankNode(BlankNode::new_unchecked(format!("rdfa{}", self.blank)))
    }

    fn emit(&mut self, s: &NamedOrBlankNode, p: &NamedNode, o: Term) -> Result<(), String> {
        if self.triples.len() >= MAX_TRIPLES {
            return Err(format!("the page has more than {MAX_TRIPLES} triples"));
        }
        self.triples.push(Triple::new(s.clone(), p.clone(), o));
        Ok(())
    }

    fn run(&mut self) -> Result<(), String> {
        let root = self.document.root_element();
        let document_node =
            NamedOrBlankNode::NamedNode(NamedNode::new_unchecked(self.base.as_str()));
        // `<base href>` changes the base of the whole page.
        if let Some(href) = root
            .descendants()
            .filter_map(ElementRef::wrap)
            .find(|e| e.value().name() == "base")
            .and_then(|e| e.value().attr("href"))
            && let Ok(b) = self.base.join(href)
        {
            self.base = b;
        }
        let context = Context {
            parent_subject: document_node.clone(),
            parent_object: document_node,
            incomplete: Vec::new(),
            prefixes: INITIAL_PREFIXES
                .iter()
                .map(|(p, i)| ((*p).to_owned(), (*i).to_owned()))
                .collect(),
            vocab: None,
            language: None,
        };
        let mut stack = vec![(root, context, true)];
        while let Some((element, context, is_root)) = stack.pop() {
            let child_context = self.element(element, context, is_root)?;
            let children: Vec<ElementRef<'_>> =
                element.children().filter_map(ElementRef::wrap).collect();
            // Reversed, so the stack gives the children in document order.
            for child in children.into_iter().rev() {
                stack.push((child, child_context.clone(), false));
            }
        }
        Ok(())
    }

    /// Processes one element (RDFa Core §7.5) and returns the context of its children.
    fn element(
        &mut self,
        element: ElementRef<'_>,
        context: Context,
        is_root: bool,
    ) -> Result<Context, String> {
        let e = element.value();
        let attr = |name: &str| e.attr(name);
        let mut prefixes = context.prefixes.clone();
        for (name, value) in e.attrs() {
            if let Some(p) = name.strip_prefix("xmlns:") {
                prefixes.insert(p.to_ascii_lowercase(), value.to_owned());
            }
        }
        if let Some(declared) = attr("prefix") {
            let tokens: Vec<&str> = declared.split_whitespace().collect();
            for pair in tokens.chunks(2) {
                if let [p, iri] = pair
                    && let Some(p) = p.strip_suffix(':')
                {
                    prefixes.insert(p.to_ascii_lowercase(), (*iri).to_owned());
                }
            }
        }
        let vocab = match attr("vocab") {
            Some("") => None,
            Some(v) => self.resolve_iri(v).map(|n| n.into_string()),
            None => context.vocab.clone(),
        };
        let language = attr("xml:lang")
            .or_else(|| attr("lang"))
            .map(|l| l.to_owned())
            .or_else(|| context.language.clone())
            .filter(|l| !l.is_empty());
        let scope = Scope {
            prefixes: &prefixes,
            vocab: vocab.as_deref(),
        };

        let rels = self.terms(attr("rel"), &scope);
        let revs = self.terms(attr("rev"), &scope);
        let has_rel = !rels.is_empty() || !revs.is_empty();
        let properties = attr("property").map(|p| self.terms(Some(p), &scope));
        let types = attr("typeof").map(|t| self.terms(Some(t), &scope));
        let about = attr("about").and_then(|v| self.resource(v, &scope));
        let resource = attr("resource")
            .and_then(|v| self.resource(v, &scope))
            .or_else(|| attr("href").and_then(|v| self.resolve_iri(v).map(Into::into)))
            .or_else(|| attr("src").and_then(|v| self.resolve_iri(v).map(Into::into)));

        let mut skip = false;
        let mut new_subject: Option<NamedOrBlankNode>;
        let mut current_object: Option<NamedOrBlankNode> = None;
        let mut typed: Option<NamedOrBlankNode> = None;
        if !has_rel {
            if properties.is_some() && attr("content").is_none() && attr("datatype").is_none() {
                // The root without @about stands for the document, which is its parent object.
                new_subject = Some(
                    about
                        .clone()
                        .unwrap_or_else(|| context.parent_object.clone()),
                );
                if types.is_some() {
                    typed = Some(match (&about, &resource) {
                        (Some(a), _) => a.clone(),
                        (None, Some(r)) => r.clone(),
                        (None, None) => self.fresh(),
                    });
                    if about.is_none() {
                        current_object = typed.clone();
                    }
                }
            } else {
                new_subject = about.clone().or_else(|| resource.clone());
                if new_subject.is_none() {
                    if is_root {
                        new_subject = Some(context.parent_object.clone());
                    } else if types.is_some() {
                        new_subject = Some(self.fresh());
                    } else {
                        new_subject = Some(context.parent_object.clone());
                        if properties.is_none() {
                            skip = true;
                        }
                    }
                }
                if types.is_some() {
                    typed = new_subject.clone();
                }
            }
        } else {
            new_subject = Some(
                about
                    .clone()
                    .unwrap_or_else(|| context.parent_object.clone()),
            );
            if about.is_some() && types.is_some() {
                typed = new_subject.clone();
            }
            current_object = resource.clone();
            if types.is_some() && about.is_none() {
                let t = current_object.clone().unwrap_or_else(|| self.fresh());
                typed = Some(t.clone());
                current_object = Some(t);
            }
        }
        let subject = new_subject
            .clone()
            .unwrap_or_else(|| context.parent_object.clone());

        if let (Some(t), Some(types)) = (&typed, &types) {
            for class in types {
                self.emit(t, &rdf::TYPE.into_owned(), class.clone().into())?;
            }
        }
        let mut incomplete = Vec::new();
        if let Some(object) = &current_object {
            for r in &rels {
                self.emit(&subject, r, object.clone().into())?;
            }
            for r in &revs {
                self.emit(object, r, subject.clone().into())?;
            }
        } else if has_rel {
            current_object = Some(self.fresh());
            incomplete.extend(rels.iter().map(|r| (r.clone(), true)));
            incomplete.extend(revs.iter().map(|r| (r.clone(), false)));
        }

        if let Some(properties) = &properties {
            let datatype = attr("datatype").map(|d| {
                if d.is_empty() {
                    None
                } else {
                    self.term(d, &scope)
                }
            });
            let text: String = element.text().collect();
            let value: Term = if let Some(content) = attr("content") {
                self.literal(content, datatype, language.as_deref())
            } else if datatype.is_some() {
                self.literal(&text, datatype, language.as_deref())
            } else if !has_rel && attr("content").is_none() && resource.is_some() {
                resource
                    .clone()
                    .map(Into::into)
                    .unwrap_or_else(|| Literal::new_simple_literal(&text).into())
            } else if let (Some(t), true) = (&typed, about.is_none()) {
                t.clone().into()
            } else {
                self.literal(&text, None, language.as_deref())
            };
            for p in properties {
                self.emit(&subject, p, value.clone())?;
            }
        }

        if !skip && new_subject.is_some() {
            for (p, forward) in &context.incomplete {
                if *forward {
                    self.emit(&context.parent_subject, p, subject.clone().into())?;
                } else {
                    self.emit(&subject, p, context.parent_subject.clone().into())?;
                }
            }
        }

        Ok(if skip {
            Context {
                prefixes,
                vocab,
                language,
                ..context
            }
        } else {
            Context {
                parent_subject: subject.clone(),
                parent_object: current_object.unwrap_or(subject),
                incomplete,
                prefixes,
                vocab,
                language,
            }
        })
    }

    fn literal(
        &self,
        text: &str,
        datatype: Option<Option<NamedNode>>,
        language: Option<&str>,
    ) -> Term {
        match datatype.flatten() {
            Some(dt) if dt.as_str() != xsd::STRING.as_str() => {
                Literal::new_typed_literal(text, dt).into()
            }
            _ => match language.and_then(|l| Literal::new_language_tagged_literal(text, l).ok()) {
                Some(l) => l.into(),
                None => Literal::new_simple_literal(text).into(),
            },
        }
    }

    fn resolve_iri(&self, value: &str) -> Option<NamedNode> {
        let joined = self.base.join(value.trim()).ok()?;
        NamedNode::new(joined.as_str()).ok()
    }

    /// `@about` and `@resource`: a safe CURIE `[p:x]`, a CURIE with a known prefix, a blank
    /// node `_:x`, or an IRI (relative ones resolved).
    fn resource(&mut self, value: &str, scope: &Scope<'_>) -> Option<NamedOrBlankNode> {
        let value = value.trim();
        if let Some(inner) = value.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
            return self.curie(inner, scope);
        }
        if value.contains(':')
            && let Some(n) = self.curie(value, scope)
        {
            return Some(n);
        }
        self.resolve_iri(value).map(Into::into)
    }

    fn curie(&mut self, value: &str, scope: &Scope<'_>) -> Option<NamedOrBlankNode> {
        let (prefix, reference) = value.split_once(':')?;
        if prefix == "_" {
            let label: String = reference
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .collect();
            return BlankNode::new(format!(
                "page{}",
                if label.is_empty() { "x".into() } else { label }
            ))
            .ok()
            .map(Into::into);
        }
        if reference.starts_with("//") {
            return None;
        }
        let iri = scope.prefixes.get(&prefix.to_ascii_lowercase())?;
        NamedNode::new(format!("{iri}{reference}"))
            .ok()
            .map(Into::into)
    }

    /// A term of `@property`, `@typeof`, `@rel`, `@rev` or `@datatype`: a CURIE, an absolute
    /// IRI, or a term under the vocabulary; a bare word without a vocabulary means nothing
    /// (in `@rel` it is an HTML link type such as `stylesheet`).
    fn term(&self, token: &str, scope: &Scope<'_>) -> Option<NamedNode> {
        if let Some((prefix, reference)) = token.split_once(':') {
            if let Some(iri) = scope.prefixes.get(&prefix.to_ascii_lowercase())
                && !reference.starts_with("//")
            {
                return NamedNode::new(format!("{iri}{reference}")).ok();
            }
            if url::Url::parse(token).is_ok() {
                return NamedNode::new(token).ok();
            }
            return None;
        }
        let vocab = scope.vocab?;
        NamedNode::new(format!("{vocab}{token}")).ok()
    }

    fn terms(&self, value: Option<&str>, scope: &Scope<'_>) -> Vec<NamedNode> {
        value
            .map(|v| {
                v.split_whitespace()
                    .filter_map(|t| self.term(t, scope))
                    .collect()
            })
            .unwrap_or_default()
    }
}

struct Scope<'a> {
    prefixes: &'a HashMap<String, String>,
    vocab: Option<&'a str>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(html: &str, base: &str) -> Vec<String> {
        extract(html, base)
            .unwrap()
            .iter()
            .map(|t| t.to_string())
            .collect()
    }

    #[test]
    fn extracts_rdfa() {
        let t = strings(
            r#"<html><body><div prefix="foaf: http://xmlns.com/foaf/0.1/" about="http://example.org/#me" typeof="foaf:Person"><span property="foaf:name">Camille</span></div></body></html>"#,
            "http://h/page.html",
        );
        assert!(t.contains(&"<http://example.org/#me> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://xmlns.com/foaf/0.1/Person>".to_owned()), "{t:?}");
        assert!(
            t.contains(
                &"<http://example.org/#me> <http://xmlns.com/foaf/0.1/name> \"Camille\"".to_owned()
            ),
            "{t:?}"
        );
    }

    #[test]
    fn chaining_xhtml_prefixes_and_relative_links() {
        let html = r#"<html xmlns:contact="http://www.w3.org/2000/10/swap/pim/contact#" xml:lang="en"><head>
            <link rel="foaf:primaryTopic" href="http://www.example.com/metadata/foaf.rdf" /><link rel="stylesheet" href="main.css"/></head><body><div><p>
            <span property="foaf:name">Jerry Smith</span>
            <a rel="rdfs:seeAlso" href="about.htm">More</a></p>
            <p rel="contact:address">93 Rose Ave
            <a property="contact:city" rel="rdfs:seeAlso" resource="http://dbpedia.org/resource/Adelaide" href="http://en.wikipedia.org/wiki/Adelaide">Adelaide</a></p>
            <p><span rel="foaf:phone" resource="tel:+6112345678">+61</span></p>
            </div></body></html>"#;
        let doc = "http://h/f/example.html";
        let triples = extract(html, doc).unwrap();
        let t: Vec<String> = triples.iter().map(|t| t.to_string()).collect();
        let has = |s: &str| t.iter().any(|x| x == s);
        assert!(
            has(&format!(
                "<{doc}> <http://www.w3.org/2000/01/rdf-schema#seeAlso> <http://h/f/about.htm>"
            )),
            "{t:#?}"
        );
        assert!(
            has(&format!(
                "<{doc}> <http://xmlns.com/foaf/0.1/name> \"Jerry Smith\"@en"
            )),
            "{t:#?}"
        );
        assert!(
            has(&format!(
                "<{doc}> <http://xmlns.com/foaf/0.1/phone> <tel:+6112345678>"
            )),
            "{t:#?}"
        );
        assert!(
            has(&format!(
                "<{doc}> <http://xmlns.com/foaf/0.1/primaryTopic> <http://www.example.com/metadata/foaf.rdf>"
            )),
            "{t:#?}"
        );
        // The address is a blank node with a city (a literal) and a link.
        let address = triples
            .iter()
            .find(|t| t.predicate.as_str().ends_with("contact#address"))
            .map(|t| t.object.clone())
            .expect("an address");
        let b = address.to_string();
        assert!(
            has(&format!(
                "{b} <http://www.w3.org/2000/10/swap/pim/contact#city> \"Adelaide\"@en"
            )),
            "{t:#?}"
        );
        assert!(
            has(&format!(
                "{b} <http://www.w3.org/2000/01/rdf-schema#seeAlso> <http://dbpedia.org/resource/Adelaide>"
            )),
            "{t:#?}"
        );
        // `rel="stylesheet"` is an HTML link type, not RDF.
        assert!(!t.iter().any(|x| x.contains("main.css")), "{t:#?}");
    }

    #[test]
    fn vocab_typeof_and_datatypes() {
        let t = strings(
            r#"<div vocab="http://schema.org/" typeof="Event"><span property="name">Atelier vélo</span><time property="startDate" datatype="xsd:date" content="2026-12-05">5 décembre</time></div>"#,
            "http://h/e",
        );
        assert!(
            t.iter()
                .any(|x| x.contains("<http://schema.org/name> \"Atelier vélo\"")),
            "{t:#?}"
        );
        assert!(
            t.iter()
                .any(|x| x.contains("\"2026-12-05\"^^<http://www.w3.org/2001/XMLSchema#date>")),
            "{t:#?}"
        );
        assert!(
            t.iter().any(|x| x.contains("<http://schema.org/Event>")),
            "{t:#?}"
        );
    }

    #[test]
    fn refuses_hostile_pages() {
        let deep = "<div>".repeat(5000);
        assert!(extract(&deep, "http://h/p").unwrap_err().contains("deep"));
        let big = "a".repeat(MAX_HTML_BYTES + 1);
        assert!(extract(&big, "http://h/p").is_err());
        assert!(extract("<<<>>> &&& <div about=", "http://h/p").is_ok());
        assert!(extract("<p>x</p>", "not a url").is_err());
    }
}
