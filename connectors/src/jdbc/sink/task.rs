//! `JdbcSinkTask`: one transaction per `put`, retries of database errors, and the errant
//! record reporter for records that cannot be written.
//!
//! * A database error with retries left closes the connection and returns a retriable error
//!   after `retry.backoff.ms` (the worker delivers the same batch again); the retries left go
//!   back to `max.retries` after a successful `put`.
//! * With retries exhausted, or when a table cannot be created or altered: with an errant
//!   record reporter every record is written alone and the failing ones are reported; without
//!   one the task fails with the error chain.
//! * A record the sink cannot take (no schema, no key, a value that does not fit) is reported
//!   when there is a reporter (it is not written), else the task fails. Confluent fails the
//!   task in this case even with a dead letter queue.
//! * `put` returns only after the transaction committed, so the offsets the worker commits
//!   afterwards (`pre_commit`'s default) are of rows in the database; `flush` has nothing to do.

use std::collections::HashSet;
use std::sync::Arc;

use async_trait::async_trait;
use sluice_api::{
    ConnectError, ConnectResult, ErrantRecordReporter, SinkRecord, SinkTask, SinkTaskContext,
};
use tokio::time::Instant;
use tracing::{debug, error, info, warn};

use super::config::JdbcSinkConfig;
use super::error::WriteError;
use super::writer::{JdbcWriter, Prepared};

/// A running task's state.
struct Running {
    config: Arc<JdbcSinkConfig>,
    writer: JdbcWriter,
    reporter: Option<Arc<dyn ErrantRecordReporter>>,
    remaining_retries: u32,
    /// When the batch that failed may be tried again.
    retry_not_before: Option<Instant>,
    /// Records of the current batch already reported (a retried batch reports them once).
    reported: HashSet<(String, i32, i64)>,
}

/// The JDBC sink task.
#[derive(Default)]
pub struct JdbcSinkTask {
    running: Option<Running>,
}

impl std::fmt::Debug for JdbcSinkTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JdbcSinkTask")
            .field("running", &self.running.is_some())
            .finish()
    }
}

impl JdbcSinkTask {
    /// A new, unstarted task.
    pub fn new() -> Self {
        Self::default()
    }
}

fn coordinates(r: &SinkRecord) -> (String, i32, i64) {
    (
        r.topic_name().to_string(),
        r.kafka_partition.unwrap_or(-1),
        r.kafka_offset().unwrap_or(-1),
    )
}

/// `getAllMessagesException`: Confluent's task error text.
fn chain(msg: &str) -> String {
    format!("Exception chain:\n{msg}\n")
}

impl Running {
    async fn report(&mut self, record: &SinkRecord, error: ConnectError) -> ConnectResult<()> {
        let Some(reporter) = self.reporter.clone() else {
            return Err(error);
        };
        if self.reported.insert(coordinates(record)) {
            reporter.report(record, error).await?;
        }
        Ok(())
    }

    async fn put(&mut self, records: &[SinkRecord]) -> ConnectResult<()> {
        if let Some(at) = self.retry_not_before.take() {
            tokio::time::sleep_until(at).await;
        }
        let mut prepared: Vec<Prepared> = Vec::with_capacity(records.len());
        let mut sources: Vec<usize> = Vec::with_capacity(records.len());
        for (i, record) in records.iter().enumerate() {
            match self.writer.prepare(record) {
                Ok(p) => {
                    prepared.push(p);
                    sources.push(i);
                }
                Err(WriteError::Record(msg)) => {
                    debug!(error = %msg, "Record cannot be written.");
                    self.report(record, ConnectError::connect(msg)).await?;
                }
                Err(e) => return Err(ConnectError::connect(e.to_string())),
            }
        }
        let result = self.writer.write(&prepared).await;
        match result {
            Ok(()) => {
                info!(records = records.len(), "Successfully wrote records.");
            }
            Err(WriteError::TableAlterOrCreate(msg)) => {
                if self.reporter.is_some() {
                    self.unroll(records, &prepared, &sources).await?;
                } else {
                    error!(error = %msg, "Failed to create or alter the table.");
                    return Err(ConnectError::connect(msg));
                }
            }
            Err(WriteError::Sql(msg)) => {
                warn!(
                    records = records.len(),
                    remaining_retries = self.remaining_retries,
                    error = %self.logged(&msg),
                    "Write of records failed"
                );
                if self.remaining_retries > 0 {
                    self.writer.close();
                    self.remaining_retries -= 1;
                    self.retry_not_before = Some(Instant::now() + self.config.retry_backoff);
                    return Err(ConnectError::retriable(chain(&self.logged(&msg))));
                }
                if self.reporter.is_some() {
                    self.unroll(records, &prepared, &sources).await?;
                } else {
                    error!("Failing task after exhausting retries.");
                    return Err(ConnectError::connect(chain(&self.logged(&msg))));
                }
            }
            Err(WriteError::Record(msg)) | Err(WriteError::Connect(msg)) => {
                return Err(ConnectError::connect(msg));
            }
        }
        self.remaining_retries = self.config.max_retries;
        self.reported.clear();
        Ok(())
    }

    fn logged(&self, msg: &str) -> String {
        if self.config.trim_sensitive_log {
            // Row values appear in the server's detail line; keep the first line only.
            msg.split(" Detail:").next().unwrap_or(msg).to_string()
        } else {
            msg.to_string()
        }
    }

    /// `unrollAndRetry`: each record alone; failures go to the reporter.
    async fn unroll(
        &mut self,
        records: &[SinkRecord],
        prepared: &[Prepared],
        sources: &[usize],
    ) -> ConnectResult<()> {
        self.writer.close();
        warn!(
            records = prepared.len(),
            "Retrying write operation record by record."
        );
        for (p, &i) in prepared.iter().zip(sources) {
            match self.writer.write(std::slice::from_ref(p)).await {
                Ok(()) => {}
                Err(WriteError::TableAlterOrCreate(msg)) => {
                    self.report(&records[i], ConnectError::connect(msg)).await?;
                    self.writer.close();
                }
                Err(WriteError::Sql(msg)) => {
                    let e = ConnectError::connect(chain(&self.logged(&msg)));
                    self.report(&records[i], e).await?;
                    self.writer.close();
                }
                Err(e) => return Err(ConnectError::connect(e.to_string())),
            }
        }
        Ok(())
    }
}

#[async_trait]
impl SinkTask for JdbcSinkTask {
    async fn start(&mut self, context: Arc<dyn SinkTaskContext>) -> ConnectResult<()> {
        info!("Starting JDBC Sink task");
        let config = Arc::new(JdbcSinkConfig::parse(context.config()).map_err(|e| {
            ConnectError::connect(format!(
                "Couldn't start JdbcSinkTask due to configuration error: {e}"
            ))
        })?);
        self.running = Some(Running {
            writer: JdbcWriter::new(config.clone()),
            remaining_retries: config.max_retries,
            config,
            reporter: context.errant_record_reporter(),
            retry_not_before: None,
            reported: HashSet::new(),
        });
        Ok(())
    }

    async fn put(&mut self, records: &[SinkRecord]) -> ConnectResult<()> {
        if records.is_empty() {
            return Ok(());
        }
        let running = self
            .running
            .as_mut()
            .ok_or_else(|| ConnectError::connect("The JDBC sink task was not started."))?;
        running.put(records).await
    }

    async fn stop(&mut self) -> ConnectResult<()> {
        info!("Stopping task");
        if let Some(mut r) = self.running.take() {
            r.writer.close();
        }
        Ok(())
    }
}
