//! RFC 9421 HTTP Message Signatures, the verifying side: the `Signature-Input` inner list and its
//! parameters, the signature base, and the rules Mastodon 4.5 applies (one signature, `created`
//! present, `@method` and `@target-uri` covered, `content-digest` covered on a body).

use super::{
    BASE64, CoveredDigest, RsaAlgorithm, SignatureError, SignatureScheme, SignedRequest, check_time,
};
use base64::Engine;
use http::HeaderMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The members of a structured-field dictionary, as (key, raw value text), split at top-level
/// commas (commas inside strings and parentheses do not count).
fn dictionary(text: &str) -> Result<Vec<(String, String)>, SignatureError> {
    let mut members = Vec::new();
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut start = 0;
    let bytes = text.as_bytes();
    let mut push = |s: &str| -> Result<(), SignatureError> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(());
        }
        let (k, v) = s
            .split_once('=')
            .ok_or_else(|| SignatureError::Malformed(format!("member without value: {s}")))?;
        members.push((k.trim().to_owned(), v.trim().to_owned()));
        Ok(())
    };
    for (i, &b) in bytes.iter().enumerate() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'(' => depth += 1,
            b')' => {
                depth = depth.checked_sub(1).ok_or_else(|| {
                    SignatureError::Malformed("unbalanced parentheses in Signature-Input".into())
                })?
            }
            b',' if depth == 0 => {
                push(&text[start..i])?;
                start = i + 1;
            }
            _ => {}
        }
    }
    if in_string || depth != 0 {
        return Err(SignatureError::Malformed(
            "unterminated string or list in a signature header".into(),
        ));
    }
    push(&text[start..])?;
    Ok(members)
}

/// A parsed `sf-string` at the start of `s`: its value and the rest.
fn sf_string(s: &str) -> Result<(String, &str), SignatureError> {
    let s = s
        .strip_prefix('"')
        .ok_or_else(|| SignatureError::Malformed(format!("expected a string at {s}")))?;
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, e @ ('"' | '\\'))) => out.push(e),
                _ => return Err(SignatureError::Malformed("bad escape in a string".into())),
            },
            '"' => return Ok((out, &s[i + 1..])),
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            _ => {
                return Err(SignatureError::Malformed(
                    "strings must be printable ASCII".into(),
                ));
            }
        }
    }
    Err(SignatureError::Malformed("unterminated string".into()))
}

/// The covered components and the parameters of one `Signature-Input` member.
struct SignatureParams {
    components: Vec<String>,
    created: Option<u64>,
    expires: Option<u64>,
    key_id: Option<String>,
    alg: Option<String>,
}

fn signature_params(raw: &str) -> Result<SignatureParams, SignatureError> {
    let mut rest = raw
        .strip_prefix('(')
        .ok_or_else(|| SignatureError::Malformed("Signature-Input must be an inner list".into()))?;
    let mut components = Vec::new();
    loop {
        rest = rest.trim_start_matches(' ');
        if let Some(r) = rest.strip_prefix(')') {
            rest = r;
            break;
        }
        let (name, r) = sf_string(rest)?;
        if r.starts_with(';') {
            return Err(SignatureError::Malformed(format!(
                "component parameters are not supported (on \"{name}\")"
            )));
        }
        if components.len() >= 32 {
            return Err(SignatureError::Malformed("too many components".into()));
        }
        components.push(name);
        rest = r;
    }
    let mut params = SignatureParams {
        components,
        created: None,
        expires: None,
        key_id: None,
        alg: None,
    };
    while let Some(r) = rest.strip_prefix(';') {
        let end = r.find('=').unwrap_or(r.len());
        let key = r[..end].trim();
        let after = r.get(end + 1..).unwrap_or("");
        let (value, r) = if after.starts_with('"') {
            let (s, r) = sf_string(after)?;
            (s, r)
        } else {
            let stop = after.find(';').unwrap_or(after.len());
            (after[..stop].trim().to_owned(), &after[stop..])
        };
        let number = |v: &str| {
            v.parse::<u64>()
                .map_err(|_| SignatureError::Malformed(format!("{key} must be an integer")))
        };
        match key {
            "created" => params.created = Some(number(&value)?),
            "expires" => params.expires = Some(number(&value)?),
            "keyid" => params.key_id = Some(value),
            "alg" => params.alg = Some(value),
            // nonce and tag carry nothing we check.
            _ => {}
        }
        rest = r;
    }
    if !rest.trim().is_empty() {
        return Err(SignatureError::Malformed(format!(
            "unexpected text after the signature parameters: {rest}"
        )));
    }
    Ok(params)
}

/// Parses and checks an RFC 9421 signature; see [`SignedRequest::parse_request`].
pub(crate) fn parse(
    method: &str,
    target_uri: &str,
    headers: &HeaderMap,
    has_body: bool,
) -> Result<SignedRequest, SignatureError> {
    let text = |name: &str| -> Result<String, SignatureError> {
        let mut values = Vec::new();
        for v in headers.get_all(name) {
            values.push(
                v.to_str()
                    .map_err(|_| SignatureError::Malformed(format!("{name} is not ASCII")))?
                    .trim()
                    .to_owned(),
            );
        }
        if values.is_empty() {
            return Err(SignatureError::Malformed(format!("no {name} header")));
        }
        Ok(values.join(", "))
    };
    let input = text("signature-input")?;
    let signature = text("signature")?;
    if input.len() > 8192 || signature.len() > 8192 {
        return Err(SignatureError::Malformed(
            "signature headers longer than 8192 bytes".into(),
        ));
    }
    let inputs = dictionary(&input)?;
    let signatures = dictionary(&signature)?;
    // Mastodon verifies exactly one signature; the first labelled pair is the one we check.
    let (label, raw_params) = inputs
        .first()
        .ok_or_else(|| SignatureError::Malformed("Signature-Input is empty".into()))?;
    let raw_signature = signatures
        .iter()
        .find(|(l, _)| l == label)
        .map(|(_, v)| v)
        .ok_or_else(|| SignatureError::Malformed(format!("no signature labelled {label}")))?;
    let signature = raw_signature
        .strip_prefix(':')
        .and_then(|s| s.strip_suffix(':'))
        .ok_or_else(|| SignatureError::Malformed("the signature is not a byte sequence".into()))
        .and_then(|s| {
            BASE64
                .decode(s)
                .map_err(|_| SignatureError::Malformed("the signature is not base64".into()))
        })?;
    let params = signature_params(raw_params)?;
    let key_id = params
        .key_id
        .clone()
        .ok_or_else(|| SignatureError::Malformed("the signature has no keyid".into()))?;
    let created = params
        .created
        .ok_or_else(|| SignatureError::Unsigned("created (a parameter)".into()))?;
    check_time(UNIX_EPOCH + Duration::from_secs(created))?;
    if let Some(expires) = params.expires
        && UNIX_EPOCH + Duration::from_secs(expires) + super::MAX_SKEW < SystemTime::now()
    {
        return Err(SignatureError::Date("expired".into()));
    }
    let covers = |c: &str| params.components.iter().any(|x| x == c);
    if !covers("@method") {
        return Err(SignatureError::Unsigned("@method".into()));
    }
    let target_covered = covers("@target-uri") || (covers("@authority") && covers("@path"));
    if !target_covered {
        return Err(SignatureError::Unsigned("@target-uri".into()));
    }
    let digest = if covers("content-digest") {
        CoveredDigest::ContentDigest
    } else if covers("digest") {
        CoveredDigest::Digest
    } else {
        CoveredDigest::None
    };
    if has_body && digest == CoveredDigest::None {
        return Err(SignatureError::Unsigned("content-digest".into()));
    }
    let algorithm = match params.alg.as_deref() {
        None | Some("rsa-v1_5-sha256") => RsaAlgorithm::Pkcs1Sha256,
        Some("rsa-pss-sha512") => RsaAlgorithm::PssSha512,
        Some(other) => return Err(SignatureError::Algorithm(other.to_owned())),
    };
    let url = url::Url::parse(target_uri)
        .map_err(|_| SignatureError::Malformed(format!("{target_uri} is not a URL")))?;
    let mut base = String::new();
    for c in &params.components {
        let value = match c.as_str() {
            "@method" => method.to_ascii_uppercase(),
            "@target-uri" => target_uri.to_owned(),
            "@authority" => match url.port() {
                Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
                None => url.host_str().unwrap_or_default().to_owned(),
            }
            .to_ascii_lowercase(),
            "@scheme" => url.scheme().to_owned(),
            "@path" => url.path().to_owned(),
            "@query" => format!("?{}", url.query().unwrap_or("")),
            "@request-target" => match url.query() {
                Some(q) => format!("{}?{q}", url.path()),
                None => url.path().to_owned(),
            },
            other if other.starts_with('@') => {
                return Err(SignatureError::Malformed(format!(
                    "unsupported derived component {other}"
                )));
            }
            name => {
                if name.bytes().any(|b| b.is_ascii_uppercase()) {
                    return Err(SignatureError::Malformed(format!(
                        "component names are lowercase: {name}"
                    )));
                }
                text(name)
                    .map_err(|_| SignatureError::Unsigned(format!("{name} (it is missing)")))?
            }
        };
        base.push_str(&format!("\"{c}\": {value}\n"));
    }
    base.push_str(&format!("\"@signature-params\": {raw_params}"));
    Ok(SignedRequest {
        key_id,
        message: base.into_bytes(),
        signature,
        digest,
        scheme: SignatureScheme::Rfc9421,
        algorithm,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SigningKey, generate_key_pair};
    use http::HeaderValue;
    use sha2::{Digest as _, Sha256};

    /// Signs like Fedify does: `@method @target-uri @authority host date content-digest`.
    fn fedify_like(body: &[u8], created: u64, key: &SigningKey, uri: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("host", HeaderValue::from_static("pods.example"));
        h.insert(
            "date",
            HeaderValue::from_str(&httpdate::fmt_http_date(SystemTime::now())).unwrap(),
        );
        let digest = format!("sha-256=:{}:", BASE64.encode(Sha256::digest(body)));
        h.insert("content-digest", HeaderValue::from_str(&digest).unwrap());
        let params = format!(
            "(\"@method\" \"@target-uri\" \"@authority\" \"host\" \"date\" \"content-digest\");alg=\"rsa-v1_5-sha256\";keyid=\"https://peer.example/users/t#main-key\";created={created}"
        );
        let base = format!(
            "\"@method\": POST\n\"@target-uri\": {uri}\n\"@authority\": pods.example\n\"host\": pods.example\n\"date\": {}\n\"content-digest\": {digest}\n\"@signature-params\": {params}",
            h["date"].to_str().unwrap()
        );
        let sig = BASE64.encode(key.sign(base.as_bytes()).unwrap());
        h.insert(
            "signature-input",
            HeaderValue::from_str(&format!("sig1={params}")).unwrap(),
        );
        h.insert(
            "signature",
            HeaderValue::from_str(&format!("sig1=:{sig}:")).unwrap(),
        );
        h
    }

    fn now() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    #[test]
    fn verifies_a_fedify_style_signature() {
        let pair = generate_key_pair().unwrap();
        let key = SigningKey::from_pem(&pair.private_pem).unwrap();
        let body = br#"{"type":"Follow"}"#;
        let uri = "https://pods.example/alice/inbox";
        let h = fedify_like(body, now(), &key, uri);
        let req = SignedRequest::parse_request("POST", uri, &h, true).unwrap();
        assert_eq!(req.scheme(), SignatureScheme::Rfc9421);
        assert_eq!(req.actor_id(), "https://peer.example/users/t");
        req.check_body(&h, body).unwrap();
        req.verify(&pair.public_pem).unwrap();
        // Tampered body, other URI, other key.
        assert!(req.check_body(&h, b"{}").is_err());
        let other =
            SignedRequest::parse_request("POST", "https://pods.example/bob/inbox", &h, true)
                .unwrap();
        assert!(other.verify(&pair.public_pem).is_err());
        let stranger = generate_key_pair().unwrap();
        assert!(req.verify(&stranger.public_pem).is_err());
    }

    #[test]
    fn refuses_what_mastodon_refuses() {
        let pair = generate_key_pair().unwrap();
        let key = SigningKey::from_pem(&pair.private_pem).unwrap();
        let uri = "https://pods.example/alice/inbox";
        // Too old.
        let h = fedify_like(b"x", now() - 13 * 3600, &key, uri);
        assert!(matches!(
            SignedRequest::parse_request("POST", uri, &h, true),
            Err(SignatureError::Date(_))
        ));
        let cases = [
            ("sig1=(\"@target-uri\");created=1;keyid=\"k\"", "@method"),
            ("sig1=(\"@method\");created=1;keyid=\"k\"", "@target-uri"),
        ];
        for (input, missing) in cases {
            let mut h = HeaderMap::new();
            let input = input.replace("created=1", &format!("created={}", now()));
            h.insert("signature-input", HeaderValue::from_str(&input).unwrap());
            h.insert("signature", HeaderValue::from_static("sig1=:AAAA:"));
            let e = SignedRequest::parse_request("GET", uri, &h, false).unwrap_err();
            assert!(
                matches!(&e, SignatureError::Unsigned(m) if m == missing),
                "{e}"
            );
        }
        for (input, sig) in [
            (
                "sig1=(\"@method\" \"@target-uri\");keyid=\"k\"",
                "sig1=:AAAA:",
            ),
            ("sig1=(\"@method\" \"@target-uri\";created=1", "sig1=:AAAA:"),
            (
                "sig1=(\"@method\" \"@target-uri\");created=x",
                "sig1=:AAAA:",
            ),
            (
                "sig1=(\"@method\" \"@target-uri\");created=1",
                "sig2=:AAAA:",
            ),
            ("sig1=(\"@method\" \"@target-uri\");created=1", "sig1=AAAA"),
            ("sig1=(\"@method\" \"@target-uri\" \"x\\q\")", "sig1=:AAAA:"),
            ("sig1=(\"@method\";req \"@target-uri\")", "sig1=:AAAA:"),
            ("=", ""),
        ] {
            let mut h = HeaderMap::new();
            h.insert("signature-input", HeaderValue::from_str(input).unwrap());
            h.insert("signature", HeaderValue::from_str(sig).unwrap());
            assert!(
                SignedRequest::parse_request("GET", uri, &h, false).is_err(),
                "{input} {sig}"
            );
        }
        // A body whose digest is not covered.
        let mut h = HeaderMap::new();
        h.insert(
            "signature-input",
            HeaderValue::from_str(&format!(
                "sig1=(\"@method\" \"@target-uri\");created={};keyid=\"k\"",
                now()
            ))
            .unwrap(),
        );
        h.insert("signature", HeaderValue::from_static("sig1=:AAAA:"));
        assert!(matches!(
            SignedRequest::parse_request("POST", uri, &h, true),
            Err(SignatureError::Unsigned(m)) if m == "content-digest"
        ));
        // An algorithm we do not verify.
        h.insert(
            "signature-input",
            HeaderValue::from_str(&format!(
                "sig1=(\"@method\" \"@target-uri\");created={};keyid=\"k\";alg=\"hmac-sha256\"",
                now()
            ))
            .unwrap(),
        );
        assert!(matches!(
            SignedRequest::parse_request("GET", uri, &h, false),
            Err(SignatureError::Algorithm(_))
        ));
    }

    #[test]
    fn content_digest() {
        let body = b"hello";
        let h256 = format!("sha-256=:{}:", BASE64.encode(Sha256::digest(body)));
        crate::verify_content_digest(&h256, body).unwrap();
        assert!(crate::verify_content_digest(&h256, b"other").is_err());
        assert!(crate::verify_content_digest("md5=:AAAA:", body).is_err());
        assert!(crate::verify_content_digest("sha-256=AAAA", body).is_err());
    }
}
