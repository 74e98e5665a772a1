//! Table discovery (Confluent's `TableMonitorThread` over the driver's `getTables`): the
//! tables of `schema.pattern` and `table.types` from `pg_catalog`, filtered by
//! whitelist/blacklist or include/exclude regexes, the duplicate-name check, and the split of
//! tables across tasks (`ConnectorUtils.groupPartitions`).

use std::collections::BTreeMap;

use regex::Regex;
use tokio_postgres::Client;

use super::config::{full_match, SourceConfig};
use crate::jdbc::identifier::{QuoteMode, TableId};

/// The relation types as the PostgreSQL JDBC driver names them, by relkind and schema.
const TABLES_SQL: &str = "SELECT n.nspname, c.relname, CASE \
     WHEN n.nspname ~ '^pg_' OR n.nspname = 'information_schema' THEN \
       CASE c.relkind WHEN 'r' THEN 'SYSTEM TABLE' WHEN 'v' THEN 'SYSTEM VIEW' ELSE NULL END \
     WHEN c.relpersistence = 't' AND c.relkind = 'r' THEN 'TEMPORARY TABLE' \
     ELSE CASE c.relkind WHEN 'r' THEN 'TABLE' WHEN 'p' THEN 'PARTITIONED TABLE' \
       WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE' \
       ELSE NULL END END AS table_type \
   FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
   WHERE c.relkind IN ('r','p','v','m','f') AND ($1::text IS NULL OR n.nspname LIKE $1) \
     AND n.nspname !~ '^pg_toast'";

/// Lists `schema.table` ids of the configured types, in the driver's order (type, schema,
/// name). Types match case-insensitively; `schema.pattern` is a LIKE pattern.
pub async fn list_tables(
    client: &Client,
    schema_pattern: Option<&str>,
    types: &[String],
) -> Result<Vec<TableId>, tokio_postgres::Error> {
    let rows = client.query(TABLES_SQL, &[&schema_pattern]).await?;
    let mut found: Vec<(String, String, String)> = rows
        .iter()
        .filter_map(|r| {
            let ty: Option<String> = r.get(2);
            let ty = ty?;
            types
                .iter()
                .any(|t| t.eq_ignore_ascii_case(&ty))
                .then(|| (ty, r.get::<_, String>(0), r.get::<_, String>(1)))
        })
        .collect();
    found.sort();
    Ok(found
        .into_iter()
        .map(|(_, s, t)| TableId::new(Some(&s), &t))
        .collect())
}

/// The table filters of a connector config.
#[derive(Debug, Clone, Default)]
pub struct TableFilter {
    whitelist: Vec<String>,
    blacklist: Vec<String>,
    include: Vec<Regex>,
    exclude: Vec<Regex>,
    query_mode: bool,
}

impl TableFilter {
    /// The filters of `config` (a query selects no table).
    pub fn new(config: &SourceConfig) -> TableFilter {
        let compile = |v: &[String]| v.iter().filter_map(|r| full_match(r.trim()).ok()).collect();
        TableFilter {
            whitelist: config.whitelist.clone(),
            blacklist: config.blacklist.clone(),
            include: compile(&config.include),
            exclude: compile(&config.exclude),
            query_mode: config.query.is_some(),
        }
    }

    /// The regexes are used when either regex list is set.
    fn regex_mode(&self) -> bool {
        !self.include.is_empty() || !self.exclude.is_empty()
    }

    /// Whether a table is selected: include/exclude full matches on `schema.table`, else the
    /// whitelist (wins over the blacklist) or blacklist by `schema.table`, `"schema"."table"`
    /// or the bare table name.
    pub fn selects(&self, t: &TableId) -> bool {
        if self.query_mode {
            return false;
        }
        let unquoted = t.qualified();
        if self.regex_mode() {
            let any = |v: &[Regex]| v.iter().any(|r| r.is_match(&unquoted));
            return any(&self.include) && !any(&self.exclude);
        }
        let named = |list: &[String]| {
            list.iter()
                .any(|n| *n == unquoted || *n == t.render(QuoteMode::Always) || *n == t.table)
        };
        if !self.whitelist.is_empty() {
            named(&self.whitelist)
        } else if !self.blacklist.is_empty() {
            !named(&self.blacklist)
        } else {
            true
        }
    }

    /// The selected tables, in order, without repeats.
    pub fn apply(&self, all: &[TableId]) -> Vec<TableId> {
        let mut out: Vec<TableId> = Vec::new();
        for t in all.iter().filter(|t| self.selects(t)) {
            if !out.contains(t) {
                out.push(t.clone());
            }
        }
        out
    }

    /// Confluent's message when two selected tables share an unqualified name.
    pub fn duplicates_error(&self, tables: &[TableId]) -> Option<String> {
        let mut by_name: BTreeMap<&str, Vec<&TableId>> = BTreeMap::new();
        for t in tables {
            by_name.entry(t.table.as_str()).or_default().push(t);
        }
        let dups: Vec<String> = by_name
            .values()
            .filter(|v| v.len() > 1)
            .map(|v| {
                format!(
                    "[{}]",
                    v.iter()
                        .map(|t| t.render(QuoteMode::Always))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
            .collect();
        if dups.is_empty() {
            return None;
        }
        let config_text = if !self.whitelist.is_empty() {
            "'table.whitelist'"
        } else if !self.blacklist.is_empty() {
            "'table.blacklist'"
        } else {
            "'table.whitelist' or 'table.blacklist'"
        };
        Some(format!(
            "The connector uses the unqualified table name as the topic name and has detected duplicate unqualified table names. This could lead to mixed data types in the topic and downstream processing errors. To prevent such processing errors, the JDBC Source connector fails to start when it detects duplicate table name configurations. Update the connector's {config_text} config to include exactly one table in each of the tables listed below.\n\t[{}]",
            dups.join(", ")
        ))
    }
}

/// `ConnectorUtils.groupPartitions`: `n` contiguous groups, the first `len % n` one larger.
pub fn group_partitions<T: Clone>(items: &[T], n: usize) -> Vec<Vec<T>> {
    let n = n.max(1);
    let per = items.len() / n;
    let extra = items.len() % n;
    let mut out = Vec::with_capacity(n);
    let mut at = 0;
    for i in 0..n {
        let len = per + usize::from(i < extra);
        out.push(items[at..at + len].to_vec());
        at += len;
    }
    out
}

/// A table column as the catalog describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableColumn {
    /// The column name.
    pub name: String,
    /// Declared NOT NULL.
    pub not_null: bool,
    /// Identity column or a `nextval(…)` default (the driver's auto-increment flag).
    pub auto_increment: bool,
}

const COLUMNS_SQL: &str = "SELECT a.attname, a.attnotnull, \
     (a.attidentity <> '' OR COALESCE(pg_catalog.pg_get_expr(d.adbin, d.adrelid), '') LIKE 'nextval(%') \
   FROM pg_catalog.pg_attribute a \
   JOIN pg_catalog.pg_class c ON c.oid = a.attrelid \
   JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
   LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
   WHERE c.relname = $1 AND ($2::text IS NULL OR n.nspname = $2) \
     AND ($2::text IS NOT NULL OR pg_catalog.pg_table_is_visible(c.oid)) \
     AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum";

/// The columns of a table (a table without schema is looked up on the search path).
pub async fn describe_columns(
    client: &Client,
    table: &TableId,
) -> Result<Vec<TableColumn>, tokio_postgres::Error> {
    let rows = client
        .query(COLUMNS_SQL, &[&table.table, &table.schema])
        .await?;
    Ok(rows
        .iter()
        .map(|r| TableColumn {
            name: r.get(0),
            not_null: r.get(1),
            auto_increment: r.get(2),
        })
        .collect())
}

/// NOT NULL flags of result columns that come from table columns: `(table oid, column
/// number) → attnotnull`.
pub async fn not_null_flags(
    client: &Client,
    columns: &[(u32, i16)],
) -> Result<BTreeMap<(u32, i16), bool>, tokio_postgres::Error> {
    let mut out = BTreeMap::new();
    if columns.is_empty() {
        return Ok(out);
    }
    let oids: Vec<u32> = columns.iter().map(|c| c.0).collect();
    let nums: Vec<i16> = columns.iter().map(|c| c.1).collect();
    let rows = client
        .query(
            "SELECT a.attrelid, a.attnum, a.attnotnull FROM pg_catalog.pg_attribute a \
             JOIN unnest($1::oid[], $2::int2[]) AS k(rel, num) ON a.attrelid = k.rel AND a.attnum = k.num",
            &[&oids, &nums],
        )
        .await?;
    for r in rows {
        out.insert((r.get(0), r.get(1)), r.get(2));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_api::Props;

    fn cfg(pairs: &[(&str, &str)]) -> SourceConfig {
        let mut p: Props = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        p.insert("connection.url".into(), "jdbc:postgresql://h/d".into());
        SourceConfig::parse(&p).unwrap()
    }

    fn t(s: &str, n: &str) -> TableId {
        TableId::new(Some(s), n)
    }

    #[test]
    fn four_tables_over_three_tasks() {
        let groups = group_partitions(&["t1", "t2", "t3", "t4"], 3);
        assert_eq!(groups, vec![vec!["t1", "t2"], vec!["t3"], vec!["t4"]]);
        assert_eq!(
            group_partitions(&[1, 2, 3, 4, 5], 2),
            vec![vec![1, 2, 3], vec![4, 5]]
        );
    }

    #[test]
    fn whitelist_matches_bare_qualified_and_quoted_names() {
        let all = [t("public", "a"), t("public", "b"), t("s", "c"), t("s", "d")];
        let f = TableFilter::new(&cfg(&[("table.whitelist", "a,public.b,\"s\".\"c\"")]));
        assert_eq!(
            f.apply(&all),
            vec![t("public", "a"), t("public", "b"), t("s", "c")]
        );
        let f = TableFilter::new(&cfg(&[("table.blacklist", "a,s.d")]));
        assert_eq!(f.apply(&all), vec![t("public", "b"), t("s", "c")]);
        // The whitelist wins when both are set.
        let f = TableFilter::new(&cfg(&[("table.whitelist", "a"), ("table.blacklist", "a")]));
        assert_eq!(f.apply(&all), vec![t("public", "a")]);
        // A query selects nothing.
        let f = TableFilter::new(&cfg(&[("query", "SELECT 1")]));
        assert!(f.apply(&all).is_empty());
    }

    #[test]
    fn include_and_exclude_regexes_fully_match_the_qualified_name() {
        let all = [
            t("public", "orders"),
            t("public", "orders_tmp"),
            t("s", "orders"),
        ];
        let f = TableFilter::new(&cfg(&[
            ("table.include.list", "public\\.orders.*"),
            ("table.exclude.list", ".*_tmp"),
        ]));
        assert_eq!(f.apply(&all), vec![t("public", "orders")]);
        let f = TableFilter::new(&cfg(&[("table.include.list", "orders")]));
        assert!(f.apply(&all).is_empty(), "a full match is required");
        let f = TableFilter::new(&cfg(&[("table.exclude.list", ".*")]));
        assert!(f.apply(&all).is_empty(), "exclude alone matches nothing");
    }

    #[test]
    fn duplicate_unqualified_names_are_reported() {
        let f = TableFilter::new(&cfg(&[("table.whitelist", "orders")]));
        let msg = f
            .duplicates_error(&[t("a", "orders"), t("b", "orders")])
            .unwrap();
        assert!(msg.starts_with("The connector uses the unqualified table name as the topic name and has detected duplicate unqualified table names."));
        assert!(msg.contains("Update the connector's 'table.whitelist' config"));
        assert!(
            msg.ends_with("[[\"a\".\"orders\", \"b\".\"orders\"]]"),
            "{msg}"
        );
        assert!(f.duplicates_error(&[t("a", "x"), t("a", "y")]).is_none());
    }
}
