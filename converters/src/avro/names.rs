//! The names and property keys of Confluent's `AvroData`.

/// Namespace of the converter's own Avro types.
pub const NAMESPACE: &str = "io.confluent.connect.avro";
/// Simple name of unnamed structs (`ConnectDefault`, `ConnectDefault2`, …).
pub const DEFAULT_SCHEMA_NAME: &str = "ConnectDefault";
/// Full name of the first unnamed struct.
pub const DEFAULT_SCHEMA_FULL_NAME: &str = "io.confluent.connect.avro.ConnectDefault";
/// Record name of the entries of a map whose keys are not required strings.
pub const MAP_ENTRY_TYPE_NAME: &str = "MapEntry";
/// Key field of a map entry.
pub const KEY_FIELD: &str = "key";
/// Value field of a map entry.
pub const VALUE_FIELD: &str = "value";
/// `connect.name`.
pub const CONNECT_NAME_PROP: &str = "connect.name";
/// `connect.doc`.
pub const CONNECT_DOC_PROP: &str = "connect.doc";
/// `connect.version`.
pub const CONNECT_VERSION_PROP: &str = "connect.version";
/// `connect.default`.
pub const CONNECT_DEFAULT_VALUE_PROP: &str = "connect.default";
/// `connect.parameters`.
pub const CONNECT_PARAMETERS_PROP: &str = "connect.parameters";
/// `connect.internal.type`.
pub const CONNECT_INTERNAL_TYPE_NAME: &str = "connect.internal.type";
/// `connect.type` (`int8`/`int16` on an Avro `int`).
pub const CONNECT_TYPE_PROP: &str = "connect.type";
/// Struct parameter holding the Avro record doc.
pub const AVRO_RECORD_DOC_PROP: &str = "io.confluent.connect.avro.record.doc";
/// Prefix of the struct parameters holding Avro field docs.
pub const AVRO_FIELD_DOC_PREFIX_PROP: &str = "io.confluent.connect.avro.field.doc.";
/// Parameter marking a default that came from an Avro field default.
pub const AVRO_FIELD_DEFAULT_FLAG_PROP: &str = "io.confluent.connect.avro.field.default";
/// Prefix of the enum doc parameter.
pub const AVRO_ENUM_DOC_PREFIX_PROP: &str = "io.confluent.connect.avro.enum.doc.";
/// Prefix of the enum default parameter.
pub const AVRO_ENUM_DEFAULT_PREFIX_PROP: &str = "io.confluent.connect.avro.enum.default.";
/// Name of the struct standing for an Avro union.
pub const AVRO_TYPE_UNION: &str = "io.confluent.connect.avro.Union";
/// Parameter naming an Avro enum on a STRING schema.
pub const AVRO_TYPE_ENUM: &str = "io.confluent.connect.avro.Enum";
/// Name of the record of schemaless data.
pub const AVRO_TYPE_ANYTHING: &str = "io.confluent.connect.avro.Anything";
/// Parameters starting with this are copied as raw Avro properties.
pub const AVRO_PROP: &str = "avro";
/// `logicalType`.
pub const LOGICAL_TYPE_PROP: &str = "logicalType";
/// Decimal `scale`.
pub const SCALE_PROP: &str = "scale";
/// Decimal `precision`.
pub const PRECISION_PROP: &str = "precision";
/// `connect.fixed.size`.
pub const CONNECT_AVRO_FIXED_SIZE_PROP: &str = "connect.fixed.size";
/// `connect.decimal.precision`.
pub const CONNECT_AVRO_DECIMAL_PRECISION_PROP: &str = "connect.decimal.precision";
/// The precision of a Decimal without `connect.decimal.precision`.
pub const DECIMAL_PRECISION_DEFAULT: i32 = 64;
