//! TEMPORARY placeholder while the real module is written (never committed).
use thiserror::Error;
#[derive(Debug, Error)]
pub enum JsonLdError { #[error("{0}")] Invalid(String) }
pub struct JsonLdLimits { pub max_bytes: usize, pub max_depth: usize, pub max_literal_bytes: usize, pub max_quads: usize }
#[derive(Clone, Default)]
pub struct ContextLoader;
impl ContextLoader { pub fn bundled() -> Self { Self } }
pub fn to_rdf(_: &str, _: Option<&str>, _: &ContextLoader, _: &JsonLdLimits) -> Result<Vec<oxrdf::Quad>, JsonLdError> { Err(JsonLdError::Invalid("todo".into())) }
pub fn from_rdf(_: &[oxrdf::Quad]) -> Result<serde_json::Value, JsonLdError> { Err(JsonLdError::Invalid("todo".into())) }
