//! The webhook delivery body (event-webhooks design, "Payload"): a compact JSON envelope
//! `{"type","id","timestamp","workspaceId","data"}`, keys in that order, timestamp in RFC 3339
//! with milliseconds; the Standard Webhooks message id derived from the event id; the test
//! delivery; and the receiver's answer cut down for the delivery log.

use serde::Serialize;

use crate::time;

/// Event type of the test delivery an administrator triggers by hand.
pub const TEST_EVENT_TYPE: &str = "axissynapse.webhook.test";
/// Most bytes of a receiver's answer kept in the delivery log.
pub const MAX_RESPONSE_BODY: usize = 1024;
const TEST_MESSAGE: &str = "This is a test delivery from AxisSynapse.";

/// The envelope; field order is the serialised key order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<'a, D: Serialize> {
    #[serde(rename = "type")]
    event_type: &'a str,
    id: &'a str,
    timestamp: String,
    workspace_id: &'a str,
    data: D,
}

/// `data` of the test delivery.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TestData<'a> {
    subscription_id: &'a str,
    message: &'a str,
}

/// The Standard Webhooks `webhook-id`: `msg_` + the event id without its `evt_` prefix.
pub fn message_id(event_id: &str) -> String {
    format!("msg_{}", event_id.strip_prefix("evt_").unwrap_or(event_id))
}

/// The body delivered for one event.
pub fn event_body(
    event_type: &str,
    event_id: &str,
    at_ms: i64,
    workspace_id: &str,
    data: &serde_json::Value,
) -> String {
    to_json(&Envelope { event_type, id: event_id, timestamp: time::format_ms(at_ms), workspace_id, data })
}

/// The body of a test delivery: [`TEST_EVENT_TYPE`], the message id as `id`, and `data`
/// naming the subscription.
pub fn test_body(msg_id: &str, at_ms: i64, workspace_id: &str, subscription_id: &str) -> String {
    let data = TestData { subscription_id, message: TEST_MESSAGE };
    to_json(&Envelope {
        event_type: TEST_EVENT_TYPE,
        id: msg_id,
        timestamp: time::format_ms(at_ms),
        workspace_id,
        data,
    })
}

/// Compact JSON. Serialising strings and a `serde_json::Value` cannot fail (all map keys are
/// strings), so the empty fallback is never used.
fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// The receiver's answer for the delivery log: lossy UTF-8 of at most [`MAX_RESPONSE_BODY`]
/// bytes, cut before a split character, with `…` appended when cut.
pub fn truncate_response(bytes: &[u8]) -> String {
    if bytes.len() <= MAX_RESPONSE_BODY {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    let mut cut = MAX_RESPONSE_BODY;
    // Back off over UTF-8 continuation bytes (10xxxxxx), at most three: a character is ≤ 4 bytes.
    while cut > MAX_RESPONSE_BODY - 3 && bytes.get(cut).is_some_and(|b| b & 0xc0 == 0x80) {
        cut -= 1;
    }
    let head = bytes.get(..cut).unwrap_or_default();
    format!("{}…", String::from_utf8_lossy(head))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// 2024-05-01T12:34:56.789Z
    const AT_MS: i64 = 1_714_566_896_789;

    #[test]
    fn message_id_replaces_evt_prefix() {
        assert_eq!(message_id("evt_01HZX3"), "msg_01HZX3");
        assert_eq!(message_id("01HZX3"), "msg_01HZX3");
        assert_eq!(message_id("evt_"), "msg_");
        assert_eq!(message_id("xevt_1"), "msg_xevt_1");
    }

    #[test]
    fn event_body_keys_in_order_and_compact() {
        let data = json!({"userId": "usr_1"});
        let body = event_body("ACCOUNT_STEPUP_VERIFIED", "evt_1", AT_MS, "ws_1", &data);
        assert_eq!(
            body,
            r#"{"type":"ACCOUNT_STEPUP_VERIFIED","id":"evt_1","timestamp":"2024-05-01T12:34:56.789Z","workspaceId":"ws_1","data":{"userId":"usr_1"}}"#
        );
    }

    #[test]
    fn event_body_escapes_strings() {
        let body = event_body("A\"B", "evt_\n", 0, "ws\\", &serde_json::Value::Null);
        let parsed: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(parsed["type"], "A\"B");
        assert_eq!(parsed["id"], "evt_\n");
        assert_eq!(parsed["workspaceId"], "ws\\");
        assert_eq!(parsed["timestamp"], "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn test_body_shape() {
        let body = test_body("msg_abc", AT_MS, "ws_1", "whs_9");
        assert_eq!(
            body,
            r#"{"type":"axissynapse.webhook.test","id":"msg_abc","timestamp":"2024-05-01T12:34:56.789Z","workspaceId":"ws_1","data":{"subscriptionId":"whs_9","message":"This is a test delivery from AxisSynapse."}}"#
        );
    }

    #[test]
    fn truncate_response_keeps_short_bodies_whole() {
        assert_eq!(truncate_response(b"ok"), "ok");
        assert_eq!(truncate_response(&[b'a'; MAX_RESPONSE_BODY]), "a".repeat(MAX_RESPONSE_BODY));
        assert_eq!(truncate_response(&[0xff, b'x']), "\u{fffd}x");
    }

    #[test]
    fn truncate_response_cuts_long_ascii_with_ellipsis() {
        let got = truncate_response(&[b'a'; MAX_RESPONSE_BODY + 1]);
        assert_eq!(got, format!("{}…", "a".repeat(MAX_RESPONSE_BODY)));
    }

    #[test]
    fn truncate_response_cuts_at_a_char_boundary() {
        // 1023 ASCII bytes, then a 4-byte character straddling the limit.
        let mut body = vec![b'a'; MAX_RESPONSE_BODY - 1];
        body.extend_from_slice("😀 tail".as_bytes());
        let got = truncate_response(&body);
        assert_eq!(got, format!("{}…", "a".repeat(MAX_RESPONSE_BODY - 1)));
        assert!(!got.contains('\u{fffd}'));
    }

    #[test]
    fn truncate_response_keeps_a_char_ending_at_the_limit() {
        let mut body = vec![b'a'; MAX_RESPONSE_BODY - 2];
        body.extend_from_slice("é and more".as_bytes());
        assert_eq!(truncate_response(&body), format!("{}é…", "a".repeat(MAX_RESPONSE_BODY - 2)));
    }
}
