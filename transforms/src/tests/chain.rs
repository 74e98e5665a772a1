use sluice_api::{ConnectError, PluginType, Value};

use super::*;
use crate::chain::{config_def, PluginResolver, PluginsResolver, TransformChain};

fn build(pairs: &[(&str, &str)]) -> Result<TransformChain, sluice_api::ConfigError> {
    TransformChain::from_config(&props(pairs), &PluginsResolver::builtin())
}

fn chain(pairs: &[(&str, &str)]) -> TransformChain {
    match build(pairs) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn stages_run_in_order_and_keep_the_record_kind() {
    let mut c = chain(&[
        ("transforms", "MakeMap, InsertSource"),
        (
            "transforms.MakeMap.type",
            "org.apache.kafka.connect.transforms.HoistField$Value",
        ),
        ("transforms.MakeMap.field", "line"),
        ("transforms.InsertSource.type", "InsertField$Value"),
        ("transforms.InsertSource.static.field", "data_source"),
        ("transforms.InsertSource.static.value", "test-file-source"),
    ]);
    assert_eq!(c.aliases().collect::<Vec<_>>(), ["MakeMap", "InsertSource"]);
    let out = c
        .apply(source(None, Value::from("hello")))
        .unwrap()
        .unwrap();
    assert_eq!(
        out.value,
        map(vec![
            ("line", Value::from("hello")),
            ("data_source", Value::from("test-file-source"))
        ])
    );
    assert!(!out.is_sink());
}

#[test]
fn predicates_and_negate_select_records_and_null_ends_the_chain() {
    let base = [
        ("transforms", "drop,route"),
        ("transforms.drop.type", "Filter"),
        ("transforms.drop.predicate", "isFoo"),
        ("transforms.route.type", "RegexRouter"),
        ("transforms.route.regex", "(.*)"),
        ("transforms.route.replacement", "routed-$1"),
        ("predicates", "isFoo"),
        (
            "predicates.isFoo.type",
            "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
        ),
        ("predicates.isFoo.pattern", "foo.*"),
    ];
    let mut c = chain(&base);
    let mut foo = sink(None, Value::Null);
    foo.topic = Some("foo1".to_string());
    assert_eq!(c.apply(foo.clone()).unwrap(), None);
    let out = c.apply(sink(None, Value::Null)).unwrap().unwrap();
    assert_eq!(out.topic_name(), "routed-test");

    let mut negated = base.to_vec();
    negated.push(("transforms.drop.negate", "true"));
    let mut c = chain(&negated);
    assert_eq!(c.apply(foo).unwrap().unwrap().topic_name(), "routed-foo1");
    assert_eq!(c.apply(sink(None, Value::Null)).unwrap(), None);
}

#[test]
fn stage_errors_name_the_alias_and_class() {
    let mut c = chain(&[
        ("transforms", "extract"),
        ("transforms.extract.type", "ExtractField$Value"),
        ("transforms.extract.field", "nope"),
    ]);
    let schema = sluice_api::SchemaBuilder::struct_().build_ref();
    let e = c
        .apply(sink(
            Some(schema.clone()),
            Value::Struct(sluice_api::Struct::new(schema)),
        ))
        .unwrap_err();
    assert_eq!(e.alias, "extract");
    assert_eq!(e.class, "ExtractField$Value");
    assert_eq!(
        e.source,
        ConnectError::IllegalArgument("Unknown field: nope".to_string())
    );
}

#[test]
fn config_errors_name_the_key() {
    let err = |pairs: &[(&str, &str)]| build(pairs).unwrap_err();
    let e = err(&[
        ("transforms", "a"),
        ("transforms.a.negate", "true"),
        ("transforms.a.type", "Filter"),
    ]);
    assert_eq!(
        e.message,
        "Config 'transforms.a.negate' was provided but there is no config 'transforms.a.predicate' defining a predicate to be negated."
    );
    let e = err(&[("transforms", "a")]);
    assert_eq!(e.key.as_deref(), Some("transforms.a.type"));
    assert_eq!(
        e.message,
        "Missing required configuration \"transforms.a.type\" which has no default value."
    );
    let e = err(&[
        ("transforms", "a"),
        ("transforms.a.type", "com.example.Nope"),
    ]);
    assert_eq!(
        e.message,
        "Invalid value com.example.Nope for configuration transforms.a.type: Class com.example.Nope could not be found."
    );
    let e = err(&[
        ("transforms", "a"),
        ("transforms.a.type", "HoistField$Value"),
    ]);
    assert_eq!(e.key.as_deref(), Some("transforms.a.field"));
    assert_eq!(
        e.message,
        "Missing required configuration \"transforms.a.field\" which has no default value."
    );
    let e = err(&[
        ("transforms", "a"),
        ("transforms.a.type", "InsertField$Value"),
    ]);
    assert_eq!(e.message, "No field insertion configured");
    let e = err(&[("transforms", "a,a")]);
    assert_eq!(
        e.message,
        "Invalid value [a, a] for configuration transforms: Duplicate alias provided."
    );
    let e = err(&[
        ("transforms", "a"),
        ("transforms.a.type", "Filter"),
        ("transforms.a.predicate", "p"),
    ]);
    assert_eq!(
        e.message,
        "Invalid value null for configuration predicates.p.type: Not a Predicate"
    );
    let e = err(&[
        ("transforms", "a"),
        ("transforms.a.type", "Filter"),
        ("transforms.a.predicate", "p"),
        ("transforms.a.negate", "maybe"),
        ("predicates.p.type", "RecordIsTombstone"),
    ]);
    assert_eq!(
        e.message,
        "Invalid value maybe for configuration transforms.a.negate: Expected value to be either true or false"
    );
    let e = err(&[
        ("predicates", "p"),
        ("predicates.p.type", "TopicNameMatches"),
    ]);
    assert_eq!(
        e.message,
        "Missing required configuration \"predicates.p.pattern\" which has no default value."
    );
}

#[test]
fn an_empty_config_is_an_empty_chain() {
    let mut c = chain(&[]);
    assert!(c.is_empty());
    let r = sink(None, Value::Int32(1));
    assert_eq!(c.apply(r.clone()).unwrap(), Some(r));
}

#[test]
fn config_def_lists_the_keys_the_chain_contributes() {
    let p = props(&[
        ("transforms", "a,b"),
        ("transforms.a.type", "Cast$Value"),
        ("transforms.b.type", "Nope"),
        ("predicates", "p"),
        ("predicates.p.type", "HasHeaderKey"),
    ]);
    let def = config_def(&p, &PluginsResolver::builtin());
    for key in [
        "transforms",
        "predicates",
        "transforms.a.type",
        "transforms.a.predicate",
        "transforms.a.negate",
        "transforms.a.spec",
        "transforms.a.replace.null.with.default",
        "transforms.b.type",
        "predicates.p.type",
        "predicates.p.name",
    ] {
        assert!(def.key(key).is_some(), "missing {key}");
    }
    let results = def.validate(&p);
    let errors = |k: &str| results.iter().find(|r| r.name == k).unwrap().errors.clone();
    assert_eq!(
        errors("transforms.a.spec"),
        ["Missing required configuration \"transforms.a.spec\" which has no default value."]
    );
    assert_eq!(
        errors("transforms.b.type"),
        ["Invalid value Nope for configuration transforms.b.type: Class Nope could not be found."]
    );
    assert!(errors("transforms.a.type").is_empty());
    assert_eq!(errors("predicates.p.name").len(), 1);
}

#[test]
fn every_plugin_is_listed_resolvable_and_documented() {
    let plugins = crate::plugins();
    assert_eq!(plugins.len(), 29);
    let resolver = PluginsResolver::builtin();
    for p in &plugins {
        let simple = p.class.rsplit('.').next().unwrap();
        match p.factory.plugin_type() {
            PluginType::Transformation => {
                assert!(p.class.starts_with("org.apache.kafka.connect.transforms."));
                let t = resolver.transformation(simple).unwrap();
                for key in t.config_def().keys() {
                    assert!(!key.documentation.is_empty(), "{} {}", p.class, key.name);
                }
            }
            PluginType::Predicate => {
                assert!(p
                    .class
                    .starts_with("org.apache.kafka.connect.transforms.predicates."));
                assert!(resolver.predicate(simple).is_some());
                assert!(resolver.transformation(simple).is_none());
            }
            other => panic!("unexpected plugin type {other:?}"),
        }
    }
    for class in [
        "org.apache.kafka.connect.transforms.InsertField$Key",
        "org.apache.kafka.connect.transforms.TimestampConverter$Value",
        "org.apache.kafka.connect.transforms.ValueToKey",
        "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone",
    ] {
        assert!(plugins.iter().any(|p| p.class == class), "{class}");
    }
}
