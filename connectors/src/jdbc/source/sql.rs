//! The SQL of each mode (Confluent's `TimestampIncrementingCriteria` with the PostgreSQL
//! dialect): `SELECT * FROM <table>` or the query, the WHERE/ORDER BY of the mode, and
//! `query.suffix`.

use crate::jdbc::identifier::{QuoteMode, TableId};

/// What a query reads from: a table (column references qualified with it) or a custom query
/// (bare column references).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Table mode.
    Table(TableId),
    /// Query mode, with the query text.
    Query(String),
}

/// The parameters a statement binds, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    /// The upper timestamp bound (DB now − delay).
    End,
    /// The stored timestamp.
    Begin,
    /// The stored incrementing value.
    LastIncrementing,
}

/// The criteria of a mode: the incrementing column and the timestamp columns (either may be
/// absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Criteria {
    /// The incrementing column, if the mode uses one.
    pub incrementing: Option<String>,
    /// The timestamp columns, combined with COALESCE when several.
    pub timestamps: Vec<String>,
}

impl Criteria {
    /// `WHERE … ORDER BY …` as Confluent writes it, with `placeholder(n)` (1-based) for each
    /// parameter, and the parameters in order. Bulk (no columns): empty.
    pub fn where_clause(
        &self,
        source: &Source,
        quote: QuoteMode,
        placeholder: &dyn Fn(usize) -> String,
    ) -> (String, Vec<Param>) {
        let column = |c: &str| match source {
            Source::Table(t) => format!("{}.{}", render_table(t, quote), quote.quote(c)),
            Source::Query(_) => quote.quote(c),
        };
        let ts = || {
            if self.timestamps.len() == 1 {
                column(&self.timestamps[0])
            } else {
                let cols: Vec<String> = self.timestamps.iter().map(|c| column(c)).collect();
                format!("COALESCE({})", cols.join(","))
            }
        };
        let p = placeholder;
        match (&self.incrementing, self.timestamps.is_empty()) {
            (Some(inc), false) => {
                let (ts, inc) = (ts(), column(inc));
                (
                    format!(
                        " WHERE {ts} < {} AND (({ts} = {} AND {inc} > {}) OR {ts} > {}) ORDER BY {ts},{inc} ASC",
                        p(1),
                        p(2),
                        p(3),
                        p(4)
                    ),
                    vec![Param::End, Param::Begin, Param::LastIncrementing, Param::Begin],
                )
            }
            (None, false) => {
                let ts = ts();
                (
                    format!(
                        " WHERE {ts} > {} AND {ts} < {} ORDER BY {ts} ASC",
                        p(1),
                        p(2)
                    ),
                    vec![Param::Begin, Param::End],
                )
            }
            (Some(inc), true) => {
                let inc = column(inc);
                (
                    format!(" WHERE {inc} > {} ORDER BY {inc} ASC", p(1)),
                    vec![Param::LastIncrementing],
                )
            }
            (None, true) => (String::new(), Vec::new()),
        }
    }
}

/// A table as the PostgreSQL dialect writes it: quoted, or bare and lower-cased with `never`.
pub fn render_table(t: &TableId, quote: QuoteMode) -> String {
    match quote {
        QuoteMode::Always => t.render(QuoteMode::Always),
        QuoteMode::Never => {
            let mut t = t.clone();
            t.table = t.table.to_lowercase();
            t.render(QuoteMode::Never)
        }
    }
}

/// The full statement: prefix, criteria, then `query.suffix` after a space.
pub fn statement(
    source: &Source,
    criteria: &Criteria,
    quote: QuoteMode,
    suffix: &str,
    placeholder: &dyn Fn(usize) -> String,
) -> (String, Vec<Param>) {
    let mut sql = match source {
        Source::Table(t) => format!("SELECT * FROM {}", render_table(t, quote)),
        Source::Query(q) => q.clone(),
    };
    let (clause, params) = criteria.where_clause(source, quote, placeholder);
    sql.push_str(&clause);
    if !suffix.is_empty() {
        sql.push(' ');
        sql.push_str(suffix);
    }
    (sql, params)
}

/// JDBC-style placeholders (`?`), as Confluent's tests print them.
pub fn jdbc_placeholder(_: usize) -> String {
    "?".to_string()
}

/// PostgreSQL placeholders (`$1`, `$2`, …), as tokio-postgres sends them.
pub fn pg_placeholder(n: usize) -> String {
    format!("${n}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Source {
        Source::Table(TableId::new(None, "myTable"))
    }

    fn crit(inc: Option<&str>, ts: &[&str]) -> Criteria {
        Criteria {
            incrementing: inc.map(str::to_string),
            timestamps: ts.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn clause(c: &Criteria, s: &Source, q: QuoteMode) -> String {
        c.where_clause(s, q, &jdbc_placeholder).0
    }

    // The strings of TimestampIncrementingCriteriaTest.create*WhereClause.
    #[test]
    fn incrementing_where_clause() {
        assert_eq!(
            clause(&crit(Some("id"), &[]), &table(), QuoteMode::Always),
            " WHERE \"myTable\".\"id\" > ? ORDER BY \"myTable\".\"id\" ASC"
        );
        assert_eq!(
            clause(&crit(Some("id"), &[]), &table(), QuoteMode::Never),
            " WHERE mytable.id > ? ORDER BY mytable.id ASC"
        );
    }

    #[test]
    fn timestamp_where_clause() {
        assert_eq!(
            clause(&crit(None, &["ts1"]), &table(), QuoteMode::Always),
            " WHERE \"myTable\".\"ts1\" > ? AND \"myTable\".\"ts1\" < ? ORDER BY \"myTable\".\"ts1\" ASC"
        );
        assert_eq!(
            clause(&crit(None, &["ts1", "ts2"]), &table(), QuoteMode::Always),
            " WHERE COALESCE(\"myTable\".\"ts1\",\"myTable\".\"ts2\") > ? AND COALESCE(\"myTable\".\"ts1\",\"myTable\".\"ts2\") < ? ORDER BY COALESCE(\"myTable\".\"ts1\",\"myTable\".\"ts2\") ASC"
        );
    }

    #[test]
    fn timestamp_incrementing_where_clause() {
        assert_eq!(
            clause(&crit(Some("id"), &["ts1"]), &table(), QuoteMode::Always),
            " WHERE \"myTable\".\"ts1\" < ? AND ((\"myTable\".\"ts1\" = ? AND \"myTable\".\"id\" > ?) OR \"myTable\".\"ts1\" > ?) ORDER BY \"myTable\".\"ts1\",\"myTable\".\"id\" ASC"
        );
        assert_eq!(
            clause(&crit(Some("id"), &["ts1", "ts2"]), &table(), QuoteMode::Always),
            " WHERE COALESCE(\"myTable\".\"ts1\",\"myTable\".\"ts2\") < ? AND ((COALESCE(\"myTable\".\"ts1\",\"myTable\".\"ts2\") = ? AND \"myTable\".\"id\" > ?) OR COALESCE(\"myTable\".\"ts1\",\"myTable\".\"ts2\") > ?) ORDER BY COALESCE(\"myTable\".\"ts1\",\"myTable\".\"ts2\"),\"myTable\".\"id\" ASC"
        );
        assert_eq!(
            crit(Some("id"), &["ts1"])
                .where_clause(&table(), QuoteMode::Always, &jdbc_placeholder)
                .1,
            vec![
                Param::End,
                Param::Begin,
                Param::LastIncrementing,
                Param::Begin
            ]
        );
    }

    #[test]
    fn query_mode_uses_bare_columns_and_the_suffix_follows_a_space() {
        let q = Source::Query("SELECT * FROM t".into());
        let (sql, _) = statement(
            &q,
            &crit(Some("id"), &[]),
            QuoteMode::Always,
            "LIMIT 10",
            &pg_placeholder,
        );
        assert_eq!(
            sql,
            "SELECT * FROM t WHERE \"id\" > $1 ORDER BY \"id\" ASC LIMIT 10"
        );
        let t = Source::Table(TableId::new(Some("public"), "orders"));
        let (sql, params) = statement(&t, &crit(None, &[]), QuoteMode::Always, "", &pg_placeholder);
        assert_eq!(sql, "SELECT * FROM \"public\".\"orders\"");
        assert!(params.is_empty());
    }
}
