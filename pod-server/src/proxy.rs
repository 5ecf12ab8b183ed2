//! The pod's proxy endpoint (`POST /{name}/proxy`), as ActivityPods has it: app frontends ask
//! the pod to fetch something on another server for them, signed with the resident's key, so
//! that servers requiring signed fetches (authorized fetch) answer.
//!
//! The form (`multipart/form-data` as ActivityPods sends it, or urlencoded, or JSON) has `id`
//! (the URL), `method` (GET by default), `headers` (a JSON object) and `body`. Only the pod's
//! resident may use it, directly or through an app registered in the pod; an app may not use it
//! to reach this server's pods (it has its own grants there). The answer is the remote status,
//! content type and body. Why `multer`: it is the multipart parser axum itself uses.

use crate::app::{AppState, plain};
use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kommon_solid::auth::Credentials;
use std::collections::HashMap;

/// The largest answer passed on.
const MAX_ANSWER_BYTES: usize = 8 * 1024 * 1024;

/// A proxied request.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ProxyRequest {
    /// The URL.
    pub id: String,
    /// The method.
    pub method: String,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Option<Vec<u8>>,
}

/// Reads the form of a proxy request.
pub async fn parse(content_type: &str, body: bytes::Bytes) -> Result<ProxyRequest, String> {
    let mut fields: HashMap<String, Vec<u8>> = HashMap::new();
    let essence = kommon_solid::resource::media_type_essence(content_type);
    match essence.as_str() {
        "multipart/form-data" => {
            let boundary = multer::parse_boundary(content_type)
                .map_err(|e| format!("the multipart form has no boundary: {e}"))?;
            let stream = futures::stream::once(async move { Ok::<_, std::io::Error>(body) });
            let mut form = multer::Multipart::new(stream, boundary);
            while let Some(field) = form
                .next_field()
                .await
                .map_err(|e| format!("the multipart form is malformed: {e}"))?
            {
                let name = field.name().unwrap_or_default().to_owned();
                let value = field
                    .bytes()
                    .await
                    .map_err(|e| format!("the multipart form is malformed: {e}"))?;
                fields.insert(name, value.to_vec());
            }
        }
        "application/x-www-form-urlencoded" => {
            for (k, v) in form_urlencoded::parse(&body) {
                fields.insert(k.into_owned(), v.into_owned().into_bytes());
            }
        }
        "application/json" => {
            let v: serde_json::Value =
                serde_json::from_slice(&body).map_err(|e| format!("the body is not JSON: {e}"))?;
            let obj = v.as_object().ok_or("the body is not a JSON object")?;
            for (k, v) in obj {
                let text = match v {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                fields.insert(k.clone(), text.into_bytes());
            }
        }
        other => {
            return Err(format!(
                "send the proxy request as multipart/form-data, not {other}"
            ));
        }
    }
    let text = |k: &str| {
        fields
            .get(k)
            .map(|v| String::from_utf8_lossy(v).trim().to_owned())
    };
    let id = text("id")
        .filter(|i| !i.is_empty())
        .ok_or("the form has no id (the URL to fetch)")?;
    let parsed = url::Url::parse(&id).map_err(|_| format!("{id} is not an absolute URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!("{id} is not an http(s) URL"));
    }
    let method = text("method")
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| "GET".to_owned())
        .to_ascii_uppercase();
    if !matches!(
        method.as_str(),
        "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE"
    ) {
        return Err(format!("the method {method} cannot be proxied"));
    }
    let headers = match text("headers").filter(|h| !h.is_empty()) {
        None => Vec::new(),
        Some(h) => {
            let v: serde_json::Value =
                serde_json::from_str(&h).map_err(|e| format!("headers is not JSON: {e}"))?;
            let obj = v.as_object().ok_or("headers is not a JSON object")?;
            obj.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                .collect()
        }
    };
    let body = fields.remove("body").filter(|b| !b.is_empty());
    Ok(ProxyRequest {
        id,
        method,
        headers,
        body,
    })
}

/// `POST /{name}/proxy`.
pub async fn proxy(
    state: AppState,
    parts: axum::http::request::Parts,
    body: bytes::Bytes,
    credentials: Option<Credentials>,
    name: &str,
) -> Response {
    if parts.method != axum::http::Method::POST {
        let mut r = plain(StatusCode::METHOD_NOT_ALLOWED, "the proxy takes POST");
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST, OPTIONS"));
        return r;
    }
    let Some(credentials) = credentials else {
        let mut r = plain(
            StatusCode::UNAUTHORIZED,
            "the proxy is for the pod's resident: authenticate",
        );
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("DPoP algs=\"ES256 ES384 RS256 PS256\""),
        );
        return r;
    };
    let webid = state.pods.layout.webid(name);
    if credentials.agent != webid {
        return plain(
            StatusCode::FORBIDDEN,
            "only the pod's resident may use its proxy",
        );
    }
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let request = match parse(&content_type, body).await {
        Ok(r) => r,
        Err(e) => return plain(StatusCode::BAD_REQUEST, &e),
    };
    if let Some(app) = &credentials.application {
        match state.apps.get(name, app) {
            Ok(Some(_)) => {}
            Ok(None) => {
                return plain(
                    StatusCode::FORBIDDEN,
                    "this app is not registered in the pod",
                );
            }
            Err(e) => {
                tracing::error!(error = %e, "reading app registrations");
                return plain(StatusCode::INTERNAL_SERVER_ERROR, "the store failed");
            }
        }
        if request
            .id
            .starts_with(&format!("{}/", state.pods.layout.base()))
        {
            return plain(
                StatusCode::FORBIDDEN,
                "an app may not proxy to this server's pods: it uses its own grants there",
            );
        }
    }
    let pods = state.pods.clone();
    let owner = name.to_owned();
    let key = match tokio::task::spawn_blocking(move || pods.actor_key(&owner)).await {
        Ok(Ok(k)) => k,
        _ => {
            return plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the resident's key is not available",
            );
        }
    };
    let answer = state
        .fetcher
        .send_signed(
            &request.method,
            &request.id,
            &request.headers,
            request.body.as_deref(),
            &format!("{webid}#main-key"),
            &key.private_pem,
            MAX_ANSWER_BYTES,
        )
        .await;
    match answer {
        Ok(a) => {
            let mut r = Response::new(Body::from(a.body));
            *r.status_mut() = StatusCode::from_u16(a.status).unwrap_or(StatusCode::BAD_GATEWAY);
            if let Some(ct) = a.content_type.and_then(|c| HeaderValue::from_str(&c).ok()) {
                r.headers_mut().insert(header::CONTENT_TYPE, ct);
            }
            r
        }
        Err(e) => (StatusCode::BAD_GATEWAY, format!("{e}\n")).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn forms_are_read_in_every_encoding() {
        let multipart = "--X\r\nContent-Disposition: form-data; name=\"id\"\r\n\r\nhttps://a.example/x\r\n--X\r\nContent-Disposition: form-data; name=\"method\"\r\n\r\npost\r\n--X\r\nContent-Disposition: form-data; name=\"headers\"\r\n\r\n{\"accept\":\"application/ld+json\"}\r\n--X\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\n{\"a\":1}\r\n--X--\r\n";
        let r = parse(
            "multipart/form-data; boundary=X",
            bytes::Bytes::from(multipart),
        )
        .await
        .expect("valid");
        assert_eq!(r.id, "https://a.example/x");
        assert_eq!(r.method, "POST");
        assert_eq!(
            r.headers,
            [("accept".to_owned(), "application/ld+json".to_owned())]
        );
        assert_eq!(r.body.as_deref(), Some(&b"{\"a\":1}"[..]));
        let r = parse(
            "application/x-www-form-urlencoded",
            bytes::Bytes::from("id=https%3A%2F%2Fa.example%2Fy"),
        )
        .await
        .expect("valid");
        assert_eq!(
            (r.id.as_str(), r.method.as_str()),
            ("https://a.example/y", "GET")
        );
    }

    #[tokio::test]
    async fn bad_forms_say_what_is_wrong() {
        for (ct, body, expected) in [
            ("multipart/form-data", "x", "boundary"),
            ("multipart/form-data; boundary=X", "garbage", "malformed"),
            ("application/x-www-form-urlencoded", "method=GET", "no id"),
            (
                "application/x-www-form-urlencoded",
                "id=file%3A%2F%2F%2Fetc%2Fpasswd",
                "http",
            ),
            (
                "application/x-www-form-urlencoded",
                "id=https%3A%2F%2Fa.example&method=TRACE",
                "cannot be proxied",
            ),
            (
                "application/x-www-form-urlencoded",
                "id=https%3A%2F%2Fa.example&headers=%5B1%5D",
                "headers",
            ),
            ("text/plain", "id=x", "multipart"),
            ("application/json", "[", "JSON"),
        ] {
            let e = parse(ct, bytes::Bytes::from(body))
                .await
                .expect_err(expected);
            assert!(e.contains(expected), "{ct} {body}: {e}");
        }
    }
}
