//! Record headers: an ordered list in which keys may repeat (`ConnectHeaders`).

use crate::schema::SchemaRef;
use crate::value::Value;

/// One header: key, optional schema and value.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// Header key.
    pub key: String,
    /// Schema of the value; `None` for schemaless.
    pub schema: Option<SchemaRef>,
    /// The value.
    pub value: Value,
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
