//! The store against `oxrdf::Dataset` on random quads and random patterns: same answers to
//! every quad pattern, and the same SPARQL answers through spareval.

use kommon_rdf::model::{
    BlankNode, Dataset, GraphName, GraphNameRef, Literal, NamedNode, NamedOrBlankNode, Quad, Term,
};
use kommon_rdf::{QuadStore, QueryOptions, QueryOutcome, StoreError};
use proptest::prelude::*;

fn term(i: u8) -> Term {
    match i % 4 {
        0 => NamedNode::new_unchecked(format!("http://ex.example/n{}", i % 7)).into(),
        1 => Literal::new_simple_literal(format!("v{}", i % 5)).into(),
        2 => Literal::new_language_tagged_literal_unchecked(format!("l{}", i % 3), "fr").into(),
        _ => BlankNode::new_unchecked(format!("b{}", i % 3)).into(),
    }
}

fn subject(i: u8) -> NamedOrBlankNode {
    if i.is_multiple_of(3) {
        BlankNode::new_unchecked(format!("b{}", i % 3)).into()
    } else {
        NamedNode::new_unchecked(format!("http://ex.example/n{}", i % 7)).into()
    }
}

fn predicate(i: u8) -> NamedNode {
    NamedNode::new_unchecked(format!("http://ex.example/p{}", i % 4))
}

fn graph(i: u8) -> GraphName {
    match i % 4 {
        0 => GraphName::DefaultGraph,
        n => NamedNode::new_unchecked(format!("http://ex.example/g{n}")).into(),
    }
}

fn named_graph(i: u8) -> NamedNode {
    NamedNode::new_unchecked(format!("http://ex.example/g{}", i % 3 + 1))
}

fn put_triple((s, p, o): (u8, u8, u8)) -> kommon_rdf::model::Triple {
    let o = match term(o) {
        Term::BlankNode(_) => Term::from(Literal::new_simple_literal("b")),
        other => other,
    };
    kommon_rdf::model::Triple::new(
        NamedNode::new_unchecked(format!("http://ex.example/n{}", s % 7)),
        predicate(p),
        o,
    )
}

fn quad((s, p, o, g): (u8, u8, u8, u8)) -> Quad {
    Quad::new(subject(s), predicate(p), term(o), graph(g))
}

#[derive(Debug, Clone)]
enum Op {
    Insert((u8, u8, u8, u8)),
    Remove((u8, u8, u8, u8)),
    ClearGraph(u8),
    /// Replace a named graph's content (subjects are IRIs, so no blank node scoping applies).
    Put(u8, Vec<(u8, u8, u8)>),
}

fn op() -> impl Strategy<Value = Op> {
    let q = (any::<u8>(), any::<u8>(), any::<u8>(), any::<u8>());
    prop_oneof![
        6 => q.prop_map(Op::Insert),
        2 => q.prop_map(Op::Remove),
        1 => any::<u8>().prop_map(Op::ClearGraph),
        2 => (any::<u8>(), prop::collection::vec((any::<u8>(), any::<u8>(), any::<u8>()), 0..6)).prop_map(|(g, t)| Op::Put(g, t)),
    ]
}

fn sorted(mut v: Vec<Quad>) -> Vec<String> {
    let mut s: Vec<String> = v.drain(..).map(|q| q.to_string()).collect();
    s.sort();
    s
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn store_agrees_with_oxrdf_dataset(
        batches in prop::collection::vec(prop::collection::vec(op(), 1..30), 1..6),
        patterns in prop::collection::vec((any::<u8>(), any::<u8>(), any::<u8>(), any::<u8>(), 0u8..32), 1..20),
    ) {
        let store = QuadStore::temporary().unwrap();
        let mut reference = Dataset::new();
        for batch in &batches {
            store.transaction(|tx| {
                for op in batch {
                    match op {
                        Op::Insert(q) => { tx.insert(&quad(*q))?; }
                        Op::Remove(q) => { tx.remove(&quad(*q))?; }
                        Op::ClearGraph(g) => { tx.clear_graph(&graph(*g))?; }
                        Op::Put(g, triples) => {
                            tx.put_document(named_graph(*g).as_ref(), triples.iter().map(|t| put_triple(*t)))?;
                        }
                    }
                }
                Ok::<_, StoreError>(())
            }).unwrap();
            for op in batch {
                match op {
                    Op::Insert(q) => { reference.insert(&quad(*q)); }
                    Op::Remove(q) => { reference.remove(&quad(*q)); }
                    Op::ClearGraph(g) => {
                        let g = graph(*g);
                        let in_graph: Vec<Quad> = reference.iter().filter(|q| q.graph_name == g.as_ref()).map(|q| q.into_owned()).collect();
                        for q in in_graph { reference.remove(&q); }
                    }
                    Op::Put(g, triples) => {
                        let g = GraphName::from(named_graph(*g));
                        let in_graph: Vec<Quad> = reference.iter().filter(|q| q.graph_name == g.as_ref()).map(|q| q.into_owned()).collect();
                        for q in in_graph { reference.remove(&q); }
                        for t in triples {
                            reference.insert(&put_triple(*t).in_graph(g.clone()));
                        }
                    }
                }
            }
        }
        prop_assert_eq!(store.check_consistency().unwrap(), reference.len());
        for (s, p, o, g, mask) in patterns {
            let (s, p, o, g) = (Term::from(subject(s)), Term::from(predicate(p)), term(o), graph(g));
            let bs = (mask & 1 != 0).then_some(&s);
            let bp = (mask & 2 != 0).then_some(&p);
            let bo = (mask & 4 != 0).then_some(&o);
            let bg = (mask & 8 != 0).then_some(g.as_ref());
            let got = store.quads_for_pattern(bs, bp, bo, bg).unwrap();
            let expected: Vec<Quad> = reference.iter().filter(|q| {
                bs.is_none_or(|s| Term::from(q.subject.into_owned()) == *s)
                    && bp.is_none_or(|p| Term::from(q.predicate.into_owned()) == *p)
                    && bo.is_none_or(|o| q.object.into_owned() == *o)
                    && bg.is_none_or(|g: GraphNameRef<'_>| q.graph_name == g)
            }).map(|q| q.into_owned()).collect();
            prop_assert_eq!(sorted(got), sorted(expected), "pattern {:05b}", mask);
            // The same pattern through SPARQL over the union of named graphs.
            if mask & 16 != 0 {
                let query = format!(
                    "SELECT ?s ?p ?o WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?p = {}) }}",
                    p
                );
                let ours = store.query(&query, &QueryOptions::default()).unwrap();
                let evaluator = spareval::QueryEvaluator::new();
                let parsed = kommon_rdf::parse_query(&query, None).unwrap();
                let theirs = match evaluator.prepare(&parsed).execute(&reference).unwrap() {
                    spareval::QueryResults::Solutions(s) => s.count(),
                    _ => unreachable!(),
                };
                match ours {
                    QueryOutcome::Solutions { rows, .. } => prop_assert_eq!(rows.len(), theirs),
                    other => prop_assert!(false, "unexpected {:?}", other),
                }
            }
        }
    }
}
