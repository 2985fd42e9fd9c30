//! SAML 2.0 service provider, pure core: bounded DTD-free XML, exclusive XML
//! canonicalisation, XML-DSig reference and signature checks, and every assertion check of
//! the Web Browser SSO profile. No `worker` types, no clocks: callers pass `now`.

pub mod authn_request;
pub mod c14n;
pub mod dsig;
pub mod metadata;
pub mod response;
pub mod xml;
