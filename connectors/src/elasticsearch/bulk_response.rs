//! Parsing a `_bulk` response into one [`ItemResult`] per action.
//!
//! A response to a batch of thousands of actions is large (every item echoes index, id, version,
//! shards, sequence number). When its top-level `errors` is `false`, every item succeeded, so
//! the items are not read at all (as Confluent's connector, which only looks at the items of a
//! response with failures); `errors` is read by hand from the members before `items` when they
//! are all plain numbers and booleans, as Elasticsearch writes them (`{"took":3,"errors":false,
//! "items":[…`). Otherwise only each item's `status` and, for failed items, `error.type` and
//! `error.reason` matter, so the parse is typed: every other field is skipped without being
//! built, and nothing is allocated for a successful item.

use std::fmt;

use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value as Json;

use super::client::{EsError, ItemResult};

/// The status given to each item of a response without errors, whose items are not read.
pub const SUCCESS: u16 = 200;

/// Parses a bulk response that must hold exactly `expected` items; a response whose `errors`
/// is `false` gives `expected` successes without its items being read.
pub fn parse(bytes: &[u8], expected: usize) -> Result<Vec<ItemResult>, EsError> {
    if errors_before_items(bytes) == Some(false) {
        return Ok(vec![
            ItemResult {
                status: SUCCESS,
                error: None,
            };
            expected
        ]);
    }
    let response: Response =
        serde_json::from_slice(bytes).map_err(|e| EsError::Protocol(e.to_string()))?;
    let items = response
        .items
        .ok_or_else(|| EsError::Protocol("bulk response without items".into()))?;
    if items.0.len() != expected {
        return Err(EsError::Protocol(format!(
            "bulk response has {} items for {expected} actions",
            items.0.len()
        )));
    }
    Ok(items.0)
}

/// The top-level `errors` of a response whose members before `items` are all plain numbers or
/// booleans under keys without escapes (what Elasticsearch writes); `None` when it is absent,
/// after `items`, or anything else comes first: then the response is parsed in full.
fn errors_before_items(bytes: &[u8]) -> Option<bool> {
    let mut rest = skip_ws(bytes).strip_prefix(b"{")?;
    let mut errors = None;
    loop {
        rest = skip_ws(rest).strip_prefix(b"\"")?;
        let end = rest.iter().position(|&b| b == b'"' || b == b'\\')?;
        if rest[end] != b'"' {
            return None;
        }
        let key = &rest[..end];
        rest = skip_ws(&rest[end + 1..]).strip_prefix(b":")?;
        if key == b"items" {
            return errors;
        }
        rest = skip_ws(rest);
        let value_end = rest
            .iter()
            .position(|&b| matches!(b, b',' | b'}' | b' ' | b'\t' | b'\r' | b'\n'))?;
        let value = &rest[..value_end];
        match value {
            b"true" | b"false" if key == b"errors" => errors = Some(value == b"true"),
            b"true" | b"false" => {}
            _ if value
                .iter()
                .all(|b| b.is_ascii_digit() || b"-+.eE".contains(b)) => {}
            _ => return None,
        }
        rest = skip_ws(&rest[value_end..]).strip_prefix(b",")?;
    }
}

fn skip_ws(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    &bytes[start..]
}

#[derive(Deserialize)]
struct Response {
    items: Option<Items>,
}

/// `"items": [ {"index": {...}}, {"delete": {...}}, … ]`.
struct Items(Vec<ItemResult>);

impl<'de> Deserialize<'de> for Items {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ItemsVisitor;
        impl<'de> Visitor<'de> for ItemsVisitor {
            type Value = Items;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an array of bulk items")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Items, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(Item(item)) = seq.next_element()? {
                    out.push(item);
                }
                Ok(Items(out))
            }
        }
        d.deserialize_seq(ItemsVisitor)
    }
}

/// One item: an object with the action as its only key.
struct Item(ItemResult);

impl<'de> Deserialize<'de> for Item {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ItemVisitor;
        impl<'de> Visitor<'de> for ItemVisitor {
            type Value = Item;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a bulk item object such as {\"index\": {...}}")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Item, A::Error> {
                let Some((IgnoredAny, body)) = map.next_entry::<IgnoredAny, ItemBody>()? else {
                    return Ok(Item(ItemResult {
                        status: 0,
                        error: None,
                    }));
                };
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                let error = body.error.map(|e| {
                    let ty = e
                        .get("type")
                        .and_then(Json::as_str)
                        .unwrap_or("unknown")
                        .to_string();
                    let reason = e
                        .get("reason")
                        .and_then(Json::as_str)
                        .map_or_else(|| e.to_string(), str::to_string);
                    (ty, reason)
                });
                Ok(Item(ItemResult {
                    status: body.status,
                    error,
                }))
            }
        }
        d.deserialize_map(ItemVisitor)
    }
}

/// The fields of an item the sink reads; the others are skipped.
#[derive(Deserialize)]
struct ItemBody {
    #[serde(default, deserialize_with = "status")]
    status: u16,
    /// Only failed items carry one; kept whole for its `reason` or, lacking one, its text.
    #[serde(default)]
    error: Option<Json>,
}

/// A status that is not a small number reads as 0 (not a success), as a missing one does.
fn status<'de, D: Deserializer<'de>>(d: D) -> Result<u16, D::Error> {
    let n = Option::<Json>::deserialize(d)?;
    Ok(n.and_then(|n| n.as_u64())
        .and_then(|n| u16::try_from(n).ok())
        .unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn successes_failures_and_every_action_kind() {
        let body = br#"{"took":3,"errors":true,"items":[
            {"index":{"_index":"p","_id":"a","_version":1,"result":"created","_shards":{"total":2,"successful":1,"failed":0},"_seq_no":0,"_primary_term":1,"status":201}},
            {"delete":{"_index":"p","_id":"b","status":404,"result":"not_found"}},
            {"update":{"_index":"p","_id":"c","status":400,"error":{"type":"mapper_parsing_exception","reason":"failed to parse field [x]","caused_by":{"type":"x"}}}},
            {"create":{"_index":"p","_id":"d","status":409,"error":{"type":"version_conflict_engine_exception"}}},
            {"index":{"_index":"p","status":500,"error":"plain text"}}
        ]}"#;
        let items = parse(body, 5).unwrap();
        assert_eq!(
            items.iter().map(|i| i.status).collect::<Vec<_>>(),
            vec![201, 404, 400, 409, 500]
        );
        assert_eq!(items[0].error, None);
        assert_eq!(items[1].error, None);
        assert_eq!(
            items[2].error,
            Some((
                "mapper_parsing_exception".into(),
                "failed to parse field [x]".into()
            ))
        );
        // No reason: the whole error object is the reason.
        assert_eq!(
            items[3].error,
            Some((
                "version_conflict_engine_exception".into(),
                r#"{"type":"version_conflict_engine_exception"}"#.into()
            ))
        );
        assert_eq!(
            items[4].error,
            Some(("unknown".into(), "\"plain text\"".into()))
        );
    }

    #[test]
    fn item_count_must_match_the_actions() {
        let body = br#"{"errors":true,"items":[{"index":{"status":201}}]}"#;
        let err = parse(body, 2).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unexpected response: bulk response has 1 items for 2 actions"
        );
    }

    #[test]
    fn a_response_without_errors_is_not_read_past_its_errors_member() {
        // As Elasticsearch writes it: every action succeeded, the items are not looked at.
        let body = br#"{"took":30,"errors":false,"items":[{"index":{"status":201}},{"x":"#;
        let items = parse(body, 3).unwrap();
        assert_eq!(items.len(), 3);
        assert!(items
            .iter()
            .all(|i| i.status == SUCCESS && i.error.is_none()));
        // Whitespace, and other plain members first.
        let pretty =
            b"{\n  \"took\" : 1,\n  \"ingest_took\" : 2,\n  \"errors\" : false,\n  \"items\" : []}";
        assert_eq!(errors_before_items(pretty), Some(false));
    }

    #[test]
    fn a_response_in_any_other_shape_is_parsed_in_full() {
        let failed = br#"{"took":1,"errors":true,"items":[{"index":{"status":429}}]}"#;
        assert_eq!(errors_before_items(failed), Some(true));
        assert_eq!(parse(failed, 1).unwrap()[0].status, 429);
        // `errors` after `items`, absent, a string member first, an escaped key: read in full,
        // so the item count is checked.
        for body in [
            &br#"{"items":[{"index":{"status":201}}],"errors":false}"#[..],
            br#"{"took":1,"items":[{"index":{"status":201}}]}"#,
            br#"{"note":"x","errors":false,"items":[{"index":{"status":201}}]}"#,
            br#"{"err\u006frs":false,"items":[{"index":{"status":201}}]}"#,
        ] {
            assert_eq!(
                errors_before_items(body),
                None,
                "{}",
                String::from_utf8_lossy(body)
            );
            assert!(matches!(parse(body, 2), Err(EsError::Protocol(_))));
            assert_eq!(parse(body, 1).unwrap()[0].status, 201);
        }
    }

    #[test]
    fn malformed_answers_are_protocol_errors() {
        assert!(matches!(
            parse(br#"{"errors":false}"#, 0),
            Err(EsError::Protocol(m)) if m == "bulk response without items"
        ));
        assert!(matches!(parse(b"<html>", 1), Err(EsError::Protocol(_))));
        // An item that is not an object.
        assert!(matches!(
            parse(br#"{"items":[{"index":{"status":201}}, 3]}"#, 2),
            Err(EsError::Protocol(_))
        ));
        // A status out of range or missing is not a success.
        let items = parse(
            br#"{"items":[{"index":{"status":70000}},{"index":{"status":"x"}},{"index":{}},{}]}"#,
            4,
        )
        .unwrap();
        assert!(items.iter().all(|i| i.status == 0));
    }
}
