//! Forms with a file in them (a place's photo, a residents list): read whole within a bound,
//! as `multipart/form-data` or, when no file is sent, `application/x-www-form-urlencoded`.
//!
//! Why multer: the multipart parser axum itself builds on, fed here with a body already read
//! and bounded, so that a form too large is drained and answered 413 while the browser still
//! listens.

use crate::app::plain;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;

/// A form as sent: its text fields in order, and its one file field when it has one.
pub struct UploadForm {
    /// The text fields, in the order sent.
    pub fields: Vec<(String, String)>,
    /// The file field named when reading, if the form had it.
    pub file: Option<Bytes>,
}

impl UploadForm {
    /// The trimmed value of text field `name` (empty when absent).
    pub fn get(&self, name: &str) -> String {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    }
}

/// Reads a form whose file field is `file_field`, of at most `max_bytes`; a larger body is read
/// on (up to `drain_bytes`) and thrown away before the 413 that says `too_large`.
pub async fn read_upload(
    headers: &HeaderMap,
    body: axum::body::Body,
    file_field: &str,
    max_bytes: usize,
    drain_bytes: usize,
    too_large: &str,
) -> Result<UploadForm, Response> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let Some(body) =
        kommon_activitypub::inbox::read_bounded(body, declared, max_bytes, drain_bytes).await
    else {
        return Err(plain(StatusCode::PAYLOAD_TOO_LARGE, too_large));
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let mut form = UploadForm {
        fields: Vec::new(),
        file: None,
    };
    if content_type.starts_with("multipart/form-data") {
        let Ok(boundary) = multer::parse_boundary(&content_type) else {
            return Err(plain(StatusCode::BAD_REQUEST, "the form has no boundary"));
        };
        let stream = futures::stream::once(async move { Ok::<_, std::io::Error>(body) });
        let mut parts = multer::Multipart::new(stream, boundary);
        loop {
            let field = match parts.next_field().await {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => {
                    return Err(plain(
                        StatusCode::BAD_REQUEST,
                        &format!("the form is malformed: {e}"),
                    ));
                }
            };
            let name = field.name().unwrap_or_default().to_owned();
            match field.bytes().await {
                Ok(b) if name == file_field => form.file = Some(b),
                Ok(b) => form
                    .fields
                    .push((name, String::from_utf8_lossy(&b).into_owned())),
                Err(e) => {
                    return Err(plain(
                        StatusCode::BAD_REQUEST,
                        &format!("the form is malformed: {e}"),
                    ));
                }
            }
        }
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        form.fields = form_urlencoded::parse(&body).into_owned().collect();
    } else {
        return Err(plain(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "envoyez le formulaire en multipart/form-data / send the form as multipart/form-data",
        ));
    }
    Ok(form)
}
