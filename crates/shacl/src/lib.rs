//! SHACL Core validation of a data graph against a shapes graph, with a report that says in
//! French and English which field is wrong.
//!
//! Why our own: the maintained Rust SHACL implementation (rudof's `shacl_validation`) pulls the
//! whole of Oxigraph with RocksDB (a C++ build) into the tree. Kommon's shapes use a small,
//! fixed part of SHACL Core, implemented here over `oxrdf` graphs and tested constraint by
//! constraint: targets (`sh:targetClass` with subclasses, `sh:targetNode`, `sh:targetSubjectsOf`,
//! `sh:targetObjectsOf`), property paths (predicate, `sh:inversePath`, sequences), and the
//! constraints `sh:minCount`, `sh:maxCount`, `sh:datatype`, `sh:class`, `sh:nodeKind`,
//! `sh:pattern` (+ `sh:flags`), `sh:in`, `sh:hasValue`, `sh:languageIn`, `sh:minInclusive`,
//! `sh:maxInclusive`, `sh:minExclusive`, `sh:maxExclusive`, `sh:minLength`, `sh:maxLength`,
//! `sh:lessThan`, `sh:node`. A shape using any other constraint is refused when the shapes are
//! loaded, rather than silently ignored.

#![warn(missing_docs)]

use oxrdf::vocab::{rdf, rdfs, xsd};
use oxrdf::{Graph, Literal, NamedNode, NamedNodeRef, NamedOrBlankNode, Term, TermRef};
use std::cmp::Ordering;
use std::collections::HashSet;
use std::str::FromStr;
use thiserror::Error;

const SH: &str = "http://www.w3.org/ns/shacl#";

fn sh(local: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{SH}{local}"))
}

/// A shapes graph that cannot be used.
#[derive(Debug, Error)]
pub enum ShapesError {
    /// A shape uses a SHACL feature this validator does not implement.
    #[error("shape {shape}: unsupported SHACL feature <{feature}>")]
    Unsupported {
        /// The shape.
        shape: String,
        /// The predicate of the feature.
        feature: String,
    },
    /// A shape is malformed (a path that is not a path, a pattern that is not a regex…).
    #[error("shape {shape}: {message}")]
    Malformed {
        /// The shape.
        shape: String,
        /// What is wrong.
        message: String,
    },
}

#[derive(Clone, Debug)]
enum PathStep {
    Forward(NamedNode),
    Inverse(NamedNode),
}

#[derive(Clone, Debug)]
enum Constraint {
    MinCount(usize),
    MaxCount(usize),
    Datatype(NamedNode),
    Class(NamedNode),
    NodeKind(NamedNode),
    Pattern(regex::Regex),
    In(Vec<Term>),
    HasValue(Term),
    LanguageIn(Vec<String>),
    MinInclusive(Literal),
    MaxInclusive(Literal),
    MinExclusive(Literal),
    MaxExclusive(Literal),
    MinLength(usize),
    MaxLength(usize),
    LessThan(NamedNode),
    Node(NamedOrBlankNode),
}

impl Constraint {
    fn component(&self) -> &'static str {
        match self {
            Self::MinCount(_) => "MinCountConstraintComponent",
            Self::MaxCount(_) => "MaxCountConstraintComponent",
            Self::Datatype(_) => "DatatypeConstraintComponent",
            Self::Class(_) => "ClassConstraintComponent",
            Self::NodeKind(_) => "NodeKindConstraintComponent",
            Self::Pattern(..) => "PatternConstraintComponent",
            Self::In(_) => "InConstraintComponent",
            Self::HasValue(_) => "HasValueConstraintComponent",
            Self::LanguageIn(_) => "LanguageInConstraintComponent",
            Self::MinInclusive(_) => "MinInclusiveConstraintComponent",
            Self::MaxInclusive(_) => "MaxInclusiveConstraintComponent",
            Self::MinExclusive(_) => "MinExclusiveConstraintComponent",
            Self::MaxExclusive(_) => "MaxExclusiveConstraintComponent",
            Self::MinLength(_) => "MinLengthConstraintComponent",
            Self::MaxLength(_) => "MaxLengthConstraintComponent",
            Self::LessThan(_) => "LessThanConstraintComponent",
            Self::Node(_) => "NodeConstraintComponent",
        }
    }

    /// A default message, when the shape gives none.
    fn default_message(&self, field: &str) -> (String, String) {
        match self {
            Self::MinCount(n) => (
                format!("« {field} » doit avoir au moins {n} valeur(s)."),
                format!("\"{field}\" needs at least {n} value(s)."),
            ),
            Self::MaxCount(n) => (
                format!("« {field} » a plus de {n} valeur(s)."),
                format!("\"{field}\" has more than {n} value(s)."),
            ),
            Self::LessThan(_) => (
                format!("« {field} » doit précéder la valeur avec laquelle il est comparé."),
                format!("\"{field}\" must come before the value it is compared with."),
            ),
            _ => (
                format!("La valeur de « {field} » n'est pas valide."),
                format!("The value of \"{field}\" is not valid."),
            ),
        }
    }
}

#[derive(Clone, Debug, Default)]
struct Messages {
    fr: Option<String>,
    en: Option<String>,
}

#[derive(Clone, Debug)]
struct PropertyShape {
    id: NamedOrBlankNode,
    path: Vec<PathStep>,
    path_text: String,
    name: Messages,
    message: Messages,
    constraints: Vec<Constraint>,
}

#[derive(Clone, Debug)]
struct NodeShape {
    id: NamedOrBlankNode,
    target_classes: Vec<NamedNode>,
    target_nodes: Vec<Term>,
    target_subjects_of: Vec<NamedNode>,
    target_objects_of: Vec<NamedNode>,
    message: Messages,
    constraints: Vec<Constraint>,
    properties: Vec<PropertyShape>,
}

/// A set of shapes, ready to validate data graphs.
#[derive(Clone, Debug)]
pub struct Shapes {
    shapes: Vec<NodeShape>,
}

/// One violation of a shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidationResult {
    /// The node that was checked.
    pub focus_node: Term,
    /// The property path, as written in the shape (`None` for node constraints).
    pub path: Option<String>,
    /// The offending value, when there is one.
    pub value: Option<Term>,
    /// The constraint component, e.g. `MinCountConstraintComponent`.
    pub component: String,
    /// The shape (node or property shape) that was violated.
    pub source_shape: String,
    /// What is wrong, in French.
    pub message_fr: String,
    /// What is wrong, in English.
    pub message_en: String,
}

/// The outcome of a validation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ValidationReport {
    /// Every violation found; empty when the data conforms.
    pub results: Vec<ValidationResult>,
}

impl ValidationReport {
    /// Whether the data conforms to every shape.
    pub fn conforms(&self) -> bool {
        self.results.is_empty()
    }
}

fn literal_text(t: TermRef<'_>) -> Option<&str> {
    match t {
        TermRef::Literal(l) => Some(l.value()),
        _ => None,
    }
}

fn messages(g: &Graph, s: &NamedOrBlankNode, p: &NamedNode) -> Messages {
    let mut m = Messages::default();
    for o in g.objects_for_subject_predicate(s, p) {
        if let TermRef::Literal(l) = o {
            match l.language() {
                Some("fr") => m.fr = Some(l.value().to_owned()),
                Some("en") => m.en = Some(l.value().to_owned()),
                None if m.en.is_none() => m.en = Some(l.value().to_owned()),
                _ => {}
            }
        }
    }
    m
}

fn node_of(t: TermRef<'_>) -> Option<NamedOrBlankNode> {
    match t {
        TermRef::NamedNode(n) => Some(n.into_owned().into()),
        TermRef::BlankNode(b) => Some(b.into_owned().into()),
        TermRef::Literal(_) => None,
    }
}

fn list(g: &Graph, head: TermRef<'_>) -> Vec<Term> {
    let mut out = Vec::new();
    let mut node = head.into_owned();
    // A cyclic list must not loop forever.
    let mut seen = HashSet::new();
    while let Some(n) = node_of(node.as_ref()) {
        if n.as_ref() == NamedOrBlankNode::from(rdf::NIL.into_owned()).as_ref()
            || !seen.insert(n.clone())
        {
            break;
        }
        if let Some(first) = g.object_for_subject_predicate(&n, rdf::FIRST) {
            out.push(first.into_owned());
        }
        match g.object_for_subject_predicate(&n, rdf::REST) {
            Some(rest) => node = rest.into_owned(),
            None => break,
        }
    }
    out
}

const NODE_PARAMETERS: &[&str] = &[
    "targetClass",
    "targetNode",
    "targetSubjectsOf",
    "targetObjectsOf",
    "property",
    "message",
    "name",
    "description",
    "severity",
    "deactivated",
    "closed",
    "ignoredProperties",
    "order",
    "group",
];
const PROPERTY_PARAMETERS: &[&str] = &[
    "path",
    "name",
    "description",
    "message",
    "severity",
    "order",
    "group",
    "defaultValue",
];
const CONSTRAINTS: &[&str] = &[
    "minCount",
    "maxCount",
    "datatype",
    "class",
    "nodeKind",
    "pattern",
    "flags",
    "in",
    "hasValue",
    "languageIn",
    "minInclusive",
    "maxInclusive",
    "minExclusive",
    "maxExclusive",
    "minLength",
    "maxLength",
    "lessThan",
    "node",
];

impl Shapes {
    /// Reads every `sh:NodeShape` of a shapes graph.
    pub fn from_graph(g: &Graph) -> Result<Self, ShapesError> {
        let mut shapes = Vec::new();
        let node_shapes: Vec<NamedOrBlankNode> = g
            .subjects_for_predicate_object(rdf::TYPE, &sh("NodeShape"))
            .map(|s| s.into_owned())
            .collect();
        for id in node_shapes {
            let name = id.to_string();
            check_known(g, &id, &name, NODE_PARAMETERS)?;
            if g.object_for_subject_predicate(&id, &sh("closed"))
                .is_some_and(|t| literal_text(t) == Some("true"))
            {
                return Err(ShapesError::Unsupported {
                    shape: name,
                    feature: format!("{SH}closed"),
                });
            }
            let mut properties = Vec::new();
            for p in g.objects_for_subject_predicate(&id, &sh("property")) {
                let Some(p) = node_of(p) else {
                    return Err(ShapesError::Malformed {
                        shape: name,
                        message: "sh:property is a literal".into(),
                    });
                };
                properties.push(property_shape(g, &p)?);
            }
            let iris = |pred: &str| -> Vec<NamedNode> {
                g.objects_for_subject_predicate(&id, &sh(pred))
                    .filter_map(|t| match t {
                        TermRef::NamedNode(n) => Some(n.into_owned()),
                        _ => None,
                    })
                    .collect()
            };
            shapes.push(NodeShape {
                target_classes: iris("targetClass"),
                target_nodes: g
                    .objects_for_subject_predicate(&id, &sh("targetNode"))
                    .map(|t| t.into_owned())
                    .collect(),
                target_subjects_of: iris("targetSubjectsOf"),
                target_objects_of: iris("targetObjectsOf"),
                message: messages(g, &id, &sh("message")),
                constraints: constraints(g, &id, &name)?,
                properties,
                id,
            });
        }
        Ok(Self { shapes })
    }

    /// Number of node shapes.
    pub fn len(&self) -> usize {
        self.shapes.len()
    }

    /// Whether there is no shape.
    pub fn is_empty(&self) -> bool {
        self.shapes.is_empty()
    }

    /// Validates `data` (which should include the ontology and vocabularies that `sh:class`
    /// and subclass targets refer to).
    pub fn validate(&self, data: &Graph) -> ValidationReport {
        let mut report = ValidationReport::default();
        let ctx = Context { data, shapes: self };
        for shape in &self.shapes {
            for focus in ctx.focus_nodes(shape) {
                ctx.check_node_shape(shape, &focus, &mut report.results, 0);
            }
        }
        report
    }

    fn shape(&self, id: &NamedOrBlankNode) -> Option<&NodeShape> {
        self.shapes.iter().find(|s| &s.id == id)
    }
}

fn check_known(
    g: &Graph,
    id: &NamedOrBlankNode,
    name: &str,
    allowed: &[&str],
) -> Result<(), ShapesError> {
    for t in g.triples_for_subject(id) {
        if let Some(local) = t.predicate.as_str().strip_prefix(SH)
            && !allowed.contains(&local)
            && !CONSTRAINTS.contains(&local)
        {
            return Err(ShapesError::Unsupported {
                shape: name.to_owned(),
                feature: t.predicate.as_str().to_owned(),
            });
        }
    }
    Ok(())
}

fn property_shape(g: &Graph, id: &NamedOrBlankNode) -> Result<PropertyShape, ShapesError> {
    let name = id.to_string();
    check_known(g, id, &name, PROPERTY_PARAMETERS)?;
    let path_term = g
        .object_for_subject_predicate(id, &sh("path"))
        .ok_or_else(|| ShapesError::Malformed {
            shape: name.clone(),
            message: "a property shape without sh:path".into(),
        })?;
    let mut path = Vec::new();
    let step = |t: TermRef<'_>| -> Result<PathStep, ShapesError> {
        match t {
            TermRef::NamedNode(n) => Ok(PathStep::Forward(n.into_owned())),
            TermRef::BlankNode(b) => match g.object_for_subject_predicate(b, &sh("inversePath")) {
                Some(TermRef::NamedNode(n)) => Ok(PathStep::Inverse(n.into_owned())),
                _ => Err(ShapesError::Unsupported {
                    shape: name.clone(),
                    feature: "complex property path".into(),
                }),
            },
            TermRef::Literal(_) => Err(ShapesError::Malformed {
                shape: name.clone(),
                message: "a literal as sh:path".into(),
            }),
        }
    };
    if let TermRef::BlankNode(b) = path_term
        && g.object_for_subject_predicate(b, rdf::FIRST).is_some()
    {
        for t in list(g, path_term) {
            path.push(step(t.as_ref())?);
        }
    } else {
        path.push(step(path_term)?);
    }
    let path_text = path
        .iter()
        .map(|s| match s {
            PathStep::Forward(n) => n.to_string(),
            PathStep::Inverse(n) => format!("^{n}"),
        })
        .collect::<Vec<_>>()
        .join("/");
    Ok(PropertyShape {
        path,
        path_text,
        name: messages(g, id, &sh("name")),
        message: messages(g, id, &sh("message")),
        constraints: constraints(g, id, &name)?,
        id: id.clone(),
    })
}

fn constraints(
    g: &Graph,
    id: &NamedOrBlankNode,
    name: &str,
) -> Result<Vec<Constraint>, ShapesError> {
    let mut out = Vec::new();
    let malformed = |m: &str| ShapesError::Malformed {
        shape: name.to_owned(),
        message: m.to_owned(),
    };
    let count = |t: TermRef<'_>| -> Result<usize, ShapesError> {
        literal_text(t)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| malformed("a count that is not a non-negative integer"))
    };
    let iri = |t: TermRef<'_>| -> Result<NamedNode, ShapesError> {
        match t {
            TermRef::NamedNode(n) => Ok(n.into_owned()),
            _ => Err(malformed("an IRI was expected")),
        }
    };
    let lit = |t: TermRef<'_>| -> Result<Literal, ShapesError> {
        match t {
            TermRef::Literal(l) => Ok(l.into_owned()),
            _ => Err(malformed("a literal was expected")),
        }
    };
    for t in g.triples_for_subject(id) {
        let Some(local) = t.predicate.as_str().strip_prefix(SH) else {
            continue;
        };
        let o = t.object;
        out.push(match local {
            "minCount" => Constraint::MinCount(count(o)?),
            "maxCount" => Constraint::MaxCount(count(o)?),
            "minLength" => Constraint::MinLength(count(o)?),
            "maxLength" => Constraint::MaxLength(count(o)?),
            "datatype" => Constraint::Datatype(iri(o)?),
            "class" => Constraint::Class(iri(o)?),
            "nodeKind" => Constraint::NodeKind(iri(o)?),
            "lessThan" => Constraint::LessThan(iri(o)?),
            "minInclusive" => Constraint::MinInclusive(lit(o)?),
            "maxInclusive" => Constraint::MaxInclusive(lit(o)?),
            "minExclusive" => Constraint::MinExclusive(lit(o)?),
            "maxExclusive" => Constraint::MaxExclusive(lit(o)?),
            "hasValue" => Constraint::HasValue(o.into_owned()),
            "in" => Constraint::In(list(g, o)),
            "languageIn" => Constraint::LanguageIn(
                list(g, o)
                    .iter()
                    .filter_map(|t| literal_text(t.as_ref()).map(str::to_ascii_lowercase))
                    .collect(),
            ),
            "node" => {
                Constraint::Node(node_of(o).ok_or_else(|| malformed("sh:node must name a shape"))?)
            }
            "pattern" => {
                let pattern =
                    literal_text(o).ok_or_else(|| malformed("sh:pattern must be a string"))?;
                let flags = g
                    .object_for_subject_predicate(id, &sh("flags"))
                    .and_then(literal_text)
                    .unwrap_or_default();
                let mut builder = regex::RegexBuilder::new(pattern);
                builder
                    .case_insensitive(flags.contains('i'))
                    .multi_line(flags.contains('m'))
                    .dot_matches_new_line(flags.contains('s'))
                    .ignore_whitespace(flags.contains('x'))
                    .size_limit(1 << 20);
                let re = builder.build().map_err(|e| {
                    malformed(&format!(
                        "sh:pattern is not a valid regular expression: {e}"
                    ))
                })?;
                Constraint::Pattern(re)
            }
            _ => continue,
        });
    }
    Ok(out)
}

struct Context<'a> {
    data: &'a Graph,
    shapes: &'a Shapes,
}

/// Deepest chain of `sh:node` references followed, so that recursive shapes terminate.
const MAX_NODE_DEPTH: usize = 16;

impl Context<'_> {
    fn subclasses(&self, class: &NamedNode) -> HashSet<NamedNode> {
        let mut out = HashSet::from([class.clone()]);
        let mut todo = vec![class.clone()];
        while let Some(c) = todo.pop() {
            for s in self
                .data
                .subjects_for_predicate_object(rdfs::SUB_CLASS_OF, &c)
            {
                if let NamedOrBlankNode::NamedNode(n) = s.into_owned()
                    && out.insert(n.clone())
                {
                    todo.push(n);
                }
            }
        }
        out
    }

    fn is_instance(&self, node: &Term, class: &NamedNode) -> bool {
        let Some(n) = node_of(node.as_ref()) else {
            return false;
        };
        let classes = self.subclasses(class);
        self.data
            .objects_for_subject_predicate(&n, rdf::TYPE)
            .any(|t| matches!(t, TermRef::NamedNode(c) if classes.contains(&c.into_owned())))
    }

    fn focus_nodes(&self, shape: &NodeShape) -> Vec<Term> {
        let mut out: Vec<Term> = Vec::new();
        let mut seen = HashSet::new();
        let mut add = |t: Term, out: &mut Vec<Term>| {
            if seen.insert(t.clone()) {
                out.push(t);
            }
        };
        for class in &shape.target_classes {
            for c in self.subclasses(class) {
                for s in self.data.subjects_for_predicate_object(rdf::TYPE, &c) {
                    add(s.into_owned().into(), &mut out);
                }
            }
        }
        for n in &shape.target_nodes {
            add(n.clone(), &mut out);
        }
        for p in &shape.target_subjects_of {
            for t in self.data.triples_for_predicate(p) {
                add(t.subject.into_owned().into(), &mut out);
            }
        }
        for p in &shape.target_objects_of {
            for t in self.data.triples_for_predicate(p) {
                add(t.object.into_owned(), &mut out);
            }
        }
        out
    }

    fn values(&self, focus: &Term, path: &[PathStep]) -> Vec<Term> {
        let mut current = vec![focus.clone()];
        for step in path {
            let mut next = Vec::new();
            let mut seen = HashSet::new();
            for node in &current {
                match step {
                    PathStep::Forward(p) => {
                        if let Some(n) = node_of(node.as_ref()) {
                            for o in self.data.objects_for_subject_predicate(&n, p) {
                                if seen.insert(o.into_owned()) {
                                    next.push(o.into_owned());
                                }
                            }
                        }
                    }
                    PathStep::Inverse(p) => {
                        for s in self.data.subjects_for_predicate_object(p, node) {
                            let t: Term = s.into_owned().into();
                            if seen.insert(t.clone()) {
                                next.push(t);
                            }
                        }
                    }
                }
            }
            current = next;
        }
        current
    }

    fn conforms_to(&self, shape_id: &NamedOrBlankNode, node: &Term, depth: usize) -> bool {
        if depth >= MAX_NODE_DEPTH {
            return true;
        }
        match self.shapes.shape(shape_id) {
            Some(shape) => {
                let mut results = Vec::new();
                self.check_node_shape(shape, node, &mut results, depth + 1);
                results.is_empty()
            }
            // A reference to a shape we do not have: nothing to check.
            None => true,
        }
    }

    fn check_node_shape(
        &self,
        shape: &NodeShape,
        focus: &Term,
        out: &mut Vec<ValidationResult>,
        depth: usize,
    ) {
        let field = "nœud";
        for c in &shape.constraints {
            if !self.value_ok(c, focus, focus, depth) {
                let (fr, en) = c.default_message(field);
                out.push(ValidationResult {
                    focus_node: focus.clone(),
                    path: None,
                    value: Some(focus.clone()),
                    component: c.component().to_owned(),
                    source_shape: shape.id.to_string(),
                    message_fr: shape.message.fr.clone().unwrap_or(fr),
                    message_en: shape.message.en.clone().unwrap_or(en),
                });
            }
        }
        for p in &shape.properties {
            self.check_property(p, focus, out, depth);
        }
    }

    fn check_property(
        &self,
        shape: &PropertyShape,
        focus: &Term,
        out: &mut Vec<ValidationResult>,
        depth: usize,
    ) {
        let values = self.values(focus, &shape.path);
        let field = shape
            .name
            .fr
            .clone()
            .or_else(|| shape.name.en.clone())
            .unwrap_or_else(|| shape.path_text.clone());
        let mut fail = |c: &Constraint, value: Option<Term>| {
            let (fr, en) = c.default_message(&field);
            out.push(ValidationResult {
                focus_node: focus.clone(),
                path: Some(shape.path_text.clone()),
                value,
                component: c.component().to_owned(),
                source_shape: shape.id.to_string(),
                message_fr: shape.message.fr.clone().unwrap_or(fr),
                message_en: shape.message.en.clone().unwrap_or(en),
            });
        };
        for c in &shape.constraints {
            match c {
                Constraint::MinCount(n) => {
                    if values.len() < *n {
                        fail(c, None);
                    }
                }
                Constraint::MaxCount(n) => {
                    if values.len() > *n {
                        fail(c, None);
                    }
                }
                Constraint::HasValue(v) => {
                    if !values.contains(v) {
                        fail(c, None);
                    }
                }
                Constraint::LessThan(other) => {
                    let others = match node_of(focus.as_ref()) {
                        Some(n) => self
                            .data
                            .objects_for_subject_predicate(&n, other)
                            .map(|t| t.into_owned())
                            .collect(),
                        None => Vec::new(),
                    };
                    for v in &values {
                        for w in &others {
                            if compare(v, w) != Some(Ordering::Less) {
                                fail(c, Some(v.clone()));
                            }
                        }
                    }
                }
                _ => {
                    for v in &values {
                        if !self.value_ok(c, focus, v, depth) {
                            fail(c, Some(v.clone()));
                        }
                    }
                }
            }
        }
    }

    /// Whether one value satisfies a value-level constraint.
    fn value_ok(&self, c: &Constraint, focus: &Term, v: &Term, depth: usize) -> bool {
        match c {
            Constraint::Datatype(dt) => match v {
                Term::Literal(l) => l.datatype() == dt.as_ref() && well_formed(l),
                _ => false,
            },
            Constraint::Class(class) => self.is_instance(v, class),
            Constraint::NodeKind(kind) => {
                let k = kind.as_str().strip_prefix(SH).unwrap_or_default();
                match v {
                    Term::NamedNode(_) => matches!(k, "IRI" | "BlankNodeOrIRI" | "IRIOrLiteral"),
                    Term::BlankNode(_) => {
                        matches!(k, "BlankNode" | "BlankNodeOrIRI" | "BlankNodeOrLiteral")
                    }
                    Term::Literal(_) => {
                        matches!(k, "Literal" | "BlankNodeOrLiteral" | "IRIOrLiteral")
                    }
                }
            }
            Constraint::Pattern(re) => match v {
                Term::BlankNode(_) => false,
                Term::NamedNode(n) => re.is_match(n.as_str()),
                Term::Literal(l) => re.is_match(l.value()),
            },
            Constraint::In(list) => list.contains(v),
            Constraint::LanguageIn(langs) => match v {
                Term::Literal(l) => l.language().is_some_and(|lang| {
                    let lang = lang.to_ascii_lowercase();
                    langs
                        .iter()
                        .any(|allowed| lang == *allowed || lang.starts_with(&format!("{allowed}-")))
                }),
                _ => false,
            },
            Constraint::MinInclusive(b) => matches!(
                compare(v, &b.clone().into()),
                Some(Ordering::Greater | Ordering::Equal)
            ),
            Constraint::MaxInclusive(b) => matches!(
                compare(v, &b.clone().into()),
                Some(Ordering::Less | Ordering::Equal)
            ),
            Constraint::MinExclusive(b) => compare(v, &b.clone().into()) == Some(Ordering::Greater),
            Constraint::MaxExclusive(b) => compare(v, &b.clone().into()) == Some(Ordering::Less),
            Constraint::MinLength(n) => string_len(v).is_some_and(|l| l >= *n),
            Constraint::MaxLength(n) => string_len(v).is_some_and(|l| l <= *n),
            Constraint::Node(shape) => {
                let _ = focus;
                self.conforms_to(shape, v, depth)
            }
            Constraint::HasValue(h) => v == h,
            Constraint::MinCount(_) | Constraint::MaxCount(_) | Constraint::LessThan(_) => true,
        }
    }
}

fn string_len(v: &Term) -> Option<usize> {
    match v {
        Term::NamedNode(n) => Some(n.as_str().chars().count()),
        Term::Literal(l) => Some(l.value().chars().count()),
        Term::BlankNode(_) => None,
    }
}

fn well_formed(l: &Literal) -> bool {
    let v = l.value();
    let dt = l.datatype();
    if dt == xsd::INTEGER {
        oxsdatatypes::Integer::from_str(v).is_ok()
    } else if dt == xsd::DECIMAL {
        oxsdatatypes::Decimal::from_str(v).is_ok()
    } else if dt == xsd::DOUBLE {
        oxsdatatypes::Double::from_str(v).is_ok()
    } else if dt == xsd::FLOAT {
        oxsdatatypes::Float::from_str(v).is_ok()
    } else if dt == xsd::BOOLEAN {
        oxsdatatypes::Boolean::from_str(v).is_ok()
    } else if dt == xsd::DATE_TIME {
        oxsdatatypes::DateTime::from_str(v).is_ok()
    } else if dt == xsd::DATE {
        oxsdatatypes::Date::from_str(v).is_ok()
    } else if dt == xsd::TIME {
        oxsdatatypes::Time::from_str(v).is_ok()
    } else if dt == xsd::NON_NEGATIVE_INTEGER || dt == xsd::POSITIVE_INTEGER {
        oxsdatatypes::Integer::from_str(v)
            .is_ok_and(|i| i >= oxsdatatypes::Integer::from(i64::from(dt == xsd::POSITIVE_INTEGER)))
    } else {
        true
    }
}

fn is_numeric(dt: NamedNodeRef<'_>) -> bool {
    [
        xsd::INTEGER,
        xsd::DECIMAL,
        xsd::DOUBLE,
        xsd::FLOAT,
        xsd::NON_NEGATIVE_INTEGER,
        xsd::POSITIVE_INTEGER,
        xsd::INT,
        xsd::LONG,
    ]
    .contains(&dt)
}

/// Orders two literals of comparable types (numbers, dates, date-times, strings); `None` when
/// they cannot be compared, which fails the constraint.
fn compare(a: &Term, b: &Term) -> Option<Ordering> {
    let (Term::Literal(a), Term::Literal(b)) = (a, b) else {
        return None;
    };
    let (da, db) = (a.datatype(), b.datatype());
    if is_numeric(da) && is_numeric(db) {
        let x = f64::from_str(a.value().trim()).ok()?;
        let y = f64::from_str(b.value().trim()).ok()?;
        return x.partial_cmp(&y);
    }
    if da == xsd::DATE_TIME && db == xsd::DATE_TIME {
        let x = oxsdatatypes::DateTime::from_str(a.value()).ok()?;
        let y = oxsdatatypes::DateTime::from_str(b.value()).ok()?;
        return x.partial_cmp(&y);
    }
    if da == xsd::DATE && db == xsd::DATE {
        let x = oxsdatatypes::Date::from_str(a.value()).ok()?;
        let y = oxsdatatypes::Date::from_str(b.value()).ok()?;
        return x.partial_cmp(&y);
    }
    if da == db && (da == xsd::STRING || da == xsd::TIME) {
        return Some(a.value().cmp(b.value()));
    }
    None
}

#[cfg(test)]
mod tests;
