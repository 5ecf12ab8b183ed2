//! The guard on every request a server makes to others (actors' keys, Client ID Documents,
//! issuers' keys, WebIDs, deliveries): a timeout, a size limit on answers, no redirect that is
//! not checked again, and never an address in a private, loopback or link-local range unless
//! the server runs in development mode.
//!
//! The address check happens where the connection is made: reqwest asks our resolver, which
//! drops private addresses, so a name that resolves to a public address when checked and a
//! private one when connecting (DNS rebinding) is still refused. URLs naming an IP address
//! directly never reach a resolver and are checked before the request.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;

/// An error with the errors under it (reqwest says « error sending request »; the reason, such
/// as a name with only private addresses, is in its sources).
fn causes(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(s) = next {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        next = s.source();
    }
    out
}

/// Certificates trusted beyond the system's roots (a private CA, or a test peer's self-signed
/// certificate), set once when the server starts.
static EXTRA_ROOTS: std::sync::OnceLock<Vec<reqwest::Certificate>> = std::sync::OnceLock::new();

/// Trusts the certificates of this PEM bundle in every fetcher made afterwards (call once, at
/// start-up, before any fetcher is made).
pub fn trust_extra_roots(pem: &[u8]) -> Result<usize, FetchError> {
    let certs = reqwest::Certificate::from_pem_bundle(pem)
        .map_err(|e| FetchError(format!("cannot read the certificates: {e}")))?;
    let n = certs.len();
    EXTRA_ROOTS
        .set(certs)
        .map_err(|_| FetchError("extra roots were already set".into()))?;
    Ok(n)
}

/// Resolves names for reqwest and keeps only public addresses.
struct PublicOnlyResolver;

impl reqwest::dns::Resolve for PublicOnlyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| !is_private(a.ip()))
                .collect();
            if addrs.is_empty() {
                return Err(format!("{host} has no public address: it is not fetched").into());
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Why a fetch failed; the message is for the client whose request caused it.
#[derive(Debug, Error)]
#[error("{0}")]
pub struct FetchError(pub String);

/// An HTTP client that refuses what the server must not fetch.
#[derive(Clone)]
pub struct GuardedFetcher {
    client: reqwest::Client,
    allow_private: bool,
}

/// A fetched document.
pub struct Fetched {
    /// The URL it was finally fetched from (after redirects).
    pub url: String,
    /// Its media type, without parameters.
    pub content_type: String,
    /// Its bytes.
    pub body: bytes::Bytes,
}

impl GuardedFetcher {
    /// A fetcher; `allow_private` (development only) lets it reach loopback and private
    /// addresses.
    pub fn new(allow_private: bool) -> Self {
        let mut builder = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(16)
            .user_agent(concat!("Kommon/", env!("CARGO_PKG_VERSION")));
        if !allow_private {
            builder = builder.dns_resolver(Arc::new(PublicOnlyResolver));
        }
        if let Some(roots) = EXTRA_ROOTS.get() {
            builder = builder.tls_certs_merge(roots.iter().cloned());
        }
        let client = builder.build().unwrap_or_default();
        Self {
            client,
            allow_private,
        }
    }

    /// Refuses URLs that are not http(s), or that resolve to a private address.
    async fn check(&self, url: &url::Url) -> Result<(), FetchError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(FetchError(format!("{url} is not an http(s) URL")));
        }
        if self.allow_private {
            return Ok(());
        }
        // Names are checked by the resolver when connecting; addresses written in the URL
        // never reach it.
        let ip = match url.host() {
            Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            Some(url::Host::Domain(d)) if d.eq_ignore_ascii_case("localhost") => {
                Some(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST))
            }
            Some(url::Host::Domain(_)) => None,
            None => return Err(FetchError(format!("{url} has no host"))),
        };
        if let Some(ip) = ip
            && is_private(ip)
        {
            return Err(FetchError(format!(
                "{url} is on a private address: it is not fetched"
            )));
        }
        Ok(())
    }

    /// Whether this fetcher may reach private addresses (development mode).
    pub fn allows_private(&self) -> bool {
        self.allow_private
    }

    /// GETs `url` with these headers, following at most three redirects (each checked like
    /// the first URL); a 2xx answer of at most `max_bytes`.
    pub async fn get(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        max_bytes: usize,
    ) -> Result<Fetched, FetchError> {
        let mut parsed =
            url::Url::parse(url).map_err(|_| FetchError(format!("{url} is not a URL")))?;
        let mut hops = 0;
        let mut response = loop {
            self.check(&parsed).await?;
            let mut request = self.client.get(parsed.as_str());
            for (k, v) in headers {
                request = request.header(*k, *v);
            }
            let response = request
                .send()
                .await
                .map_err(|e| FetchError(format!("cannot fetch {url}: {}", causes(&e))))?;
            if !response.status().is_redirection() {
                break response;
            }
            hops += 1;
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| FetchError(format!("{parsed} redirects without a Location")))?;
            if hops > 3 {
                return Err(FetchError(format!("{url} redirects more than three times")));
            }
            parsed = parsed
                .join(location)
                .map_err(|_| FetchError(format!("{parsed} redirects to a bad URL")))?;
        };
        if !response.status().is_success() {
            return Err(FetchError(format!(
                "fetching {url} gave {}",
                response.status()
            )));
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_ascii_lowercase()
            })
            .unwrap_or_default();
        let body = read_limited(&mut response, url, max_bytes).await?;
        Ok(Fetched {
            url: parsed.to_string(),
            content_type,
            body: body.into(),
        })
    }
}

impl GuardedFetcher {
    /// POSTs a JSON-LD body to `url`; the answer's status.
    pub async fn post_json(&self, url: &str, body: &str) -> Result<u16, FetchError> {
        let parsed = url::Url::parse(url).map_err(|_| FetchError(format!("{url} is not a URL")))?;
        self.check(&parsed).await?;
        let response = self
            .client
            .post(parsed.as_str())
            .header("content-type", "application/ld+json")
            .body(body.to_owned())
            .send()
            .await
            .map_err(|e| FetchError(format!("cannot post to {url}: {}", causes(&e))))?;
        Ok(response.status().as_u16())
    }

    /// POSTs a form (`application/x-www-form-urlencoded`) to `url`, such as a token request;
    /// the body of a 2xx answer, at most `max_bytes`.
    pub async fn send_form(
        &self,
        url: &str,
        form: &str,
        max_bytes: usize,
    ) -> Result<Vec<u8>, FetchError> {
        let parsed = url::Url::parse(url).map_err(|_| FetchError(format!("{url} is not a URL")))?;
        self.check(&parsed).await?;
        let mut response = self
            .client
            .post(parsed.as_str())
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(form.to_owned())
            .send()
            .await
            .map_err(|e| FetchError(format!("cannot post to {url}: {}", causes(&e))))?;
        let status = response.status();
        let body = read_limited(&mut response, url, max_bytes).await?;
        if !status.is_success() {
            return Err(FetchError(format!(
                "{url} answered {status}: {}",
                String::from_utf8_lossy(&body[..body.len().min(300)])
            )));
        }
        Ok(body)
    }

    /// POSTs an ActivityStreams body to `url`, signed (draft-cavage, with Digest) with the
    /// key `key_id`; the answer's status.
    pub async fn post_signed(
        &self,
        url: &str,
        body: &[u8],
        key_id: &str,
        private_pem: &str,
    ) -> Result<u16, FetchError> {
        let headers = [(
            "content-type".to_owned(),
            "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"".to_owned(),
        )];
        self.send_signed(
            "POST",
            url,
            &headers,
            Some(body),
            key_id,
            private_pem,
            64 * 1024,
        )
        .await
        .map(|r| r.status)
    }

    /// Sends a request signed with the key `key_id` (draft-cavage: `(request-target)`, host,
    /// date, and digest with a body), with these extra headers; the answer, up to `max_bytes`.
    #[allow(clippy::too_many_arguments)]
    pub async fn send_signed(
        &self,
        method: &str,
        url: &str,
        extra_headers: &[(String, String)],
        body: Option<&[u8]>,
        key_id: &str,
        private_pem: &str,
        max_bytes: usize,
    ) -> Result<SignedResponse, FetchError> {
        let key = kommon_http_signatures::SigningKey::from_pem(private_pem)
            .map_err(|e| FetchError(format!("cannot sign: {e}")))?;
        self.send_signed_with(method, url, extra_headers, body, key_id, &key, max_bytes)
            .await
    }

    /// [`GuardedFetcher::send_signed`] with an already parsed key (deliveries keep keys parsed).
    #[allow(clippy::too_many_arguments)]
    pub async fn send_signed_with(
        &self,
        method: &str,
        url: &str,
        extra_headers: &[(String, String)],
        body: Option<&[u8]>,
        key_id: &str,
        key: &kommon_http_signatures::SigningKey,
        max_bytes: usize,
    ) -> Result<SignedResponse, FetchError> {
        let parsed = url::Url::parse(url).map_err(|_| FetchError(format!("{url} is not a URL")))?;
        self.check(&parsed).await?;
        let method = reqwest::Method::from_bytes(method.to_ascii_uppercase().as_bytes())
            .map_err(|_| FetchError(format!("{method} is not an HTTP method")))?;
        let host = match parsed.port() {
            Some(p) => format!("{}:{p}", parsed.host_str().unwrap_or_default()),
            None => parsed.host_str().unwrap_or_default().to_owned(),
        };
        let path_and_query = match parsed.query() {
            Some(q) => format!("{}?{q}", parsed.path()),
            None => parsed.path().to_owned(),
        };
        let mut headers = reqwest::header::HeaderMap::new();
        for (k, v) in extra_headers {
            let lower = k.to_ascii_lowercase();
            // The signature's own headers are the server's to set.
            if matches!(
                lower.as_str(),
                "host"
                    | "date"
                    | "digest"
                    | "signature"
                    | "authorization"
                    | "content-length"
                    | "cookie"
            ) {
                continue;
            }
            let name = reqwest::header::HeaderName::from_bytes(lower.as_bytes())
                .map_err(|_| FetchError(format!("{k} is not a header name")))?;
            let value = reqwest::header::HeaderValue::from_str(v)
                .map_err(|_| FetchError(format!("the value of {k} is not a header value")))?;
            headers.insert(name, value);
        }
        kommon_http_signatures::sign_request_with(
            method.as_str(),
            &path_and_query,
            &host,
            &mut headers,
            body,
            key_id,
            key,
        )
        .map_err(|e| FetchError(format!("cannot sign: {e}")))?;
        let mut request = self
            .client
            .request(method, parsed.as_str())
            .headers(headers);
        if let Some(b) = body {
            request = request.body(b.to_vec());
        }
        let mut response = request
            .send()
            .await
            .map_err(|e| FetchError(format!("cannot reach {url}: {}", causes(&e))))?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = read_limited(&mut response, url, max_bytes).await?;
        Ok(SignedResponse {
            status,
            content_type,
            body: bytes,
        })
    }
}

/// Reads an answer's body, refusing more than `max_bytes` without reading them all.
async fn read_limited(
    response: &mut reqwest::Response,
    url: &str,
    max_bytes: usize,
) -> Result<Vec<u8>, FetchError> {
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| FetchError(format!("cannot read {url}: {}", causes(&e))))?
    {
        if body.len() + chunk.len() > max_bytes {
            return Err(FetchError(format!(
                "{url} is larger than {max_bytes} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The answer to a signed request.
pub struct SignedResponse {
    /// Its status.
    pub status: u16,
    /// Its content type, as sent.
    pub content_type: Option<String>,
    /// Its body.
    pub body: Vec<u8>,
}

/// Whether an address is loopback, private, link-local or otherwise not on the public internet.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || (v6.segments()[0] & 0xffc0) == 0xfe80
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| is_private(IpAddr::V4(v4)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_says_the_reasons_under_it() {
        let inner = std::io::Error::other("example.org has no public address: it is not fetched");
        let outer =
            std::io::Error::other(Box::new(inner) as Box<dyn std::error::Error + Send + Sync>);
        let text = causes(&outer);
        assert!(text.contains("no public address"), "{text}");
        // A source that repeats its parent's text is not said twice.
        assert_eq!(text.matches("no public address").count(), 1, "{text}");
    }

    #[tokio::test]
    async fn outside_development_private_addresses_are_never_fetched() {
        let guard = GuardedFetcher::new(false);
        for url in [
            "http://127.0.0.1:9/x",
            "http://localhost:9/x",
            "http://[::1]:9/x",
            "http://10.0.0.1/x",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::ffff:127.0.0.1]/x",
        ] {
            let e = guard.get(url, &[], 1024).await.err().expect(url);
            assert!(e.0.contains("private address"), "{url}: {e}");
            let e = guard.post_json(url, "{}").await.expect_err(url);
            assert!(e.0.contains("private address"), "{url}: {e}");
        }
        for url in ["file:///etc/passwd", "gopher://x/", "not a url"] {
            assert!(guard.get(url, &[], 1024).await.is_err(), "{url}");
        }
        // In development, loopback is reachable (and a closed port is a plain failure).
        let dev = GuardedFetcher::new(true);
        let e = dev
            .get("http://127.0.0.1:9/x", &[], 1024)
            .await
            .err()
            .expect("closed port");
        assert!(!e.0.contains("private address"), "{e}");
    }

    #[tokio::test]
    async fn answers_are_bounded_and_redirects_are_checked_again() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            loop {
                let Ok((mut s, _)) = listener.accept().await else {
                    return;
                };
                let mut buf = vec![0u8; 4096];
                let n = s.read(&mut buf).await.unwrap_or(0);
                let req = String::from_utf8_lossy(&buf[..n]).to_string();
                let answer = if req.starts_with("GET /big") {
                    let body = "x".repeat(10_000);
                    format!(
                        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    )
                } else if req.starts_with("GET /loop") {
                    format!(
                        "HTTP/1.1 302 Found\r\nlocation: http://127.0.0.1:{port}/loop\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                    )
                } else {
                    "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok".to_owned()
                };
                let _ = s.write_all(answer.as_bytes()).await;
            }
        });
        let dev = GuardedFetcher::new(true);
        let e = dev
            .get(&format!("http://127.0.0.1:{port}/big"), &[], 1000)
            .await
            .err()
            .expect("too big");
        assert!(e.0.contains("larger than 1000"), "{e}");
        let e = dev
            .get(&format!("http://127.0.0.1:{port}/loop"), &[], 1000)
            .await
            .err()
            .expect("loop");
        assert!(e.0.contains("more than three"), "{e}");
        assert_eq!(
            &dev.get(&format!("http://127.0.0.1:{port}/ok"), &[], 1000)
                .await
                .unwrap()
                .body[..],
            b"ok"
        );
    }

    #[test]
    fn private_addresses() {
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.1.1",
            "172.16.0.1",
            "169.254.1.1",
            "100.64.0.1",
            "::1",
            "fc00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "0.0.0.0",
        ] {
            assert!(is_private(a.parse().expect("address")), "{a}");
        }
        for a in ["1.1.1.1", "2a01:4f8::1", "80.67.169.12"] {
            assert!(!is_private(a.parse().expect("address")), "{a}");
        }
    }
}
