use sluice_api::{schemas, SchemaBuilder, Struct, Value};

use super::*;
use crate::replace_field::ReplaceField;
use crate::Side;

fn input() -> Value {
    map(vec![
        ("dont", Value::from("whatever")),
        ("abc", Value::Int32(42)),
        ("foo", Value::Boolean(true)),
        ("etc", Value::from("etc")),
    ])
}

#[test]
fn schemaless_exclude_include_rename() {
    let mut t = configured(
        ReplaceField::new(Side::Value),
        &[("exclude", "dont"), ("renames", "abc:xyz,foo:bar")],
    );
    let out = apply(&mut t, sink(None, input()));
    assert_eq!(
        out.value,
        map(vec![
            ("xyz", Value::Int32(42)),
            ("bar", Value::Boolean(true)),
            ("etc", Value::from("etc")),
        ])
    );
    let mut t = configured(
        ReplaceField::new(Side::Value),
        &[("include", "abc,foo,dont"), ("exclude", "dont")],
    );
    let out = apply(&mut t, sink(None, input()));
    assert_eq!(
        out.value,
        map(vec![
            ("abc", Value::Int32(42)),
            ("foo", Value::Boolean(true))
        ])
    );
}

#[test]
fn deprecated_blacklist_and_whitelist_apply_when_new_keys_absent() {
    let mut t = configured(ReplaceField::new(Side::Value), &[("blacklist", "dont,etc")]);
    let out = apply(&mut t, sink(None, input()));
    assert_eq!(
        out.value,
        map(vec![
            ("abc", Value::Int32(42)),
            ("foo", Value::Boolean(true))
        ])
    );
    let mut t = configured(ReplaceField::new(Side::Value), &[("whitelist", "abc")]);
    let out = apply(&mut t, sink(None, input()));
    assert_eq!(out.value, map(vec![("abc", Value::Int32(42))]));
    let mut t = configured(
        ReplaceField::new(Side::Value),
        &[("whitelist", "abc"), ("include", "foo")],
    );
    let out = apply(&mut t, sink(None, input()));
    assert_eq!(out.value, map(vec![("foo", Value::Boolean(true))]));
}

#[test]
fn schema_keeps_order_and_field_schemas_and_drops_optional() {
    let schema = SchemaBuilder::struct_()
        .name("n")
        .optional()
        .field("dont", schemas::string())
        .unwrap()
        .field("abc", schemas::int32())
        .unwrap()
        .field("foo", schemas::boolean())
        .unwrap()
        .build_ref();
    let mut value = Struct::new(schema.clone());
    value.put("dont", Value::from("x")).unwrap();
    value.put("abc", Value::Int32(42)).unwrap();
    value.put("foo", Value::Boolean(true)).unwrap();
    let mut t = configured(
        ReplaceField::new(Side::Value),
        &[("exclude", "dont"), ("renames", "abc:xyz,foo:bar")],
    );
    let out = apply(&mut t, sink(Some(schema), Value::Struct(value)));
    let s = out.value_schema.unwrap();
    assert_eq!(s.name.as_deref(), Some("n"));
    assert!(!s.optional);
    let names: Vec<_> = s.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["xyz", "bar"]);
    let v = out.value.as_struct().unwrap();
    assert_eq!(v.get("xyz").unwrap(), &Value::Int32(42));
    assert_eq!(v.get("bar").unwrap(), &Value::Boolean(true));
}

#[test]
fn tombstones_pass_and_bad_renames_fail() {
    let mut t = configured(ReplaceField::new(Side::Value), &[("exclude", "a")]);
    let record = sink(Some(schemas::optional_string()), Value::Null);
    assert_eq!(apply(&mut t, record.clone()), record);
    let msg = config_err(ReplaceField::new(Side::Value), &[("renames", "a:b:c")]);
    assert!(
        msg.contains("renames") && msg.ends_with("Invalid rename mapping: a:b:c"),
        "{msg}"
    );
    let msg = config_err(ReplaceField::new(Side::Value), &[("renames", "a")]);
    assert!(msg.ends_with("Invalid rename mapping: a"), "{msg}");
}

/// The schemaless replacement as a new map built entry by entry (`Map.put` into a new map):
/// what the in-place version must give.
fn replaced_into_new_map(
    entries: Vec<(Value, Value)>,
    keep: impl Fn(&str) -> bool,
    renames: &[(&str, &str)],
    keep_non_string: bool,
) -> Value {
    let mut out: Vec<(Value, Value)> = Vec::new();
    for (key, v) in entries {
        match key.as_str() {
            Some(name) if keep(name) => {
                let name = renames
                    .iter()
                    .find(|(old, _)| *old == name)
                    .map_or(name, |(_, new)| *new)
                    .to_string();
                match out.iter_mut().find(|(k, _)| k.as_str() == Some(&name)) {
                    Some((_, old)) => *old = v,
                    None => out.push((Value::String(name), v)),
                }
            }
            Some(_) => {}
            None if keep_non_string => out.push((key, v)),
            None => {}
        }
    }
    Value::Map(out)
}

/// A config entry, or a rename (old, new).
type Pair<'a> = (&'a str, &'a str);

#[test]
fn schemaless_renames_onto_existing_names_merge_as_map_put_does() {
    let entries = vec![
        (Value::from("a"), Value::Int32(1)),
        (Value::Int32(7), Value::from("int key")),
        (Value::from("b"), Value::Int32(2)),
        (Value::from("drop"), Value::Int32(3)),
        (Value::from("c"), Value::Int32(4)),
        (Value::Int32(7), Value::from("int key again")),
        (Value::from("d"), Value::Int32(5)),
        (Value::from("a"), Value::Int32(6)),
    ];
    let cases: [(&[Pair], &[Pair], bool); 5] = [
        // c onto a (earlier), a onto d (later): every merge direction.
        (
            &[("renames", "c:a,a:d"), ("exclude", "drop")],
            &[("c", "a"), ("a", "d")],
            true,
        ),
        (&[("renames", "a:b,b:a")], &[("a", "b"), ("b", "a")], true),
        (
            &[("include", "a,c,d"), ("renames", "d:c")],
            &[("d", "c")],
            false,
        ),
        (&[("exclude", "a,b,c,d,drop")], &[], true),
        (&[], &[], true),
    ];
    for (config, renames, keep_non_string) in cases {
        let mut t = configured(ReplaceField::new(Side::Value), config);
        let out = apply(&mut t, sink(None, Value::Map(entries.clone())));
        let include: Vec<&str> = config
            .iter()
            .filter(|(k, _)| *k == "include")
            .flat_map(|(_, v)| v.split(','))
            .collect();
        let exclude: Vec<&str> = config
            .iter()
            .filter(|(k, _)| *k == "exclude")
            .flat_map(|(_, v)| v.split(','))
            .collect();
        let keep = |name: &str| {
            !exclude.contains(&name) && (include.is_empty() || include.contains(&name))
        };
        assert_eq!(
            out.value,
            replaced_into_new_map(entries.clone(), keep, renames, keep_non_string),
            "{config:?}"
        );
    }
}

#[test]
fn schemaless_renames_names_of_any_length() {
    let long = "l".repeat(70);
    let longer = "l".repeat(80);
    let renames = format!("{long}:long,ab:x");
    let mut t = configured(ReplaceField::new(Side::Value), &[("renames", &renames)]);
    let out = apply(
        &mut t,
        sink(
            None,
            map(vec![
                (&long, Value::Int32(1)),
                (&longer, Value::Int32(2)),
                ("ab", Value::Int32(3)),
                ("cd", Value::Int32(4)),
            ]),
        ),
    );
    assert_eq!(
        out.value,
        map(vec![
            ("long", Value::Int32(1)),
            (&longer, Value::Int32(2)),
            ("x", Value::Int32(3)),
            ("cd", Value::Int32(4)),
        ])
    );
}
