//! PATCH documents: N3 Patch (Solid Protocol §5.3.1) and SPARQL Update, applied to one RDF
//! document.
//!
//! A patch is parsed once, says which access modes it needs ([`Patch::modes`]), then applies
//! to the document's current graph inside the write transaction. The rules of the Solid
//! Protocol give the statuses: a malformed patch is 422 ([`PatchError::Invalid`]), a `where`
//! that does not match exactly once or a deletion of an absent triple is 409
//! ([`PatchError::Conflict`]). SPARQL Update is evaluated by spareval over the document alone,
//! so `INSERT DATA`, `DELETE DATA` and `DELETE/INSERT … WHERE` all work; operations that name
//! other graphs or the network (`LOAD`, `CLEAR`, `CREATE`, `DROP`, `GRAPH`) are refused.

use crate::wac::{AccessMode, Modes};
use kommon_rdf::model::{
    BlankNode, Dataset, Graph, GraphName, NamedOrBlankNode, Quad, Term, Triple, Variable,
};
use kommon_rdf::spargebra::algebra::GraphPattern;
use kommon_rdf::spargebra::term::{NamedNodePattern, TermPattern, TriplePattern};
use kommon_rdf::spargebra::{GraphUpdateOperation, Query, Update};
use oxttl::n3::{N3Quad, N3Term};
use spareval::{DeleteInsertQuad, QueryEvaluator, QueryResults};
use std::collections::{HashMap, HashSet};
use thiserror::Error;

const SOLID: &str = "http://www.w3.org/ns/solid/terms#";
const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";
/// Largest patch document, in bytes.
pub const MAX_PATCH_BYTES: usize = 1024 * 1024;

/// Why a patch was refused.
#[derive(Debug, Error)]
pub enum PatchError {
    /// The patch document is malformed or breaks a rule of its format (422; 400 for syntax).
    #[error("{0}")]
    Invalid(String),
    /// The patch is well formed but its syntax could not be read (400).
    #[error("{0}")]
    Syntax(String),
    /// The patch does not apply to the document as it is (409).
    #[error("{0}")]
    Conflict(String),
    /// The media type is not a patch format we know (415).
    #[error("unknown patch format {0}: use text/n3 or application/sparql-update")]
    UnsupportedFormat(String),
}

/// A parsed patch.
#[derive(Debug, Clone)]
pub enum Patch {
    /// An N3 Patch.
    N3(N3Patch),
    /// A SPARQL Update.
    Sparql(Box<Update>),
}

/// The three formulae of an N3 Patch.
#[derive(Debug, Clone, Default)]
pub struct N3Patch {
    conditions: Vec<TriplePattern>,
    deletes: Vec<TriplePattern>,
    inserts: Vec<TriplePattern>,
}

impl Patch {
    /// Parses a PATCH body of media type `content_type` for the document `base`.
    pub fn parse(content_type: &str, body: &[u8], base: &str) -> Result<Self, PatchError> {
        if body.len() > MAX_PATCH_BYTES {
            return Err(PatchError::Invalid(format!(
                "the patch is larger than {MAX_PATCH_BYTES} bytes"
            )));
        }
        let essence = crate::resource::media_type_essence(content_type);
        let text = std::str::from_utf8(body)
            .map_err(|_| PatchError::Syntax("the patch is not UTF-8".into()))?;
        match essence.as_str() {
            "text/n3" => Ok(Self::N3(parse_n3(text, base)?)),
            "application/sparql-update" => {
                let update = kommon_rdf::parse_update(text, Some(base))
                    .map_err(|e| PatchError::Syntax(e.to_string()))?;
                check_sparql(&update)?;
                Ok(Self::Sparql(Box::new(update)))
            }
            other => Err(PatchError::UnsupportedFormat(other.to_owned())),
        }
    }

    /// The modes the patch needs on the document: Read for conditions, Append for insertions,
    /// Read and Write for deletions.
    pub fn modes(&self) -> Modes {
        let mut modes = Modes::NONE;
        match self {
            Self::N3(p) => {
                if !p.conditions.is_empty() {
                    modes = modes.with(AccessMode::Read);
                }
                if !p.inserts.is_empty() {
                    modes = modes.with(AccessMode::Append);
                }
                if !p.deletes.is_empty() {
                    modes = modes.with(AccessMode::Read).with(AccessMode::Write);
                }
            }
            Self::Sparql(update) => {
                for op in &update.operations {
                    match op {
                        GraphUpdateOperation::InsertData { .. } => {
                            modes = modes.with(AccessMode::Append);
                        }
                        GraphUpdateOperation::DeleteInsert { delete, insert, .. } => {
                            // A WHERE reads the document, whatever it then writes.
                            modes = modes.with(AccessMode::Read);
                            if !insert.is_empty() {
                                modes = modes.with(AccessMode::Append);
                            }
                            if !delete.is_empty() {
                                modes = modes.with(AccessMode::Write);
                            }
                        }
                        _ => {
                            modes = modes.with(AccessMode::Read).with(AccessMode::Write);
                        }
                    }
                }
            }
        }
        if modes == Modes::NONE {
            // An empty patch still targets the document; treat it as an append of nothing.
            modes = modes.with(AccessMode::Append);
        }
        modes
    }

    /// Applies the patch to `graph`, the document's current content.
    pub fn apply(&self, graph: Graph) -> Result<Graph, PatchError> {
        match self {
            Self::N3(p) => apply_n3(p, graph),
            Self::Sparql(update) => apply_sparql(update, graph),
        }
    }
}

fn parse_n3(text: &str, base: &str) -> Result<N3Patch, PatchError> {
    let parser = oxttl::N3Parser::new()
        .with_base_iri(base)
        .map_err(|e| PatchError::Syntax(format!("bad base IRI: {e}")))?;
    let mut quads: Vec<N3Quad> = Vec::new();
    for q in parser.for_slice(text.as_bytes()) {
        let q = q.map_err(|e| {
            let pos = e.location();
            PatchError::Syntax(format!(
                "invalid N3: {} (line {}, column {})",
                e.message(),
                pos.start.line + 1,
                pos.start.column + 1
            ))
        })?;
        if quads.len() >= 10_000 {
            return Err(PatchError::Invalid(
                "the patch has more than 10,000 triples".into(),
            ));
        }
        quads.push(q);
    }
    // The patch resource: the one subject typed solid:InsertDeletePatch in the default graph.
    let top: Vec<&N3Quad> = quads
        .iter()
        .filter(|q| q.graph_name == GraphName::DefaultGraph)
        .collect();
    let patches: HashSet<String> = top
        .iter()
        .filter(|q| {
            matches!(&q.predicate, N3Term::NamedNode(p) if p.as_str() == RDF_TYPE)
                && matches!(&q.object, N3Term::NamedNode(o) if o.as_str() == format!("{SOLID}InsertDeletePatch"))
        })
        .map(|q| q.subject.to_string())
        .collect();
    if patches.len() != 1 {
        return Err(PatchError::Invalid(format!(
            "an N3 Patch must have exactly one resource of type solid:InsertDeletePatch, found {}",
            patches.len()
        )));
    }
    let patch = patches.into_iter().next().unwrap_or_default();
    let mut formulae: HashMap<&str, Vec<BlankNode>> = HashMap::new();
    for q in &top {
        if q.subject.to_string() != patch {
            continue;
        }
        let N3Term::NamedNode(p) = &q.predicate else {
            continue;
        };
        let Some(local) = p.as_str().strip_prefix(SOLID) else {
            continue;
        };
        let key = match local {
            "where" => "where",
            "inserts" => "inserts",
            "deletes" => "deletes",
            _ => continue,
        };
        let N3Term::BlankNode(f) = &q.object else {
            return Err(PatchError::Invalid(format!(
                "solid:{key} must be a formula {{ … }}"
            )));
        };
        formulae.entry(key).or_default().push(f.clone());
    }
    let mut out = N3Patch::default();
    for (key, target) in [
        ("where", &mut out.conditions),
        ("inserts", &mut out.inserts),
        ("deletes", &mut out.deletes),
    ] {
        let Some(list) = formulae.get(key) else {
            continue;
        };
        if list.len() > 1 {
            return Err(PatchError::Invalid(format!(
                "the patch has more than one solid:{key}"
            )));
        }
        let formula = GraphName::BlankNode(list[0].clone());
        for q in quads.iter().filter(|q| q.graph_name == formula) {
            target.push(pattern_of(q, key)?);
        }
    }
    let known: HashSet<&Variable> = out.conditions.iter().flat_map(pattern_variables).collect();
    for (key, list) in [("inserts", &out.inserts), ("deletes", &out.deletes)] {
        for p in list {
            for v in pattern_variables(p) {
                if !known.contains(v) {
                    return Err(PatchError::Invalid(format!(
                        "the variable ?{} of solid:{key} does not occur in solid:where",
                        v.as_str()
                    )));
                }
            }
            if matches!(p.subject, TermPattern::BlankNode(_))
                || matches!(p.object, TermPattern::BlankNode(_))
            {
                return Err(PatchError::Invalid(format!(
                    "solid:{key} may not contain blank nodes"
                )));
            }
        }
    }
    Ok(out)
}

fn pattern_of(q: &N3Quad, key: &str) -> Result<TriplePattern, PatchError> {
    let term = |t: &N3Term| -> Result<TermPattern, PatchError> {
        Ok(match t {
            N3Term::NamedNode(n) => TermPattern::NamedNode(n.clone()),
            N3Term::BlankNode(b) => TermPattern::BlankNode(b.clone()),
            N3Term::Literal(l) => TermPattern::Literal(l.clone()),
            N3Term::Variable(v) => TermPattern::Variable(v.clone()),
        })
    };
    let subject = term(&q.subject)?;
    if matches!(subject, TermPattern::Literal(_)) {
        return Err(PatchError::Invalid(format!(
            "a literal cannot be a subject in solid:{key}"
        )));
    }
    let predicate = match &q.predicate {
        N3Term::NamedNode(n) => NamedNodePattern::NamedNode(n.clone()),
        N3Term::Variable(v) => NamedNodePattern::Variable(v.clone()),
        _ => {
            return Err(PatchError::Invalid(format!(
                "a predicate in solid:{key} must be an IRI or a variable"
            )));
        }
    };
    Ok(TriplePattern {
        subject,
        predicate,
        object: term(&q.object)?,
    })
}

fn pattern_variables(p: &TriplePattern) -> impl Iterator<Item = &Variable> {
    let s = match &p.subject {
        TermPattern::Variable(v) => Some(v),
        _ => None,
    };
    let pr = match &p.predicate {
        NamedNodePattern::Variable(v) => Some(v),
        NamedNodePattern::NamedNode(_) => None,
    };
    let o = match &p.object {
        TermPattern::Variable(v) => Some(v),
        _ => None,
    };
    [s, pr, o].into_iter().flatten()
}

fn dataset_of(graph: &Graph) -> Dataset {
    graph
        .iter()
        .map(|t| t.into_owned().in_graph(GraphName::DefaultGraph))
        .collect()
}

fn apply_n3(patch: &N3Patch, mut graph: Graph) -> Result<Graph, PatchError> {
    let mut binding: HashMap<Variable, Term> = HashMap::new();
    if !patch.conditions.is_empty() {
        let dataset = dataset_of(&graph);
        let query = Query::Select {
            dataset: None,
            pattern: GraphPattern::Bgp {
                patterns: patch.conditions.clone(),
            },
            base_iri: None,
        };
        let evaluator = QueryEvaluator::new();
        let results = evaluator
            .prepare(&query)
            .execute(&dataset)
            .map_err(|e| PatchError::Invalid(e.to_string()))?;
        let QueryResults::Solutions(solutions) = results else {
            return Err(PatchError::Invalid("solid:where did not evaluate".into()));
        };
        let mut found = Vec::new();
        for s in solutions.take(2) {
            found.push(s.map_err(|e| PatchError::Invalid(e.to_string()))?);
        }
        if found.len() != 1 {
            return Err(PatchError::Conflict(format!(
                "solid:where must match the document exactly once; it matches {}",
                if found.is_empty() {
                    "nowhere"
                } else {
                    "more than once"
                }
            )));
        }
        for (v, t) in found[0].iter() {
            binding.insert(v.clone(), t.clone());
        }
    }
    let deletes: Vec<Triple> = patch
        .deletes
        .iter()
        .map(|p| instantiate(p, &binding))
        .collect::<Result<_, _>>()?;
    let inserts: Vec<Triple> = patch
        .inserts
        .iter()
        .map(|p| instantiate(p, &binding))
        .collect::<Result<_, _>>()?;
    for t in &deletes {
        if !graph.contains(t) {
            return Err(PatchError::Conflict(format!(
                "the document does not contain the triple to delete {t}"
            )));
        }
    }
    for t in &deletes {
        graph.remove(t);
    }
    for t in &inserts {
        graph.insert(t);
    }
    Ok(graph)
}

fn instantiate(p: &TriplePattern, binding: &HashMap<Variable, Term>) -> Result<Triple, PatchError> {
    let term = |t: &TermPattern| -> Result<Term, PatchError> {
        Ok(match t {
            TermPattern::NamedNode(n) => n.clone().into(),
            TermPattern::BlankNode(b) => b.clone().into(),
            TermPattern::Literal(l) => l.clone().into(),
            TermPattern::Variable(v) => binding.get(v).cloned().ok_or_else(|| {
                PatchError::Invalid(format!("the variable ?{} is not bound", v.as_str()))
            })?,
        })
    };
    let subject = match term(&p.subject)? {
        Term::NamedNode(n) => NamedOrBlankNode::NamedNode(n),
        Term::BlankNode(b) => NamedOrBlankNode::BlankNode(b),
        Term::Literal(_) => {
            return Err(PatchError::Conflict(
                "a variable bound to a literal is used as a subject".into(),
            ));
        }
    };
    let predicate = match &p.predicate {
        NamedNodePattern::NamedNode(n) => n.clone(),
        NamedNodePattern::Variable(v) => match binding.get(v) {
            Some(Term::NamedNode(n)) => n.clone(),
            _ => {
                return Err(PatchError::Conflict(format!(
                    "?{} is used as a predicate but is not bound to an IRI",
                    v.as_str()
                )));
            }
        },
    };
    Ok(Triple::new(subject, predicate, term(&p.object)?))
}

fn check_sparql(update: &Update) -> Result<(), PatchError> {
    for op in &update.operations {
        match op {
            GraphUpdateOperation::InsertData { data } => {
                if data
                    .iter()
                    .any(|q| q.graph_name != kommon_rdf::spargebra::term::GraphName::DefaultGraph)
                {
                    return Err(PatchError::Invalid(
                        "a PATCH changes only the target document: GRAPH is not allowed".into(),
                    ));
                }
            }
            GraphUpdateOperation::DeleteData { data } => {
                if data
                    .iter()
                    .any(|q| q.graph_name != kommon_rdf::spargebra::term::GraphName::DefaultGraph)
                {
                    return Err(PatchError::Invalid(
                        "a PATCH changes only the target document: GRAPH is not allowed".into(),
                    ));
                }
            }
            GraphUpdateOperation::DeleteInsert {
                delete,
                insert,
                using,
                ..
            } => {
                use kommon_rdf::spargebra::term::GraphNamePattern;
                if using.is_some()
                    || delete
                        .iter()
                        .any(|q| q.graph_name != GraphNamePattern::DefaultGraph)
                    || insert
                        .iter()
                        .any(|q| q.graph_name != GraphNamePattern::DefaultGraph)
                {
                    return Err(PatchError::Invalid(
                        "a PATCH changes only the target document: GRAPH and USING are not allowed"
                            .into(),
                    ));
                }
            }
            GraphUpdateOperation::Load { .. }
            | GraphUpdateOperation::Clear { .. }
            | GraphUpdateOperation::Create { .. }
            | GraphUpdateOperation::Drop { .. } => {
                return Err(PatchError::Invalid(
                    "a PATCH may only use INSERT DATA, DELETE DATA and DELETE/INSERT … WHERE"
                        .into(),
                ));
            }
        }
    }
    Ok(())
}

fn apply_sparql(update: &Update, mut graph: Graph) -> Result<Graph, PatchError> {
    for op in &update.operations {
        match op {
            GraphUpdateOperation::InsertData { data } => {
                for q in data {
                    graph.insert(&Triple::new(
                        q.subject.clone(),
                        q.predicate.clone(),
                        q.object.clone(),
                    ));
                }
            }
            GraphUpdateOperation::DeleteData { data } => {
                let triples: Vec<Triple> = data
                    .iter()
                    .map(|q| {
                        let object: Term = match &q.object {
                            kommon_rdf::spargebra::term::GroundTerm::NamedNode(n) => {
                                n.clone().into()
                            }
                            kommon_rdf::spargebra::term::GroundTerm::Literal(l) => l.clone().into(),
                        };
                        Triple::new(q.subject.clone(), q.predicate.clone(), object)
                    })
                    .collect();
                for t in &triples {
                    if !graph.contains(t) {
                        return Err(PatchError::Conflict(format!(
                            "the document does not contain the triple to delete {t}"
                        )));
                    }
                }
                for t in &triples {
                    graph.remove(t);
                }
            }
            GraphUpdateOperation::DeleteInsert {
                delete,
                insert,
                using,
                pattern,
            } => {
                let dataset = dataset_of(&graph);
                let evaluator = QueryEvaluator::new();
                let changes: Vec<DeleteInsertQuad> = evaluator
                    .prepare_delete_insert(
                        delete.clone(),
                        insert.clone(),
                        update.base_iri.clone(),
                        using.clone(),
                        pattern,
                    )
                    .execute(&dataset)
                    .map_err(|e| PatchError::Invalid(e.to_string()))?
                    .collect::<Result<_, _>>()
                    .map_err(|e| PatchError::Invalid(e.to_string()))?;
                for c in &changes {
                    if let DeleteInsertQuad::Delete(q) = c {
                        graph.remove(&triple_of(q));
                    }
                }
                for c in &changes {
                    if let DeleteInsertQuad::Insert(q) = c {
                        graph.insert(&triple_of(q));
                    }
                }
            }
            _ => {
                return Err(PatchError::Invalid(
                    "a PATCH may only use INSERT DATA, DELETE DATA and DELETE/INSERT … WHERE"
                        .into(),
                ));
            }
        }
    }
    Ok(graph)
}

fn triple_of(q: &Quad) -> Triple {
    Triple::new(q.subject.clone(), q.predicate.clone(), q.object.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "http://h/alice/data/card";

    fn graph(ttl: &str) -> Graph {
        oxttl::TurtleParser::new()
            .with_base_iri(DOC)
            .unwrap()
            .for_slice(ttl.as_bytes())
            .map(|t| t.unwrap())
            .collect()
    }

    fn n3(body: &str) -> Result<Patch, PatchError> {
        Patch::parse("text/n3", body.as_bytes(), DOC)
    }

    const PREFIX: &str =
        "@prefix solid: <http://www.w3.org/ns/solid/terms#>. @prefix ex: <http://example.org/#>.\n";

    #[test]
    fn n3_patch_where_insert_delete() {
        let g = graph("<#me> <http://example.org/#name> \"Alice\" .");
        let p = n3(&format!(
            "{PREFIX} _:p a solid:InsertDeletePatch; solid:where {{ ?a ex:name \"Alice\" }}; solid:deletes {{ ?a ex:name \"Alice\" }}; solid:inserts {{ ?a ex:name \"Alicia\" }}."
        ))
        .unwrap();
        let m = p.modes();
        assert!(m.contains(AccessMode::Read) && m.contains(AccessMode::Write));
        let out = p.apply(g.clone()).unwrap();
        assert_eq!(out, graph("<#me> <http://example.org/#name> \"Alicia\" ."));
        // Applying again: the where no longer matches.
        assert!(matches!(p.apply(out), Err(PatchError::Conflict(_))));
    }

    #[test]
    fn n3_patch_rules() {
        // Insert-only needs only Append.
        let p = n3(&format!(
            "{PREFIX} _:p a solid:InsertDeletePatch; solid:inserts {{ ex:a ex:b ex:c }}."
        ))
        .unwrap();
        assert!(p.modes().contains(AccessMode::Append) && !p.modes().contains(AccessMode::Write));
        // Deleting an absent triple: 409.
        let p = n3(&format!(
            "{PREFIX} _:p a solid:InsertDeletePatch; solid:deletes {{ ex:a ex:b ex:c }}."
        ))
        .unwrap();
        assert!(matches!(
            p.apply(Graph::new()),
            Err(PatchError::Conflict(_))
        ));
        // Unbound variable: 422.
        assert!(matches!(
            n3(&format!(
                "{PREFIX} _:p a solid:InsertDeletePatch; solid:inserts {{ ?x ex:b ex:c }}."
            )),
            Err(PatchError::Invalid(_))
        ));
        // Blank node in inserts: 422.
        assert!(matches!(
            n3(&format!(
                "{PREFIX} _:p a solid:InsertDeletePatch; solid:inserts {{ _:x ex:b ex:c }}."
            )),
            Err(PatchError::Invalid(_))
        ));
        // No patch resource, two patch resources.
        assert!(matches!(
            n3(&format!("{PREFIX} ex:a ex:b ex:c.")),
            Err(PatchError::Invalid(_))
        ));
        assert!(matches!(
            n3(&format!(
                "{PREFIX} _:p a solid:InsertDeletePatch. _:q a solid:InsertDeletePatch."
            )),
            Err(PatchError::Invalid(_))
        ));
        // Two inserts formulae.
        assert!(matches!(
            n3(&format!(
                "{PREFIX} _:p a solid:InsertDeletePatch; solid:inserts {{ ex:a ex:b ex:c }}, {{ ex:a ex:b ex:d }}."
            )),
            Err(PatchError::Invalid(_))
        ));
        // Syntax.
        assert!(matches!(n3("this is { not n3"), Err(PatchError::Syntax(_))));
        // A where matching twice.
        let g = graph("<#a> <http://example.org/#k> 1 . <#b> <http://example.org/#k> 1 .");
        let p = n3(&format!("{PREFIX} _:p a solid:InsertDeletePatch; solid:where {{ ?x ex:k 1 }}; solid:inserts {{ ?x ex:k 2 }}.")).unwrap();
        assert!(matches!(p.apply(g), Err(PatchError::Conflict(_))));
    }

    #[test]
    fn sparql_patches() {
        let g = graph("<#me> <http://example.org/#name> \"Alice\" .");
        let p = Patch::parse(
            "application/sparql-update",
            b"PREFIX ex: <http://example.org/#> DELETE DATA { <#me> ex:name \"Alice\" }; INSERT DATA { <#me> ex:name \"Bob\" }",
            DOC,
        )
        .unwrap();
        assert_eq!(
            p.apply(g.clone()).unwrap(),
            graph("<#me> <http://example.org/#name> \"Bob\" .")
        );
        let p = Patch::parse(
            "application/sparql-update",
            b"PREFIX ex: <http://example.org/#> DELETE DATA { <#me> ex:name \"Nobody\" }",
            DOC,
        )
        .unwrap();
        assert!(matches!(p.apply(g.clone()), Err(PatchError::Conflict(_))));
        let p = Patch::parse(
            "application/sparql-update",
            b"PREFIX ex: <http://example.org/#> DELETE { ?s ex:name ?n } INSERT { ?s ex:name \"Carol\" } WHERE { ?s ex:name ?n }",
            DOC,
        )
        .unwrap();
        assert!(p.modes().contains(AccessMode::Write));
        assert_eq!(
            p.apply(g).unwrap(),
            graph("<#me> <http://example.org/#name> \"Carol\" .")
        );
        for bad in [
            "LOAD <http://example.org/>",
            "DROP ALL",
            "INSERT DATA { GRAPH <http://x> { <a> <b> <c> } }",
        ] {
            assert!(
                matches!(
                    Patch::parse("application/sparql-update", bad.as_bytes(), DOC),
                    Err(PatchError::Invalid(_))
                ),
                "{bad}"
            );
        }
        assert!(matches!(
            Patch::parse("application/sparql-update", b"INSERT DATA {", DOC),
            Err(PatchError::Syntax(_))
        ));
        assert!(matches!(
            Patch::parse("application/json-patch+json", b"[]", DOC),
            Err(PatchError::UnsupportedFormat(_))
        ));
    }
}
