//! One paging style for every list: a page holds up to `limit` items (1 to
//! [`MAX_LIMIT`], [`DEFAULT_LIMIT`] when unsaid) in the list's order, and an opaque
//! cursor naming where the next page starts; the last page has none.
//!
//! A cursor encodes the sort key of the last item it follows (an event id, a task
//! number, a name), tagged with its kind, so a cursor from one list is refused by
//! another instead of being misread.

use base64::Engine as _;

use crate::id::{EventId, MemberId, PlanId, ProjectId, SquadId, TemplateId, UserId, WorkflowId};
use crate::{Error, Result};

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

/// A sort key a cursor can carry.
pub trait Key: Sized {
    /// Told apart from other kinds of key in the encoded cursor.
    const TAG: u8;
    fn to_bytes(&self) -> Vec<u8>;
    fn from_bytes(bytes: &[u8]) -> Option<Self>;
}

/// Ids as keys: their bytes, and one tag per kind of id. Ids are time-ordered
/// (UUIDv7), so a list by id is a list by age: events and plans newest first,
/// users, projects and a project's members oldest first.
macro_rules! id_keys {
    ($($id:ty => $tag:literal),* $(,)?) => {$(
        impl Key for $id {
            const TAG: u8 = $tag;

            fn to_bytes(&self) -> Vec<u8> {
                self.as_uuid().as_bytes().to_vec()
            }

            fn from_bytes(bytes: &[u8]) -> Option<Self> {
                uuid::Uuid::from_slice(bytes).ok().map(Self)
            }
        }
    )*};
}

id_keys! {
    EventId => b'e',
    PlanId => b'p',
    ProjectId => b'j',
    UserId => b'u',
    MemberId => b'm',
    SquadId => b'q',
    WorkflowId => b'w',
    TemplateId => b'l',
}

/// A per-project number, such as a task's.
impl Key for i64 {
    const TAG: u8 = b'n';

    fn to_bytes(&self) -> Vec<u8> {
        self.to_be_bytes().to_vec()
    }

    fn from_bytes(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(i64::from_be_bytes)
    }
}

/// A unique name: an assistant's (tools have a key of their own, `ToolName`).
impl Key for String {
    const TAG: u8 = b's';

    fn to_bytes(&self) -> Vec<u8> {
        self.as_bytes().to_vec()
    }

    fn from_bytes(bytes: &[u8]) -> Option<Self> {
        // NUL is no name's, and PostgreSQL could not compare with it.
        String::from_utf8(bytes.to_vec())
            .ok()
            .filter(|name| !name.contains('\0'))
    }
}

/// An opaque position in a list: the list continues after this key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor<K>(pub K);

impl<K: Key> Cursor<K> {
    #[must_use]
    pub fn encode(&self) -> String {
        let mut bytes = vec![K::TAG];
        bytes.extend(self.0.to_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    /// # Errors
    /// `Validation` on `cursor` for anything that [`Cursor::encode`] of this list's
    /// key did not produce.
    pub fn decode(raw: &str) -> Result<Self> {
        let invalid = || Error::validation("cursor", "is not a cursor this list returned");
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(raw)
            .map_err(|_| invalid())?;
        match bytes.split_first() {
            Some((&tag, key)) if tag == K::TAG => K::from_bytes(key).map(Self).ok_or_else(invalid),
            _ => Err(invalid()),
        }
    }
}

/// Which page a caller asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageRequest<K> {
    /// Only items after this key, in the list's order.
    pub after: Option<K>,
    pub limit: u32,
}

impl<K> Default for PageRequest<K> {
    fn default() -> Self {
        Self {
            after: None,
            limit: DEFAULT_LIMIT,
        }
    }
}

impl<K: Key> PageRequest<K> {
    /// # Errors
    /// `Validation` for a cursor this list did not return or a limit out of range.
    pub fn parse(cursor: Option<&str>, limit: Option<u32>) -> Result<Self> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(Error::validation(
                "limit",
                format!("must be 1 to {MAX_LIMIT}"),
            ));
        }
        Ok(Self {
            after: cursor.map(Cursor::decode).transpose()?.map(|c| c.0),
            limit,
        })
    }
}

/// One page of a list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T, K> {
    pub items: Vec<T>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<Cursor<K>>,
}

impl<T, K> Page<T, K> {
    /// The page from up to `limit + 1` items read for it: the extra one only says
    /// that more follow.
    #[must_use]
    pub fn from_overfetch(mut items: Vec<T>, limit: u32, key: impl Fn(&T) -> K) -> Self {
        let limit = limit as usize;
        let next = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|last| Cursor(key(last)))
        } else {
            None
        };
        Self { items, next }
    }

    /// The same page with each item turned into something else.
    #[must_use]
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U, K> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next: self.next,
        }
    }
}

/// A page of a list read with `fetch(n)`, which returns the first `n` items from
/// where the page starts: the limit is bounded here, and one item more than it is
/// read to know whether a next page exists.
///
/// # Errors
/// Whatever `fetch` reports.
pub(crate) async fn read<T, K, Fetched>(
    limit: u32,
    key: impl Fn(&T) -> K,
    fetch: impl FnOnce(u32) -> Fetched,
) -> Result<Page<T, K>>
where
    // A closure returning a future, not an async closure: callers' futures stay
    // provably `Send` (see `optimistic::retry`).
    Fetched: Future<Output = Result<Vec<T>>>,
{
    let limit = limit.clamp(1, MAX_LIMIT);
    let items = fetch(limit + 1).await?;
    Ok(Page::from_overfetch(items, limit, key))
}

#[cfg(test)]
mod tests {
    use super::{Cursor, Page, PageRequest};
    use crate::id::EventId;

    #[test]
    fn a_cursor_round_trips_and_garbage_or_another_lists_cursor_is_refused() {
        let cursor = Cursor(EventId::generate());
        assert_eq!(Cursor::decode(&cursor.encode()).unwrap(), cursor);
        let name = Cursor("Planner".to_owned());
        assert_eq!(Cursor::decode(&name.encode()).unwrap(), name);
        assert_eq!(
            Cursor::<i64>::decode(&Cursor(42_i64).encode()).unwrap().0,
            42
        );
        for bad in ["", "abc", "!!!!", &"A".repeat(40), &name.encode()] {
            assert!(Cursor::<EventId>::decode(bad).is_err(), "{bad:?}");
        }
        assert!(Cursor::<i64>::decode(&cursor.encode()).is_err());
        let tool = crate::registry::ToolName::parse("get_weather").unwrap();
        assert!(Cursor::<String>::decode(&Cursor(tool).encode()).is_err());
        assert!(Cursor::<String>::decode(&Cursor("a\0b".to_owned()).encode()).is_err());
    }

    #[test]
    fn the_limit_is_bounded_and_defaults_to_fifty() {
        assert!(PageRequest::<i64>::parse(None, Some(0)).is_err());
        assert!(PageRequest::<i64>::parse(None, Some(201)).is_err());
        assert_eq!(PageRequest::<i64>::parse(None, None).unwrap().limit, 50);
        assert_eq!(
            PageRequest::<i64>::parse(None, Some(200)).unwrap().limit,
            200
        );
    }

    #[test]
    fn a_page_read_one_long_says_where_the_next_starts() {
        let full = Page::from_overfetch(vec![1_i64, 2, 3], 2, |n| *n);
        assert_eq!((full.items, full.next), (vec![1, 2], Some(Cursor(2))));
        let last = Page::from_overfetch(vec![1_i64, 2], 2, |n| *n);
        assert_eq!(last.next, None);
    }
}
