//! Sorting (RFC 7644 §3.4.2.3): `sortBy` and `sortOrder` of a list or `.search` request, and
//! the SQL `ORDER BY` each one means. Only attributes an index keeps in order can be sorted
//! on (`schema.sql`: one index per order, ending in `id` so equal values still page in a stable
//! order); any other `sortBy` is refused (`invalidValue`) rather than ignored, so a client that
//! pages with a sort never gets pages in an order it did not ask for.
//!
//! - Users: `userName`, `name.familyName`, `displayName`, `meta.created`, `meta.lastModified`.
//! - Groups: `displayName`, `meta.created`, `meta.lastModified`.
//!
//! Names are case-insensitive and may carry the core schema's URN (`urn:…:User:userName`).
//! Strings compare case-insensitively (the attributes are not `caseExact`). A resource with no
//! value sorts last when ascending and first when descending (§3.4.2.3). Without `sortBy`
//! resources come in creation order (`meta.created`, then `id`), in `sortOrder` if given.

use crate::scim::resource::ParamError;
use crate::scim::schema::{ResourceType, USER_URN};

/// An attribute that can be sorted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    UserName,
    FamilyName,
    DisplayName,
    Created,
    LastModified,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    Ascending,
    Descending,
}

/// How a list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub key: SortKey,
    pub order: SortOrder,
}

impl Default for Sort {
    /// Creation order.
    fn default() -> Self {
        Self { key: SortKey::Created, order: SortOrder::Ascending }
    }
}

/// `(sortBy name, key)` per resource type; names compared case-insensitively.
const USER_KEYS: &[(&str, SortKey)] = &[
    ("userName", SortKey::UserName),
    ("name.familyName", SortKey::FamilyName),
    ("displayName", SortKey::DisplayName),
    ("meta.created", SortKey::Created),
    ("meta.lastModified", SortKey::LastModified),
];
const GROUP_KEYS: &[(&str, SortKey)] = &[
    ("displayName", SortKey::DisplayName),
    ("meta.created", SortKey::Created),
    ("meta.lastModified", SortKey::LastModified),
];

impl Sort {
    /// Reads `sortBy` and `sortOrder` for a list of `rt` resources.
    pub fn parse(rt: &ResourceType, sort_by: Option<&str>, sort_order: Option<&str>) -> Result<Self, ParamError> {
        let order = match sort_order.map(str::trim) {
            None | Some("") => SortOrder::Ascending,
            Some(o) if o.eq_ignore_ascii_case("ascending") => SortOrder::Ascending,
            Some(o) if o.eq_ignore_ascii_case("descending") => SortOrder::Descending,
            Some(o) => {
                return Err(ParamError(format!(
                    "sortOrder: \"ascending\" or \"descending\" expected, got {:?}",
                    clip(o)
                )))
            }
        };
        let key = match sort_by.map(str::trim).filter(|s| !s.is_empty()) {
            None => SortKey::Created,
            Some(name) => key_of(rt, name)?,
        };
        Ok(Self { key, order })
    }

    /// The `ORDER BY` terms over the table aliased `alias`: the key, then `id` (unless the key is
    /// unique), both in the requested direction; a nullable key puts `NULL`s last when ascending, first when
    /// descending. The terms are written exactly as the sort indexes of `schema.sql` are, so
    /// SQLite walks an index (forwards or backwards) instead of sorting.
    pub fn order_by(&self, alias: &str, rt: &ResourceType) -> String {
        let dir = match self.order {
            SortOrder::Ascending => "ASC",
            SortOrder::Descending => "DESC",
        };
        let column = match self.key {
            SortKey::UserName => "user_name",
            SortKey::FamilyName => "family_name",
            SortKey::DisplayName => "display_name",
            SortKey::Created => "created_at",
            SortKey::LastModified => "updated_at",
        };
        let group = rt.schema.id != USER_URN;
        match self.key {
            // Unique in the workspace (a user's userName, a group's displayName): no tie to break.
            SortKey::UserName => format!("{alias}.{column} {dir}"),
            SortKey::DisplayName if group => format!("{alias}.{column} {dir}"),
            _ if self.nullable(rt) => {
                format!("{alias}.{column} IS NULL {dir}, {alias}.{column} {dir}, {alias}.id {dir}")
            }
            _ => format!("{alias}.{column} {dir}, {alias}.id {dir}"),
        }
    }

    /// Whether the key's column may be empty: a user's family name or display name (a group's
    /// display name is required).
    fn nullable(&self, rt: &ResourceType) -> bool {
        match self.key {
            SortKey::FamilyName => true,
            SortKey::DisplayName => rt.schema.id == USER_URN,
            _ => false,
        }
    }
}

fn key_of(rt: &ResourceType, name: &str) -> Result<SortKey, ParamError> {
    let keys = if rt.schema.id == USER_URN { USER_KEYS } else { GROUP_KEYS };
    let bare = strip_urn(name, rt.schema.id);
    keys.iter().find(|(n, _)| n.eq_ignore_ascii_case(bare)).map(|(_, k)| *k).ok_or_else(|| {
        let names: Vec<&str> = keys.iter().map(|(n, _)| *n).collect();
        ParamError(format!("sortBy: {:?} cannot be sorted on; sortable: {}", clip(name), names.join(", ")))
    })
}

/// `name` without a leading `<urn>:` (compared case-insensitively).
fn strip_urn<'a>(name: &'a str, urn: &str) -> &'a str {
    match name.get(..urn.len() + 1) {
        Some(head) if head[..urn.len()].eq_ignore_ascii_case(urn) && head.ends_with(':') => &name[urn.len() + 1..],
        _ => name,
    }
}

fn clip(s: &str) -> String {
    s.chars().take(60).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::schema::{GROUP_TYPE, USER_TYPE};

    #[test]
    fn default_is_creation_order_ascending() {
        assert_eq!(Sort::parse(&USER_TYPE, None, None), Ok(Sort::default()));
        assert_eq!(Sort::default().order_by("u", &USER_TYPE), "u.created_at ASC, u.id ASC");
        let desc = Sort::parse(&USER_TYPE, None, Some("descending")).unwrap();
        assert_eq!(desc.order_by("u", &USER_TYPE), "u.created_at DESC, u.id DESC");
    }

    #[test]
    fn rfc7644_3_4_2_3_sortable_user_attributes() {
        for (name, key) in [
            ("userName", SortKey::UserName),
            ("USERNAME", SortKey::UserName),
            ("name.familyName", SortKey::FamilyName),
            ("urn:ietf:params:scim:schemas:core:2.0:User:name.familyName", SortKey::FamilyName),
            ("displayName", SortKey::DisplayName),
            ("meta.created", SortKey::Created),
            ("meta.lastModified", SortKey::LastModified),
        ] {
            assert_eq!(Sort::parse(&USER_TYPE, Some(name), None).unwrap().key, key, "{name}");
        }
    }

    #[test]
    fn other_attributes_are_refused_not_ignored() {
        for name in ["emails.value", "name.givenName", "title", "id", "urn:x:userName", "userName:"] {
            let e = Sort::parse(&USER_TYPE, Some(name), None).unwrap_err();
            assert!(e.0.starts_with("sortBy:"), "{name}: {e:?}");
        }
        assert!(Sort::parse(&GROUP_TYPE, Some("userName"), None).is_err(), "groups have no userName");
        assert!(Sort::parse(&GROUP_TYPE, Some("members"), None).is_err());
    }

    #[test]
    fn a_unique_key_needs_no_tie_break() {
        let by_name = Sort::parse(&USER_TYPE, Some("userName"), Some("descending")).unwrap();
        assert_eq!(by_name.order_by("u", &USER_TYPE), "u.user_name DESC");
    }

    #[test]
    fn sort_order_is_ascending_or_descending() {
        assert_eq!(Sort::parse(&USER_TYPE, Some("userName"), Some("Descending")).unwrap().order, SortOrder::Descending);
        assert_eq!(Sort::parse(&USER_TYPE, Some("userName"), Some("")).unwrap().order, SortOrder::Ascending);
        for bad in ["desc", "asc", "up", "1"] {
            assert!(Sort::parse(&USER_TYPE, Some("userName"), Some(bad)).unwrap_err().0.starts_with("sortOrder:"));
        }
    }

    #[test]
    fn missing_values_sort_last_ascending_and_first_descending() {
        let asc = Sort { key: SortKey::FamilyName, order: SortOrder::Ascending };
        assert_eq!(
            asc.order_by("p", &USER_TYPE),
            "p.family_name IS NULL ASC, p.family_name ASC, p.id ASC",
            "IS NULL is 0 for a value: values first"
        );
        let desc = Sort { key: SortKey::DisplayName, order: SortOrder::Descending };
        assert_eq!(desc.order_by("u", &USER_TYPE), "u.display_name IS NULL DESC, u.display_name DESC, u.id DESC");
        assert_eq!(desc.order_by("g", &GROUP_TYPE), "g.display_name DESC", "required and unique for groups");
    }
}
