//! A guard against queries whose cost no time limit can bound: cross products of several
//! unrelated patterns.
//!
//! spareval checks for cancellation when it reads the store. A product of two unrelated
//! patterns keeps reading the store between probes, so a time limit stops it; a product of three
//! or more is computed from data already in memory and can run (and allocate) for hours after
//! its time is up. Counting the groups of patterns that share no variable lets a public endpoint
//! refuse those before evaluation, with a message that says how to fix the query.

use spargebra::algebra::GraphPattern;
use spargebra::term::{NamedNodePattern, TermPattern, TriplePattern, Variable};
use std::collections::HashSet;

/// The largest number of mutually unrelated pattern groups joined together anywhere in `pattern`.
pub fn independent_factors(pattern: &GraphPattern) -> usize {
    let mut atoms = Vec::new();
    flatten(pattern, &mut atoms);
    let mut worst = count_components(&atoms);
    for atom in &atoms {
        if let Atom::Nested(inner) = atom {
            worst = worst.max(nested_factors(inner));
        }
    }
    worst
}

enum Atom<'a> {
    Vars(HashSet<&'a Variable>),
    Nested(&'a GraphPattern),
}

impl Atom<'_> {
    fn vars(&self) -> HashSet<&Variable> {
        match self {
            Atom::Vars(v) => v.clone(),
            Atom::Nested(p) => {
                let mut v = HashSet::new();
                pattern_vars(p, &mut v);
                v
            }
        }
    }
}

fn nested_factors(p: &GraphPattern) -> usize {
    match p {
        GraphPattern::Bgp { .. } | GraphPattern::Join { .. } => independent_factors(p),
        GraphPattern::Graph {
            name: NamedNodePattern::Variable(_),
            inner,
        } => {
            // The graph variable links the patterns directly inside; groups nested deeper
            // (subqueries, unions) are still counted on their own.
            let mut atoms = Vec::new();
            flatten(inner, &mut atoms);
            atoms
                .iter()
                .filter_map(|a| match a {
                    Atom::Nested(n) => Some(nested_factors(n)),
                    Atom::Vars(_) => None,
                })
                .max()
                .unwrap_or(0)
                .max(1)
        }
        _ => children(p)
            .iter()
            .map(|c| independent_factors(c))
            .max()
            .unwrap_or(0),
    }
}

fn children(p: &GraphPattern) -> Vec<&GraphPattern> {
    match p {
        GraphPattern::Bgp { .. } | GraphPattern::Path { .. } | GraphPattern::Values { .. } => {
            Vec::new()
        }
        GraphPattern::Join { left, right }
        | GraphPattern::Lateral { left, right }
        | GraphPattern::LeftJoin { left, right, .. }
        | GraphPattern::Union { left, right }
        | GraphPattern::Minus { left, right } => vec![left, right],
        GraphPattern::Filter { inner, .. }
        | GraphPattern::Graph { inner, .. }
        | GraphPattern::Extend { inner, .. }
        | GraphPattern::OrderBy { inner, .. }
        | GraphPattern::Project { inner, .. }
        | GraphPattern::Distinct { inner }
        | GraphPattern::Reduced { inner }
        | GraphPattern::Slice { inner, .. }
        | GraphPattern::Group { inner, .. }
        | GraphPattern::Service { inner, .. } => vec![inner],
    }
}

fn flatten<'a>(p: &'a GraphPattern, out: &mut Vec<Atom<'a>>) {
    match p {
        GraphPattern::Bgp { patterns } => {
            for t in patterns {
                out.push(Atom::Vars(triple_vars(t)));
            }
        }
        GraphPattern::Join { left, right } => {
            flatten(left, out);
            flatten(right, out);
        }
        // What only filters or extends one group stays that group.
        GraphPattern::Filter { inner, .. } | GraphPattern::Extend { inner, .. } => {
            flatten(inner, out)
        }
        GraphPattern::Path {
            subject, object, ..
        } => {
            let mut v = HashSet::new();
            term_var(subject, &mut v);
            term_var(object, &mut v);
            out.push(Atom::Vars(v));
        }
        other => out.push(Atom::Nested(other)),
    }
}

fn term_var<'a>(t: &'a TermPattern, out: &mut HashSet<&'a Variable>) {
    if let TermPattern::Variable(v) = t {
        out.insert(v);
    }
}

fn triple_vars(t: &TriplePattern) -> HashSet<&Variable> {
    let mut v = HashSet::new();
    term_var(&t.subject, &mut v);
    if let NamedNodePattern::Variable(p) = &t.predicate {
        v.insert(p);
    }
    term_var(&t.object, &mut v);
    v
}

fn pattern_vars<'a>(p: &'a GraphPattern, out: &mut HashSet<&'a Variable>) {
    match p {
        GraphPattern::Bgp { patterns } => {
            for t in patterns {
                out.extend(triple_vars(t));
            }
        }
        GraphPattern::Path {
            subject, object, ..
        } => {
            term_var(subject, out);
            term_var(object, out);
        }
        GraphPattern::Values { variables, .. } => out.extend(variables.iter()),
        GraphPattern::Graph { name, inner } => {
            if let NamedNodePattern::Variable(v) = name {
                out.insert(v);
            }
            pattern_vars(inner, out);
        }
        GraphPattern::Extend {
            inner, variable, ..
        } => {
            out.insert(variable);
            pattern_vars(inner, out);
        }
        GraphPattern::Project { variables, .. } => out.extend(variables.iter()),
        GraphPattern::Group {
            variables,
            aggregates,
            ..
        } => {
            out.extend(variables.iter());
            out.extend(aggregates.iter().map(|(v, _)| v));
        }
        other => {
            for c in children(other) {
                pattern_vars(c, out);
            }
        }
    }
}

/// Groups atoms that share variables; counts the groups that have any variable.
fn count_components(atoms: &[Atom<'_>]) -> usize {
    let vars: Vec<HashSet<&Variable>> = atoms.iter().map(Atom::vars).collect();
    let mut parent: Vec<usize> = (0..atoms.len()).collect();
    fn find(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for i in 0..vars.len() {
        for j in (i + 1)..vars.len() {
            if !vars[i].is_disjoint(&vars[j]) {
                let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                parent[a] = b;
            }
        }
    }
    let mut roots = HashSet::new();
    for (i, v) in vars.iter().enumerate() {
        if !v.is_empty() {
            roots.insert(find(&mut parent, i));
        }
    }
    roots.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use spargebra::{Query, SparqlParser};

    fn factors(q: &str) -> usize {
        match SparqlParser::new().parse_query(q).unwrap() {
            Query::Select { pattern, .. }
            | Query::Ask { pattern, .. }
            | Query::Construct { pattern, .. }
            | Query::Describe { pattern, .. } => independent_factors(&pattern),
        }
    }

    #[test]
    fn counts_unrelated_groups() {
        assert_eq!(factors("SELECT * { ?s ?p ?o }"), 1);
        assert_eq!(
            factors("SELECT * { ?s <http://a> ?o . ?o <http://b> ?x }"),
            1
        );
        assert_eq!(factors("SELECT * { ?x a <http://A> . ?y a <http://B> }"), 2);
        assert_eq!(factors("SELECT * { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"), 3);
        assert_eq!(
            factors("SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"),
            4
        );
        assert_eq!(
            factors("SELECT * { ?s ?p ?o FILTER(?o > 3) OPTIONAL { ?s <http://n> ?n } }"),
            1
        );
        assert_eq!(
            factors("SELECT * { { ?a ?b ?c . ?d ?e ?f } UNION { ?s ?p ?o } }"),
            2
        );
        assert_eq!(factors("SELECT * { GRAPH ?g { ?s ?p ?o } }"), 1);
        assert_eq!(factors("SELECT * { GRAPH ?g { ?a ?b ?c . ?d ?e ?f } }"), 1);
        assert_eq!(
            factors("SELECT * { GRAPH <http://g> { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } }"),
            3
        );
        assert_eq!(
            factors("SELECT * { ?s <http://p>* ?o . ?x ?y ?z . ?k ?l ?m }"),
            3
        );
        assert_eq!(
            factors("SELECT * { <http://a> <http://b> <http://c> . ?s ?p ?o }"),
            1
        );
    }
}
