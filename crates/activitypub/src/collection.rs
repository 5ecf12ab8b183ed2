//! Ordered collections (inbox, outbox, followers, following, liked, and any other): items kept
//! in the store in the order they were added, counted, and read back in pages with stable
//! cursors (`max_id` / `min_id`, Mastodon's scheme), newest first.
//!
//! Items are keyed by `collection \0 sequence`, so a page is one range scan however deep it
//! is, and a cursor stays valid while items are added before it. A member index keyed by
//! `collection \0 item` makes adding idempotent (a redelivered activity or a second Follow
//! adds nothing) and removal direct.

use kommon_rdf::{Keyspace, QuadStore, StoreError, Transaction};
use serde_json::{Value, json};

const ITEMS: &str = "ap-collection-items";
const MEMBERS: &str = "ap-collection-members";
const COUNTS: &str = "ap-collection-counts";

/// How many items a page holds unless the client asks for fewer.
pub const PAGE_SIZE: usize = 20;

fn item_key(collection: &str, seq: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(collection.len() + 9);
    k.extend_from_slice(collection.as_bytes());
    k.push(0);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

fn member_key(collection: &str, item: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(collection.len() + item.len() + 1);
    k.extend_from_slice(collection.as_bytes());
    k.push(0);
    k.extend_from_slice(item.as_bytes());
    k
}

fn count_in(tx: &Transaction<'_>, collection: &str) -> Result<u64, StoreError> {
    Ok(tx
        .keyspace_get(COUNTS, collection.as_bytes())?
        .and_then(|v| v.try_into().ok())
        .map(u64::from_be_bytes)
        .unwrap_or(0))
}

/// Adds `item` to `collection` at position `seq`, in the caller's transaction; `false` when it
/// was already there (nothing changes).
pub fn add(
    tx: &mut Transaction<'_>,
    collection: &str,
    item: &str,
    seq: u64,
) -> Result<bool, StoreError> {
    let member = member_key(collection, item);
    if tx.keyspace_get(MEMBERS, &member)?.is_some() {
        return Ok(false);
    }
    let count = count_in(tx, collection)?;
    tx.keyspace_insert(MEMBERS, &member, &seq.to_be_bytes());
    tx.keyspace_insert(ITEMS, &item_key(collection, seq), item.as_bytes());
    tx.keyspace_insert(COUNTS, collection.as_bytes(), &(count + 1).to_be_bytes());
    Ok(true)
}

/// Adds `item`, which cannot be in `collection` yet (an id just made for it), at position
/// `seq`: [`add`] without the lookup that guards against duplicates.
pub fn append(
    tx: &mut Transaction<'_>,
    collection: &str,
    item: &str,
    seq: u64,
) -> Result<(), StoreError> {
    let count = count_in(tx, collection)?;
    tx.keyspace_insert(MEMBERS, &member_key(collection, item), &seq.to_be_bytes());
    tx.keyspace_insert(ITEMS, &item_key(collection, seq), item.as_bytes());
    tx.keyspace_insert(COUNTS, collection.as_bytes(), &(count + 1).to_be_bytes());
    Ok(())
}

/// Removes `item` from `collection` in the caller's transaction; `false` when it was not there.
pub fn remove(tx: &mut Transaction<'_>, collection: &str, item: &str) -> Result<bool, StoreError> {
    let member = member_key(collection, item);
    let Some(seq) = tx.keyspace_get(MEMBERS, &member)? else {
        return Ok(false);
    };
    let seq: [u8; 8] = seq
        .try_into()
        .map_err(|_| StoreError::Corrupted("a collection position is not 8 bytes".into()))?;
    let count = count_in(tx, collection)?;
    tx.keyspace_remove(MEMBERS, &member);
    tx.keyspace_remove(ITEMS, &item_key(collection, u64::from_be_bytes(seq)));
    tx.keyspace_insert(
        COUNTS,
        collection.as_bytes(),
        &count.saturating_sub(1).to_be_bytes(),
    );
    Ok(true)
}

/// Whether `item` is in `collection`, inside a transaction.
pub fn contains_in(tx: &Transaction<'_>, collection: &str, item: &str) -> Result<bool, StoreError> {
    Ok(tx
        .keyspace_get(MEMBERS, &member_key(collection, item))?
        .is_some())
}

/// Which page of a collection a request asks for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PageCursor {
    /// The collection itself (`totalItems`, `first`, `last`), no items.
    #[default]
    Summary,
    /// The newest items.
    First,
    /// Items older than this position (`?max_id=`).
    Before(u64),
    /// Items newer than this position (`?min_id=`), the page just above.
    After(u64),
}

impl PageCursor {
    /// Reads the cursor from a query string (`page=true`, `max_id=N`, `min_id=N`).
    pub fn from_query(query: Option<&str>) -> Result<Self, String> {
        let mut cursor = PageCursor::Summary;
        for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            let number = || {
                v.parse::<u64>()
                    .map_err(|_| format!("{k} must be a non-negative integer, not {v}"))
            };
            match k.as_ref() {
                "page" if cursor == PageCursor::Summary => cursor = PageCursor::First,
                "max_id" => cursor = PageCursor::Before(number()?),
                "min_id" => cursor = PageCursor::After(number()?),
                _ => {}
            }
        }
        Ok(cursor)
    }
}

/// One page read from a collection: positions and items, newest first.
#[derive(Debug, Default)]
pub struct Page {
    /// The items with their positions.
    pub items: Vec<(u64, String)>,
    /// Whether older items exist beyond this page.
    pub has_older: bool,
    /// Whether newer items exist above this page.
    pub has_newer: bool,
}

/// Reads collections (writes go through [`add`] and [`remove`] inside transactions).
#[derive(Clone)]
pub struct Collections {
    items: Keyspace,
    members: Keyspace,
    counts: Keyspace,
}

impl Collections {
    /// The collections kept in `store`.
    pub fn new(store: &QuadStore) -> Self {
        Self {
            items: store.keyspace(ITEMS),
            members: store.keyspace(MEMBERS),
            counts: store.keyspace(COUNTS),
        }
    }

    /// The number of items in a collection.
    pub fn len(&self, collection: &str) -> Result<u64, StoreError> {
        Ok(self
            .counts
            .get(collection.as_bytes())?
            .and_then(|v| v.try_into().ok())
            .map(u64::from_be_bytes)
            .unwrap_or(0))
    }

    /// Whether `item` is in `collection`.
    pub fn contains(&self, collection: &str, item: &str) -> Result<bool, StoreError> {
        Ok(self.members.get(&member_key(collection, item))?.is_some())
    }

    /// Every item, oldest first (for expanding a followers collection into inboxes).
    pub fn all(
        &self,
        collection: &str,
    ) -> impl Iterator<Item = Result<String, StoreError>> + use<> {
        let mut prefix = collection.as_bytes().to_vec();
        prefix.push(0);
        self.items.scan_prefix(&prefix).map(|e| {
            let (_, v) = e?;
            String::from_utf8(v)
                .map_err(|_| StoreError::Corrupted("a collection item is not UTF-8".into()))
        })
    }

    /// A page of at most `limit` items at `cursor`, newest first.
    pub fn page(
        &self,
        collection: &str,
        cursor: PageCursor,
        limit: usize,
    ) -> Result<Page, StoreError> {
        let lo = item_key(collection, 0);
        let hi = {
            let mut k = collection.as_bytes().to_vec();
            k.push(1);
            k
        };
        let decode =
            |e: Result<(Vec<u8>, Vec<u8>), StoreError>| -> Result<(u64, String), StoreError> {
                let (k, v) = e?;
                let seq: [u8; 8] = k[k.len().saturating_sub(8)..]
                    .try_into()
                    .map_err(|_| StoreError::Corrupted("a collection key is too short".into()))?;
                let item = String::from_utf8(v)
                    .map_err(|_| StoreError::Corrupted("a collection item is not UTF-8".into()))?;
                Ok((u64::from_be_bytes(seq), item))
            };
        let mut page = Page::default();
        match cursor {
            PageCursor::Summary => {}
            PageCursor::First | PageCursor::Before(_) => {
                let end = match cursor {
                    PageCursor::Before(seq) => item_key(collection, seq),
                    _ => hi,
                };
                let mut it = self.items.scan_range(&lo, &end).rev();
                for e in it.by_ref().take(limit) {
                    page.items.push(decode(e)?);
                }
                page.has_older = it.next().is_some();
                if let Some((newest, _)) = page.items.first() {
                    page.has_newer = self
                        .items
                        .scan_range(
                            &item_key(collection, newest.saturating_add(1)),
                            &hi_key(collection),
                        )
                        .next()
                        .is_some();
                }
            }
            PageCursor::After(seq) => {
                let start = item_key(collection, seq.saturating_add(1));
                let mut it = self.items.scan_range(&start, &hi);
                for e in it.by_ref().take(limit) {
                    page.items.push(decode(e)?);
                }
                page.has_newer = it.next().is_some();
                page.items.reverse();
                page.has_older = self
                    .items
                    .scan_range(&lo, &item_key(collection, seq.saturating_add(1)))
                    .next()
                    .is_some();
            }
        }
        Ok(page)
    }
}

fn hi_key(collection: &str) -> Vec<u8> {
    let mut k = collection.as_bytes().to_vec();
    k.push(1);
    k
}

/// The `OrderedCollection` document of a collection: its size and links to its first page.
pub fn collection_document(id: &str, total: u64, owner: Option<&str>) -> Value {
    let mut doc = json!({
        "@context": crate::AS_CONTEXT,
        "id": id,
        "type": "OrderedCollection",
        "totalItems": total,
        "first": format!("{id}?page=true"),
    });
    if let Some(owner) = owner {
        doc["attributedTo"] = json!(owner);
    }
    doc
}

/// An `OrderedCollectionPage` of `collection` with these rendered items and cursor links.
pub fn page_document(
    collection: &str,
    cursor: PageCursor,
    page: &Page,
    items: Vec<Value>,
) -> Value {
    let id = match cursor {
        PageCursor::Before(s) => format!("{collection}?max_id={s}"),
        PageCursor::After(s) => format!("{collection}?min_id={s}"),
        _ => format!("{collection}?page=true"),
    };
    let mut doc = json!({
        "@context": crate::AS_CONTEXT,
        "id": id,
        "type": "OrderedCollectionPage",
        "partOf": collection,
        "orderedItems": items,
    });
    if page.has_older
        && let Some((oldest, _)) = page.items.last()
    {
        doc["next"] = json!(format!("{collection}?max_id={oldest}"));
    }
    if page.has_newer
        && let Some((newest, _)) = page.items.first()
    {
        doc["prev"] = json!(format!("{collection}?min_id={newest}"));
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_stable_and_adding_is_idempotent() {
        let store = QuadStore::temporary().unwrap();
        let c = Collections::new(&store);
        let coll = "https://h/alice/outbox";
        store
            .transaction(|tx| -> Result<(), StoreError> {
                for i in 1..=45u64 {
                    assert!(add(tx, coll, &format!("https://h/a/{i}"), i * 10)?);
                }
                assert!(!add(tx, coll, "https://h/a/3", 999)?);
                // Another collection sharing a prefix never leaks in.
                add(tx, "https://h/alice/outbox2", "https://h/x", 5)?;
                Ok(())
            })
            .unwrap();
        assert_eq!(c.len(coll).unwrap(), 45);
        let first = c.page(coll, PageCursor::First, 20).unwrap();
        assert_eq!(first.items.len(), 20);
        assert_eq!(first.items[0].1, "https://h/a/45");
        assert!(first.has_older && !first.has_newer);
        // A new item does not shift the next page.
        store
            .transaction(|tx| add(tx, coll, "https://h/a/46", 460))
            .unwrap();
        let next = c
            .page(coll, PageCursor::Before(first.items[19].0), 20)
            .unwrap();
        assert_eq!(next.items[0].1, "https://h/a/25");
        let last = c
            .page(coll, PageCursor::Before(next.items[19].0), 20)
            .unwrap();
        assert_eq!(last.items.len(), 5);
        assert!(!last.has_older && last.has_newer);
        let back = c
            .page(coll, PageCursor::After(last.items[0].0), 20)
            .unwrap();
        assert_eq!(back.items, next.items);
        store
            .transaction(|tx| remove(tx, coll, "https://h/a/46"))
            .unwrap();
        assert_eq!(c.len(coll).unwrap(), 45);
        assert!(!c.contains(coll, "https://h/a/46").unwrap());
        assert_eq!(c.all(coll).count(), 45);
        let doc = page_document(coll, PageCursor::First, &first, vec![]);
        assert!(doc["next"].as_str().unwrap().contains("max_id=260"));
    }

    #[test]
    fn cursors_from_queries() {
        assert_eq!(PageCursor::from_query(None).unwrap(), PageCursor::Summary);
        assert_eq!(
            PageCursor::from_query(Some("page=true")).unwrap(),
            PageCursor::First
        );
        assert_eq!(
            PageCursor::from_query(Some("page=true&max_id=7")).unwrap(),
            PageCursor::Before(7)
        );
        assert_eq!(
            PageCursor::from_query(Some("min_id=9")).unwrap(),
            PageCursor::After(9)
        );
        assert!(PageCursor::from_query(Some("max_id=-1")).is_err());
        assert!(PageCursor::from_query(Some("max_id=abc")).is_err());
    }
}
