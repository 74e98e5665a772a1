//! Sluice's single-message transformations and predicates: every one that ships with Apache
//! Kafka (`org.apache.kafka.connect.transforms.*` and `….predicates.*`), with Java's behaviour
//! for schema'd and schemaless records, nulls, defaults and errors, plus the [`chain`] that
//! wires them from a connector's `transforms`/`predicates` configuration.
//!
//! Every `$Key`/`$Value` pair is one type parameterised by [`Side`].

pub mod cast;
pub mod chain;
pub mod extract_field;
pub mod field_path;
pub mod filter;
pub mod flatten;
pub mod headers;
pub mod hoist_field;
pub mod insert_field;
pub mod java_date;
pub mod java_regex;
pub mod mask_field;
pub mod predicates;
pub mod regex_router;
pub mod replace_field;
pub mod set_schema_metadata;
pub mod timestamp_converter;
pub mod timestamp_router;
pub mod util;
pub mod value_to_key;

#[cfg(test)]
mod tests;

use sluice_api::{Plugin, PluginFactory, Predicate, Transformation, SLUICE_VERSION};

pub use chain::{ChainError, PluginResolver, PluginsResolver, TransformChain};
pub use util::Side;

use cast::Cast;
use extract_field::ExtractField;
use filter::Filter;
use flatten::Flatten;
use headers::{DropHeaders, HeaderFrom, InsertHeader};
use hoist_field::HoistField;
use insert_field::InsertField;
use mask_field::MaskField;
use predicates::{HasHeaderKey, RecordIsTombstone, TopicNameMatches};
use regex_router::RegexRouter;
use replace_field::ReplaceField;
use set_schema_metadata::SetSchemaMetadata;
use timestamp_converter::TimestampConverter;
use timestamp_router::TimestampRouter;
use value_to_key::ValueToKey;

macro_rules! transformation {
    ($class:expr, $make:expr) => {
        Plugin {
            class: concat!("org.apache.kafka.connect.transforms.", $class),
            version: SLUICE_VERSION,
            factory: PluginFactory::Transformation(|| -> Box<dyn Transformation> {
                Box::new($make)
            }),
        }
    };
}

macro_rules! keyed {
    ($name:literal, $ty:ident) => {
        [
            transformation!(concat!($name, "$Key"), $ty::new(Side::Key)),
            transformation!(concat!($name, "$Value"), $ty::new(Side::Value)),
        ]
    };
}

macro_rules! predicate {
    ($class:literal, $make:expr) => {
        Plugin {
            class: concat!("org.apache.kafka.connect.transforms.predicates.", $class),
            version: SLUICE_VERSION,
            factory: PluginFactory::Predicate(|| -> Box<dyn Predicate> { Box::new($make) }),
        }
    };
}

/// Every plugin this crate provides, for the worker's registry: the transformations under their
/// Java class names (both `$Key` and `$Value` where Java has them) and the three predicates.
pub fn plugins() -> Vec<Plugin> {
    let mut out = Vec::with_capacity(32);
    out.extend(keyed!("Cast", Cast));
    out.extend(keyed!("ExtractField", ExtractField));
    out.extend(keyed!("Flatten", Flatten));
    out.extend(keyed!("HeaderFrom", HeaderFrom));
    out.extend(keyed!("HoistField", HoistField));
    out.extend(keyed!("InsertField", InsertField));
    out.extend(keyed!("MaskField", MaskField));
    out.extend(keyed!("ReplaceField", ReplaceField));
    out.extend(keyed!("SetSchemaMetadata", SetSchemaMetadata));
    out.extend(keyed!("TimestampConverter", TimestampConverter));
    out.push(transformation!("DropHeaders", DropHeaders::new()));
    out.push(transformation!("Filter", Filter::new()));
    out.push(transformation!("InsertHeader", InsertHeader::new()));
    out.push(transformation!("RegexRouter", RegexRouter::new()));
    out.push(transformation!("TimestampRouter", TimestampRouter::new()));
    out.push(transformation!("ValueToKey", ValueToKey::new()));
    out.push(predicate!("HasHeaderKey", HasHeaderKey::new()));
    out.push(predicate!("RecordIsTombstone", RecordIsTombstone::new()));
    out.push(predicate!("TopicNameMatches", TopicNameMatches::new()));
    out
}
