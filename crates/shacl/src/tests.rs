//! One test per constraint, each with a conforming and a violating case.

use super::*;

const PREFIXES: &str = "@prefix sh: <http://www.w3.org/ns/shacl#> .\n@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n@prefix ex: <http://ex.example/> .\n";

fn graph(ttl: &str) -> Graph {
    oxttl::TurtleParser::new()
        .for_slice(format!("{PREFIXES}{ttl}").as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
        .into_iter()
        .collect()
}

fn shapes(property: &str) -> Shapes {
    Shapes::from_graph(&graph(&format!(
        "ex:S a sh:NodeShape ; sh:targetClass ex:Thing ; sh:property [ sh:path ex:p ; sh:name \"champ\"@fr, \"field\"@en ; {property} ] ."
    )))
    .unwrap()
}

fn check(property: &str, data: &str) -> ValidationReport {
    shapes(property).validate(&graph(data))
}

fn conforms(property: &str, data: &str) -> bool {
    check(property, data).conforms()
}

#[test]
fn min_and_max_count() {
    assert!(!conforms("sh:minCount 1", "ex:a a ex:Thing ."));
    assert!(conforms("sh:minCount 1", "ex:a a ex:Thing ; ex:p 1 ."));
    assert!(!conforms("sh:maxCount 1", "ex:a a ex:Thing ; ex:p 1, 2 ."));
    assert!(conforms("sh:maxCount 1", "ex:a a ex:Thing ; ex:p 1 ."));
}

#[test]
fn datatype_checks_type_and_lexical_form() {
    assert!(conforms(
        "sh:datatype xsd:integer",
        "ex:a a ex:Thing ; ex:p 1 ."
    ));
    assert!(!conforms(
        "sh:datatype xsd:integer",
        "ex:a a ex:Thing ; ex:p \"1\" ."
    ));
    assert!(!conforms(
        "sh:datatype xsd:integer",
        "ex:a a ex:Thing ; ex:p \"un\"^^xsd:integer ."
    ));
    assert!(!conforms(
        "sh:datatype xsd:dateTime",
        "ex:a a ex:Thing ; ex:p \"2026-13-01T00:00:00Z\"^^xsd:dateTime ."
    ));
}

#[test]
fn class_follows_subclasses() {
    let data = "ex:a a ex:Thing ; ex:p ex:b . ex:b a ex:Sub . ex:Sub rdfs:subClassOf ex:Super .";
    assert!(conforms("sh:class ex:Super", data));
    assert!(!conforms("sh:class ex:Other", data));
    assert!(!conforms(
        "sh:class ex:Super",
        "ex:a a ex:Thing ; ex:p \"lit\" ."
    ));
}

#[test]
fn node_kind() {
    assert!(conforms(
        "sh:nodeKind sh:IRI",
        "ex:a a ex:Thing ; ex:p ex:b ."
    ));
    assert!(!conforms(
        "sh:nodeKind sh:IRI",
        "ex:a a ex:Thing ; ex:p \"b\" ."
    ));
    assert!(conforms(
        "sh:nodeKind sh:Literal",
        "ex:a a ex:Thing ; ex:p \"b\" ."
    ));
    assert!(!conforms(
        "sh:nodeKind sh:Literal",
        "ex:a a ex:Thing ; ex:p [] ."
    ));
}

#[test]
fn pattern_and_flags() {
    assert!(conforms(
        "sh:pattern \"^https?://\"",
        "ex:a a ex:Thing ; ex:p \"https://6b.example\" ."
    ));
    assert!(!conforms(
        "sh:pattern \"^https?://\"",
        "ex:a a ex:Thing ; ex:p \"ftp://x\" ."
    ));
    assert!(conforms(
        "sh:pattern \"^ABC\" ; sh:flags \"i\"",
        "ex:a a ex:Thing ; ex:p \"abcd\" ."
    ));
    assert!(
        Shapes::from_graph(&graph(
            "ex:S a sh:NodeShape ; sh:property [ sh:path ex:p ; sh:pattern \"(\" ] ."
        ))
        .is_err()
    );
}

#[test]
fn in_and_has_value() {
    assert!(conforms(
        "sh:in ( ex:x ex:y )",
        "ex:a a ex:Thing ; ex:p ex:y ."
    ));
    assert!(!conforms(
        "sh:in ( ex:x ex:y )",
        "ex:a a ex:Thing ; ex:p ex:z ."
    ));
    assert!(conforms(
        "sh:hasValue ex:x",
        "ex:a a ex:Thing ; ex:p ex:z, ex:x ."
    ));
    assert!(!conforms(
        "sh:hasValue ex:x",
        "ex:a a ex:Thing ; ex:p ex:z ."
    ));
}

#[test]
fn language_in() {
    assert!(conforms(
        "sh:languageIn ( \"fr\" \"en\" )",
        "ex:a a ex:Thing ; ex:p \"bonjour\"@fr, \"hi\"@en-GB ."
    ));
    assert!(!conforms(
        "sh:languageIn ( \"fr\" )",
        "ex:a a ex:Thing ; ex:p \"hallo\"@de ."
    ));
    assert!(!conforms(
        "sh:languageIn ( \"fr\" )",
        "ex:a a ex:Thing ; ex:p \"plain\" ."
    ));
}

#[test]
fn ranges() {
    assert!(conforms(
        "sh:minInclusive -90 ; sh:maxInclusive 90",
        "ex:a a ex:Thing ; ex:p 48.93 ."
    ));
    assert!(!conforms(
        "sh:minInclusive -90 ; sh:maxInclusive 90",
        "ex:a a ex:Thing ; ex:p 123.4 ."
    ));
    assert!(!conforms("sh:minExclusive 0", "ex:a a ex:Thing ; ex:p 0 ."));
    assert!(conforms(
        "sh:maxExclusive 10",
        "ex:a a ex:Thing ; ex:p 9.5e0 ."
    ));
    // A value that cannot be compared fails.
    assert!(!conforms(
        "sh:minInclusive 0",
        "ex:a a ex:Thing ; ex:p \"zéro\" ."
    ));
}

#[test]
fn lengths() {
    assert!(conforms(
        "sh:minLength 2 ; sh:maxLength 5",
        "ex:a a ex:Thing ; ex:p \"Léo\" ."
    ));
    assert!(!conforms(
        "sh:maxLength 5",
        "ex:a a ex:Thing ; ex:p \"Abdoulaye\" ."
    ));
    assert!(!conforms(
        "sh:minLength 2",
        "ex:a a ex:Thing ; ex:p \"A\" ."
    ));
}

#[test]
fn less_than_compares_with_another_property() {
    let shapes = Shapes::from_graph(&graph(
        "ex:S a sh:NodeShape ; sh:targetClass ex:Event ; sh:property [ sh:path ex:start ; sh:lessThan ex:end ; sh:message \"L'événement se termine avant de commencer.\"@fr, \"The event ends before it starts.\"@en ] .",
    ))
    .unwrap();
    let ok = graph(
        "ex:e a ex:Event ; ex:start \"2026-12-05T18:00:00+01:00\"^^xsd:dateTime ; ex:end \"2026-12-05T22:00:00+01:00\"^^xsd:dateTime .",
    );
    assert!(shapes.validate(&ok).conforms());
    let bad = graph(
        "ex:e a ex:Event ; ex:start \"2026-12-05T18:00:00+01:00\"^^xsd:dateTime ; ex:end \"2026-12-05T17:00:00+01:00\"^^xsd:dateTime .",
    );
    let report = shapes.validate(&bad);
    assert_eq!(report.results.len(), 1);
    assert_eq!(
        report.results[0].message_fr,
        "L'événement se termine avant de commencer."
    );
    assert_eq!(
        report.results[0].message_en,
        "The event ends before it starts."
    );
    assert_eq!(report.results[0].component, "LessThanConstraintComponent");
}

#[test]
fn node_references_another_shape() {
    let shapes = Shapes::from_graph(&graph(
        "ex:Person a sh:NodeShape ; sh:targetClass ex:Person ; sh:property [ sh:path ex:skill ; sh:node ex:Skill ] .
         ex:Skill a sh:NodeShape ; sh:property [ sh:path ex:inScheme ; sh:hasValue ex:skills ] .",
    ))
    .unwrap();
    let ok = graph("ex:p a ex:Person ; ex:skill ex:wood . ex:wood ex:inScheme ex:skills .");
    assert!(shapes.validate(&ok).conforms());
    let bad = graph("ex:p a ex:Person ; ex:skill ex:magic .");
    let report = shapes.validate(&bad);
    assert_eq!(report.results.len(), 1);
    assert_eq!(
        report.results[0].value,
        Some(NamedNode::new_unchecked("http://ex.example/magic").into())
    );
}

#[test]
fn recursive_shapes_terminate() {
    let shapes = Shapes::from_graph(&graph(
        "ex:S a sh:NodeShape ; sh:targetClass ex:Thing ; sh:property [ sh:path ex:next ; sh:node ex:S ] .",
    ))
    .unwrap();
    let data = graph("ex:a a ex:Thing ; ex:next ex:a .");
    assert!(shapes.validate(&data).conforms());
}

#[test]
fn inverse_and_sequence_paths() {
    let s = Shapes::from_graph(&graph(
        "ex:S a sh:NodeShape ; sh:targetClass ex:Place ; sh:property [ sh:path [ sh:inversePath ex:memberOf ] ; sh:minCount 1 ] ; sh:property [ sh:path ( ex:address ex:city ) ; sh:minCount 1 ] .",
    ))
    .unwrap();
    assert!(
        s.validate(&graph(
            "ex:p a ex:Place ; ex:address [ ex:city \"Saint-Denis\" ] . ex:r ex:memberOf ex:p ."
        ))
        .conforms()
    );
    assert_eq!(s.validate(&graph("ex:p a ex:Place .")).results.len(), 2);
}

#[test]
fn default_messages_name_the_field() {
    let report = check("sh:minCount 1", "ex:a a ex:Thing .");
    assert!(
        report.results[0].message_fr.contains("champ"),
        "{}",
        report.results[0].message_fr
    );
    assert!(
        report.results[0].message_en.contains("champ")
            || report.results[0].message_en.contains("field")
    );
}

#[test]
fn unsupported_features_are_refused_not_ignored() {
    let err = Shapes::from_graph(&graph(
        "ex:S a sh:NodeShape ; sh:property [ sh:path ex:p ; sh:qualifiedMinCount 1 ] .",
    ))
    .unwrap_err();
    assert!(err.to_string().contains("qualifiedMinCount"), "{err}");
    let err = Shapes::from_graph(&graph("ex:S a sh:NodeShape ; sh:closed true .")).unwrap_err();
    assert!(err.to_string().contains("closed"));
    assert!(
        Shapes::from_graph(&graph(
            "ex:S a sh:NodeShape ; sh:property [ sh:minCount 1 ] ."
        ))
        .is_err()
    );
}

#[test]
fn target_node_and_subjects_of() {
    let s = Shapes::from_graph(&graph(
        "ex:S a sh:NodeShape ; sh:targetNode ex:x ; sh:targetSubjectsOf ex:q ; sh:property [ sh:path ex:p ; sh:minCount 1 ] .",
    ))
    .unwrap();
    let report = s.validate(&graph("ex:y ex:q 1 ."));
    assert_eq!(report.results.len(), 2);
}
