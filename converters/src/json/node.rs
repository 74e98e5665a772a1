//! A JSON tree with Jackson's number kinds (`JsonNode`).
//!
//! Sluice keeps its own tree instead of `serde_json::Value` because Connect's JSON bytes depend
//! on details serde_json does not keep: a non-integral literal is a `BigDecimal` with its scale
//! (`1.5600` stays `1.5600`), integers beyond `long` are `BigInteger`s, and `float` values print
//! with `Float.toString`.

use std::hash::{Hash, Hasher};

use indexmap::IndexMap;
use num_bigint::BigInt;

/// A JSON number, by the Jackson node class it corresponds to.
#[derive(Debug, Clone, PartialEq)]
pub enum JsonNumber {
    /// An integral value that fits a `long` (`IntNode` when it fits an `int`, else `LongNode`).
    Int(i64),
    /// An integral literal beyond the `long` range (`BigIntegerNode`).
    BigInt(BigInt),
    /// A non-integral number (`DecimalNode`), as its exact literal text (`1.5600`, `1E+3`).
    Decimal(String),
    /// A `float` (`FloatNode`), written with `Float.toString`.
    Float(f32),
    /// A `double` (`DoubleNode`), written with `Double.toString`.
    Double(f64),
}

/// The members of a JSON object, in order (hashed with foldhash: object members are looked up
/// for every field of every record).
pub type JsonObject = IndexMap<String, JsonNode, foldhash::fast::RandomState>;

/// An empty [`JsonObject`] with room for `n` members.
pub fn object_with_capacity(n: usize) -> JsonObject {
    JsonObject::with_capacity_and_hasher(n, Default::default())
}

/// A JSON value.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum JsonNode {
    /// `null`.
    #[default]
    Null,
    /// `true`/`false`.
    Bool(bool),
    /// A number.
    Number(JsonNumber),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<JsonNode>),
    /// An object; members keep their order, a repeated member replaces the earlier value.
    Object(JsonObject),
}

impl JsonNode {
    /// `JsonNode.getNodeType()` as Jackson names it in messages (`OBJECT`, `NUMBER`, …).
    pub fn node_type(&self) -> &'static str {
        match self {
            JsonNode::Null => "NULL",
            JsonNode::Bool(_) => "BOOLEAN",
            JsonNode::Number(_) => "NUMBER",
            JsonNode::String(_) => "STRING",
            JsonNode::Array(_) => "ARRAY",
            JsonNode::Object(_) => "OBJECT",
        }
    }

    /// A member of an object (`None` for other nodes or a missing member).
    pub fn get(&self, key: &str) -> Option<&JsonNode> {
        match self {
            JsonNode::Object(m) => m.get(key),
            _ => None,
        }
    }

    /// The string, for a string node (`textValue()`).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            JsonNode::String(s) => Some(s),
            _ => None,
        }
    }

    /// True for `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, JsonNode::Null)
    }

    /// `isInt()`: an integral number within the `int` range.
    pub fn is_int(&self) -> bool {
        matches!(self, JsonNode::Number(JsonNumber::Int(v)) if i32::try_from(*v).is_ok())
    }

    /// `isIntegralNumber()`.
    pub fn is_integral(&self) -> bool {
        matches!(
            self,
            JsonNode::Number(JsonNumber::Int(_) | JsonNumber::BigInt(_))
        )
    }
}

impl Eq for JsonNode {}

impl Hash for JsonNode {
    fn hash<H: Hasher>(&self, state: &mut H) {
        std::mem::discriminant(self).hash(state);
        match self {
            JsonNode::Null => {}
            JsonNode::Bool(b) => b.hash(state),
            JsonNode::Number(n) => {
                std::mem::discriminant(n).hash(state);
                match n {
                    JsonNumber::Int(v) => v.hash(state),
                    JsonNumber::BigInt(v) => v.hash(state),
                    JsonNumber::Decimal(t) => t.hash(state),
                    JsonNumber::Float(f) => f.to_bits().hash(state),
                    JsonNumber::Double(d) => d.to_bits().hash(state),
                }
            }
            JsonNode::String(s) => s.hash(state),
            JsonNode::Array(items) => {
                items.len().hash(state);
                for i in items {
                    i.hash(state);
                }
            }
            JsonNode::Object(m) => {
                m.len().hash(state);
                for (k, v) in m {
                    k.hash(state);
                    v.hash(state);
                }
            }
        }
    }
}
