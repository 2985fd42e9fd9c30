//! SCIM sorting and paging (RFC 7644 §3.4.2.3, §3.4.2.4) against the real worker: every
//! sortable attribute in both orders (no value last ascending, first descending; strings
//! case-insensitive), pages of a sorted list that fit together, `.search` bodies, groups, the
//! in-memory filter path, and unsortable attributes refused with `invalidValue`.

use crate::common::*;
use crate::scim::{expect_scim_error, scim, scim_token, send_json, url_escape, GROUP_URN, USER_URN};
use serde_json::{json, Value};

/// `(userName after the test's tag, familyName, displayName)` of the users each test creates,
/// in creation order (one with an upper-case userName: strings sort case-insensitively; one
/// without each optional value: it sorts last, or first descending). No two share a value, so
/// the expected order never depends on the `id` tie-break.
const PEOPLE: [(&str, Option<&str>, Option<&str>); 5] = [
    ("-c@sort.scim.test", Some("Zed"), Some("carol")),
    ("-A@SORT.scim.test", Some("alpha"), None),
    ("-e@sort.scim.test", None, Some("Eve")),
    ("-b@sort.scim.test", Some("Mid"), Some("bob")),
    ("-d@sort.scim.test", Some("beta"), Some("Dan")),
];

fn user_name(tag: &str, i: usize) -> String {
    format!("{tag}{}", PEOPLE[i].0).to_lowercase()
}

/// Creates PEOPLE with userNames starting `tag`; the filter that lists exactly them.
fn create_people(token: &str, tag: &str) -> String {
    for (suffix, family, display) in PEOPLE {
        let mut u = json!({"schemas": [USER_URN], "userName": format!("{tag}{suffix}"), "title": "Sorter"});
        if let Some(f) = family {
            u["name"] = json!({"familyName": f});
        }
        if let Some(d) = display {
            u["displayName"] = json!(d);
        }
        assert_eq!(send_json(scim("POST", "/Users", token), u).status, 201);
        // meta.created and meta.lastModified are milliseconds: keep them distinct.
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    format!("userName sw \"{tag}-\"")
}

/// A person's (index into PEOPLE) value of a sort key.
type Key = Box<dyn Fn(usize) -> Option<String>>;

fn user_names(list: &Value) -> Vec<String> {
    list["Resources"].as_array().unwrap().iter().map(|r| r["userName"].as_str().unwrap().to_lowercase()).collect()
}

fn listed(token: &str, filter: &str, sort: &str) -> Value {
    scim("GET", &format!("/Users?filter={}&{sort}", url_escape(filter)), token).send().ok()
}

/// The expected order of PEOPLE by `key` (a value of each person or none), ascending or not:
/// values compared case-insensitively; no value last when ascending.
fn expected(tag: &str, key: impl Fn(usize) -> Option<String>, ascending: bool) -> Vec<String> {
    let mut order: Vec<usize> = (0..PEOPLE.len()).collect();
    order.sort_by_key(|&i| (key(i).is_none(), key(i).map(|v| v.to_lowercase()), i));
    if !ascending {
        order.reverse();
    }
    order.into_iter().map(|i| user_name(tag, i)).collect()
}

#[test]
fn every_sortable_user_attribute_in_both_orders() {
    let token = scim_token("sorting");
    let exact = create_people(&token, "sortall");
    let in_memory = format!("title eq \"sorter\" and {exact}");
    let keys: [(&str, Key); 5] = [
        ("userName", Box::new(|i| Some(user_name("sortall", i)))),
        ("name.familyName", Box::new(|i| PEOPLE[i].1.map(str::to_string))),
        ("displayName", Box::new(|i| PEOPLE[i].2.map(str::to_string))),
        ("meta.created", Box::new(|i| Some(format!("{i:03}")))),
        ("meta.lastModified", Box::new(|i| Some(format!("{i:03}")))),
    ];
    for (name, key) in &keys {
        for (order, ascending) in [("ascending", true), ("descending", false)] {
            let want = expected("sortall", key, ascending);
            for filter in [exact.as_str(), in_memory.as_str()] {
                let got = user_names(&listed(&token, filter, &format!("sortBy={name}&sortOrder={order}")));
                assert_eq!(got, want, "sortBy={name} sortOrder={order} filter {filter}");
            }
        }
    }
    // Default order is ascending; sortOrder alone reverses creation order.
    let by_name = user_names(&listed(&token, &exact, "sortBy=USERNAME"));
    assert_eq!(by_name, expected("sortall", &keys[0].1, true));
    let newest_first = user_names(&listed(&token, &exact, "sortOrder=descending"));
    assert_eq!(newest_first, expected("sortall", &keys[3].1, false));
}

#[test]
fn pages_of_a_sorted_list_fit_together() {
    let token = scim_token("sorted-pages");
    let exact = create_people(&token, "sortpages");
    let whole = user_names(&listed(&token, &exact, "sortBy=name.familyName&sortOrder=descending&count=100"));
    let mut paged = Vec::new();
    for start in [1, 3, 5] {
        let page =
            listed(&token, &exact, &format!("sortBy=name.familyName&sortOrder=descending&startIndex={start}&count=2"));
        assert_eq!(page["totalResults"], PEOPLE.len(), "{page}");
        paged.extend(user_names(&page));
    }
    assert_eq!(paged, whole);
    let search = send_json(
        scim("POST", "/Users/.search", &token),
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": exact,
               "sortBy": "displayName", "sortOrder": "ascending", "startIndex": 1, "count": 2}),
    )
    .ok();
    assert_eq!(user_names(&search), [user_name("sortpages", 3), user_name("sortpages", 0)], "bob, carol");
}

#[test]
fn an_unfiltered_sorted_list_is_in_order_on_every_page() {
    let token = scim_token("unfiltered-sort");
    create_people(&token, "sortunfiltered");
    for start in [1, 4] {
        let page =
            scim("GET", &format!("/Users?sortBy=userName&sortOrder=descending&startIndex={start}&count=3"), &token)
                .send()
                .ok();
        let names = user_names(&page);
        assert_eq!(names.len(), 3, "{page}");
        assert!(names.windows(2).all(|w| w[0] >= w[1]), "descending: {names:?}");
    }
    let page = scim("GET", "/Users?sortBy=meta.lastModified&count=50", &token).send().ok();
    let modified: Vec<&str> =
        page["Resources"].as_array().unwrap().iter().map(|r| r["meta"]["lastModified"].as_str().unwrap()).collect();
    assert!(modified.windows(2).all(|w| w[0] <= w[1]), "ascending: {modified:?}");
}

#[test]
fn groups_sort_by_display_name() {
    let token = scim_token("group-sort");
    for name in ["sortgroup-b", "Sortgroup-C", "sortgroup-a"] {
        let g = json!({"schemas": [GROUP_URN], "displayName": name});
        assert_eq!(send_json(scim("POST", "/Groups", &token), g).status, 201);
    }
    let filter = url_escape("displayName sw \"sortgroup-\"");
    let list =
        scim("GET", &format!("/Groups?filter={filter}&sortBy=displayName&sortOrder=descending"), &token).send().ok();
    let names: Vec<&str> =
        list["Resources"].as_array().unwrap().iter().map(|g| g["displayName"].as_str().unwrap()).collect();
    assert_eq!(names, ["Sortgroup-C", "sortgroup-b", "sortgroup-a"]);
}

#[test]
fn unsortable_attributes_and_orders_are_refused() {
    let token = scim_token("bad-sort");
    for query in ["sortBy=emails.value", "sortBy=name.givenName", "sortBy=userName&sortOrder=up"] {
        let r = scim("GET", &format!("/Users?{query}"), &token).send();
        let body = expect_scim_error(&r, 400, "SCIM_INVALID_VALUE", Some("invalidValue"));
        assert!(body["detail"].as_str().unwrap().contains("sort"), "{query}: {body}");
    }
    let r = scim("GET", "/Groups?sortBy=userName", &token).send();
    expect_scim_error(&r, 400, "SCIM_INVALID_VALUE", Some("invalidValue"));
    let config = req("GET", "/api/scim/v2/ServiceProviderConfig").send().ok();
    assert_eq!(config["sort"]["supported"], true);
}

/// Every id of the `anchor.test` workspace's users in the default order (creation, then id),
/// read in one page in the reverse order, which never seeks from a page anchor.
fn default_order(token: &str) -> Vec<String> {
    let list = scim("GET", "/Users?sortBy=meta.created&sortOrder=descending&count=1000", token).send().ok();
    let mut ids: Vec<String> =
        list["Resources"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()).collect();
    ids.reverse();
    ids
}

fn page_ids(token: &str, start: usize, count: usize) -> Vec<String> {
    let list = scim("GET", &format!("/Users?startIndex={start}&count={count}"), token).send().ok();
    list["Resources"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()).collect()
}

/// Deep pages seek from the anchors earlier pages left (src/scim/anchors.rs): every page, read
/// in order, at random, and after inserts and deletes have moved the list under the anchors,
/// is exactly the slice of the full list. Ten users come from one Bulk request, so they share
/// a `meta.created` and only the `id` orders them.
#[test]
fn rfc7644_3_4_2_4_deep_pages_from_anchors_match_the_whole_list() {
    let owner = login("owner@anchor.test");
    let minted = req("POST", "/api/settings/scim-tokens").session(&owner).json(&json!({"name": "anchors"})).send();
    let token = minted.json()["token"].as_str().unwrap().to_string();
    let create = |name: String| {
        let resp = send_json(scim("POST", "/Users", &token), json!({"schemas": [USER_URN], "userName": name}));
        assert_eq!(resp.status, 201, "{}", resp.body);
    };
    (0..12).for_each(|i| create(format!("a{i}@anchor.test")));
    let ops: Vec<Value> = (0..10)
        .map(|i| {
            json!({"method": "POST", "path": "/Users", "bulkId": format!("b{i}"),
                        "data": {"schemas": [USER_URN], "userName": format!("bulk{i}@anchor.test")}})
        })
        .collect();
    let bulk = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": ops});
    assert_eq!(send_json(scim("POST", "/Bulk", &token), bulk).status, 200);
    (12..20).for_each(|i| create(format!("a{i}@anchor.test")));

    let check = |start: usize, count: usize, why: &str| {
        let all = default_order(&token);
        let want: Vec<String> = all.iter().skip(start - 1).take(count).cloned().collect();
        assert_eq!(page_ids(&token, start, count), want, "startIndex {start} count {count}: {why}");
    };
    let whole = default_order(&token);
    assert_eq!(whole.len(), 31, "30 users and the owner");
    // In order, as an import pages: each page starts right after the last one's anchor.
    for start in (1..=31).step_by(4) {
        check(start, 4, "in order");
    }
    // At random: the nearest anchor before each start.
    for start in [29, 7, 18, 3, 25, 12, 30, 2] {
        check(start, 3, "at random");
    }
    // Deletes before the anchors and an insert: the list moved, the anchors no longer hold.
    for id in [&whole[2], &whole[15]] {
        assert_eq!(scim("DELETE", &format!("/Users/{id}"), &token).send().status, 204);
    }
    create("late@anchor.test".to_string());
    for start in [20, 9, 26, 1, 14] {
        check(start, 5, "after the list moved");
    }
}
