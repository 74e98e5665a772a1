//! Table and column identifiers, quoted as `quote.sql.identifiers` says.
//!
//! Confluent's PostgreSQL dialect quotes with `"` and, with `never`, writes names bare (so
//! PostgreSQL folds them to lower case). A qualified name such as `"public"."orders"` or
//! `sales.orders` is split on dots outside quotes.

use std::fmt;

/// `quote.sql.identifiers`: `always` (default) or `never`, matched case-insensitively.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QuoteMode {
    /// Every identifier in double quotes (case kept).
    #[default]
    Always,
    /// Identifiers written bare.
    Never,
}

impl QuoteMode {
    /// Parses the key's value; anything but `never` means `always`, as Confluent's
    /// `QuoteMethod.get` (it is not validated by the parser).
    pub fn parse(value: &str) -> QuoteMode {
        if value.trim().eq_ignore_ascii_case("never") {
            QuoteMode::Never
        } else {
            QuoteMode::Always
        }
    }

    /// One identifier, quoted or not (embedded quotes doubled when quoting).
    pub fn quote(self, ident: &str) -> String {
        match self {
            QuoteMode::Always => format!("\"{}\"", ident.replace('"', "\"\"")),
            QuoteMode::Never => ident.to_string(),
        }
    }
}

/// A possibly qualified table name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TableId {
    /// The catalog (database), rarely given.
    pub catalog: Option<String>,
    /// The schema (`public`, …).
    pub schema: Option<String>,
    /// The table.
    pub table: String,
}

impl TableId {
    /// A table in a schema.
    pub fn new(schema: Option<&str>, table: &str) -> TableId {
        TableId {
            catalog: None,
            schema: schema.map(str::to_string),
            table: table.to_string(),
        }
    }

    /// Splits `a.b.c`, `b.c` or `c` on dots outside double quotes; quotes are removed
    /// (`""` inside quotes is one quote).
    pub fn parse(name: &str) -> TableId {
        let mut parts = split_qualified(name);
        let table = parts.pop().unwrap_or_default();
        let schema = parts.pop();
        let catalog = parts.pop();
        TableId {
            catalog,
            schema,
            table,
        }
    }

    /// The name as SQL: each part quoted per `mode`, joined by dots.
    pub fn render(&self, mode: QuoteMode) -> String {
        self.parts()
            .map(|p| mode.quote(p))
            .collect::<Vec<_>>()
            .join(".")
    }

    /// The unquoted qualified name (`public.orders`), Confluent's offset partition name.
    pub fn qualified(&self) -> String {
        self.parts().collect::<Vec<_>>().join(".")
    }

    fn parts(&self) -> impl Iterator<Item = &str> {
        self.catalog
            .as_deref()
            .into_iter()
            .chain(self.schema.as_deref())
            .chain(std::iter::once(self.table.as_str()))
    }
}

impl fmt::Display for TableId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(QuoteMode::Always))
    }
}

/// Splits a qualified identifier on dots outside double quotes, unquoting each part.
pub fn split_qualified(name: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut chars = name.trim().chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                current.push('"');
            }
            '"' => quoted = !quoted,
            '.' if !quoted => parts.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    parts.push(current);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_follows_the_mode() {
        let t = TableId::new(Some("public"), "Orders");
        assert_eq!(t.render(QuoteMode::Always), r#""public"."Orders""#);
        assert_eq!(t.render(QuoteMode::Never), "public.Orders");
        assert_eq!(t.qualified(), "public.Orders");
        assert_eq!(QuoteMode::Always.quote(r#"a"b"#), r#""a""b""#);
    }

    #[test]
    fn qualified_names_are_split_outside_quotes() {
        assert_eq!(TableId::parse("orders"), TableId::new(None, "orders"));
        assert_eq!(
            TableId::parse(r#""public"."my.table""#),
            TableId::new(Some("public"), "my.table")
        );
        let t = TableId::parse("db.sales.orders");
        assert_eq!(t.catalog.as_deref(), Some("db"));
        assert_eq!(t.render(QuoteMode::Always), r#""db"."sales"."orders""#);
    }

    #[test]
    fn quote_mode_parsing_is_lenient_like_confluent() {
        assert_eq!(QuoteMode::parse("NEVER"), QuoteMode::Never);
        assert_eq!(QuoteMode::parse("always"), QuoteMode::Always);
        assert_eq!(QuoteMode::parse("whatever"), QuoteMode::Always);
    }
}
