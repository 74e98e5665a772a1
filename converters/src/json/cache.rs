//! The two schema caches of a JsonConverter (`schemas.cache.size` entries each, least recently
//! used evicted first), as Java keeps them.

use std::hash::{Hash, Hasher};
use std::num::NonZeroUsize;
use std::sync::Arc;

use lru::LruCache;
use sluice_api::{Schema, SchemaRef};

use super::node::JsonNode;

/// A schema as a cache key: equal when the schemas are equal (`ConnectSchema.equals`), hashed on
/// the attributes that equality compares (the default value aside, which only widens buckets).
#[derive(Debug, Clone)]
pub struct SchemaKey(pub SchemaRef);

impl PartialEq for SchemaKey {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

impl Eq for SchemaKey {}

impl Hash for SchemaKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_schema(&self.0, state);
    }
}

fn hash_schema<H: Hasher>(s: &Schema, state: &mut H) {
    s.schema_type.hash(state);
    s.optional.hash(state);
    s.name.hash(state);
    s.version.hash(state);
    s.doc.hash(state);
    if let Some(p) = &s.parameters {
        // Parameters compare as maps (order-insensitive): hash them order-insensitively.
        let mut sum: u64 = 0;
        for (k, v) in p {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            k.hash(&mut h);
            v.hash(&mut h);
            sum = sum.wrapping_add(h.finish());
        }
        sum.hash(state);
    }
    s.fields.len().hash(state);
    for f in &s.fields {
        f.name.hash(state);
        hash_schema(&f.schema, state);
    }
    if let Some(k) = &s.key_schema {
        hash_schema(k, state);
    }
    if let Some(v) = &s.value_schema {
        hash_schema(v, state);
    }
}

/// An optional LRU: disabled when the configured size is zero or negative.
pub struct Lru<K: Hash + Eq, V: Clone>(Option<LruCache<K, V>>);

impl<K: Hash + Eq, V: Clone> Lru<K, V> {
    /// A cache of `size` entries.
    pub fn new(size: i32) -> Self {
        Lru(usize::try_from(size)
            .ok()
            .and_then(NonZeroUsize::new)
            .map(LruCache::new))
    }
    /// A cached value, marking it recently used.
    pub fn get(&mut self, key: &K) -> Option<V> {
        self.0.as_mut()?.get(key).cloned()
    }
    /// Caches a value.
    pub fn put(&mut self, key: K, value: V) {
        if let Some(c) = self.0.as_mut() {
            c.put(key, value);
        }
    }
    /// Number of cached entries.
    pub fn len(&self) -> usize {
        self.0.as_ref().map_or(0, LruCache::len)
    }
}

/// Connect schema → JSON schema.
pub type FromConnectCache = Lru<SchemaKey, Arc<JsonNode>>;
/// JSON schema → Connect schema.
pub type ToConnectCache = Lru<JsonNode, SchemaRef>;
