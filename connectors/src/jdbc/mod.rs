//! JDBC source and sink for PostgreSQL, configured with the keys of Confluent's
//! kafka-connect-jdbc (10.x) and talking to the database through tokio-postgres.
//!
//! The pieces both connectors share live here: the `jdbc:postgresql://` URL
//! ([`url`]), the connection keys and a reconnecting connection ([`connection`]), and
//! table identifiers with Confluent's quoting rules ([`identifier`]), and `db.timezone`
//! ([`zone`]).

pub mod calendar;
pub mod connection;
pub mod identifier;
pub mod sink;
pub mod source;
pub mod tls;
pub mod url;
pub mod zone;
