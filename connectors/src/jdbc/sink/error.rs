//! What can go wrong writing a batch, in the classes Confluent's task tells apart.

use thiserror::Error;

use crate::jdbc::connection::describe;

/// A failed write.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum WriteError {
    /// A database error (`SQLException`): retried `max.retries` times, then the records are
    /// written one by one to find the failing ones (with a reporter) or the task fails.
    #[error("{0}")]
    Sql(String),
    /// The table could not be created or altered (`TableAlterOrCreateException`): reported per
    /// record with a reporter, else the task fails at once.
    #[error("{0}")]
    TableAlterOrCreate(String),
    /// A record the sink cannot write (no schema, no usable key, a value that does not fit):
    /// reported with a reporter, else the task fails.
    #[error("{0}")]
    Record(String),
    /// Anything else (`ConnectException`): the task fails.
    #[error("{0}")]
    Connect(String),
}

impl WriteError {
    /// A database error with its SQLSTATE, as one line.
    pub fn sql(e: &tokio_postgres::Error) -> WriteError {
        WriteError::Sql(describe(e))
    }
}

impl From<tokio_postgres::Error> for WriteError {
    fn from(e: tokio_postgres::Error) -> WriteError {
        WriteError::sql(&e)
    }
}
