//! SCIM schemas served by `/Schemas` and used to type filters, PATCH paths and projections:
//! the core User and Group schemas (RFC 7643 §4.1, §4.2), the enterprise User extension
//! (§4.3) and the common attributes (§3.1). Only what this server stores is declared; an
//! attribute not declared here is refused (filter: invalidFilter, PATCH: invalidPath).
//!
//! Attribute names are matched case-insensitively (RFC 7643 §2.1); a name may be qualified by
//! its schema URN (`urn:ietf:params:scim:schemas:core:2.0:User:userName`, RFC 7644 §3.10).

use serde_json::{json, Value};

pub const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const ENTERPRISE_URN: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const GROUP_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrType {
    String,
    Boolean,
    Decimal,
    Integer,
    DateTime,
    Reference,
    Complex,
}

impl AttrType {
    /// The RFC 7643 §7 spelling (`"dateTime"`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Boolean => "boolean",
            Self::Decimal => "decimal",
            Self::Integer => "integer",
            Self::DateTime => "dateTime",
            Self::Reference => "reference",
            Self::Complex => "complex",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    ReadOnly,
    ReadWrite,
    Immutable,
    WriteOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returned {
    Always,
    Never,
    Default,
    Request,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uniqueness {
    None,
    Server,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Attribute {
    pub name: &'static str,
    pub ty: AttrType,
    pub multi_valued: bool,
    pub required: bool,
    pub case_exact: bool,
    pub mutability: Mutability,
    pub returned: Returned,
    pub uniqueness: Uniqueness,
    pub canonical_values: &'static [&'static str],
    pub reference_types: &'static [&'static str],
    pub sub_attributes: &'static [Attribute],
    pub description: &'static str,
}

/// A plain read-write, single-valued, case-insensitive, optional attribute of type `ty`.
pub(crate) const fn attr(name: &'static str, ty: AttrType, description: &'static str) -> Attribute {
    Attribute {
        name,
        ty,
        multi_valued: false,
        required: false,
        case_exact: false,
        mutability: Mutability::ReadWrite,
        returned: Returned::Default,
        uniqueness: Uniqueness::None,
        canonical_values: &[],
        reference_types: &[],
        sub_attributes: &[],
        description,
    }
}

const fn string(name: &'static str, description: &'static str) -> Attribute {
    attr(name, AttrType::String, description)
}

const fn read_only(a: Attribute) -> Attribute {
    Attribute { mutability: Mutability::ReadOnly, ..a }
}

const fn multi(name: &'static str, subs: &'static [Attribute], description: &'static str) -> Attribute {
    Attribute { multi_valued: true, sub_attributes: subs, ..attr(name, AttrType::Complex, description) }
}

const EMAIL_SUBS: [Attribute; 4] = [
    string("value", "The email address."),
    string("display", "A human-readable name."),
    Attribute { canonical_values: &["work", "home", "other"], ..string("type", "work, home or other.") },
    attr("primary", AttrType::Boolean, "The primary address; at most one is true."),
];

const PHONE_SUBS: [Attribute; 4] = [
    string("value", "The phone number (RFC 3966 form preferred)."),
    string("display", "A human-readable name."),
    Attribute {
        canonical_values: &["work", "home", "mobile", "fax", "pager", "other"],
        ..string("type", "work, home, mobile, fax, pager or other.")
    },
    attr("primary", AttrType::Boolean, "The primary number; at most one is true."),
];

const NAME_SUBS: [Attribute; 6] = [
    string("formatted", "The full name, formatted for display."),
    string("familyName", "Family name."),
    string("givenName", "Given name."),
    string("middleName", "Middle name(s)."),
    string("honorificPrefix", "Honorific prefix, e.g. Ms."),
    string("honorificSuffix", "Honorific suffix, e.g. III."),
];

const GROUP_REF_SUBS: [Attribute; 4] = [
    read_only(Attribute { case_exact: true, ..string("value", "The group's id.") }),
    read_only(Attribute { reference_types: &["Group"], ..attr("$ref", AttrType::Reference, "The group's URI.") }),
    read_only(string("display", "The group's displayName.")),
    read_only(Attribute { canonical_values: &["direct"], ..string("type", "Membership type: direct.") }),
];

const USER_ATTRIBUTES: [Attribute; 13] = [
    Attribute {
        required: true,
        uniqueness: Uniqueness::Server,
        ..string("userName", "Unique sign-in identifier in the workspace, case-insensitive.")
    },
    Attribute { sub_attributes: &NAME_SUBS, ..attr("name", AttrType::Complex, "The components of the user's name.") },
    string("displayName", "The name shown to people."),
    string("nickName", "Casual name."),
    string("title", "Job title."),
    string("userType", "Relationship to the organisation, e.g. Employee."),
    string("preferredLanguage", "Preferred language, e.g. en-US."),
    string("locale", "Locale, e.g. en-US."),
    string("timezone", "IANA time zone, e.g. Europe/Paris."),
    attr("active", AttrType::Boolean, "False suspends the user: sessions and tokens are revoked."),
    Attribute {
        mutability: Mutability::WriteOnly,
        returned: Returned::Never,
        ..string("password", "Write-only; never returned. Sets the password for password sign-in.")
    },
    multi("emails", &EMAIL_SUBS, "Email addresses."),
    multi("phoneNumbers", &PHONE_SUBS, "Phone numbers."),
];

/// `groups` is derived from group membership: read-only on the User.
const USER_GROUPS: Attribute =
    read_only(multi("groups", &GROUP_REF_SUBS, "Groups the user belongs to (change them through /Groups)."));

const MANAGER_SUBS: [Attribute; 3] = [
    Attribute { case_exact: true, ..string("value", "The manager's id.") },
    Attribute { reference_types: &["User"], ..attr("$ref", AttrType::Reference, "The manager's URI.") },
    read_only(string("displayName", "The manager's displayName.")),
];

const ENTERPRISE_ATTRIBUTES: [Attribute; 6] = [
    string("employeeNumber", "Employee number."),
    string("costCenter", "Cost center."),
    string("organization", "Organisation."),
    string("division", "Division."),
    string("department", "Department."),
    Attribute { sub_attributes: &MANAGER_SUBS, ..attr("manager", AttrType::Complex, "The user's manager.") },
];

const MEMBER_SUBS: [Attribute; 4] = [
    Attribute { case_exact: true, mutability: Mutability::Immutable, ..string("value", "The member's id.") },
    Attribute {
        mutability: Mutability::Immutable,
        reference_types: &["User"],
        ..attr("$ref", AttrType::Reference, "The member's URI.")
    },
    read_only(string("display", "The member's displayName.")),
    Attribute { mutability: Mutability::Immutable, canonical_values: &["User"], ..string("type", "User.") },
];

const GROUP_ATTRIBUTES: [Attribute; 2] = [
    Attribute { required: true, ..string("displayName", "The group's name, unique in the workspace.") },
    multi("members", &MEMBER_SUBS, "Members: users of this workspace."),
];

const META_SUBS: [Attribute; 5] = [
    read_only(Attribute { case_exact: true, ..string("resourceType", "User or Group.") }),
    read_only(attr("created", AttrType::DateTime, "When the resource was created.")),
    read_only(attr("lastModified", AttrType::DateTime, "When the resource last changed.")),
    read_only(Attribute { case_exact: true, ..attr("location", AttrType::Reference, "The resource's URI.") }),
    read_only(Attribute { case_exact: true, ..string("version", "Weak entity tag of this version.") }),
];

/// Attributes every resource has (RFC 7643 §3.1).
pub const COMMON: [Attribute; 3] = [
    Attribute {
        case_exact: true,
        mutability: Mutability::ReadOnly,
        returned: Returned::Always,
        uniqueness: Uniqueness::Server,
        ..string("id", "Server-assigned identifier.")
    },
    Attribute { case_exact: true, ..string("externalId", "The provisioning client's identifier.") },
    read_only(Attribute { sub_attributes: &META_SUBS, ..attr("meta", AttrType::Complex, "Resource metadata.") }),
];

#[derive(Debug, PartialEq, Eq)]
pub struct Schema {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub attributes: &'static [Attribute],
}

pub static USER: Schema =
    Schema { id: USER_URN, name: "User", description: "User Account", attributes: &USER_ATTRIBUTES };
static USER_DERIVED: [Attribute; 1] = [USER_GROUPS];
pub static ENTERPRISE_USER: Schema = Schema {
    id: ENTERPRISE_URN,
    name: "EnterpriseUser",
    description: "Enterprise User",
    attributes: &ENTERPRISE_ATTRIBUTES,
};
pub static GROUP: Schema = Schema { id: GROUP_URN, name: "Group", description: "Group", attributes: &GROUP_ATTRIBUTES };

#[derive(Debug, PartialEq, Eq)]
pub struct ResourceType {
    pub id: &'static str,
    pub endpoint: &'static str,
    pub description: &'static str,
    pub schema: &'static Schema,
    /// Extra attributes of the core schema that are derived, not stored (User `groups`).
    derived: &'static [Attribute],
    pub extensions: &'static [&'static Schema],
}

pub static USER_TYPE: ResourceType = ResourceType {
    id: "User",
    endpoint: "/Users",
    description: "User Account",
    schema: &USER,
    derived: &USER_DERIVED,
    extensions: &[&ENTERPRISE_USER],
};
pub static GROUP_TYPE: ResourceType = ResourceType {
    id: "Group",
    endpoint: "/Groups",
    description: "Group",
    schema: &GROUP,
    derived: &[],
    extensions: &[],
};
pub static RESOURCE_TYPES: [&ResourceType; 2] = [&USER_TYPE, &GROUP_TYPE];

/// An attribute path resolved against a resource type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolved {
    /// The schema the top-level attribute belongs to (common attributes: the core schema).
    pub schema: &'static Schema,
    pub attr: &'static Attribute,
    pub sub: Option<&'static Attribute>,
}

impl Resolved {
    /// The attribute a comparison applies to: the sub-attribute if named; for a multi-valued
    /// complex attribute named alone, its `value` sub-attribute (RFC 7644 §3.4.2.2).
    pub fn target(&self) -> &'static Attribute {
        self.sub
            .or_else(|| {
                (self.attr.ty == AttrType::Complex && self.attr.multi_valued)
                    .then(|| find(self.attr.sub_attributes, "value"))
                    .flatten()
            })
            .unwrap_or(self.attr)
    }

    /// Whether the top-level attribute lives under the extension's URN key in JSON.
    pub fn in_extension(&self) -> bool {
        self.schema.id != USER_URN && self.schema.id != GROUP_URN
    }
}

fn find(attrs: &'static [Attribute], name: &str) -> Option<&'static Attribute> {
    attrs.iter().find(|a| a.name.eq_ignore_ascii_case(name))
}

impl ResourceType {
    /// Every schema of this type: the core schema then the extensions.
    pub fn schemas(&self) -> impl Iterator<Item = &'static Schema> + '_ {
        std::iter::once(self.schema).chain(self.extensions.iter().copied())
    }

    /// The schema a URN names, case-insensitively.
    pub fn schema_by_urn(&self, urn: &str) -> Option<&'static Schema> {
        self.schemas().find(|s| s.id.eq_ignore_ascii_case(urn))
    }

    /// Resolves `[urn:]name[.sub]` (the URN, if any, already split off).
    pub fn resolve(&self, urn: Option<&str>, name: &str, sub: Option<&str>) -> Option<Resolved> {
        let (schema, attr) = match urn {
            Some(urn) => {
                let schema = self.schema_by_urn(urn)?;
                let attr = find(schema.attributes, name)
                    .or_else(|| (schema.id == self.schema.id).then(|| self.core_extra(name)).flatten())?;
                (schema, attr)
            }
            None => {
                let core = find(self.schema.attributes, name).or_else(|| self.core_extra(name));
                match core {
                    Some(a) => (self.schema, a),
                    None => self.extensions.iter().find_map(|s| find(s.attributes, name).map(|a| (*s, a)))?,
                }
            }
        };
        let sub = match sub {
            Some(sub) => Some(find(attr.sub_attributes, sub)?),
            None => None,
        };
        Some(Resolved { schema, attr, sub })
    }

    fn core_extra(&self, name: &str) -> Option<&'static Attribute> {
        find(&COMMON, name).or_else(|| find(self.derived, name))
    }

    /// Splits a possibly URN-qualified path `urn:…:User:name.sub` into (urn, "name.sub").
    /// The URN must be one of this type's schemas; an unknown `urn:` prefix returns `None`.
    pub fn split_urn<'a>(&self, path: &'a str) -> Option<(Option<&'static str>, &'a str)> {
        if !path.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:")) {
            return Some((None, path));
        }
        self.schemas().find_map(|s| {
            let rest = path.get(s.id.len()..)?;
            (path[..s.id.len()].eq_ignore_ascii_case(s.id)).then_some(())?;
            match rest.strip_prefix(':') {
                Some(attr) => Some((Some(s.id), attr)),
                None if rest.is_empty() => Some((Some(s.id), "")),
                None => None,
            }
        })
    }
}

fn attribute_json(a: &Attribute) -> Value {
    let mut v = json!({
        "name": a.name,
        "type": a.ty.as_str(),
        "multiValued": a.multi_valued,
        "description": a.description,
        "required": a.required,
        "caseExact": a.case_exact,
        "mutability": match a.mutability {
            Mutability::ReadOnly => "readOnly",
            Mutability::ReadWrite => "readWrite",
            Mutability::Immutable => "immutable",
            Mutability::WriteOnly => "writeOnly",
        },
        "returned": match a.returned {
            Returned::Always => "always",
            Returned::Never => "never",
            Returned::Default => "default",
            Returned::Request => "request",
        },
        "uniqueness": match a.uniqueness {
            Uniqueness::None => "none",
            Uniqueness::Server => "server",
        },
    });
    if !a.canonical_values.is_empty() {
        v["canonicalValues"] = json!(a.canonical_values);
    }
    if !a.reference_types.is_empty() {
        v["referenceTypes"] = json!(a.reference_types);
    }
    if !a.sub_attributes.is_empty() {
        v["subAttributes"] = a.sub_attributes.iter().map(attribute_json).collect();
    }
    v
}

/// The `/Schemas/{id}` representation (RFC 7643 §7). `location` is the absolute base URL of
/// the SCIM API (…/api/scim/v2).
pub fn schema_json(schema: &Schema, base: &str) -> Value {
    let derived: &[Attribute] = if schema.id == USER_URN { &USER_DERIVED } else { &[] };
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": schema.id,
        "name": schema.name,
        "description": schema.description,
        "attributes": schema.attributes.iter().chain(derived).map(attribute_json).collect::<Vec<_>>(),
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{}", schema.id)},
    })
}

/// The `/ResourceTypes/{id}` representation (RFC 7643 §6).
pub fn resource_type_json(rt: &ResourceType, base: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": rt.id,
        "name": rt.id,
        "endpoint": rt.endpoint,
        "description": rt.description,
        "schema": rt.schema.id,
        "schemaExtensions": rt.extensions.iter().map(|s| json!({"schema": s.id, "required": false})).collect::<Vec<_>>(),
        "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/{}", rt.id)},
    })
}

/// Every schema served by `/Schemas`.
pub static SCHEMAS: [&Schema; 3] = [&USER, &ENTERPRISE_USER, &GROUP];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_case_insensitively_with_and_without_urn() {
        let r = USER_TYPE.resolve(None, "USERNAME", None).unwrap();
        assert_eq!(r.attr.name, "userName");
        let r = USER_TYPE.resolve(Some(USER_URN), "name", Some("GIVENNAME")).unwrap();
        assert_eq!(r.sub.unwrap().name, "givenName");
        let r = USER_TYPE.resolve(None, "department", None).unwrap();
        assert_eq!((r.schema.id, r.in_extension()), (ENTERPRISE_URN, true));
        let r = USER_TYPE.resolve(Some(ENTERPRISE_URN), "manager", Some("value")).unwrap();
        assert!(r.sub.unwrap().case_exact);
        assert!(USER_TYPE.resolve(None, "meta", Some("lastModified")).is_some());
        assert!(USER_TYPE.resolve(Some(USER_URN), "id", None).is_some());
        assert!(USER_TYPE.resolve(None, "nope", None).is_none());
        assert!(USER_TYPE.resolve(None, "name", Some("nope")).is_none());
        assert!(USER_TYPE.resolve(Some(ENTERPRISE_URN), "userName", None).is_none());
        assert!(GROUP_TYPE.resolve(None, "members", Some("value")).is_some());
        assert!(GROUP_TYPE.resolve(None, "userName", None).is_none());
    }

    #[test]
    fn multi_valued_complex_compares_on_value() {
        let r = USER_TYPE.resolve(None, "emails", None).unwrap();
        assert_eq!(r.target().name, "value");
        let r = USER_TYPE.resolve(None, "emails", Some("primary")).unwrap();
        assert_eq!(r.target().ty, AttrType::Boolean);
        assert_eq!(USER_TYPE.resolve(None, "active", None).unwrap().target().ty, AttrType::Boolean);
    }

    /// RFC 7644 §3.10: attribute names may be qualified by their schema URN.
    #[test]
    fn rfc7644_3_10_urn_qualified_names_split() {
        assert_eq!(
            USER_TYPE.split_urn("urn:ietf:params:scim:schemas:core:2.0:User:name.givenName"),
            Some((Some(USER_URN), "name.givenName"))
        );
        assert_eq!(
            USER_TYPE.split_urn("URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:manager.value"),
            Some((Some(ENTERPRISE_URN), "manager.value"))
        );
        assert_eq!(USER_TYPE.split_urn(ENTERPRISE_URN), Some((Some(ENTERPRISE_URN), "")));
        assert_eq!(USER_TYPE.split_urn("userName"), Some((None, "userName")));
        assert_eq!(USER_TYPE.split_urn("urn:example:other:attr"), None);
        assert_eq!(GROUP_TYPE.split_urn(ENTERPRISE_URN), None);
    }

    #[test]
    fn schema_json_is_rfc7643_section_7_shaped() {
        let v = schema_json(&USER, "https://x/api/scim/v2");
        assert_eq!(v["id"], USER_URN);
        let attrs = v["attributes"].as_array().unwrap();
        let password = attrs.iter().find(|a| a["name"] == "password").unwrap();
        assert_eq!(
            (password["mutability"].clone(), password["returned"].clone()),
            (json!("writeOnly"), json!("never"))
        );
        let emails = attrs.iter().find(|a| a["name"] == "emails").unwrap();
        assert_eq!(emails["subAttributes"].as_array().unwrap().len(), 4);
        assert!(attrs.iter().any(|a| a["name"] == "groups" && a["mutability"] == "readOnly"));
        let rt = resource_type_json(&USER_TYPE, "https://x/api/scim/v2");
        assert_eq!(rt["schemaExtensions"][0]["schema"], ENTERPRISE_URN);
    }
}
