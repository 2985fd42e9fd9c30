//! Page anchors for deep paging by `startIndex` (RFC 7644 §3.4.2.4) in the default order
//! (`meta.created`, then `id`).
//!
//! `OFFSET n` makes SQLite step over n index entries: a page of 100 at a random `startIndex` in
//! 100,000 users spent most of its time there. An anchor says "the row at position p has the
//! key (created, id)". A later page at position q > p seeks to the first key after the
//! nearest anchor and skips only `q − p − 1` rows. Every served page leaves two anchors (its
//! first and last rows), so a full import walks nothing and random pages walk a short gap.
//!
//! An anchor holds only for the state of the list it was read in: the `stamp` (a counter that
//! every insert and delete of the workspace's users moves, from `workspace_counts`, plus the
//! shard). The statement that uses an anchor checks the stamp itself and walks from the start
//! when it has moved, so a stale anchor costs one walk, never a wrong page. This module keeps the
//! anchors (bounded, per key); it knows nothing of SQL or storage.

use std::collections::BTreeMap;

/// A row's position in the list (0-based) and its sort key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub position: u64,
    pub created_at: i64,
    pub id: String,
}

/// Lists remembered at once; beyond, the least recently used is forgotten.
pub const MAX_BOOKS: usize = 64;
/// Anchors kept per list; beyond, every other one is dropped (the rest stay spread out).
pub const MAX_ANCHORS: usize = 4096;

/// The anchors of one list, all read in the state `stamp`.
#[derive(Debug)]
struct Book {
    stamp: i64,
    used: u64,
    at: BTreeMap<u64, (i64, String)>,
}

/// Anchors of several lists, each under a key (whatever names the list and its scope).
#[derive(Debug, Default)]
pub struct Anchors {
    books: BTreeMap<String, Book>,
    clock: u64,
}

impl Anchors {
    /// The anchor nearest before `position` in the list `key`, with the stamp it holds for.
    pub fn before(&mut self, key: &str, position: u64) -> Option<(i64, Anchor)> {
        self.clock += 1;
        let book = self.books.get_mut(key)?;
        book.used = self.clock;
        let (&at, (created_at, id)) = book.at.range(..position).next_back()?;
        Some((book.stamp, Anchor { position: at, created_at: *created_at, id: id.clone() }))
    }

    /// Remembers `anchors`, read in the state `stamp`. A book of another stamp is replaced: its
    /// anchors describe a list that has changed since.
    pub fn record(&mut self, key: &str, stamp: i64, anchors: impl IntoIterator<Item = Anchor>) {
        self.clock += 1;
        if !self.books.contains_key(key) && self.books.len() >= MAX_BOOKS {
            self.forget_least_used();
        }
        let book = self.books.entry(key.to_string()).or_insert(Book { stamp, used: 0, at: BTreeMap::new() });
        if book.stamp != stamp {
            *book = Book { stamp, used: 0, at: BTreeMap::new() };
        }
        book.used = self.clock;
        for a in anchors {
            book.at.insert(a.position, (a.created_at, a.id));
        }
        if book.at.len() > MAX_ANCHORS {
            let mut keep = false;
            book.at.retain(|_, _| {
                keep = !keep;
                keep
            });
        }
    }

    fn forget_least_used(&mut self) {
        let oldest = self.books.iter().min_by_key(|(_, b)| b.used).map(|(k, _)| k.clone());
        if let Some(key) = oldest {
            self.books.remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anchor(position: u64) -> Anchor {
        Anchor { position, created_at: position as i64 * 10, id: format!("u{position}") }
    }

    #[test]
    fn the_nearest_anchor_strictly_before_the_position() {
        let mut a = Anchors::default();
        a.record("ws", 7, [anchor(100), anchor(199), anchor(500)]);
        assert_eq!(a.before("ws", 100), None, "an anchor at the position itself is not before it");
        assert_eq!(a.before("ws", 101), Some((7, anchor(100))));
        assert_eq!(a.before("ws", 499), Some((7, anchor(199))));
        assert_eq!(a.before("ws", 10_000), Some((7, anchor(500))));
        assert_eq!(a.before("other", 10_000), None);
    }

    #[test]
    fn a_new_stamp_replaces_the_book() {
        let mut a = Anchors::default();
        a.record("ws", 7, [anchor(100)]);
        a.record("ws", 8, [anchor(300)]);
        assert_eq!(a.before("ws", 200), None, "the stamp-7 anchor is gone");
        assert_eq!(a.before("ws", 301), Some((8, anchor(300))));
    }

    #[test]
    fn books_and_anchors_stay_bounded() {
        let mut a = Anchors::default();
        for i in 0..MAX_BOOKS as u64 + 10 {
            a.record(&format!("ws{i}"), 1, [anchor(i)]);
        }
        assert_eq!(a.books.len(), MAX_BOOKS);
        assert!(a.before("ws0", u64::MAX).is_none(), "the least used book went first");
        a.record("big", 1, (0..MAX_ANCHORS as u64 + 1).map(anchor));
        let kept = a.books["big"].at.len();
        assert!(kept <= MAX_ANCHORS && kept > MAX_ANCHORS / 3, "{kept}");
        assert!(a.before("big", u64::MAX).is_some());
    }
}
