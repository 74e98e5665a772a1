//! Record headers: an ordered list in which keys may repeat (`ConnectHeaders`).

use crate::schema::SchemaRef;
use crate::value::Value;

/// One header: key, optional schema and value.
///
/// Equality compares the key, [`Header::schema`] and the value, as Java's `ConnectHeader` does.
#[derive(Debug, Clone)]
pub struct Header {
    /// Header key.
    pub key: String,
    /// Schema of the value; `None` for schemaless.
    pub schema: Option<SchemaRef>,
    /// The value.
    pub value: Value,
}

impl Header {
    /// The header's schema as Java's `Header.schema()` reports it: the stored schema, or, for a
    /// header added without one that holds a Struct, the Struct's own schema.
    pub fn schema(&self) -> Option<&SchemaRef> {
        match (&self.schema, &self.value) {
            (Some(s), _) => Some(s),
            (None, Value::Struct(s)) => Some(s.schema()),
            (None, _) => None,
        }
    }
}

impl PartialEq for Header {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key && self.schema() == other.schema() && self.value == other.value
    }
}

/// Ordered headers; `add` appends and never replaces.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Headers(Vec<Header>);

impl Headers {
    /// No headers.
    pub fn new() -> Self {
        Headers(Vec::new())
    }
    /// Appends a header.
    pub fn add(&mut self, key: impl Into<String>, schema: Option<SchemaRef>, value: Value) {
        self.0.push(Header {
            key: key.into(),
            schema,
            value,
        });
    }
    /// Appends a header value.
    pub fn push(&mut self, header: Header) {
        self.0.push(header);
    }
    /// The last header with this key (`lastWithName`).
    pub fn last_with_name(&self, key: &str) -> Option<&Header> {
        self.0.iter().rev().find(|h| h.key == key)
    }
    /// Every header with this key, in order.
    pub fn all_with_name<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a Header> + 'a {
        self.0.iter().filter(move |h| h.key == key)
    }
    /// Removes every header with this key (`remove`).
    pub fn remove(&mut self, key: &str) {
        self.0.retain(|h| h.key != key);
    }
    /// Keeps only the headers for which `f` is true.
    pub fn retain(&mut self, f: impl FnMut(&Header) -> bool) {
        self.0.retain(f);
    }
    /// Iterates in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Header> {
        self.0.iter()
    }
    /// Number of headers.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Vec<Header>> for Headers {
    fn from(v: Vec<Header>) -> Self {
        Headers(v)
    }
}

impl IntoIterator for Headers {
    type Item = Header;
    type IntoIter = std::vec::IntoIter<Header>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Headers {
    type Item = &'a Header;
    type IntoIter = std::slice::Iter<'a, Header>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::SchemaBuilder;
    use crate::value::Struct;

    fn point() -> Struct {
        let schema = SchemaBuilder::struct_()
            .field("x", SchemaBuilder::int32().build_ref())
            .expect("a struct builder takes fields")
            .build_ref();
        let mut s = Struct::new(schema);
        s.put("x", Value::Int32(1)).expect("x is an int32 field");
        s
    }

    #[test]
    fn a_schemaless_struct_header_reports_the_structs_schema() {
        let s = point();
        let mut headers = Headers::new();
        headers.add("p", None, Value::Struct(s.clone()));
        headers.add("n", None, Value::Int32(3));
        let p = headers.last_with_name("p").expect("added");
        assert_eq!(p.schema(), Some(s.schema()));
        assert!(p.schema.is_none(), "the stored schema stays as given");
        assert_eq!(headers.last_with_name("n").expect("added").schema(), None);
    }

    #[test]
    fn equality_uses_the_reported_schema() {
        let s = point();
        let without = Header {
            key: "p".into(),
            schema: None,
            value: Value::Struct(s.clone()),
        };
        let with = Header {
            key: "p".into(),
            schema: Some(s.schema().clone()),
            value: Value::Struct(s),
        };
        assert_eq!(without, with);
    }
}
