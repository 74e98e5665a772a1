//! The SQL Confluent's `PostgreSqlDatabaseDialect` writes for the sink: INSERT, upsert
//! (`ON CONFLICT`), UPDATE, DELETE, CREATE TABLE and ALTER TABLE, the Connect → PostgreSQL
//! column types and the DEFAULT literals.
//!
//! Statements are rendered with JDBC's `?` placeholders ([`Placeholders::Question`], the text
//! Confluent's tests assert) or with PostgreSQL's numbered `$n` ([`Placeholders::Numbered`],
//! what is executed); multi-row INSERTs repeat the `VALUES` tuple.

use std::collections::BTreeSet;

use chrono::DateTime;
use sluice_api::logical::{DATE_NAME, DECIMAL_NAME, TIMESTAMP_NAME, TIME_NAME};
use sluice_api::{Schema, Type, Value};

use super::fields::SinkField;
use super::structure::TableDefinition;
use crate::jdbc::identifier::{QuoteMode, TableId};

/// How statement parameters are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholders {
    /// `?` (JDBC; Confluent's statement text).
    Question,
    /// `$1`, `$2`, … (PostgreSQL's protocol).
    Numbered,
}

/// The PostgreSQL types that need a cast suffix on their placeholder (`?::uuid`).
const CAST_TYPES: [&str; 3] = ["json", "jsonb", "uuid"];

/// The zones DEFAULT literals of temporal fields are written in, as offsets in seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LiteralOffsets {
    /// For Date (`date.timezone`).
    pub date: i32,
    /// For Time and Timestamp (`db.timezone`).
    pub time: i32,
}

/// The PostgreSQL dialect, configured.
#[derive(Debug, Clone)]
pub struct Dialect {
    /// `quote.sql.identifiers`.
    pub quote: QuoteMode,
    /// `timestamp.fields.list`: INT64/STRING fields created as TIMESTAMP.
    pub timestamp_fields: BTreeSet<String>,
}

struct Params {
    style: Placeholders,
    next: usize,
}

impl Params {
    fn new(style: Placeholders) -> Params {
        Params { style, next: 0 }
    }
    fn next(&mut self) -> String {
        self.next += 1;
        match self.style {
            Placeholders::Question => "?".to_string(),
            Placeholders::Numbered => format!("${}", self.next),
        }
    }
}

impl Dialect {
    /// A dialect quoting per `quote`.
    pub fn new(quote: QuoteMode, timestamp_fields: BTreeSet<String>) -> Dialect {
        Dialect {
            quote,
            timestamp_fields,
        }
    }

    fn col(&self, name: &str) -> String {
        self.quote.quote(name)
    }

    fn table(&self, t: &TableId) -> String {
        t.render(self.quote)
    }

    /// `valueTypeCast`: `::uuid`, `::json` or `::jsonb` for such existing columns, else "".
    pub fn value_type_cast(defn: Option<&TableDefinition>, column: &str) -> String {
        defn.and_then(|d| d.column(column))
            .map(|c| c.type_name.to_ascii_lowercase())
            .filter(|t| CAST_TYPES.contains(&t.as_str()))
            .map(|t| format!("::{t}"))
            .unwrap_or_default()
    }

    fn values_rows(
        &self,
        columns: &[&str],
        defn: Option<&TableDefinition>,
        rows: usize,
        style: Placeholders,
    ) -> String {
        let casts: Vec<String> = columns
            .iter()
            .map(|c| Self::value_type_cast(defn, c))
            .collect();
        let mut params = Params::new(style);
        let mut out = String::new();
        for r in 0..rows.max(1) {
            if r > 0 {
                out.push(',');
            }
            out.push('(');
            for (i, cast) in casts.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&params.next());
                out.push_str(cast);
            }
            out.push(')');
        }
        out
    }

    fn column_list<'a>(&self, cols: impl Iterator<Item = &'a str>, sep: &str) -> String {
        cols.map(|c| self.col(c)).collect::<Vec<_>>().join(sep)
    }

    /// `buildInsertStatement`, with `rows` value tuples.
    pub fn insert(
        &self,
        table: &TableId,
        keys: &[String],
        non_keys: &[String],
        defn: Option<&TableDefinition>,
        rows: usize,
        style: Placeholders,
    ) -> String {
        let cols: Vec<&str> = keys.iter().chain(non_keys).map(String::as_str).collect();
        format!(
            "INSERT INTO {} ({}) VALUES {}",
            self.table(table),
            self.column_list(cols.iter().copied(), ","),
            self.values_rows(&cols, defn, rows, style)
        )
    }

    /// `buildUpsertQueryStatement`: `INSERT … ON CONFLICT (keys) DO UPDATE SET c=EXCLUDED.c`,
    /// or `DO NOTHING` without non-key columns.
    pub fn upsert(
        &self,
        table: &TableId,
        keys: &[String],
        non_keys: &[String],
        defn: Option<&TableDefinition>,
        rows: usize,
        style: Placeholders,
    ) -> String {
        let mut sql = self.insert(table, keys, non_keys, defn, rows, style);
        sql.push_str(" ON CONFLICT (");
        sql.push_str(&self.column_list(keys.iter().map(String::as_str), ","));
        if non_keys.is_empty() {
            sql.push_str(") DO NOTHING");
        } else {
            sql.push_str(") DO UPDATE SET ");
            let sets: Vec<String> = non_keys
                .iter()
                .map(|c| format!("{}=EXCLUDED.{}", self.col(c), self.col(c)))
                .collect();
            sql.push_str(&sets.join(","));
        }
        sql
    }

    /// `buildUpdateStatement`: non-key assignments (with casts), then the key conditions.
    pub fn update(
        &self,
        table: &TableId,
        keys: &[String],
        non_keys: &[String],
        defn: Option<&TableDefinition>,
        style: Placeholders,
    ) -> String {
        let mut params = Params::new(style);
        let sets: Vec<String> = non_keys
            .iter()
            .map(|c| {
                format!(
                    "{} = {}{}",
                    self.col(c),
                    params.next(),
                    Self::value_type_cast(defn, c)
                )
            })
            .collect();
        let mut sql = format!("UPDATE {} SET {}", self.table(table), sets.join(", "));
        self.push_key_conditions(&mut sql, keys, &mut params);
        sql
    }

    /// ` WHERE "k1" = ? AND "k2" = ?` for UPDATE and DELETE (nothing without keys).
    fn push_key_conditions(&self, sql: &mut String, keys: &[String], params: &mut Params) {
        if keys.is_empty() {
            return;
        }
        let conds: Vec<String> = keys
            .iter()
            .map(|c| format!("{} = {}", self.col(c), params.next()))
            .collect();
        sql.push_str(" WHERE ");
        sql.push_str(&conds.join(" AND "));
    }

    /// `buildDeleteStatement`.
    pub fn delete(&self, table: &TableId, keys: &[String], style: Placeholders) -> String {
        let mut params = Params::new(style);
        let mut sql = format!("DELETE FROM {}", self.table(table));
        self.push_key_conditions(&mut sql, keys, &mut params);
        sql
    }

    /// `buildCreateTableStatement`.
    pub fn create_table(
        &self,
        table: &TableId,
        fields: &[SinkField],
        offsets: LiteralOffsets,
    ) -> Result<String, String> {
        let specs: Vec<String> = fields
            .iter()
            .map(|f| Ok(format!("\n{}", self.column_spec(f, offsets)?)))
            .collect::<Result<_, String>>()?;
        let mut sql = format!("CREATE TABLE {} ({}", self.table(table), specs.join(","));
        let pks: Vec<&str> = fields
            .iter()
            .filter(|f| f.is_pk)
            .map(|f| f.name.as_str())
            .collect();
        if !pks.is_empty() {
            sql.push_str(",\nPRIMARY KEY(");
            sql.push_str(&self.column_list(pks.into_iter(), ","));
            sql.push(')');
        }
        sql.push(')');
        Ok(sql)
    }

    /// `buildAlterTable`: one statement adding every field (one per line when several).
    pub fn alter_table(
        &self,
        table: &TableId,
        fields: &[&SinkField],
        offsets: LiteralOffsets,
    ) -> Result<String, String> {
        let newlines = fields.len() > 1;
        let items: Vec<String> = fields
            .iter()
            .map(|f| {
                Ok(format!(
                    "{}ADD {}",
                    if newlines { "\n" } else { "" },
                    self.column_spec(f, offsets)?
                ))
            })
            .collect::<Result<_, String>>()?;
        Ok(format!(
            "ALTER TABLE {} {}",
            self.table(table),
            items.join(",")
        ))
    }

    /// `writeColumnSpec`: name, type, then `DEFAULT <literal>`, ` NULL` or ` NOT NULL`.
    pub fn column_spec(&self, f: &SinkField, offsets: LiteralOffsets) -> Result<String, String> {
        let mut s = format!(
            "{} {}",
            self.col(&f.name),
            self.sql_type(&f.name, &f.schema)?
        );
        if let Some(d) = &f.schema.default {
            s.push_str(" DEFAULT ");
            s.push_str(&format_literal(&f.schema, d, offsets)?);
        } else if f.is_optional() {
            s.push_str(" NULL");
        } else {
            s.push_str(" NOT NULL");
        }
        Ok(s)
    }

    /// `getSqlType`: the PostgreSQL column type of a field.
    pub fn sql_type(&self, name: &str, schema: &Schema) -> Result<String, String> {
        match schema.name.as_deref() {
            Some(DECIMAL_NAME) => return Ok("DECIMAL".into()),
            Some(DATE_NAME) => return Ok("DATE".into()),
            Some(TIME_NAME) => return Ok("TIME".into()),
            Some(TIMESTAMP_NAME) => return Ok("TIMESTAMP".into()),
            _ => {}
        }
        let timestamp = self.timestamp_fields.contains(name);
        Ok(match schema.schema_type {
            Type::Int8 | Type::Int16 => "SMALLINT".into(),
            Type::Int32 => "INT".into(),
            Type::Int64 if timestamp => "TIMESTAMP".into(),
            Type::Int64 => "BIGINT".into(),
            Type::Float32 => "REAL".into(),
            Type::Float64 => "DOUBLE PRECISION".into(),
            Type::Boolean => "BOOLEAN".into(),
            Type::String if timestamp => "TIMESTAMP".into(),
            Type::String => "TEXT".into(),
            Type::Bytes => "BYTEA".into(),
            Type::Array => match &schema.value_schema {
                Some(elem) => format!("{}[]", self.sql_type(name, elem)?),
                None => return Err(no_mapping(schema)),
            },
            Type::Map | Type::Struct => return Err(no_mapping(schema)),
        })
    }
}

fn no_mapping(schema: &Schema) -> String {
    format!(
        "{} ({}) type doesn't have a mapping to the SQL database column type",
        schema.name.as_deref().unwrap_or("null"),
        schema.schema_type
    )
}

fn local(ms: i64, offset_secs: i32) -> Result<chrono::NaiveDateTime, String> {
    DateTime::from_timestamp_millis(ms + i64::from(offset_secs) * 1000)
        .map(|d| d.naive_utc())
        .ok_or_else(|| format!("Timestamp out of range: {ms}"))
}

/// `formatColumnValue` of the PostgreSQL dialect: the DEFAULT literal of a value.
pub fn format_literal(
    schema: &Schema,
    value: &Value,
    offsets: LiteralOffsets,
) -> Result<String, String> {
    match (schema.name.as_deref(), value) {
        (Some(DECIMAL_NAME), Value::Decimal(d)) => return Ok(d.to_string()),
        (Some(DATE_NAME), Value::Date(ms)) => {
            return Ok(format!(
                "'{}'",
                local(*ms, offsets.date)?.format("%Y-%m-%d")
            ))
        }
        (Some(TIME_NAME), Value::Date(ms)) => {
            return Ok(format!(
                "'{}'",
                local(*ms, offsets.time)?.format("%H:%M:%S%.3f")
            ))
        }
        (Some(TIMESTAMP_NAME), Value::Date(ms)) => {
            return Ok(format!(
                "'{}'",
                local(*ms, offsets.time)?.format("%Y-%m-%d %H:%M:%S%.3f")
            ))
        }
        _ => {}
    }
    Ok(match value {
        Value::Int8(v) => v.to_string(),
        Value::Int16(v) => v.to_string(),
        Value::Int32(v) => v.to_string(),
        Value::Int64(v) => v.to_string(),
        Value::Float32(v) => format!("{v:?}"),
        Value::Float64(v) => format!("{v:?}"),
        Value::Boolean(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Value::String(s) => format!("'{s}'"),
        Value::Bytes(b) => {
            let hex: String = b.iter().map(|x| format!("{x:02X}")).collect();
            format!("x'{hex}'")
        }
        Value::Array(items) => {
            let parts: Vec<String> = items
                .iter()
                .map(|i| match i {
                    Value::Null => Ok("NULL".to_string()),
                    Value::String(s) => Ok(format!("'{}'", s.replace('\'', "''"))),
                    Value::Boolean(b) => Ok(if *b { "TRUE" } else { "FALSE" }.to_string()),
                    Value::Int8(_)
                    | Value::Int16(_)
                    | Value::Int32(_)
                    | Value::Int64(_)
                    | Value::Float32(_)
                    | Value::Float64(_)
                    | Value::Decimal(_) => format_literal(&Schema::of(Type::Int64), i, offsets),
                    other => Err(format!(
                        "Unsupported type for array item: {}",
                        other.java_class()
                    )),
                })
                .collect::<Result<_, String>>()?;
            format!("ARRAY[{}]", parts.join(","))
        }
        Value::Null => "NULL".to_string(),
        _ => {
            return Err(format!(
                "Unsupported type for column value: {}",
                schema.schema_type
            ))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jdbc::sink::config::TableType;
    use crate::jdbc::sink::structure::ColumnDefinition;
    use sluice_api::{logical, schemas, SchemaBuilder, SchemaRef};
    use std::sync::Arc;

    fn dialect(quote: QuoteMode) -> Dialect {
        Dialect::new(quote, BTreeSet::new())
    }

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    fn table() -> TableId {
        TableId::new(None, "myTable")
    }

    fn defn_with_uuid() -> TableDefinition {
        let col = |n: &str, t: &str| ColumnDefinition {
            name: n.to_string(),
            type_name: t.to_string(),
            nullable: true,
        };
        TableDefinition {
            id: table(),
            table_type: TableType::Table,
            columns: vec![
                col("id1", "int4"),
                col("id2", "int4"),
                col("columnA", "varchar"),
                col("uuidColumn", "uuid"),
                col("dateColumn", "date"),
            ],
        }
    }

    #[test]
    fn should_build_insert_statement() {
        let d = dialect(QuoteMode::Always);
        let keys = names(&["id1", "id2"]);
        let non_keys = names(&["columnA", "columnB", "columnC", "columnD"]);
        let q = Placeholders::Question;
        assert_eq!(
            d.insert(&table(), &keys, &non_keys, None, 1, q),
            "INSERT INTO \"myTable\" (\"id1\",\"id2\",\"columnA\",\"columnB\",\"columnC\",\"columnD\") VALUES (?,?,?,?,?,?)"
        );
        let never = dialect(QuoteMode::Never);
        assert_eq!(
            never.insert(&table(), &keys, &non_keys, None, 1, q),
            "INSERT INTO myTable (id1,id2,columnA,columnB,columnC,columnD) VALUES (?,?,?,?,?,?)"
        );
        let cols = names(&["columnA", "uuidColumn", "dateColumn"]);
        assert_eq!(
            never.insert(&table(), &keys, &cols, Some(&defn_with_uuid()), 1, q),
            "INSERT INTO myTable (id1,id2,columnA,uuidColumn,dateColumn) VALUES (?,?,?,?::uuid,?)"
        );
        // The executed form: numbered placeholders, several rows.
        assert_eq!(
            never.insert(
                &table(),
                &keys,
                &cols,
                Some(&defn_with_uuid()),
                2,
                Placeholders::Numbered
            ),
            "INSERT INTO myTable (id1,id2,columnA,uuidColumn,dateColumn) VALUES \
             ($1,$2,$3,$4::uuid,$5),($6,$7,$8,$9::uuid,$10)"
        );
    }

    #[test]
    fn should_build_upsert_statement() {
        let d = dialect(QuoteMode::Always);
        let q = Placeholders::Question;
        assert_eq!(
            d.upsert(
                &table(),
                &names(&["id1", "id2"]),
                &names(&["columnA", "columnB", "columnC", "columnD"]),
                None,
                1,
                q
            ),
            "INSERT INTO \"myTable\" (\"id1\",\"id2\",\"columnA\",\"columnB\",\"columnC\",\"columnD\") \
             VALUES (?,?,?,?,?,?) ON CONFLICT (\"id1\",\"id2\") DO UPDATE SET \
             \"columnA\"=EXCLUDED.\"columnA\",\"columnB\"=EXCLUDED.\"columnB\",\
             \"columnC\"=EXCLUDED.\"columnC\",\"columnD\"=EXCLUDED.\"columnD\""
        );
        let customer = TableId::new(None, "Customer");
        assert_eq!(
            d.upsert(
                &customer,
                &names(&["id", "name", "salary", "address"]),
                &[],
                None,
                1,
                q
            ),
            "INSERT INTO \"Customer\" (\"id\",\"name\",\"salary\",\"address\") VALUES (?,?,?,?) \
             ON CONFLICT (\"id\",\"name\",\"salary\",\"address\") DO NOTHING"
        );
        let never = dialect(QuoteMode::Never);
        assert_eq!(
            never.upsert(
                &table(),
                &names(&["id1", "id2"]),
                &names(&["columnA", "uuidColumn", "dateColumn"]),
                Some(&defn_with_uuid()),
                1,
                q
            ),
            "INSERT INTO myTable (id1,id2,columnA,uuidColumn,dateColumn) VALUES (?,?,?,?::uuid,?) \
             ON CONFLICT (id1,id2) DO UPDATE SET columnA=EXCLUDED.columnA,\
             uuidColumn=EXCLUDED.uuidColumn,dateColumn=EXCLUDED.dateColumn"
        );
    }

    #[test]
    fn should_build_update_and_delete_statements() {
        let d = dialect(QuoteMode::Always);
        let keys = names(&["id1", "id2"]);
        let non_keys = names(&["columnA", "columnB", "columnC", "columnD"]);
        assert_eq!(
            d.update(&table(), &keys, &non_keys, None, Placeholders::Question),
            "UPDATE \"myTable\" SET \"columnA\" = ?, \"columnB\" = ?, \"columnC\" = ?, \
             \"columnD\" = ? WHERE \"id1\" = ? AND \"id2\" = ?"
        );
        assert_eq!(
            d.update(
                &table(),
                &keys,
                &names(&["uuidColumn"]),
                Some(&defn_with_uuid()),
                Placeholders::Numbered
            ),
            "UPDATE \"myTable\" SET \"uuidColumn\" = $1::uuid WHERE \"id1\" = $2 AND \"id2\" = $3"
        );
        assert_eq!(
            d.delete(&table(), &keys, Placeholders::Question),
            "DELETE FROM \"myTable\" WHERE \"id1\" = ? AND \"id2\" = ?"
        );
        assert_eq!(
            dialect(QuoteMode::Never).delete(&table(), &keys, Placeholders::Numbered),
            "DELETE FROM myTable WHERE id1 = $1 AND id2 = $2"
        );
    }

    #[test]
    fn value_type_casts() {
        let defn = defn_with_uuid();
        assert_eq!(Dialect::value_type_cast(Some(&defn), "id1"), "");
        assert_eq!(
            Dialect::value_type_cast(Some(&defn), "uuidColumn"),
            "::uuid"
        );
        assert_eq!(Dialect::value_type_cast(Some(&defn), "dateColumn"), "");
        assert_eq!(Dialect::value_type_cast(None, "uuidColumn"), "");
    }

    fn field(name: &str, schema: SchemaRef, pk: bool) -> SinkField {
        SinkField {
            name: name.into(),
            schema,
            is_pk: pk,
        }
    }

    /// The fields of `BaseDialectTest.sinkRecordFields` (2001-03-15 as the temporal defaults).
    fn sample_fields() -> Vec<SinkField> {
        let day = 11_396i64 * 86_400_000;
        vec![
            field("c1", schemas::int32(), true),
            field("c2", schemas::int64(), false),
            field("c3", schemas::string(), false),
            field("c4", schemas::optional_string(), false),
            field(
                "c5",
                logical::date()
                    .default_value(Value::Date(day))
                    .unwrap()
                    .build_ref(),
                false,
            ),
            field(
                "c6",
                logical::time()
                    .default_value(Value::Date(0))
                    .unwrap()
                    .build_ref(),
                false,
            ),
            field(
                "c7",
                logical::timestamp()
                    .default_value(Value::Date(day))
                    .unwrap()
                    .build_ref(),
                false,
            ),
            field("c8", logical::decimal(4).optional().build_ref(), false),
            field(
                "c9",
                SchemaBuilder::boolean()
                    .default_value(Value::Boolean(true))
                    .unwrap()
                    .build_ref(),
                false,
            ),
        ]
    }

    #[test]
    fn should_build_create_query_statement() {
        let d = dialect(QuoteMode::Always);
        assert_eq!(
            d.create_table(&table(), &sample_fields(), LiteralOffsets::default())
                .unwrap(),
            "CREATE TABLE \"myTable\" (\n\"c1\" INT NOT NULL,\n\"c2\" BIGINT NOT NULL,\n\
             \"c3\" TEXT NOT NULL,\n\"c4\" TEXT NULL,\n\"c5\" DATE DEFAULT '2001-03-15',\n\
             \"c6\" TIME DEFAULT '00:00:00.000',\n\"c7\" TIMESTAMP DEFAULT '2001-03-15 00:00:00.000',\n\
             \"c8\" DECIMAL NULL,\n\"c9\" BOOLEAN DEFAULT TRUE,\nPRIMARY KEY(\"c1\"))"
        );
        assert_eq!(
            dialect(QuoteMode::Never)
                .create_table(&table(), &sample_fields(), LiteralOffsets::default())
                .unwrap(),
            "CREATE TABLE myTable (\nc1 INT NOT NULL,\nc2 BIGINT NOT NULL,\nc3 TEXT NOT NULL,\n\
             c4 TEXT NULL,\nc5 DATE DEFAULT '2001-03-15',\nc6 TIME DEFAULT '00:00:00.000',\n\
             c7 TIMESTAMP DEFAULT '2001-03-15 00:00:00.000',\nc8 DECIMAL NULL,\n\
             c9 BOOLEAN DEFAULT TRUE,\nPRIMARY KEY(c1))"
        );
        let two_pks = vec![
            field("pk1", schemas::int32(), true),
            field("pk2", schemas::int32(), true),
            field("col1", schemas::int32(), false),
        ];
        assert_eq!(
            d.create_table(&table(), &two_pks, LiteralOffsets::default())
                .unwrap(),
            "CREATE TABLE \"myTable\" (\n\"pk1\" INT NOT NULL,\n\"pk2\" INT NOT NULL,\n\
             \"col1\" INT NOT NULL,\nPRIMARY KEY(\"pk1\",\"pk2\"))"
        );
        assert_eq!(
            d.create_table(
                &table(),
                &[field("col1", schemas::int32(), false)],
                LiteralOffsets::default()
            )
            .unwrap(),
            "CREATE TABLE \"myTable\" (\n\"col1\" INT NOT NULL)"
        );
    }

    #[test]
    fn should_build_alter_table_statement() {
        let d = dialect(QuoteMode::Always);
        let fields = sample_fields();
        let refs: Vec<&SinkField> = fields.iter().collect();
        // In ALTER TABLE the key column is written as it is (NOT NULL).
        assert_eq!(
            d.alter_table(&table(), &refs, LiteralOffsets::default())
                .unwrap(),
            "ALTER TABLE \"myTable\" \nADD \"c1\" INT NOT NULL,\nADD \"c2\" BIGINT NOT NULL,\n\
             ADD \"c3\" TEXT NOT NULL,\nADD \"c4\" TEXT NULL,\nADD \"c5\" DATE DEFAULT '2001-03-15',\n\
             ADD \"c6\" TIME DEFAULT '00:00:00.000',\n\
             ADD \"c7\" TIMESTAMP DEFAULT '2001-03-15 00:00:00.000',\nADD \"c8\" DECIMAL NULL,\n\
             ADD \"c9\" BOOLEAN DEFAULT TRUE"
        );
        let one = field("newcol1", schemas::optional_int32(), false);
        assert_eq!(
            d.alter_table(&table(), &[&one], LiteralOffsets::default())
                .unwrap(),
            "ALTER TABLE \"myTable\" ADD \"newcol1\" INT NULL"
        );
        let two = field(
            "newcol2",
            SchemaBuilder::int32()
                .default_value(Value::Int32(42))
                .unwrap()
                .build_ref(),
            false,
        );
        assert_eq!(
            d.alter_table(&table(), &[&one, &two], LiteralOffsets::default())
                .unwrap(),
            "ALTER TABLE \"myTable\" \nADD \"newcol1\" INT NULL,\nADD \"newcol2\" INT DEFAULT 42"
        );
    }

    #[test]
    fn should_map_data_types() {
        let d = Dialect::new(QuoteMode::Always, ["ts".to_string()].into_iter().collect());
        let t = |s: SchemaRef| d.sql_type("f", &s).unwrap();
        assert_eq!(t(schemas::int8()), "SMALLINT");
        assert_eq!(t(schemas::int16()), "SMALLINT");
        assert_eq!(t(schemas::int32()), "INT");
        assert_eq!(t(schemas::int64()), "BIGINT");
        assert_eq!(t(schemas::float32()), "REAL");
        assert_eq!(t(schemas::float64()), "DOUBLE PRECISION");
        assert_eq!(t(schemas::boolean()), "BOOLEAN");
        assert_eq!(t(schemas::string()), "TEXT");
        assert_eq!(t(schemas::bytes()), "BYTEA");
        assert_eq!(t(logical::decimal(0).build_ref()), "DECIMAL");
        assert_eq!(t(logical::decimal(5).build_ref()), "DECIMAL");
        assert_eq!(t(logical::date().build_ref()), "DATE");
        assert_eq!(t(logical::time().build_ref()), "TIME");
        assert_eq!(t(logical::timestamp().build_ref()), "TIMESTAMP");
        assert_eq!(
            t(SchemaBuilder::array(schemas::int32()).build_ref()),
            "INT[]"
        );
        assert_eq!(
            t(SchemaBuilder::array(schemas::string()).build_ref()),
            "TEXT[]"
        );
        assert_eq!(d.sql_type("ts", &schemas::int64()).unwrap(), "TIMESTAMP");
        assert_eq!(d.sql_type("ts", &schemas::string()).unwrap(), "TIMESTAMP");
        let map = SchemaBuilder::map(schemas::string(), schemas::string()).build_ref();
        assert_eq!(
            d.sql_type("f", &map).unwrap_err(),
            "null (MAP) type doesn't have a mapping to the SQL database column type"
        );
        assert!(Arc::strong_count(&map) >= 1);
    }

    #[test]
    fn literals() {
        let o = LiteralOffsets::default();
        let lit = |s: &Schema, v: Value| format_literal(s, &v, o).unwrap();
        assert_eq!(lit(&Schema::of(Type::String), "a b".into()), "'a b'");
        assert_eq!(
            lit(&Schema::of(Type::Boolean), Value::Boolean(false)),
            "FALSE"
        );
        assert_eq!(lit(&Schema::of(Type::Int16), Value::Int16(-3)), "-3");
        assert_eq!(
            lit(&Schema::of(Type::Bytes), Value::Bytes(vec![1, 0xab])),
            "x'01AB'"
        );
        assert_eq!(
            lit(
                &Schema::of(Type::Array),
                Value::Array(vec!["it's".into(), Value::Null])
            ),
            "ARRAY['it''s',NULL]"
        );
        let ts = logical::timestamp().build();
        // 2001-03-15 00:00 UTC written in a zone two hours east.
        let shifted = LiteralOffsets {
            date: 0,
            time: 7200,
        };
        assert_eq!(
            format_literal(&ts, &Value::Date(11_396 * 86_400_000), shifted).unwrap(),
            "'2001-03-15 02:00:00.000'"
        );
    }
}
