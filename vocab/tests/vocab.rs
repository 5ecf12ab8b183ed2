//! The vocabulary files: they parse, the terms code uses exist, every term is labelled in French
//! and English, the shapes accept the valid examples and reject the broken ones with the right
//! message, and the skills nomenclature can be searched.

use kommon_shacl::Shapes;
use kommon_vocab::{
    CONTEXT_JSONLD, MatchKind, ONTOLOGY_TTL, QUERY_BUILDER_TTL, SHAPES_TTL, SKILLS_TTL,
    SkillScheme, kommon, ns,
};
use oxrdf::vocab::{rdf, rdfs};
use oxrdf::{Graph, NamedNode, NamedOrBlankNode, TermRef};
use std::path::Path;

fn parse(ttl: &str) -> Graph {
    oxttl::TurtleParser::new()
        .for_slice(ttl.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .unwrap_or_else(|e| panic!("does not parse: {e}"))
        .into_iter()
        .collect()
}

fn nn(s: &str) -> NamedNode {
    NamedNode::new_unchecked(s)
}

#[test]
fn every_file_parses() {
    for (name, ttl) in [
        ("kommon.ttl", ONTOLOGY_TTL),
        ("skills.ttl", SKILLS_TTL),
        ("shapes.ttl", SHAPES_TTL),
        ("query-builder.ttl", QUERY_BUILDER_TTL),
    ] {
        assert!(!parse(ttl).is_empty(), "{name} is empty");
    }
    let context: serde_json::Value = serde_json::from_str(CONTEXT_JSONLD).unwrap();
    assert!(
        context["@context"].is_object(),
        "the context must be an object under @context"
    );
    assert_eq!(context["@context"]["kommon"], ns::KOMMON);
    // The prefixes ActivityPods clients read.
    for prefix in [
        "ldp", "dc", "foaf", "vcard", "pim", "solid", "interop", "notify", "oidc", "apods",
        "semapps", "void", "acl", "sec", "schema", "skos", "xsd", "pair",
    ] {
        assert!(
            context["@context"].get(prefix).is_some(),
            "prefix {prefix} missing from the context"
        );
    }
}

#[test]
fn every_term_the_code_uses_exists() {
    let g = parse(ONTOLOGY_TTL);
    for term in kommon::ALL {
        assert!(
            g.triples_for_subject(*term).next().is_some(),
            "{term} is not defined in kommon.ttl"
        );
    }
}

#[test]
fn every_class_and_property_has_both_labels_and_comments() {
    let g = parse(ONTOLOGY_TTL);
    let owl = |l: &str| nn(&format!("http://www.w3.org/2002/07/owl#{l}"));
    let mut checked = 0;
    for kind in [
        owl("Class"),
        owl("ObjectProperty"),
        owl("DatatypeProperty"),
        owl("AnnotationProperty"),
    ] {
        for s in g.subjects_for_predicate_object(rdf::TYPE, &kind) {
            let s: NamedOrBlankNode = s.into_owned();
            if !s.to_string().contains(ns::KOMMON) {
                continue;
            }
            for p in [rdfs::LABEL, rdfs::COMMENT] {
                for lang in ["fr", "en"] {
                    let found = g
                        .objects_for_subject_predicate(&s, p)
                        .any(|o| matches!(o, TermRef::Literal(l) if l.language() == Some(lang)));
                    assert!(found, "{s} has no {p} in {lang}");
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 25, "only {checked} terms checked");
}

#[test]
fn the_skills_scheme_is_large_and_bilingual() {
    let scheme = SkillScheme::bundled().unwrap();
    assert!(scheme.len() >= 150, "{} skills", scheme.len());
    for s in scheme.iter() {
        assert!(
            !s.label_fr.is_empty() && !s.label_en.is_empty(),
            "{} lacks a label",
            s.iri
        );
        assert!(s.iri.as_str().starts_with(ns::KSKILL));
    }
}

fn validation_data(example: &str) -> Graph {
    let mut g = parse(example);
    g.extend(&parse(ONTOLOGY_TTL));
    g.extend(&parse(SKILLS_TTL));
    g
}

fn examples(kind: &str) -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(kind);
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "ttl"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

fn expand_curie(curie: &str) -> String {
    let (prefix, local) = curie.split_once(':').unwrap();
    let base = match prefix {
        "kommon" => ns::KOMMON,
        "pair" => ns::PAIR,
        "schema" => ns::SCHEMA,
        "as" => ns::AS,
        "skos" => ns::SKOS,
        "dc" => ns::DC,
        "foaf" => ns::FOAF,
        "vcard" => ns::VCARD,
        other => panic!("unknown prefix {other}"),
    };
    format!("<{base}{local}>")
}

#[test]
fn shapes_accept_the_valid_examples() {
    let shapes = Shapes::from_graph(&parse(SHAPES_TTL)).unwrap();
    assert!(shapes.len() >= 8);
    let valid = examples("valid");
    assert!(valid.len() >= 8);
    for (name, ttl) in valid {
        let report = shapes.validate(&validation_data(&ttl));
        assert!(
            report.conforms(),
            "{name} should conform: {:#?}",
            report.results
        );
    }
}

#[test]
fn shapes_reject_the_broken_examples_with_the_right_message() {
    let shapes = Shapes::from_graph(&parse(SHAPES_TTL)).unwrap();
    let invalid = examples("invalid");
    assert!(invalid.len() >= 4);
    for (name, ttl) in invalid {
        let expect = ttl
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect: "))
            .unwrap_or_else(|| panic!("{name}: no expect line"));
        let (path, message) = expect.split_once(' ').unwrap();
        let report = shapes.validate(&validation_data(&ttl));
        assert!(!report.conforms(), "{name} should not conform");
        let path = expand_curie(path);
        assert!(
            report
                .results
                .iter()
                .any(|r| r.path.as_deref() == Some(path.as_str()) && r.message_fr == message),
            "{name}: expected {path} « {message} », got {:#?}",
            report.results
        );
        assert!(report.results.iter().all(|r| !r.message_en.is_empty()));
    }
}

#[test]
fn skills_are_found_by_label_synonym_and_ancestor() {
    let scheme = SkillScheme::bundled().unwrap();
    let menuiserie = nn(&format!("{}menuiserie", ns::KSKILL));
    let artisanat = nn(&format!("{}artisanat", ns::KSKILL));
    let ceramique = nn(&format!("{}ceramique", ns::KSKILL));
    // By synonym, one word of it, any case, with or without accents.
    for q in [
        "bois",
        "travail du bois",
        "Travail du Bois",
        "MENUISERIE",
        "menuiserie",
    ] {
        let found = scheme.search(q);
        assert_eq!(
            found.first().map(|m| &m.iri),
            Some(&menuiserie),
            "search {q:?}: {found:?}"
        );
    }
    assert_eq!(
        scheme.search("ceramique").first().map(|m| &m.iri),
        Some(&ceramique)
    );
    // A broad skill brings its narrower skills.
    let found = scheme.search("artisanat");
    assert_eq!(found[0].iri, artisanat);
    assert!(
        found
            .iter()
            .any(|m| m.iri == menuiserie && m.kind == MatchKind::Narrower(artisanat.clone()))
    );
    assert!(found.iter().any(|m| m.iri == ceramique));
    assert!(found.len() > 10);
    // Ancestors, nearest first.
    let ebenisterie = nn(&format!("{}ebenisterie", ns::KSKILL));
    let ancestors: Vec<_> = scheme
        .ancestors(ebenisterie.as_ref())
        .into_iter()
        .map(|s| s.iri.clone())
        .collect();
    assert_eq!(ancestors, vec![menuiserie.clone(), artisanat.clone()]);
    assert!(scheme.search("").is_empty());
    assert!(scheme.search("zzzz inexistant").is_empty());
}
