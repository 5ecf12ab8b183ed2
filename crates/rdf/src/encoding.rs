//! Byte encodings of term ids and terms, as they are laid out in the store's keys and values.
//!
//! Ids use an order-preserving variable-length form: one length byte, then the id in big-endian
//! without its leading zero bytes. Lexicographic order of the bytes is numeric order, each id is
//! self-delimiting (so a prefix of bound positions is an exact prefix scan), and the ids of a
//! store with millions of terms take four or five bytes instead of eight.

use crate::error::StoreError;
use oxrdf::{BlankNode, Literal, NamedNode, Term};

/// The id the store reserves for the default graph.
pub const DEFAULT_GRAPH_ID: u64 = 0;

/// Appends the order-preserving encoding of `id` to `out`.
pub fn write_id(out: &mut Vec<u8>, id: u64) {
    let bytes = id.to_be_bytes();
    let skip = (id.leading_zeros() / 8) as usize;
    let len = 8 - skip;
    // `len` is at most 8, so it always fits in one byte.
    out.push(len as u8);
    out.extend_from_slice(&bytes[skip..]);
}

/// Reads one id from the front of `input`, returning it and the number of bytes read.
pub fn read_id(input: &[u8]) -> Result<(u64, usize), StoreError> {
    let (&len, rest) = input
        .split_first()
        .ok_or_else(|| StoreError::Corrupted("empty id".into()))?;
    let len = len as usize;
    if len > 8 || rest.len() < len {
        return Err(StoreError::Corrupted(format!("bad id length {len}")));
    }
    let mut buf = [0u8; 8];
    buf[8 - len..].copy_from_slice(&rest[..len]);
    Ok((u64::from_be_bytes(buf), len + 1))
}

/// Reads exactly four ids from `input`.
pub fn read_four_ids(input: &[u8]) -> Result<[u64; 4], StoreError> {
    let mut out = [0u64; 4];
    let mut pos = 0;
    for slot in &mut out {
        let (id, used) = read_id(&input[pos..])?;
        *slot = id;
        pos += used;
    }
    if pos != input.len() {
        return Err(StoreError::Corrupted(
            "trailing bytes after a quad key".into(),
        ));
    }
    Ok(out)
}

const TAG_NAMED: u8 = 1;
const TAG_BLANK: u8 = 2;
const TAG_STRING: u8 = 3;
const TAG_LANG: u8 = 4;
const TAG_TYPED: u8 = 5;

/// Encodes a term as the dictionary stores it (a tag byte, then the term's text).
pub fn encode_term(term: &Term, out: &mut Vec<u8>) {
    match term {
        Term::NamedNode(n) => {
            out.push(TAG_NAMED);
            out.extend_from_slice(n.as_str().as_bytes());
        }
        Term::BlankNode(b) => {
            out.push(TAG_BLANK);
            out.extend_from_slice(b.as_str().as_bytes());
        }
        Term::Literal(l) => {
            if let Some(lang) = l.language() {
                out.push(TAG_LANG);
                // Language tags are short (BCP47 caps them well below 255 in practice); a longer
                // one is refused by the parsers' literal limits before it reaches the store.
                let lang = lang.as_bytes();
                out.push(lang.len().min(255) as u8);
                out.extend_from_slice(&lang[..lang.len().min(255)]);
                out.extend_from_slice(l.value().as_bytes());
            } else if l.datatype() == oxrdf::vocab::xsd::STRING {
                out.push(TAG_STRING);
                out.extend_from_slice(l.value().as_bytes());
            } else {
                out.push(TAG_TYPED);
                let dt = l.datatype().as_str().as_bytes();
                out.extend_from_slice(&(dt.len() as u32).to_be_bytes());
                out.extend_from_slice(dt);
                out.extend_from_slice(l.value().as_bytes());
            }
        }
    }
}

fn utf8(bytes: &[u8]) -> Result<&str, StoreError> {
    std::str::from_utf8(bytes)
        .map_err(|e| StoreError::Corrupted(format!("invalid UTF-8 term: {e}")))
}

/// Decodes a term written by [`encode_term`].
pub fn decode_term(bytes: &[u8]) -> Result<Term, StoreError> {
    let (&tag, rest) = bytes
        .split_first()
        .ok_or_else(|| StoreError::Corrupted("empty term".into()))?;
    Ok(match tag {
        TAG_NAMED => NamedNode::new_unchecked(utf8(rest)?).into(),
        TAG_BLANK => BlankNode::new_unchecked(utf8(rest)?).into(),
        TAG_STRING => Literal::new_simple_literal(utf8(rest)?).into(),
        TAG_LANG => {
            let (&len, rest) = rest
                .split_first()
                .ok_or_else(|| StoreError::Corrupted("truncated language tag".into()))?;
            let len = len as usize;
            if rest.len() < len {
                return Err(StoreError::Corrupted("truncated language tag".into()));
            }
            Literal::new_language_tagged_literal_unchecked(utf8(&rest[len..])?, utf8(&rest[..len])?)
                .into()
        }
        TAG_TYPED => {
            if rest.len() < 4 {
                return Err(StoreError::Corrupted("truncated datatype".into()));
            }
            let len = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
            let rest = &rest[4..];
            if rest.len() < len {
                return Err(StoreError::Corrupted("truncated datatype".into()));
            }
            Literal::new_typed_literal(
                utf8(&rest[len..])?,
                NamedNode::new_unchecked(utf8(&rest[..len])?),
            )
            .into()
        }
        other => return Err(StoreError::Corrupted(format!("unknown term tag {other}"))),
    })
}

/// A 128-bit hash of an encoded term, the key under which the dictionary finds its id.
pub fn term_hash(encoded: &[u8]) -> [u8; 16] {
    use siphasher::sip128::{Hasher128, SipHasher13};
    use std::hash::Hasher;
    // Fixed keys: the hash only has to be stable across runs, collisions are not adversarial in a
    // way that matters (a collision would make two terms share an id, and 128 bits make that
    // unreachable in practice).
    let mut hasher = SipHasher13::new_with_keys(0x6b6f_6d6d_6f6e_2d72, 0x6466_2d64_6963_7469);
    hasher.write(encoded);
    hasher.finish128().as_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_keep_order() {
        let ids = [0u64, 1, 255, 256, 65_535, 65_536, 1 << 40, u64::MAX];
        let mut previous: Option<Vec<u8>> = None;
        for id in ids {
            let mut buf = Vec::new();
            write_id(&mut buf, id);
            assert_eq!(read_id(&buf).unwrap(), (id, buf.len()));
            if let Some(p) = previous {
                assert!(p < buf, "{id} must sort after the previous id");
            }
            previous = Some(buf);
        }
    }

    #[test]
    fn terms_round_trip() {
        let terms: Vec<Term> = vec![
            NamedNode::new_unchecked("http://example.com/a").into(),
            BlankNode::new_unchecked("b0").into(),
            Literal::new_simple_literal("héllo").into(),
            Literal::new_language_tagged_literal_unchecked("bonjour", "fr").into(),
            Literal::from(42).into(),
            Literal::new_typed_literal("", oxrdf::vocab::xsd::DATE).into(),
        ];
        for t in terms {
            let mut buf = Vec::new();
            encode_term(&t, &mut buf);
            assert_eq!(decode_term(&buf).unwrap(), t);
        }
    }

    #[test]
    fn corrupted_bytes_are_errors_not_panics() {
        assert!(decode_term(&[]).is_err());
        assert!(decode_term(&[9, 1, 2]).is_err());
        assert!(decode_term(&[TAG_LANG, 10, b'a']).is_err());
        assert!(decode_term(&[TAG_TYPED, 0, 0]).is_err());
        assert!(read_id(&[9, 0]).is_err());
        assert!(read_id(&[3, 0]).is_err());
    }
}
