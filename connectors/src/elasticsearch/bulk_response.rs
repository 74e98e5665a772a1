//! Parsing a `_bulk` response into one [`ItemResult`] per action.
//!
//! A response to a batch of thousands of actions is large (every item echoes index, id, version,
//! shards, sequence number). Only each item's `status` and, for failed items, `error.type` and
//! `error.reason` matter, so the parse is typed: every other field is skipped without being
//! built, and nothing is allocated for a successful item.

use std::fmt;

use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value as Json;

use super::client::{EsError, ItemResult};

/// Parses a bulk response that must hold exactly `expected` items.
pub fn parse(bytes: &[u8], expected: usize) -> Result<Vec<ItemResult>, EsError> {
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
        let body = br#"{"errors":false,"items":[{"index":{"status":201}}]}"#;
        let err = parse(body, 2).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unexpected response: bulk response has 1 items for 2 actions"
        );
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
