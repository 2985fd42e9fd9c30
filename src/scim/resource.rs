//! SCIM resources as served (RFC 7643 §4.1 User, §4.2 Group, §4.3 enterprise extension, §3.1
//! common attributes) built from what D1 stores, the columns a stored user needs, attribute
//! projection (RFC 7644 §3.4.2.5, §3.9), list responses (§3.4.2) and the
//! ServiceProviderConfig (RFC 7643 §5).
//!
//! A user's SCIM attributes are stored as one canonical JSON document (`users.scim`); the
//! indexed columns (`user_name`, `external_id`, names, status, `user_emails`) are copies made
//! by [`user_columns`] in the same write. Users created outside SCIM (seed, invitations) have
//! an empty document and are described from their columns (email, display name, status). A
//! provisioned user is served as stored: an attribute the client never set (or removed) is
//! absent, except `active: false` whenever the account is disabled.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

use super::bulk;
use super::schema::{self, Attribute, ResourceType, Returned, ENTERPRISE_URN, GROUP_URN, USER_URN};

pub const LIST_URN: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const ERROR_URN: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const SEARCH_URN: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
/// Largest page (`count`); also `filter.maxResults` in the ServiceProviderConfig.
pub const MAX_COUNT: u64 = 200;
pub const DEFAULT_COUNT: u64 = 100;
/// Largest `startIndex` used: 2^53 − 1, the largest integer a JavaScript number (and so a D1
/// bound parameter) holds exactly. A larger one is taken as this: the page is empty either way.
pub const MAX_START_INDEX: u64 = (1 << 53) - 1;

/// A user row as read for SCIM.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredUser {
    pub id: String,
    pub user_name: String,
    pub email: String,
    pub display_name: Option<String>,
    pub active: bool,
    pub doc: Value,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// (group id, group displayName)
    pub groups: Vec<(String, String)>,
}

/// A group row as read for SCIM.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredGroup {
    pub id: String,
    pub display_name: String,
    pub external_id: Option<String>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// (user id, user displayName or userName); served as `value`, `$ref` and `type` only:
    /// a strict client compares the members it wrote with the members it reads back.
    pub members: Vec<(String, String)>,
}

fn meta(resource_type: &str, location: String, created: i64, updated: i64, version: i64) -> Value {
    json!({
        "resourceType": resource_type,
        "created": crate::time::format_ms(created),
        "lastModified": crate::time::format_ms(updated),
        "location": location,
        "version": super::etag::of(version),
    })
}

/// The full User resource (before projection). `base` is the SCIM base URL (…/api/scim/v2).
pub fn user_resource(u: &StoredUser, base: &str) -> Value {
    into_user_resource(u.clone(), base)
}

/// [`user_resource`] made from the stored user itself, its document moved rather than copied
/// (a list page renders a hundred).
pub fn into_user_resource(u: StoredUser, base: &str) -> Value {
    let mut r = match u.doc {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    let provisioned = !r.is_empty();
    let meta = meta("User", format!("{base}/Users/{}", u.id), u.created_at, u.updated_at, u.version);
    r.insert("id".into(), Value::String(u.id));
    r.insert("userName".into(), Value::String(u.user_name));
    if !u.active {
        r.insert("active".into(), json!(false)); // also when an admin disabled the user
    } else if !provisioned {
        r.insert("active".into(), json!(true));
    }
    if !provisioned {
        if let Some(name) = &u.display_name {
            r.insert("displayName".into(), json!(name));
        }
        r.insert("emails".into(), json!([{"value": u.email, "type": "work", "primary": true}]));
    }
    if !u.groups.is_empty() {
        let groups: Vec<Value> = u
            .groups
            .into_iter()
            .map(|(id, name)| json!({"$ref": format!("{base}/Groups/{id}"), "value": id, "display": name, "type": "direct"}))
            .collect();
        r.insert("groups".into(), Value::Array(groups));
    }
    let mut schemas = vec![json!(USER_URN)];
    if r.get(ENTERPRISE_URN).is_some_and(|e| e.as_object().is_some_and(|o| !o.is_empty())) {
        schemas.push(json!(ENTERPRISE_URN));
    } else {
        r.remove(ENTERPRISE_URN);
    }
    r.insert("schemas".into(), Value::Array(schemas));
    r.remove("password");
    r.insert("meta".into(), meta);
    Value::Object(r)
}

/// The full Group resource.
pub fn group_resource(g: &StoredGroup, base: &str) -> Value {
    let mut r = json!({
        "schemas": [GROUP_URN],
        "id": g.id,
        "displayName": g.display_name,
        "meta": meta("Group", format!("{base}/Groups/{}", g.id), g.created_at, g.updated_at, g.version),
    });
    if let Some(external) = &g.external_id {
        r["externalId"] = json!(external);
    }
    if !g.members.is_empty() {
        r["members"] = g
            .members
            .iter()
            .map(|(id, _)| json!({"value": id, "$ref": format!("{base}/Users/{id}"), "type": "User"}))
            .collect();
    }
    r
}

/// One `user_emails` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailRow {
    pub value: String,
    pub kind: Option<String>,
    pub primary: bool,
}

/// What a canonical User resource writes besides its document.
#[derive(Debug, Clone, PartialEq)]
pub struct UserColumns {
    pub user_name: String,
    pub external_id: Option<String>,
    pub display_name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub active: bool,
    /// The sign-in email: the primary email, else the first, else userName; lower-cased.
    pub sign_in_email: String,
    pub emails: Vec<EmailRow>,
    /// Write-only: a new password to hash, never stored in the document.
    pub password: Option<String>,
    /// The document to store: the resource without id, meta, groups, password, schemas.
    pub doc: Value,
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(*k)).and_then(Value::as_str)
}

/// Splits a canonical, validated User resource into columns and document.
pub fn user_columns(resource: &Value) -> UserColumns {
    let user_name = str_at(resource, &["userName"]).unwrap_or_default().to_string();
    let emails: Vec<EmailRow> = resource
        .get("emails")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|e| {
                    Some(EmailRow {
                        value: e.get("value")?.as_str()?.to_string(),
                        kind: e.get("type").and_then(Value::as_str).map(str::to_string),
                        primary: e.get("primary").and_then(Value::as_bool).unwrap_or(false),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let sign_in = emails.iter().find(|e| e.primary).or(emails.first()).map_or(user_name.as_str(), |e| e.value.as_str());
    let mut doc = resource.clone();
    if let Some(m) = doc.as_object_mut() {
        for key in ["id", "meta", "groups", "password", "schemas"] {
            m.remove(key);
        }
    }
    UserColumns {
        external_id: str_at(resource, &["externalId"]).map(str::to_string),
        display_name: str_at(resource, &["displayName"]).map(str::to_string),
        given_name: str_at(resource, &["name", "givenName"]).map(str::to_string),
        family_name: str_at(resource, &["name", "familyName"]).map(str::to_string),
        active: resource.get("active").and_then(Value::as_bool).unwrap_or(true),
        sign_in_email: sign_in.to_ascii_lowercase(),
        password: str_at(resource, &["password"]).map(str::to_string),
        user_name,
        emails,
        doc,
    }
}

/// The attributes a write leaves to the server: what [`unchanged`] does not compare.
const SERVER_MAINTAINED: [&str; 3] = ["id", "meta", "groups"];

/// Whether writing `next` (a PATCH result, or a PUT body in canonical form) over the resource
/// served as `current` changes nothing: the same attributes apart from the server-maintained
/// read-only ones (`id`, `meta`, User `groups`), and no `password` (write-only and never
/// served, so one given is always a change). Such a write is not made: no version bump, no
/// `lastModified`, no audit row, no webhook; the answer is `current` as it is (RFC 7644
/// §3.5.2: "If the target location already contains the value specified, no changes SHOULD be
/// made to the resource").
pub fn unchanged(current: &Value, next: &Value) -> bool {
    let (Value::Object(current), Value::Object(next)) = (current, next) else { return false };
    let compared = |m: &Map<String, Value>| -> Map<String, Value> {
        m.iter()
            .filter(|(k, _)| !SERVER_MAINTAINED.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    !next.contains_key("password") && compared(current) == compared(next)
}

/// What writing a Group resource over a stored group changes in storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupChange {
    pub display_name: String,
    pub external_id: Option<String>,
    /// Member ids to add and to remove.
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

/// The change writing the Group resource `next` over `before` makes, where `members` are the
/// member ids `next` lists that are users of the workspace (the others are left out); `None`
/// when it changes nothing (see [`unchanged`]): same `displayName` and `externalId`, no
/// member added or removed. A group stores nothing else.
pub fn group_change(before: &StoredGroup, next: &Value, members: &[String]) -> Option<GroupChange> {
    let old: BTreeSet<&str> = before.members.iter().map(|(id, _)| id.as_str()).collect();
    let new: BTreeSet<&str> = members.iter().map(String::as_str).collect();
    let change = GroupChange {
        display_name: next["displayName"].as_str().unwrap_or_default().to_string(),
        external_id: next["externalId"].as_str().map(str::to_string),
        added: new.difference(&old).map(|id| id.to_string()).collect(),
        removed: old.difference(&new).map(|id| id.to_string()).collect(),
    };
    let same = change.display_name == before.display_name
        && change.external_id == before.external_id
        && change.added.is_empty()
        && change.removed.is_empty();
    (!same).then_some(change)
}

/// Why a projection or list request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamError(pub String);

/// Which attributes to return (RFC 7644 §3.4.2.5): `attributes` (only these, plus those
/// returned always) or `excludedAttributes` (all default ones but these). Names may be
/// dotted or URN-qualified; unknown names are refused.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Projection {
    include: Option<Vec<(String, Option<String>)>>,
    exclude: Vec<(String, Option<String>)>,
}

impl Projection {
    pub fn parse(rt: &ResourceType, attributes: Option<&str>, excluded: Option<&str>) -> Result<Self, ParamError> {
        let list = |text: &str| -> Result<Vec<(String, Option<String>)>, ParamError> {
            text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(|name| key_of(rt, name)).collect()
        };
        Ok(Self {
            include: attributes.map(list).transpose()?,
            exclude: excluded.map(list).transpose()?.unwrap_or_default(),
        })
    }

    /// Whether the projection keeps the top-level attribute `key` (of some value).
    pub fn returns(&self, rt: &ResourceType, key: &str) -> bool {
        rt.resolve(None, key, None).is_some_and(|def| self.keep(key, def.attr, Value::Null).is_some())
    }

    /// Applies the projection to a full resource, moving the kept values (no copies).
    pub fn apply(&self, rt: &ResourceType, resource: Value) -> Value {
        let Value::Object(all) = resource else { return resource };
        let kept = all.into_iter().filter_map(|(key, value)| {
            let value = self.top_level(rt, &key, value)?;
            Some((key, value))
        });
        Value::Object(kept.collect())
    }

    fn top_level(&self, rt: &ResourceType, key: &str, value: Value) -> Option<Value> {
        if key == "schemas" {
            return Some(value);
        }
        if let Some(ext) = rt.extensions.iter().find(|s| s.id == key) {
            return self.extension(ext.attributes, key, value);
        }
        let def = rt.resolve(None, key, None)?;
        self.keep(key, def.attr, value)
    }

    fn extension(&self, attrs: &'static [Attribute], urn: &str, value: Value) -> Option<Value> {
        let Value::Object(fields) = value else { return None };
        let kept: Map<String, Value> = fields
            .into_iter()
            .filter_map(|(k, v)| {
                let attr = attrs.iter().find(|a| a.name == k)?;
                let v = self.keep(&format!("{urn}:{k}"), attr, v)?;
                Some((k, v))
            })
            .collect();
        (!kept.is_empty()).then_some(Value::Object(kept))
    }

    /// `key` is the attribute's canonical key (extension attributes: `urn:name`).
    fn keep(&self, key: &str, attr: &Attribute, value: Value) -> Option<Value> {
        match attr.returned {
            Returned::Never => return None,
            Returned::Always => return Some(value),
            _ => {}
        }
        let named = |list: &[(String, Option<String>)]| -> Vec<Option<String>> {
            list.iter().filter(|(k, _)| k == key).map(|(_, sub)| sub.clone()).collect()
        };
        let excluded = named(&self.exclude);
        if excluded.contains(&None) {
            return None;
        }
        let value = without_subs(value, &excluded.into_iter().flatten().collect::<Vec<_>>());
        match &self.include {
            None if attr.returned == Returned::Request => None,
            None => Some(value),
            Some(list) => {
                let subs = named(list);
                if subs.is_empty() {
                    None
                } else if subs.contains(&None) {
                    Some(value)
                } else {
                    Some(only_subs(value, &subs.into_iter().flatten().collect::<Vec<_>>()))
                }
            }
        }
    }
}

/// Resolves a projection name to (canonical top-level key, canonical sub-attribute).
fn key_of(rt: &ResourceType, name: &str) -> Result<(String, Option<String>), ParamError> {
    let unknown = || ParamError(format!("unknown attribute {name:?}"));
    let (urn, rest) = rt.split_urn(name).ok_or_else(unknown)?;
    let (attr, sub) = match rest.split_once('.') {
        Some((a, s)) => (a, Some(s)),
        None => (rest, None),
    };
    let resolved = rt.resolve(urn, attr, sub).ok_or_else(unknown)?;
    let top = if resolved.in_extension() {
        format!("{}:{}", resolved.schema.id, resolved.attr.name)
    } else {
        resolved.attr.name.to_string()
    };
    Ok((top, resolved.sub.map(|s| s.name.to_string())))
}

/// Applies `keep` to every object in `value` (itself, or the items of a multi-valued one).
fn retain_subs(value: Value, keep: &dyn Fn(&String) -> bool) -> Value {
    match value {
        Value::Object(mut m) => {
            m.retain(|k, _| keep(k));
            Value::Object(m)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(|i| retain_subs(i, keep)).collect()),
        other => other,
    }
}

fn without_subs(value: Value, subs: &[String]) -> Value {
    if subs.is_empty() {
        return value;
    }
    retain_subs(value, &|k| !subs.contains(k))
}

fn only_subs(value: Value, subs: &[String]) -> Value {
    retain_subs(value, &|k| subs.contains(k))
}

/// A ListResponse page (RFC 7644 §3.4.2).
pub fn list_response(resources: Vec<Value>, total: u64, start_index: u64) -> Value {
    let mut page = json!({
        "schemas": [LIST_URN],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": resources.len(),
    });
    // Moved in, not through `json!`, which would serialize a copy of every resource.
    page["Resources"] = Value::Array(resources);
    page
}

/// The paging parameters of a list or `.search` request (RFC 7644 §3.4.2.4), every integer
/// made usable: `startIndex` in `1..=MAX_START_INDEX` (below 1 is taken as 1, "SHALL be
/// interpreted as 1"; above the bound as the bound, a page past any result set, which is
/// empty and still carries the exact `totalResults`), `count` in `0..=MAX_COUNT` (negative is
/// taken as 0, "SHALL be interpreted as 0"; above the bound as the bound, §3.4.2.4 lets the
/// service provider return fewer). The bounds keep the SQL offset exact when it travels as a
/// JavaScript number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub start_index: u64,
    pub count: u64,
}

impl Paging {
    /// Parses `startIndex` and `count` as given (absent: 1 and [`DEFAULT_COUNT`]). Each is a
    /// decimal integer of any length, with an optional sign and surrounding spaces; anything
    /// else is refused (`invalidValue`).
    pub fn parse(start_index: Option<&str>, count: Option<&str>) -> Result<Self, ParamError> {
        Ok(Self {
            start_index: start_index.map_or(Ok(1), |s| clamped_int("startIndex", s, 1, MAX_START_INDEX))?,
            count: count.map_or(Ok(DEFAULT_COUNT), |s| clamped_int("count", s, 0, MAX_COUNT))?,
        })
    }

    /// Rows to skip: `start_index - 1`, at most `MAX_START_INDEX - 1`.
    pub fn offset(&self) -> u64 {
        self.start_index.clamp(1, MAX_START_INDEX) - 1
    }
}

/// A decimal integer (`[+-]digits`, any number of digits, spaces around) clamped to
/// `min..=max`.
fn clamped_int(name: &str, text: &str, min: u64, max: u64) -> Result<u64, ParamError> {
    let refused =
        || ParamError(format!("{name}: an integer expected, got {:?}", text.chars().take(40).collect::<String>()));
    let trimmed = text.trim();
    let (negative, digits) = match trimmed.strip_prefix('-') {
        Some(digits) => (true, digits),
        None => (false, trimmed.strip_prefix('+').unwrap_or(trimmed)),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(refused());
    }
    if negative {
        return Ok(min);
    }
    let value = digits.bytes().fold(0u64, |n, b| n.saturating_mul(10).saturating_add(u64::from(b - b'0')));
    Ok(value.clamp(min, max))
}

/// Paging, sorting and projection of a list or `.search` request (RFC 7644 §3.4.2.3,
/// §3.4.2.4, §3.4.3). `sort_by` and `sort_order` are kept as given: what they may name depends
/// on the resource type ([`crate::scim::sort::Sort::parse`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub filter: Option<String>,
    pub sort_by: Option<String>,
    pub sort_order: Option<String>,
    /// 1-based, `1..=MAX_START_INDEX` (see [`Paging`]).
    pub start_index: u64,
    /// `0..=MAX_COUNT` (see [`Paging`]).
    pub count: u64,
    pub attributes: Option<String>,
    pub excluded_attributes: Option<String>,
}

impl ListQuery {
    /// From query parameters (names case-insensitive).
    pub fn from_params(params: &[(String, String)]) -> Result<Self, ParamError> {
        let get = |name: &str| params.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone());
        let sort = (get("sortBy"), get("sortOrder"));
        Self::build(get("filter"), sort, get("startIndex"), get("count"), get("attributes"), get("excludedAttributes"))
    }

    /// From a `.search` body (`SearchRequest`, RFC 7644 §3.4.3).
    pub fn from_search(body: &Value) -> Result<Self, ParamError> {
        let schemas_ok =
            body.get("schemas").and_then(Value::as_array).is_some_and(|s| s.iter().any(|u| u == SEARCH_URN));
        if !schemas_ok {
            return Err(ParamError(format!("schemas must contain {SEARCH_URN}")));
        }
        let text = |k: &str| -> Result<Option<String>, ParamError> {
            match body.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(Value::Array(list)) if k.ends_with("ttributes") => {
                    let names: Option<Vec<&str>> = list.iter().map(Value::as_str).collect();
                    names.map(|n| Some(n.join(","))).ok_or_else(|| ParamError(format!("{k}: strings expected")))
                }
                Some(Value::Number(n)) => Ok(Some(number_text(n))),
                Some(_) => Err(ParamError(format!("{k}: wrong type"))),
            }
        };
        Self::build(
            text("filter")?,
            (text("sortBy")?, text("sortOrder")?),
            text("startIndex")?,
            text("count")?,
            text("attributes")?,
            text("excludedAttributes")?,
        )
    }

    fn build(
        filter: Option<String>,
        (sort_by, sort_order): (Option<String>, Option<String>),
        start: Option<String>,
        count: Option<String>,
        attributes: Option<String>,
        excluded_attributes: Option<String>,
    ) -> Result<Self, ParamError> {
        let paging = Paging::parse(start.as_deref(), count.as_deref())?;
        Ok(Self {
            filter: filter.filter(|f| !f.trim().is_empty()),
            sort_by,
            sort_order,
            start_index: paging.start_index,
            count: paging.count,
            attributes,
            excluded_attributes,
        })
    }

    /// Rows to skip before the page (see [`Paging::offset`]).
    pub fn offset(&self) -> u64 {
        Paging { start_index: self.start_index, count: self.count }.offset()
    }
}

/// A JSON number as the text [`Paging::parse`] reads: integers as they are; a number beyond
/// 64 bits (which arrives as a float) without a fraction written out in full, so that it is
/// clamped like any other integer; anything else as serde_json prints it (then refused).
fn number_text(n: &serde_json::Number) -> String {
    match n.as_f64() {
        Some(f) if !(n.is_i64() || n.is_u64()) && f.is_finite() && f.fract() == 0.0 => format!("{f:.0}"),
        _ => n.to_string(),
    }
}

/// `/ServiceProviderConfig` (RFC 7643 §5): exactly what this server implements.
pub fn service_provider_config(base: &str, docs: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "documentationUri": docs,
        "patch": {"supported": true},
        "bulk": {"supported": true, "maxOperations": bulk::MAX_OPERATIONS, "maxPayloadSize": bulk::MAX_PAYLOAD_SIZE},
        "filter": {"supported": true, "maxResults": MAX_COUNT},
        "changePassword": {"supported": true},
        "sort": {"supported": true},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "A workspace SCIM token (scim_…) minted in Settings → SCIM tokens, sent as Authorization: Bearer.",
            "specUri": "https://www.rfc-editor.org/rfc/rfc6750",
            "primary": true,
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": format!("{base}/ServiceProviderConfig")},
    })
}

/// `/Schemas` or `/ResourceTypes` as a ListResponse.
pub fn discovery_list(items: Vec<Value>) -> Value {
    let n = items.len() as u64;
    list_response(items, n, 1)
}

/// Every schema, for `/Schemas`.
pub fn schemas(base: &str) -> Vec<Value> {
    schema::SCHEMAS.iter().map(|s| schema::schema_json(s, base)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::schema::{GROUP_TYPE, USER_TYPE};

    fn stored() -> StoredUser {
        StoredUser {
            id: "u_1".into(),
            user_name: "Alice@Example.com".into(),
            email: "alice@example.com".into(),
            display_name: Some("Alice".into()),
            active: true,
            doc: json!({"userName": "Alice@Example.com", "name": {"givenName": "Alice", "familyName": "Adams"},
                        "emails": [{"value": "alice@example.com", "type": "work", "primary": true}],
                        ENTERPRISE_URN: {"department": "R&D"}, "title": "Engineer"}),
            version: 3,
            created_at: 0,
            updated_at: 1000,
            groups: vec![("g_1".into(), "Eng".into())],
        }
    }

    /// RFC 7643 §4.1 / §3.1: the served user carries schemas, id, meta with a weak version.
    #[test]
    fn rfc7643_4_1_user_resource_shape() {
        let r = user_resource(&stored(), "https://x/api/scim/v2");
        assert_eq!(r["schemas"], json!([USER_URN, ENTERPRISE_URN]));
        assert_eq!(r["meta"]["version"], "W/\"3\"");
        assert_eq!(r["meta"]["location"], "https://x/api/scim/v2/Users/u_1");
        assert_eq!(r["meta"]["lastModified"], "1970-01-01T00:00:01.000Z");
        assert_eq!(r["groups"][0]["value"], "g_1");
        assert!(r.get("password").is_none());
    }

    #[test]
    fn users_made_outside_scim_are_described_from_columns() {
        let u = StoredUser { doc: json!({}), groups: vec![], ..stored() };
        let r = user_resource(&u, "b");
        assert_eq!(r["emails"], json!([{"value": "alice@example.com", "type": "work", "primary": true}]));
        assert_eq!(r["displayName"], "Alice");
        assert_eq!(r["schemas"], json!([USER_URN]));
        assert!(r.get("groups").is_none());
    }

    #[test]
    fn columns_copy_the_indexed_attributes_and_keep_the_password_out_of_the_document() {
        let mut resource = user_resource(&stored(), "b");
        resource["password"] = json!("s3cret-passphrase");
        resource["emails"] = json!([{"value": "A@x.io"}, {"value": "B@x.io", "primary": true}]);
        let c = user_columns(&resource);
        assert_eq!(c.sign_in_email, "b@x.io");
        assert_eq!((c.given_name.as_deref(), c.family_name.as_deref()), (Some("Alice"), Some("Adams")));
        assert_eq!(c.password.as_deref(), Some("s3cret-passphrase"));
        for key in ["id", "meta", "groups", "password", "schemas"] {
            assert!(c.doc.get(key).is_none(), "{key} stored");
        }
        assert_eq!(c.emails.len(), 2);
        assert!(c.emails[1].primary);
    }

    /// RFC 7644 §3.4.2.5: attributes / excludedAttributes; id and schemas always come back.
    #[test]
    fn rfc7644_3_4_2_5_projection() {
        let r = user_resource(&stored(), "b");
        let only = Projection::parse(&USER_TYPE, Some("userName,name.givenName,emails.value"), None).unwrap();
        let p = only.apply(&USER_TYPE, r.clone());
        assert_eq!(p["userName"], "Alice@Example.com");
        assert_eq!(p["name"], json!({"givenName": "Alice"}));
        assert_eq!(p["emails"], json!([{"value": "alice@example.com"}]));
        assert_eq!(p["id"], "u_1");
        assert!(p.get("meta").is_none() && p.get("title").is_none());
        assert!(only.returns(&USER_TYPE, "emails") && !only.returns(&USER_TYPE, "title"));
        let ext = Projection::parse(&USER_TYPE, Some(&format!("{ENTERPRISE_URN}:department")), None).unwrap();
        assert_eq!(ext.apply(&USER_TYPE, r.clone())[ENTERPRISE_URN], json!({"department": "R&D"}));
        let without = Projection::parse(&USER_TYPE, None, Some("emails,meta,name.familyName")).unwrap();
        let p = without.apply(&USER_TYPE, r.clone());
        assert!(p.get("emails").is_none() && p.get("meta").is_none());
        assert_eq!(p["name"], json!({"givenName": "Alice"}));
        assert_eq!(p["id"], "u_1");
        assert!(Projection::parse(&USER_TYPE, Some("nope"), None).is_err());
    }

    #[test]
    fn rfc7644_3_4_2_4_paging_parameters() {
        let q = |pairs: &[(&str, &str)]| {
            ListQuery::from_params(&pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>())
        };
        let d = q(&[]).unwrap();
        assert_eq!((d.start_index, d.count), (1, DEFAULT_COUNT));
        let clamped = q(&[("startIndex", "-4"), ("COUNT", "5000")]).unwrap();
        assert_eq!((clamped.start_index, clamped.count), (1, MAX_COUNT));
        assert_eq!(q(&[("count", "-1")]).unwrap().count, 0);
        assert!(q(&[("count", "ten")]).is_err());
        let s = ListQuery::from_search(
            &json!({"schemas": [SEARCH_URN], "filter": "userName eq \"a\"", "count": 10, "attributes": ["userName"]}),
        )
        .unwrap();
        assert_eq!(
            (s.filter.as_deref(), s.count, s.attributes.as_deref()),
            (Some("userName eq \"a\""), 10, Some("userName"))
        );
        assert!(ListQuery::from_search(&json!({"filter": "x"})).is_err());
    }

    /// Issue 15: `startIndex` ≥ 2^63 − 511 was bound as a rounded double and answered 500. Every
    /// integer now pages: below 1 is 1, huge is the largest exact offset (an empty page), and
    /// the offset survives the trip through an f64.
    #[test]
    fn rfc7644_3_4_2_4_every_integer_start_index_and_count_is_usable() {
        let q = |start: &str, count: &str| {
            ListQuery::from_params(&[
                ("startIndex".to_string(), start.to_string()),
                ("count".to_string(), count.to_string()),
            ])
        };
        for (start, count, want) in [
            ("9223372036854775807", "1", (MAX_START_INDEX, 1)),
            ("9223372036854775296", "10", (MAX_START_INDEX, 10)),
            ("18446744073709551616", "99999999999999999999999999", (MAX_START_INDEX, MAX_COUNT)),
            ("-9223372036854775809", "-99999999999999999999", (1, 0)),
            ("9007199254740991", "200", (MAX_START_INDEX, 200)),
            ("9007199254740990", "201", (MAX_START_INDEX - 1, MAX_COUNT)),
            (" +3 ", "0007", (3, 7)),
            ("0", "-0", (1, 0)),
        ] {
            let got = q(start, count).unwrap();
            assert_eq!((got.start_index, got.count), want, "{start} {count}");
            let offset = got.offset();
            assert_eq!(offset, got.start_index - 1);
            assert_eq!(offset as f64 as u64, offset, "{start}: the offset must be exact as a double");
        }
        for bad in ["", " ", "+", "-", "1.0", "1e3", "0x10", "٣", "1 2", "--1"] {
            assert!(q(bad, "1").is_err(), "startIndex {bad:?}");
            assert!(q("1", bad).is_err(), "count {bad:?}");
        }
        let search = |start: Value, count: Value| {
            ListQuery::from_search(&json!({"schemas": [SEARCH_URN], "startIndex": start, "count": count}))
        };
        let s = search(json!(9223372036854775807u64), json!(18446744073709551615u64)).unwrap();
        assert_eq!((s.start_index, s.count), (MAX_START_INDEX, MAX_COUNT));
        // Beyond 64 bits serde_json reads a float; without a fraction it is still an integer.
        let s = search(json!(1e30), json!(-1e30)).unwrap();
        assert_eq!((s.start_index, s.count), (MAX_START_INDEX, 0));
        let s = search(json!(i64::MIN), json!("5")).unwrap();
        assert_eq!((s.start_index, s.count), (1, 5));
        assert!(search(json!(2.5), json!(1)).is_err());
        assert!(search(json!(1), json!(0.5)).is_err());
        // A ListQuery built by hand with an out-of-range start still gives a safe offset.
        let by_hand = ListQuery { start_index: u64::MAX, ..q("1", "1").unwrap() };
        assert_eq!(by_hand.offset(), MAX_START_INDEX - 1);
        assert_eq!(ListQuery { start_index: 0, ..by_hand }.offset(), 0);
    }

    fn patched(resource: &Value, rt: &'static ResourceType, ops: Value) -> Value {
        let body = json!({"schemas": [crate::scim::patch::PATCH_OP_URN], "Operations": ops});
        crate::scim::patch::apply(resource, &body, rt).unwrap()
    }

    /// Issue 15: a PATCH that changes nothing bumped `meta.version`. Such a result is
    /// `unchanged`, so the edge writes nothing (no version, lastModified, audit or webhook).
    #[test]
    fn rfc7644_3_5_2_patches_that_change_nothing_are_unchanged() {
        let base = "https://x/api/scim/v2";
        for user in [stored(), StoredUser { doc: json!({}), ..stored() }] {
            let current = user_resource(&user, base);
            let email = current["emails"][0]["value"].clone();
            for ops in [
                json!([{"op": "add", "path": "emails", "value": [{"value": email, "type": "work"}]}]),
                json!([{"op": "replace", "path": "userName", "value": "Alice@Example.com"}]),
                json!([{"op": "add", "path": "urn:okta:custom:1.0:User:costCenter", "value": "42"}]),
                json!([{"op": "add", "value": {"urn:ietf:params:scim:schemas:extension:custom:2.0:User:x": "y"}}]),
                json!([{"op": "remove", "path": "nickName"}]),
                json!([{"op": "remove", "path": "emails[type eq \"home\"]"}]),
                json!([{"op": "add", "value": {}}]),
            ] {
                let next = patched(&current, &USER_TYPE, ops.clone());
                assert!(unchanged(&current, &next), "{ops} on {}: {next}", user.doc);
            }
            for ops in [
                json!([{"op": "replace", "path": "userName", "value": "alice@example.com"}]),
                json!([{"op": "replace", "path": "active", "value": false}]),
                json!([{"op": "add", "path": "nickName", "value": "Al"}]),
                json!([{"op": "replace", "path": "password", "value": "the same password, perhaps"}]),
            ] {
                let next = patched(&current, &USER_TYPE, ops.clone());
                assert!(!unchanged(&current, &next), "{ops} on {}: {next}", user.doc);
            }
            // Entra's string boolean, equal to what is served (a user made outside SCIM is served
            // with `active`; a provisioned one that never set it is not, and gains it).
            let next = patched(&current, &USER_TYPE, json!([{"op": "Replace", "path": "active", "value": "True"}]));
            assert_eq!(unchanged(&current, &next), current.get("active").is_some(), "{next}");
            // A PUT of what is served (its read-only attributes ignored) changes nothing either.
            let body = crate::scim::canonical::canonicalize(&current, &USER_TYPE).unwrap();
            assert!(unchanged(&current, &body), "{body}");
        }
    }

    fn stored_group() -> StoredGroup {
        StoredGroup {
            id: "g_1".into(),
            display_name: "Eng".into(),
            external_id: Some("x1".into()),
            version: 2,
            created_at: 0,
            updated_at: 1000,
            members: vec![("u_1".into(), "Alice".into()), ("u_2".into(), "Bob".into())],
        }
    }

    #[test]
    fn group_writes_that_change_nothing_have_no_change() {
        let before = stored_group();
        let current = group_resource(&before, "b");
        let known = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        // An add of a member already there, and one of an id that is not a user here (left out).
        for ops in [
            json!([{"op": "add", "path": "members", "value": [{"value": "u_2"}]}]),
            json!([{"op": "add", "path": "members", "value": [{"value": "u_ghost"}]}]),
            json!([{"op": "replace", "path": "displayName", "value": "Eng"}]),
            json!([{"op": "remove", "path": "members[value eq \"u_9\"]"}]),
        ] {
            let next = patched(&current, &GROUP_TYPE, ops.clone());
            assert_eq!(group_change(&before, &next, &known(&["u_1", "u_2"])), None, "{ops}");
        }
        let next =
            patched(&current, &GROUP_TYPE, json!([{"op": "add", "path": "members", "value": [{"value": "u_3"}]}]));
        let change = group_change(&before, &next, &known(&["u_1", "u_2", "u_3"])).unwrap();
        assert_eq!((change.added, change.removed), (known(&["u_3"]), known(&[])));
        let next = patched(&current, &GROUP_TYPE, json!([{"op": "remove", "path": "members[value eq \"u_1\"]"}]));
        let change = group_change(&before, &next, &known(&["u_2"])).unwrap();
        assert_eq!((change.added, change.removed), (known(&[]), known(&["u_1"])));
        for ops in [
            json!([{"op": "replace", "path": "displayName", "value": "ENG"}]),
            json!([{"op": "remove", "path": "externalId"}]),
        ] {
            let next = patched(&current, &GROUP_TYPE, ops.clone());
            assert!(group_change(&before, &next, &known(&["u_1", "u_2"])).is_some(), "{ops}");
        }
    }

    #[test]
    fn service_provider_config_is_truthful() {
        let c = service_provider_config("b", "d");
        assert_eq!(c["patch"]["supported"], true);
        assert_eq!(c["filter"]["maxResults"], 200);
        assert_eq!(c["sort"]["supported"], true, "sortBy/sortOrder: crate::scim::sort");
        assert_eq!(c["etag"]["supported"], true);
        assert_eq!(c["bulk"], json!({"supported": true, "maxOperations": 1000, "maxPayloadSize": 1048576}));
    }
}
