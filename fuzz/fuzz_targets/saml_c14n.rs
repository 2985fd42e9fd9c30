//! Exclusive XML Canonicalization (`saml::c14n`) over the bounded parser (`saml::xml`).
//!
//! The input, when UTF-8, is parsed; its root element is canonicalized without and with
//! comments, with no and with an inclusive prefix list, and excluding the root's first child
//! element when it has one:
//! * the canonical form of the whole root, parsed again, canonicalizes to itself
//!   (canonicalization is idempotent).
//! Nothing may panic.
#![no_main]

use axissynapse_edge::saml::{c14n::exclusive, xml};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(doc) = xml::parse(text) else {
        return;
    };
    let root = doc.root_element();
    let prefixes = ["#default".to_string(), "xs".to_string(), "saml".to_string()];
    for (list, comments) in [(&[][..], false), (&prefixes[..], false), (&[][..], true)] {
        let _ = exclusive(root, None, list, comments);
    }
    if let Some(child) = root.children().find(|n| n.is_element()) {
        let _ = exclusive(root, Some(child.id()), &[], false);
    }
    let Ok(first) = exclusive(root, None, &[], false) else {
        return;
    };
    let first = String::from_utf8(first).expect("canonical XML is UTF-8");
    let again = xml::parse(&first).expect("canonical XML parses");
    let second = exclusive(again.root_element(), None, &[], false).expect("canonical XML canonicalizes");
    assert_eq!(first.as_bytes(), &second[..], "exclusive c14n is idempotent");
});
