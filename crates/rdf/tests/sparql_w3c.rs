//! The W3C SPARQL 1.1 query and update test suites, run from their manifests against the quad
//! store, and for queries also against spareval over `oxrdf::Dataset` as the baseline: every
//! test the baseline passes must pass on the store, except the exceptions listed below with
//! their reason. The counts are printed and recorded in `docs/sparql-conformance.md`.
//!
//! The suite is read from `../shared/conformance/sparql/sparql11` beside the repository, or from
//! the folder named by `KOMMON_SPARQL_TESTS`.

use kommon_rdf::codec::{self, ParseLimits, RdfFormat};
use kommon_rdf::jsonld::ContextLoader;
use kommon_rdf::model::dataset::CanonicalizationAlgorithm;
use kommon_rdf::model::vocab::rdf;
use kommon_rdf::model::{
    BlankNode, Dataset, Graph, GraphName, Literal, NamedNode, NamedOrBlankNode, Quad, Term, Triple,
};
use kommon_rdf::spargebra::Query;
use kommon_rdf::{QuadStore, QueryOptions, QueryOutcome, UpdateOptions, parse_query, parse_update};
use std::path::{Path, PathBuf};
use std::sync::Arc;

const BASE: &str = "https://w3c.github.io/rdf-tests/sparql/sparql11/";
const MF: &str = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#";
const QT: &str = "http://www.w3.org/2001/sw/DataAccess/tests/test-query#";
const UT: &str = "http://www.w3.org/2009/sparql/tests/test-update#";
const RS: &str = "http://www.w3.org/2001/sw/DataAccess/tests/result-set#";

/// Tests the store may fail, with the reason. Empty: every test the baseline passes, we pass.
const STORE_EXCEPTIONS: &[(&str, &str)] = &[];

fn suite_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("KOMMON_SPARQL_TESTS") {
        return PathBuf::from(dir);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/sparql/sparql11")
}

fn to_path(url: &str) -> PathBuf {
    let rel = url
        .strip_prefix(BASE)
        .unwrap_or_else(|| panic!("test file outside the suite: {url}"));
    suite_dir().join(rel)
}

fn read(url: &str) -> Vec<u8> {
    std::fs::read(to_path(url)).unwrap_or_else(|e| panic!("cannot read {url}: {e}"))
}

fn nn(s: &str) -> NamedNode {
    NamedNode::new_unchecked(s)
}

fn format_of(url: &str) -> RdfFormat {
    if url.ends_with(".nt") {
        RdfFormat::NTriples
    } else if url.ends_with(".nq") {
        RdfFormat::NQuads
    } else if url.ends_with(".trig") {
        RdfFormat::TriG
    } else {
        RdfFormat::Turtle
    }
}

fn load_triples(url: &str) -> Vec<Triple> {
    if url.ends_with(".rdf") {
        // RDF/XML only appears in test data; the store itself never reads it.
        return oxrdfxml::RdfXmlParser::new()
            .with_base_iri(url)
            .unwrap()
            .for_slice(&read(url))
            .collect::<Result<_, _>>()
            .unwrap_or_else(|e| panic!("cannot parse {url}: {e}"));
    }
    let limits = ParseLimits {
        max_bytes: usize::MAX,
        max_quads: usize::MAX,
        max_literal_bytes: usize::MAX,
        max_depth: 1000,
    };
    codec::parse(
        format_of(url),
        &read(url),
        Some(url),
        &limits,
        &ContextLoader::bundled(),
    )
    .unwrap_or_else(|e| panic!("cannot parse {url}: {e}"))
    .into_iter()
    .map(|q| Triple::new(q.subject, q.predicate, q.object))
    .collect()
}

struct Manifest {
    graph: Graph,
}

impl Manifest {
    fn object(&self, s: &NamedOrBlankNode, p: &str) -> Option<Term> {
        self.graph
            .object_for_subject_predicate(s, &nn(p))
            .map(|t| t.into_owned())
    }
    fn objects(&self, s: &NamedOrBlankNode, p: &str) -> Vec<Term> {
        self.graph
            .objects_for_subject_predicate(s, &nn(p))
            .map(|t| t.into_owned())
            .collect()
    }
    fn list(&self, head: Term) -> Vec<Term> {
        let mut out = Vec::new();
        let mut node = head;
        loop {
            let subject = match &node {
                Term::NamedNode(n) if n.as_ref() == rdf::NIL => return out,
                Term::NamedNode(n) => NamedOrBlankNode::from(n.clone()),
                Term::BlankNode(b) => NamedOrBlankNode::from(b.clone()),
                Term::Literal(_) => return out,
            };
            if let Some(first) = self.object(&subject, rdf::FIRST.as_str()) {
                out.push(first);
            }
            match self.object(&subject, rdf::REST.as_str()) {
                Some(rest) => node = rest,
                None => return out,
            }
        }
    }
}

struct TestCase {
    id: String,
    kind: String,
    action: Option<Term>,
    result: Option<Term>,
    manifest: Arc<Manifest>,
}

fn collect_tests(manifest_url: &str, out: &mut Vec<TestCase>) {
    let graph: Graph = load_triples(manifest_url).into_iter().collect();
    let manifest = Arc::new(Manifest { graph });
    let me: NamedOrBlankNode = nn(manifest_url).into();
    for include in manifest.objects(&me, &format!("{MF}include")) {
        for m in manifest.list(include) {
            if let Term::NamedNode(m) = m {
                collect_tests(m.as_str(), out);
            }
        }
    }
    for entries in manifest.objects(&me, &format!("{MF}entries")) {
        for entry in manifest.list(entries) {
            let Term::NamedNode(id) = entry else { continue };
            let subject: NamedOrBlankNode = id.clone().into();
            let kind = manifest
                .object(&subject, rdf::TYPE.as_str())
                .map(|t| match t {
                    Term::NamedNode(n) => n.as_str().to_owned(),
                    _ => String::new(),
                })
                .unwrap_or_default();
            out.push(TestCase {
                id: id.as_str().to_owned(),
                kind,
                action: manifest.object(&subject, &format!("{MF}action")),
                result: manifest.object(&subject, &format!("{MF}result")),
                manifest: manifest.clone(),
            });
        }
    }
}

fn iri_of(t: &Term) -> String {
    match t {
        Term::NamedNode(n) => n.as_str().to_owned(),
        other => panic!("expected an IRI, got {other}"),
    }
}

fn node(t: &Term) -> NamedOrBlankNode {
    match t {
        Term::NamedNode(n) => n.clone().into(),
        Term::BlankNode(b) => b.clone().into(),
        other => panic!("expected a node, got {other}"),
    }
}

/// The dataset a test starts from: default graph data and named graphs.
struct TestData {
    default: Vec<Triple>,
    named: Vec<(NamedNode, Vec<Triple>)>,
}

/// Adds a data file to the default graph, or to its named graphs for a dataset syntax.
fn add_data(data: &mut TestData, url: &str) {
    let format = format_of(url);
    if !format.supports_datasets() {
        data.default.extend(load_triples(url));
        return;
    }
    let limits = ParseLimits {
        max_bytes: usize::MAX,
        max_quads: usize::MAX,
        max_literal_bytes: usize::MAX,
        max_depth: 1000,
    };
    let quads = codec::parse(
        format,
        &read(url),
        Some(url),
        &limits,
        &ContextLoader::bundled(),
    )
    .unwrap_or_else(|e| panic!("cannot parse {url}: {e}"));
    for q in quads {
        let t = Triple::new(q.subject, q.predicate, q.object);
        match q.graph_name {
            GraphName::NamedNode(g) => match data.named.iter_mut().find(|(n, _)| *n == g) {
                Some((_, triples)) => triples.push(t),
                None => data.named.push((g, vec![t])),
            },
            _ => data.default.push(t),
        }
    }
}

fn query_data(case: &TestCase) -> (String, TestData) {
    let action = node(case.action.as_ref().expect("query test without action"));
    let m = &case.manifest;
    let query = iri_of(
        &m.object(&action, &format!("{QT}query"))
            .expect("no qt:query"),
    );
    let mut data = TestData {
        default: Vec::new(),
        named: Vec::new(),
    };
    for d in m.objects(&action, &format!("{QT}data")) {
        add_data(&mut data, &iri_of(&d));
    }
    for g in m.objects(&action, &format!("{QT}graphData")) {
        let g = iri_of(&g);
        data.named.push((nn(&g), load_triples(&g)));
    }
    (query, data)
}

fn update_data(m: &Manifest, subject: &NamedOrBlankNode) -> TestData {
    let mut data = TestData {
        default: Vec::new(),
        named: Vec::new(),
    };
    for d in m.objects(subject, &format!("{UT}data")) {
        add_data(&mut data, &iri_of(&d));
    }
    for g in m.objects(subject, &format!("{UT}graphData")) {
        let g = node(&g);
        let file = iri_of(&m.object(&g, &format!("{UT}graph")).expect("no ut:graph"));
        let name = match m.object(&g, "http://www.w3.org/2000/01/rdf-schema#label") {
            Some(Term::Literal(l)) => l.value().to_owned(),
            _ => file.clone(),
        };
        data.named.push((nn(&name), load_triples(&file)));
    }
    data
}

fn fill_store(data: &TestData) -> QuadStore {
    let store = QuadStore::temporary().unwrap();
    store
        .transaction(|tx| {
            for t in &data.default {
                tx.insert(&t.clone().in_graph(GraphName::DefaultGraph))?;
            }
            for (g, triples) in &data.named {
                tx.create_graph(&GraphName::NamedNode(g.clone()))?;
                for t in triples {
                    tx.insert(&t.clone().in_graph(g.clone()))?;
                }
            }
            Ok::<_, kommon_rdf::StoreError>(())
        })
        .unwrap();
    store
}

fn fill_dataset(data: &TestData) -> Dataset {
    let mut ds = Dataset::new();
    for t in &data.default {
        ds.insert(&t.clone().in_graph(GraphName::DefaultGraph));
    }
    for (g, triples) in &data.named {
        for t in triples {
            ds.insert(&t.clone().in_graph(g.clone()));
        }
    }
    ds
}

/// Numeric literals in their canonical lexical form: the expected results of the suite write
/// `1.0` where the engine writes `1`, which are the same value.
fn normalize(term: &Term) -> Term {
    use kommon_rdf::model::vocab::xsd;
    use std::str::FromStr;
    if let Term::Literal(l) = term {
        let dt = l.datatype();
        let value = l.value();
        let canonical = if dt == xsd::DECIMAL {
            oxsdatatypes::Decimal::from_str(value)
                .ok()
                .map(|v| v.to_string())
        } else if dt == xsd::DOUBLE {
            oxsdatatypes::Double::from_str(value)
                .ok()
                .map(|v| v.to_string())
        } else if dt == xsd::FLOAT {
            oxsdatatypes::Float::from_str(value)
                .ok()
                .map(|v| v.to_string())
        } else if dt == xsd::INTEGER {
            oxsdatatypes::Integer::from_str(value)
                .ok()
                .map(|v| v.to_string())
        } else {
            None
        };
        if let Some(c) = canonical {
            return Literal::new_typed_literal(c, dt.into_owned()).into();
        }
    }
    term.clone()
}

/// Results as a canonical graph (the result-set vocabulary), so that comparison is isomorphism
/// with blank nodes, ordered when the query orders.
fn results_graph(outcome: &QueryOutcome, ordered: bool) -> Dataset {
    let mut ds = Dataset::new();
    let rs = BlankNode::default();
    let rsn = |l: &str| nn(&format!("{RS}{l}"));
    match outcome {
        QueryOutcome::Boolean(b) => {
            ds.insert(&Quad::new(
                rs.clone(),
                rdf::TYPE,
                rsn("ResultSet"),
                GraphName::DefaultGraph,
            ));
            ds.insert(&Quad::new(
                rs,
                rsn("boolean"),
                Literal::from(*b),
                GraphName::DefaultGraph,
            ));
        }
        QueryOutcome::Solutions { variables, rows } => {
            ds.insert(&Quad::new(
                rs.clone(),
                rdf::TYPE,
                rsn("ResultSet"),
                GraphName::DefaultGraph,
            ));
            for v in variables {
                ds.insert(&Quad::new(
                    rs.clone(),
                    rsn("resultVariable"),
                    Literal::from(v.as_str()),
                    GraphName::DefaultGraph,
                ));
            }
            for (i, row) in rows.iter().enumerate() {
                let sol = BlankNode::default();
                ds.insert(&Quad::new(
                    rs.clone(),
                    rsn("solution"),
                    sol.clone(),
                    GraphName::DefaultGraph,
                ));
                if ordered {
                    ds.insert(&Quad::new(
                        sol.clone(),
                        rsn("index"),
                        Literal::from((i + 1) as i64),
                        GraphName::DefaultGraph,
                    ));
                }
                for (v, value) in variables.iter().zip(row) {
                    if let Some(value) = value {
                        let b = BlankNode::default();
                        ds.insert(&Quad::new(
                            sol.clone(),
                            rsn("binding"),
                            b.clone(),
                            GraphName::DefaultGraph,
                        ));
                        ds.insert(&Quad::new(
                            b.clone(),
                            rsn("variable"),
                            Literal::from(v.as_str()),
                            GraphName::DefaultGraph,
                        ));
                        ds.insert(&Quad::new(
                            b,
                            rsn("value"),
                            normalize(value),
                            GraphName::DefaultGraph,
                        ));
                    }
                }
            }
        }
        QueryOutcome::Graph(triples) => {
            for t in triples {
                let t = Triple::new(t.subject.clone(), t.predicate.clone(), normalize(&t.object));
                ds.insert(&t.in_graph(GraphName::DefaultGraph));
            }
        }
    }
    ds.canonicalize(CanonicalizationAlgorithm::Unstable);
    ds
}

fn expected_outcome(url: &str, is_graph_query: bool) -> QueryOutcome {
    use sparesults::{QueryResultsFormat, QueryResultsParser, SliceQueryResultsParserOutput};
    let format = if url.ends_with(".srx") {
        Some(QueryResultsFormat::Xml)
    } else if url.ends_with(".srj") {
        Some(QueryResultsFormat::Json)
    } else if url.ends_with(".tsv") {
        Some(QueryResultsFormat::Tsv)
    } else {
        None
    };
    if let Some(format) = format {
        let bytes = read(url);
        return match QueryResultsParser::from_format(format)
            .for_slice(&bytes)
            .unwrap()
        {
            SliceQueryResultsParserOutput::Boolean(b) => QueryOutcome::Boolean(b),
            SliceQueryResultsParserOutput::Solutions(s) => {
                let variables = s.variables().to_vec();
                let rows = s
                    .map(|sol| {
                        let sol = sol.unwrap();
                        variables.iter().map(|v| sol.get(v).cloned()).collect()
                    })
                    .collect();
                QueryOutcome::Solutions { variables, rows }
            }
        };
    }
    let triples = load_triples(url);
    if is_graph_query {
        return QueryOutcome::Graph(triples);
    }
    // A result set written in the result-set vocabulary.
    let g: Graph = triples.into_iter().collect();
    let rsn = |l: &str| nn(&format!("{RS}{l}"));
    let rs = g
        .subject_for_predicate_object(rdf::TYPE, &rsn("ResultSet"))
        .expect("no rs:ResultSet")
        .into_owned();
    if let Some(b) = g.object_for_subject_predicate(&rs, &rsn("boolean")) {
        return QueryOutcome::Boolean(
            matches!(b, kommon_rdf::model::TermRef::Literal(l) if l.value() == "true"),
        );
    }
    let variables: Vec<kommon_rdf::model::Variable> = g
        .objects_for_subject_predicate(&rs, &rsn("resultVariable"))
        .map(|t| match t {
            kommon_rdf::model::TermRef::Literal(l) => {
                kommon_rdf::model::Variable::new_unchecked(l.value())
            }
            other => panic!("bad variable {other}"),
        })
        .collect();
    let mut rows: Vec<(i64, Vec<Option<Term>>)> = Vec::new();
    for sol in g.objects_for_subject_predicate(&rs, &rsn("solution")) {
        let sol = node(&sol.into_owned());
        let index = match g.object_for_subject_predicate(&sol, &rsn("index")) {
            Some(kommon_rdf::model::TermRef::Literal(l)) => l.value().parse().unwrap_or(0),
            _ => 0,
        };
        let mut row = vec![None; variables.len()];
        for b in g.objects_for_subject_predicate(&sol, &rsn("binding")) {
            let b = node(&b.into_owned());
            let var = g
                .object_for_subject_predicate(&b, &rsn("variable"))
                .unwrap()
                .into_owned();
            let value = g
                .object_for_subject_predicate(&b, &rsn("value"))
                .unwrap()
                .into_owned();
            let Term::Literal(var) = var else { panic!() };
            if let Some(i) = variables.iter().position(|v| v.as_str() == var.value()) {
                row[i] = Some(value);
            }
        }
        rows.push((index, row));
    }
    rows.sort_by_key(|(i, _)| *i);
    QueryOutcome::Solutions {
        variables,
        rows: rows.into_iter().map(|(_, r)| r).collect(),
    }
}

fn is_ordered(query: &Query) -> bool {
    matches!(query, Query::Select { pattern, .. } if format!("{pattern}").contains("order"))
        || query.to_string().contains("ORDER BY")
}

#[derive(Default)]
struct Counts {
    total: usize,
    passed: usize,
    failed: Vec<(String, String)>,
}

fn run_baseline(query: &Query, data: &TestData) -> Result<QueryOutcome, String> {
    use spareval::{QueryEvaluator, QueryResults};
    let ds = fill_dataset(data);
    let evaluator = QueryEvaluator::new();
    let results = evaluator
        .prepare(query)
        .execute(&ds)
        .map_err(|e| e.to_string())?;
    Ok(match results {
        QueryResults::Boolean(b) => QueryOutcome::Boolean(b),
        QueryResults::Solutions(s) => {
            let variables = s.variables().to_vec();
            let mut rows = Vec::new();
            for sol in s {
                let sol = sol.map_err(|e| e.to_string())?;
                rows.push(variables.iter().map(|v| sol.get(v).cloned()).collect());
            }
            QueryOutcome::Solutions { variables, rows }
        }
        QueryResults::Graph(t) => {
            QueryOutcome::Graph(t.collect::<Result<_, _>>().map_err(|e| e.to_string())?)
        }
    })
}

fn check_query_eval(case: &TestCase, store_counts: &mut Counts, base_counts: &mut Counts) {
    let (query_url, data) = query_data(case);
    let text = String::from_utf8(read(&query_url)).unwrap();
    let query = match parse_query(&text, Some(&query_url)) {
        Ok(q) => q,
        Err(e) => {
            store_counts.total += 1;
            base_counts.total += 1;
            store_counts
                .failed
                .push((case.id.clone(), format!("parse: {e}")));
            base_counts
                .failed
                .push((case.id.clone(), format!("parse: {e}")));
            return;
        }
    };
    let graph_query = matches!(query, Query::Construct { .. } | Query::Describe { .. });
    let result_url = iri_of(case.result.as_ref().expect("no result"));
    let ordered = is_ordered(&query);
    let expected = results_graph(&expected_outcome(&result_url, graph_query), ordered);
    let store = fill_store(&data);
    let options = QueryOptions {
        timeout: Some(std::time::Duration::from_secs(60)),
        max_results: None,
        ..QueryOptions::default()
    };
    for (counts, outcome) in [
        (
            &mut *store_counts,
            store
                .query_parsed(&query, &options)
                .map_err(|e| e.to_string()),
        ),
        (&mut *base_counts, run_baseline(&query, &data)),
    ] {
        counts.total += 1;
        match outcome {
            Ok(o) => {
                if results_graph(&o, ordered) == expected {
                    counts.passed += 1;
                } else {
                    if std::env::var("KOMMON_SPARQL_DEBUG").is_ok() {
                        eprintln!(
                            "{}\nexpected:\n{}\ngot:\n{}",
                            case.id,
                            expected,
                            results_graph(&o, ordered)
                        );
                    }
                    counts
                        .failed
                        .push((case.id.clone(), "results differ".into()));
                }
            }
            Err(e) => counts.failed.push((case.id.clone(), e)),
        }
    }
}

fn store_dataset(store: &QuadStore) -> Dataset {
    let mut ds: Dataset = store
        .quads_for_pattern(None, None, None, None)
        .unwrap()
        .into_iter()
        .collect();
    ds.canonicalize(CanonicalizationAlgorithm::Unstable);
    ds
}

fn check_update_eval(case: &TestCase, counts: &mut Counts) {
    let m = &case.manifest;
    let action = node(case.action.as_ref().expect("no action"));
    let request = iri_of(
        &m.object(&action, &format!("{UT}request"))
            .expect("no ut:request"),
    );
    let before = update_data(m, &action);
    let result = node(case.result.as_ref().expect("no result"));
    let after = update_data(m, &result);
    let store = fill_store(&before);
    let mut expected = fill_dataset(&after);
    expected.canonicalize(CanonicalizationAlgorithm::Unstable);
    counts.total += 1;
    let text = String::from_utf8(read(&request)).unwrap();
    // The caller of these tests allows LOAD, from the suite's own files.
    let options = UpdateOptions {
        base_iri: Some(request.clone()),
        timeout: Some(std::time::Duration::from_secs(60)),
        loader: Some(Arc::new(|url: &NamedNode| {
            let path = url.as_str().strip_prefix(BASE).ok_or("not a suite file")?;
            let path = suite_dir().join(path);
            if !path.exists() {
                return Err(format!("{} not found", url.as_str()));
            }
            Ok(load_triples(url.as_str()))
        })),
    };
    match store.update(&text, &options) {
        Ok(_) => {
            if store_dataset(&store) == expected {
                counts.passed += 1;
            } else {
                counts
                    .failed
                    .push((case.id.clone(), "dataset differs".into()));
            }
        }
        Err(e) => counts.failed.push((case.id.clone(), e.to_string())),
    }
}

fn check_syntax(case: &TestCase, counts: &mut Counts, update: bool, positive: bool) {
    let url = iri_of(case.action.as_ref().expect("no action"));
    let text = match String::from_utf8(read(&url)) {
        Ok(t) => t,
        Err(_) => {
            // Not UTF-8: a correct parser refuses it.
            counts.total += 1;
            if positive {
                counts.failed.push((case.id.clone(), "not UTF-8".into()));
            } else {
                counts.passed += 1;
            }
            return;
        }
    };
    let ok = if update {
        parse_update(&text, Some(&url)).is_ok()
    } else {
        parse_query(&text, Some(&url)).is_ok()
    };
    counts.total += 1;
    if ok == positive {
        counts.passed += 1;
    } else {
        counts.failed.push((
            case.id.clone(),
            if positive { "refused" } else { "accepted" }.into(),
        ));
    }
}

fn report(name: &str, c: &Counts) {
    println!(
        "{name}: {} passed, {} failed, of {}",
        c.passed,
        c.failed.len(),
        c.total
    );
    for (id, why) in &c.failed {
        println!("  FAIL {id}: {why}");
    }
}

fn run_manifest(manifest: &str) -> (Counts, Counts, Counts) {
    assert!(
        suite_dir().join(manifest).exists(),
        "the W3C SPARQL suite is missing at {} (set KOMMON_SPARQL_TESTS)",
        suite_dir().display()
    );
    let mut cases = Vec::new();
    collect_tests(&format!("{BASE}{manifest}"), &mut cases);
    let mut syntax = Counts::default();
    let mut store_eval = Counts::default();
    let mut base_eval = Counts::default();
    for case in &cases {
        let kind = case.kind.rsplit('#').next().unwrap_or_default();
        match kind {
            "PositiveSyntaxTest11" | "PositiveSyntaxTest" => {
                check_syntax(case, &mut syntax, false, true)
            }
            "NegativeSyntaxTest11" | "NegativeSyntaxTest" => {
                check_syntax(case, &mut syntax, false, false)
            }
            "PositiveUpdateSyntaxTest11" => check_syntax(case, &mut syntax, true, true),
            "NegativeUpdateSyntaxTest11" => check_syntax(case, &mut syntax, true, false),
            "QueryEvaluationTest" => check_query_eval(case, &mut store_eval, &mut base_eval),
            "UpdateEvaluationTest" => check_update_eval(case, &mut store_eval),
            other => println!("  skipped {} of kind {other}", case.id),
        }
    }
    (syntax, store_eval, base_eval)
}

fn allowed(id: &str) -> bool {
    STORE_EXCEPTIONS.iter().any(|(e, _)| id.ends_with(e))
}

#[test]
fn sparql11_query_suite() {
    let (syntax, store, base) = run_manifest("manifest-sparql11-query.ttl");
    report("query syntax", &syntax);
    report("query evaluation on the store", &store);
    report("query evaluation on spareval over oxrdf::Dataset", &base);
    let base_failed: Vec<&String> = base.failed.iter().map(|(id, _)| id).collect();
    let regressions: Vec<_> = store
        .failed
        .iter()
        .filter(|(id, _)| !base_failed.contains(&id) && !allowed(id))
        .collect();
    assert!(
        regressions.is_empty(),
        "tests the baseline passes but the store fails: {regressions:#?}"
    );
    assert!(
        store.total > 200,
        "the manifests yielded too few evaluation tests"
    );
    let expected_syntax_failures: Vec<_> = syntax
        .failed
        .iter()
        .filter(|(id, _)| !allowed(id))
        .collect();
    assert!(
        expected_syntax_failures.is_empty(),
        "syntax tests failing: {expected_syntax_failures:#?}"
    );
}

#[test]
fn sparql11_update_suite() {
    let (syntax, store, _) = run_manifest("manifest-sparql11-update.ttl");
    report("update syntax", &syntax);
    report("update evaluation on the store", &store);
    let failures: Vec<_> = store
        .failed
        .iter()
        .chain(syntax.failed.iter())
        .filter(|(id, _)| !allowed(id))
        .collect();
    assert!(failures.is_empty(), "update tests failing: {failures:#?}");
    assert!(
        store.total > 80,
        "the manifests yielded too few update tests"
    );
}
