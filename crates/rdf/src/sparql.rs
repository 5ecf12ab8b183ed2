//! SPARQL 1.1 Query and Update over the store, with the limits a public endpoint needs.
//!
//! Evaluation is spareval's (the engine of Oxigraph), over [`DatasetView`]. spareval evaluates
//! only the WHERE part of an update, so the update operations themselves are applied here, all
//! of a request's operations in one store transaction: a request is wholly applied or not at all.

use crate::dataset::DatasetView;
use crate::encoding::DEFAULT_GRAPH_ID;
use crate::error::StoreError;
use crate::store::{BlankNodeScope, QuadStore, Transaction};
use oxrdf::{BlankNode, GraphName, NamedNode, NamedOrBlankNode, Quad, Term, Triple, Variable};
use spareval::{
    CancellationToken, DeleteInsertQuad, QueryEvaluationError, QueryEvaluator, QueryResults,
};
use spargebra::algebra::GraphTarget;
use spargebra::term::{GraphName as SparqlGraphName, GroundTerm};
use spargebra::{GraphUpdateOperation, Query, SparqlParser, Update};
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use thiserror::Error;

/// Why a SPARQL request failed.
#[derive(Debug, Error)]
pub enum SparqlError {
    /// The request does not parse; `line` and `column` start at 1 when known.
    #[error("SPARQL syntax error{}: {message}", position(*line, *column))]
    Syntax {
        /// What the parser expected.
        message: String,
        /// Line of the error.
        line: Option<u64>,
        /// Column of the error.
        column: Option<u64>,
    },
    /// The query ran longer than its time limit.
    #[error("the query ran longer than its time limit of {0:?}")]
    Timeout(Duration),
    /// Too many earlier queries that ran out of time are still winding down; try again later.
    #[error("the server is busy finishing queries that ran out of time; try again in a moment")]
    Busy,
    /// The result has more rows or triples than allowed.
    #[error("the result has more than {0} rows or triples; add a LIMIT")]
    TooManyResults(usize),
    /// `LOAD` is not allowed for this caller.
    #[error("LOAD is not allowed here")]
    LoadRefused,
    /// `LOAD` was allowed but fetching or parsing the source failed.
    #[error("LOAD of <{0}> failed: {1}")]
    LoadFailed(String, String),
    /// `CREATE` of a graph that exists, without `SILENT`.
    #[error("the graph <{0}> already exists")]
    GraphExists(String),
    /// `DROP`, `CLEAR`, `ADD`, `MOVE` or `COPY` of a graph that does not exist, without `SILENT`.
    #[error("the graph <{0}> does not exist")]
    GraphMissing(String),
    /// The query joins too many unrelated groups of patterns (a cross product).
    #[error(
        "the query joins {0} groups of patterns that share no variable (a cross product); connect them with shared variables or split the query"
    )]
    TooComplex(usize),
    /// The query is valid but cannot be evaluated (an unsupported SERVICE, for example).
    #[error("query evaluation failed: {0}")]
    Evaluation(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn position(line: Option<u64>, column: Option<u64>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(" at line {l}, column {c}"),
        _ => String::new(),
    }
}

impl SparqlError {
    /// Whether the error is the requester's fault (a 4xx) rather than the server's.
    pub fn is_client_error(&self) -> bool {
        !matches!(
            self,
            SparqlError::Store(_) | SparqlError::LoadFailed(..) | SparqlError::Busy
        )
    }
}

fn syntax_error(e: impl std::fmt::Display) -> SparqlError {
    // spargebra's errors read "error at LINE:COL: expected ...".
    let text = e.to_string();
    let (mut line, mut column) = (None, None);
    let mut message = text.clone();
    if let Some(rest) = text.strip_prefix("error at ")
        && let Some((pos, msg)) = rest.split_once(": ")
        && let Some((l, c)) = pos.split_once(':')
        && let (Ok(l), Ok(c)) = (l.parse(), c.parse())
    {
        line = Some(l);
        column = Some(c);
        message = msg.to_owned();
    }
    SparqlError::Syntax {
        message,
        line,
        column,
    }
}

/// Deepest nesting of brackets a request may have. The parser recurses on nesting, so an
/// unbounded depth would let a request exhaust the stack; real queries stay far below this.
pub const MAX_NESTING: usize = 48;

/// Refuses requests nested deeper than [`MAX_NESTING`], before the recursive parser sees them.
/// Brackets inside strings, IRIs and comments do not count.
fn check_nesting(text: &str) -> Result<(), SparqlError> {
    let (mut depth, mut line, mut column) = (0usize, 1u64, 0u64);
    let mut chars = text.chars().peekable();
    let mut in_string: Option<char> = None;
    let mut long_string = false;
    while let Some(c) = chars.next() {
        column += 1;
        if c == '\n' {
            line += 1;
            column = 0;
        }
        if let Some(q) = in_string {
            if c == '\\' {
                chars.next();
                column += 1;
            } else if c == q {
                if long_string {
                    if chars.peek() == Some(&q) {
                        chars.next();
                        if chars.peek() == Some(&q) {
                            chars.next();
                            in_string = None;
                        }
                    }
                } else {
                    in_string = None;
                }
            }
            continue;
        }
        match c {
            '"' | '\'' => {
                long_string = false;
                if chars.peek() == Some(&c) {
                    chars.next();
                    if chars.peek() == Some(&c) {
                        chars.next();
                        long_string = true;
                    } else {
                        // An empty string: nothing to skip.
                        continue;
                    }
                }
                in_string = Some(c);
            }
            '#' => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        line += 1;
                        column = 0;
                        break;
                    }
                }
            }
            '<' => {
                // An IRI has no spaces; a comparison operator is followed by one or by '='.
                let mut lookahead = chars.clone();
                let mut is_iri = false;
                for c in lookahead.by_ref() {
                    if c == '>' {
                        is_iri = true;
                        break;
                    }
                    if c.is_whitespace() || c == '<' || c == '"' || c == '{' || c == '}' {
                        break;
                    }
                }
                if is_iri {
                    for c in chars.by_ref() {
                        column += 1;
                        if c == '>' {
                            break;
                        }
                    }
                }
            }
            '(' | '{' | '[' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(SparqlError::Syntax {
                        message: format!(
                            "the request is nested deeper than {MAX_NESTING} brackets"
                        ),
                        line: Some(line),
                        column: Some(column),
                    });
                }
            }
            ')' | '}' | ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Parses a SPARQL 1.1 query, resolving relative IRIs against `base_iri`.
pub fn parse_query(text: &str, base_iri: Option<&str>) -> Result<Query, SparqlError> {
    check_nesting(text)?;
    let mut parser = SparqlParser::new();
    if let Some(base) = base_iri {
        parser = parser.with_base_iri(base).map_err(syntax_error)?;
    }
    parser.parse_query(text).map_err(syntax_error)
}

/// Parses a SPARQL 1.1 update.
pub fn parse_update(text: &str, base_iri: Option<&str>) -> Result<Update, SparqlError> {
    check_nesting(text)?;
    let mut parser = SparqlParser::new();
    if let Some(base) = base_iri {
        parser = parser.with_base_iri(base).map_err(syntax_error)?;
    }
    parser.parse_update(text).map_err(syntax_error)
}

/// Which graphs a requester may read.
#[derive(Clone, Debug, Default)]
pub enum ReadableGraphs {
    /// Every graph (the store's owner, tests).
    #[default]
    All,
    /// Only these named graphs, and the default graph if `default_graph` is set.
    Only {
        /// The readable documents.
        graphs: Vec<NamedNode>,
        /// Whether the default graph is readable.
        default_graph: bool,
    },
}

/// Limits and dataset of one query.
#[derive(Clone, Debug)]
pub struct QueryOptions {
    /// The graphs the requester may read; everything else is invisible.
    pub readable: ReadableGraphs,
    /// Whether the default graph is the union of the readable named graphs (the usual view of a
    /// store of documents) rather than the store's own default graph.
    pub default_graph_as_union: bool,
    /// Longest evaluation time.
    pub timeout: Option<Duration>,
    /// Most rows (SELECT) or triples (CONSTRUCT, DESCRIBE) in a result.
    pub max_results: Option<usize>,
    /// Most groups of unrelated patterns joined together (a cross product); see
    /// `docs/store.md`. Public endpoints set it, since the time limit cannot stop a large
    /// cross product computed in memory.
    pub max_independent_patterns: Option<usize>,
}

impl Default for QueryOptions {
    fn default() -> Self {
        Self {
            readable: ReadableGraphs::All,
            default_graph_as_union: false,
            timeout: Some(Duration::from_secs(30)),
            max_results: Some(1_000_000),
            max_independent_patterns: None,
        }
    }
}

/// A query's answer, collected within the limits.
#[derive(Clone, Debug, PartialEq)]
pub enum QueryOutcome {
    /// SELECT: the variables and one row of optional values per solution.
    Solutions {
        /// The projected variables, in order.
        variables: Vec<Variable>,
        /// The solutions; `None` where a variable is unbound.
        rows: Vec<Vec<Option<Term>>>,
    },
    /// ASK.
    Boolean(bool),
    /// CONSTRUCT and DESCRIBE.
    Graph(Vec<Triple>),
}

/// How many timed-out queries may still be winding down before new ones are refused.
pub const MAX_RUNAWAY_QUERIES: usize = 4;

static RUNAWAY_QUERIES: AtomicUsize = AtomicUsize::new(0);
const RUNNING: u8 = 0;
const FINISHED: u8 = 1;
const ABANDONED: u8 = 2;

/// Cancels a query when its time runs out; dropping it stops the timer.
struct Deadline {
    token: CancellationToken,
    done: Arc<AtomicBool>,
    limit: Option<Duration>,
    start: Instant,
}

impl Deadline {
    /// A deadline whose token someone else cancels (the caller waiting on a worker thread).
    fn cancelled_by_caller(limit: Duration) -> Self {
        Self {
            token: CancellationToken::new(),
            done: Arc::new(AtomicBool::new(false)),
            limit: Some(limit),
            start: Instant::now(),
        }
    }

    fn new(limit: Option<Duration>) -> Self {
        let token = CancellationToken::new();
        let done = Arc::new(AtomicBool::new(false));
        if let Some(limit) = limit {
            let (token, done) = (token.clone(), done.clone());
            let handle = std::thread::Builder::new()
                .name("sparql-deadline".into())
                .spawn(move || {
                    let end = Instant::now() + limit;
                    while !done.load(Ordering::Relaxed) {
                        let now = Instant::now();
                        if now >= end {
                            token.cancel();
                            return;
                        }
                        std::thread::park_timeout(end - now);
                    }
                });
            if let Err(e) = handle {
                tracing::warn!("no timer thread for a query deadline: {e}");
            }
        }
        Self {
            token,
            done,
            limit,
            start: Instant::now(),
        }
    }

    fn error(&self, e: QueryEvaluationError) -> SparqlError {
        match e {
            QueryEvaluationError::Cancelled => SparqlError::Timeout(self.limit.unwrap_or_default()),
            other => SparqlError::Evaluation(other.to_string()),
        }
    }

    fn check(&self) -> Result<(), SparqlError> {
        if let Some(limit) = self.limit
            && self.start.elapsed() > limit
        {
            return Err(SparqlError::Timeout(limit));
        }
        Ok(())
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
    }
}

impl QuadStore {
    fn readable_ids(&self, readable: &ReadableGraphs) -> Result<Option<HashSet<u64>>, StoreError> {
        match readable {
            ReadableGraphs::All => Ok(None),
            ReadableGraphs::Only {
                graphs,
                default_graph,
            } => {
                let mut set = HashSet::with_capacity(graphs.len() + 1);
                if *default_graph {
                    set.insert(DEFAULT_GRAPH_ID);
                }
                for g in graphs {
                    if let Some(id) = self.lookup(&g.clone().into())? {
                        set.insert(id);
                    }
                }
                Ok(Some(set))
            }
        }
    }

    /// Parses and evaluates a SPARQL query.
    pub fn query(&self, text: &str, options: &QueryOptions) -> Result<QueryOutcome, SparqlError> {
        let query = parse_query(text, None)?;
        self.query_parsed(&query, options)
    }

    /// Evaluates a parsed SPARQL query within its limits.
    ///
    /// With a time limit, the evaluation runs on a worker thread and the caller gets
    /// [`SparqlError::Timeout`] when the limit passes, whatever the evaluator is doing: spareval
    /// only checks for cancellation when it reads the store, so a join over data it already holds
    /// could otherwise run long past the limit. The abandoned worker stops at its next read of
    /// the store; while more than [`MAX_RUNAWAY_QUERIES`] are still winding down, new queries are
    /// refused with [`SparqlError::Busy`].
    pub fn query_parsed(
        &self,
        query: &Query,
        options: &QueryOptions,
    ) -> Result<QueryOutcome, SparqlError> {
        if let Some(max) = options.max_independent_patterns {
            let pattern = match query {
                Query::Select { pattern, .. }
                | Query::Construct { pattern, .. }
                | Query::Describe { pattern, .. }
                | Query::Ask { pattern, .. } => pattern,
            };
            let factors = crate::complexity::independent_factors(pattern);
            if factors > max {
                return Err(SparqlError::TooComplex(factors));
            }
        }
        let Some(limit) = options.timeout else {
            return self.evaluate(query, options, &Deadline::new(None));
        };
        if RUNAWAY_QUERIES.load(Ordering::SeqCst) >= MAX_RUNAWAY_QUERIES {
            return Err(SparqlError::Busy);
        }
        let (sender, receiver) = std::sync::mpsc::sync_channel(1);
        let state = Arc::new(AtomicU8::new(RUNNING));
        let (store, query, options, worker_state) =
            (self.clone(), query.clone(), options.clone(), state.clone());
        let deadline = Deadline::cancelled_by_caller(limit);
        let token = deadline.token.clone();
        std::thread::Builder::new()
            .name("sparql-query".into())
            .spawn(move || {
                let result = store.evaluate(&query, &options, &deadline);
                if worker_state.swap(FINISHED, Ordering::SeqCst) == ABANDONED {
                    RUNAWAY_QUERIES.fetch_sub(1, Ordering::SeqCst);
                }
                let _ = sender.send(result);
            })
            .map_err(|e| SparqlError::Evaluation(format!("no thread for the query: {e}")))?;
        match receiver.recv_timeout(limit) {
            Ok(result) => result,
            Err(_) => {
                token.cancel();
                if state
                    .compare_exchange(RUNNING, ABANDONED, Ordering::SeqCst, Ordering::SeqCst)
                    .is_ok()
                {
                    RUNAWAY_QUERIES.fetch_add(1, Ordering::SeqCst);
                    Err(SparqlError::Timeout(limit))
                } else {
                    // It finished just as the time ran out: its answer is there.
                    receiver.recv().unwrap_or(Err(SparqlError::Timeout(limit)))
                }
            }
        }
    }

    /// Evaluates a query and returns spareval's plan with the time and row count of each step, as
    /// JSON: what an administrator reads to understand a slow query.
    pub fn explain(&self, query: &Query, options: &QueryOptions) -> Result<String, SparqlError> {
        let readable = self.readable_ids(&options.readable)?;
        let view = DatasetView::new(self.inner().snapshot(), None, readable.as_ref());
        let evaluator = QueryEvaluator::new().compute_statistics();
        let mut prepared = evaluator.prepare(query);
        if options.default_graph_as_union {
            prepared.dataset_mut().set_default_graph_as_union();
        }
        let (results, explanation) = prepared.explain(view);
        let deadline = Deadline::new(None);
        match results.map_err(|e| deadline.error(e))? {
            QueryResults::Solutions(s) => {
                for r in s {
                    r.map_err(|e| deadline.error(e))?;
                }
            }
            QueryResults::Graph(t) => {
                for r in t {
                    r.map_err(|e| deadline.error(e))?;
                }
            }
            QueryResults::Boolean(_) => {}
        }
        let mut out = Vec::new();
        explanation
            .write_in_json(&mut out)
            .map_err(|e| SparqlError::Evaluation(e.to_string()))?;
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    fn evaluate(
        &self,
        query: &Query,
        options: &QueryOptions,
        deadline: &Deadline,
    ) -> Result<QueryOutcome, SparqlError> {
        let readable = self.readable_ids(&options.readable)?;
        let view = DatasetView::new(self.inner().snapshot(), None, readable.as_ref());
        let evaluator = QueryEvaluator::new().with_cancellation_token(deadline.token.clone());
        let mut prepared = evaluator.prepare(query);
        let has_dataset_clause = match query {
            Query::Select { dataset, .. }
            | Query::Construct { dataset, .. }
            | Query::Describe { dataset, .. }
            | Query::Ask { dataset, .. } => dataset.is_some(),
        };
        if options.default_graph_as_union && !has_dataset_clause {
            prepared.dataset_mut().set_default_graph_as_union();
        }
        let max = options.max_results.unwrap_or(usize::MAX);
        let results = prepared.execute(view).map_err(|e| deadline.error(e))?;
        let outcome = match results {
            QueryResults::Boolean(b) => QueryOutcome::Boolean(b),
            QueryResults::Solutions(solutions) => {
                let variables = solutions.variables().to_vec();
                let mut rows = Vec::new();
                for (i, solution) in solutions.enumerate() {
                    let solution = solution.map_err(|e| deadline.error(e))?;
                    if rows.len() >= max {
                        return Err(SparqlError::TooManyResults(max));
                    }
                    if i % 4096 == 0 {
                        deadline.check()?;
                    }
                    rows.push(variables.iter().map(|v| solution.get(v).cloned()).collect());
                }
                QueryOutcome::Solutions { variables, rows }
            }
            QueryResults::Graph(triples) => {
                let mut out = Vec::new();
                for triple in triples {
                    let triple = triple.map_err(|e| deadline.error(e))?;
                    if out.len() >= max {
                        return Err(SparqlError::TooManyResults(max));
                    }
                    out.push(triple);
                }
                QueryOutcome::Graph(out)
            }
        };
        deadline.check()?;
        Ok(outcome)
    }

    /// Parses and applies a SPARQL update, atomically.
    pub fn update(
        &self,
        text: &str,
        options: &UpdateOptions,
    ) -> Result<UpdateSummary, SparqlError> {
        let update = parse_update(text, options.base_iri.as_deref())?;
        self.update_parsed(&update, options)
    }

    /// Applies a parsed SPARQL update, atomically: all its operations or none.
    pub fn update_parsed(
        &self,
        update: &Update,
        options: &UpdateOptions,
    ) -> Result<UpdateSummary, SparqlError> {
        // Refuse a forbidden LOAD before touching anything.
        if options.loader.is_none() {
            for op in &update.operations {
                if let GraphUpdateOperation::Load { silent: false, .. } = op {
                    return Err(SparqlError::LoadRefused);
                }
            }
        }
        let deadline = Deadline::new(options.timeout);
        self.transaction(|tx| {
            let mut summary = UpdateSummary::default();
            for (n, op) in update.operations.iter().enumerate() {
                deadline.check()?;
                apply_operation(tx, update, op, n, options, &deadline, &mut summary)?;
            }
            Ok(summary)
        })
    }
}

/// Fetches the triples of `LOAD <url>`; the caller decides what may be fetched and how.
pub type Loader = Arc<dyn Fn(&NamedNode) -> Result<Vec<Triple>, String> + Send + Sync>;

/// How a SPARQL update may run.
#[derive(Clone, Default)]
pub struct UpdateOptions {
    /// Base IRI for relative IRIs in the update.
    pub base_iri: Option<String>,
    /// Longest evaluation time of the whole request.
    pub timeout: Option<Duration>,
    /// What `LOAD <url>` fetches; without it LOAD is refused.
    pub loader: Option<Loader>,
}

impl std::fmt::Debug for UpdateOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpdateOptions")
            .field("base_iri", &self.base_iri)
            .field("timeout", &self.timeout)
            .field("loader", &self.loader.is_some())
            .finish()
    }
}

/// What an update changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UpdateSummary {
    /// Quads added.
    pub inserted: usize,
    /// Quads removed.
    pub removed: usize,
}

fn graph_name(g: &SparqlGraphName) -> GraphName {
    match g {
        SparqlGraphName::NamedNode(n) => n.clone().into(),
        SparqlGraphName::DefaultGraph => GraphName::DefaultGraph,
    }
}

fn ground_term(t: &GroundTerm) -> Term {
    match t {
        GroundTerm::NamedNode(n) => n.clone().into(),
        GroundTerm::Literal(l) => l.clone().into(),
    }
}

fn apply_operation(
    tx: &mut Transaction<'_>,
    update: &Update,
    op: &GraphUpdateOperation,
    index: usize,
    options: &UpdateOptions,
    deadline: &Deadline,
    summary: &mut UpdateSummary,
) -> Result<(), SparqlError> {
    match op {
        GraphUpdateOperation::InsertData { data } => {
            // Blank nodes of INSERT DATA are new nodes, distinct from any already stored.
            let scope = BlankNodeScope::new(&format!("insert-data:{}", BlankNode::default()));
            for q in data {
                let subject: NamedOrBlankNode = match &q.subject {
                    NamedOrBlankNode::BlankNode(b) => scope.scoped(b).into(),
                    other => other.clone(),
                };
                let object = match &q.object {
                    Term::BlankNode(b) => scope.scoped(b).into(),
                    other => other.clone(),
                };
                let quad = Quad::new(
                    subject,
                    q.predicate.clone(),
                    object,
                    graph_name(&q.graph_name),
                );
                if tx.insert(&quad)? {
                    summary.inserted += 1;
                }
            }
        }
        GraphUpdateOperation::DeleteData { data } => {
            for q in data {
                let quad = Quad::new(
                    q.subject.clone(),
                    q.predicate.clone(),
                    ground_term(&q.object),
                    graph_name(&q.graph_name),
                );
                if tx.remove(&quad)? {
                    summary.removed += 1;
                }
            }
        }
        GraphUpdateOperation::DeleteInsert {
            delete,
            insert,
            using,
            pattern,
        } => {
            let changes = {
                let view = DatasetView::new(tx.reader.clone(), Some(&tx.pending), None);
                let evaluator =
                    QueryEvaluator::new().with_cancellation_token(deadline.token.clone());
                let prepared = evaluator.prepare_delete_insert(
                    delete.clone(),
                    insert.clone(),
                    update.base_iri.clone(),
                    using.clone(),
                    pattern,
                );
                let mut changes = Vec::new();
                for change in prepared.execute(view).map_err(|e| deadline.error(e))? {
                    changes.push(change.map_err(|e| deadline.error(e))?);
                }
                changes
            };
            // Deletions are computed from the state before the operation, then applied before
            // the insertions, as the specification requires.
            for change in &changes {
                if let DeleteInsertQuad::Delete(q) = change
                    && tx.remove(q)?
                {
                    summary.removed += 1;
                }
            }
            for change in &changes {
                if let DeleteInsertQuad::Insert(q) = change
                    && tx.insert(q)?
                {
                    summary.inserted += 1;
                }
            }
        }
        GraphUpdateOperation::Load {
            silent,
            source,
            destination,
        } => {
            let result = match &options.loader {
                None => Err(String::from("LOAD is not allowed here")),
                Some(loader) => loader(source),
            };
            match result {
                Ok(triples) => {
                    let destination = graph_name(destination);
                    let scope = BlankNodeScope::new(&format!("load:{index}:{}", source.as_str()));
                    for t in triples {
                        let subject: NamedOrBlankNode = match t.subject {
                            NamedOrBlankNode::BlankNode(b) => scope.scoped(&b).into(),
                            other => other,
                        };
                        let object = match t.object {
                            Term::BlankNode(b) => scope.scoped(&b).into(),
                            other => other,
                        };
                        let quad = Quad::new(subject, t.predicate, object, destination.clone());
                        if tx.insert(&quad)? {
                            summary.inserted += 1;
                        }
                    }
                }
                Err(_) if *silent => {}
                Err(e) if options.loader.is_none() => {
                    let _ = e;
                    return Err(SparqlError::LoadRefused);
                }
                Err(e) => return Err(SparqlError::LoadFailed(source.as_str().to_owned(), e)),
            }
        }
        GraphUpdateOperation::Clear { silent, graph } => {
            for g in target_graphs(tx, graph, *silent)? {
                summary.removed += tx.clear_graph(&g)?;
            }
        }
        GraphUpdateOperation::Create { silent, graph } => {
            let g = GraphName::NamedNode(graph.clone());
            if !tx.create_graph(&g)? && !silent {
                return Err(SparqlError::GraphExists(graph.as_str().to_owned()));
            }
        }
        GraphUpdateOperation::Drop { silent, graph } => {
            for g in target_graphs(tx, graph, *silent)? {
                match &g {
                    GraphName::DefaultGraph => summary.removed += tx.clear_graph(&g)?,
                    _ => {
                        let n = tx.clear_graph(&g)?;
                        summary.removed += n;
                        tx.drop_graph(&g)?;
                    }
                }
            }
        }
    }
    Ok(())
}

fn target_graphs(
    tx: &Transaction<'_>,
    target: &GraphTarget,
    silent: bool,
) -> Result<Vec<GraphName>, SparqlError> {
    Ok(match target {
        GraphTarget::NamedNode(n) => {
            let g = GraphName::NamedNode(n.clone());
            if tx.graph_exists(&g)? {
                vec![g]
            } else if silent {
                Vec::new()
            } else {
                return Err(SparqlError::GraphMissing(n.as_str().to_owned()));
            }
        }
        GraphTarget::DefaultGraph => vec![GraphName::DefaultGraph],
        GraphTarget::NamedGraphs => named_graphs(tx)?,
        GraphTarget::AllGraphs => {
            let mut v = named_graphs(tx)?;
            v.push(GraphName::DefaultGraph);
            v
        }
    })
}

fn named_graphs(tx: &Transaction<'_>) -> Result<Vec<GraphName>, SparqlError> {
    let mut out = Vec::new();
    for gid in tx.named_graph_ids()? {
        match tx.term(gid)? {
            Term::NamedNode(n) => out.push(n.into()),
            Term::BlankNode(b) => out.push(b.into()),
            Term::Literal(_) => {
                return Err(StoreError::Corrupted("a literal names a graph".into()).into());
            }
        }
    }
    Ok(out)
}
