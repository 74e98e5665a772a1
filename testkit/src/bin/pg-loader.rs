//! `pg-loader`: the JDBC sink benchmark's baseline (`bench/jdbc/run`): what the sink does,
//! minus the framework.
//!
//! ```text
//! pg-loader --topic T --schema S --table X --count N [--mode insert|upsert] [--batch 500]
//!           [--group G] [--pk id] [--consumer-config KEY=VALUE]...
//! ```
//!
//! A plain rdkafka consumer in group G reads JsonConverter envelopes (`{"schema":…,
//! "payload":…}`) from T; the first record's schema gives the columns and the table is
//! created from it (as `auto.create` does, primary key `--pk`). Every batch of up to `--batch`
//! records (what one consumer poll hands over, at most) is written with tokio-postgres as one
//! multi-row `INSERT` (or `INSERT … ON CONFLICT (pk) DO UPDATE SET …` for upserts) in one
//! transaction, then the consumer's offsets are committed. Stops after N rows and prints
//! `loader_rows=… loader_secs=… loader_rows_per_sec=…` (from the first record to the last
//! commit). The consumer reads ahead at most 4 MB or 10,000 records, as Sluice's sink tasks
//! do, but without librdkafka's 1 s fetch pause when that is full
//! (`fetch.queue.backoff.ms=100`; with the default 1000 the loader runs at a third of its
//! speed on the mock cluster); more librdkafka settings with `--consumer-config KEY=VALUE`. The broker is `SLUICE_BOOTSTRAP_SERVERS`,
//! PostgreSQL `SLUICE_TEST_POSTGRES_URL`.

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::Message;
use serde_json::Value;
use sluice_testkit::jdbc_bench::{
    bootstrap, create_table_sql, from_epoch_millis, quote, BenchError, FieldType,
};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Statement};

/// Command line.
#[derive(Debug, Parser)]
#[command(
    name = "pg-loader",
    about = "Plain rdkafka + tokio-postgres loader (JDBC sink baseline)."
)]
struct Args {
    /// Topic to read.
    #[arg(long)]
    topic: String,
    /// Schema of the table.
    #[arg(long, default_value = "public")]
    schema: String,
    /// Table to create and write.
    #[arg(long)]
    table: String,
    /// Rows to write before stopping.
    #[arg(long)]
    count: u64,
    /// Plain inserts, or upserts on the primary key.
    #[arg(long, value_enum, default_value_t = Mode::Insert)]
    mode: Mode,
    /// Records per transaction at most.
    #[arg(long, default_value_t = 500)]
    batch: usize,
    /// Consumer group (default: pg-loader-<table>).
    #[arg(long)]
    group: Option<String>,
    /// Give up after this long without a record (tansu takes ~20 s to join a group).
    #[arg(long, default_value_t = 120)]
    idle_timeout_secs: u64,
    /// librdkafka consumer settings, `KEY=VALUE` (repeatable), over the defaults
    /// (`queued.max.messages.kbytes=4096`, `queued.min.messages=10000`,
    /// `fetch.queue.backoff.ms=100`).
    #[arg(long = "consumer-config", value_name = "KEY=VALUE")]
    consumer_config: Vec<String>,
    /// Primary key field.
    #[arg(long, default_value = "id")]
    pk: String,
}

/// How rows are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Mode {
    /// `INSERT`.
    Insert,
    /// `INSERT … ON CONFLICT (pk) DO UPDATE SET …`.
    Upsert,
}

type Param = Box<dyn ToSql + Sync + Send>;

/// One payload field as a statement parameter.
fn param(ty: FieldType, optional: bool, v: &Value) -> Result<Param, BenchError> {
    fn int(v: &Value) -> Result<i64, BenchError> {
        v.as_i64()
            .ok_or_else(|| format!("not an integer: {v}").into())
    }
    if v.is_null() {
        if !optional {
            return Err("null in a required field".into());
        }
        return Ok(match ty {
            FieldType::Int16 => Box::new(None::<i16>),
            FieldType::Int32 => Box::new(None::<i32>),
            FieldType::Int64 => Box::new(None::<i64>),
            FieldType::Float32 => Box::new(None::<f32>),
            FieldType::Float64 => Box::new(None::<f64>),
            FieldType::Boolean => Box::new(None::<bool>),
            FieldType::String => Box::new(None::<String>),
            FieldType::Timestamp => Box::new(None::<std::time::SystemTime>),
        });
    }
    Ok(match ty {
        FieldType::Int16 => Box::new(i16::try_from(int(v)?)?),
        FieldType::Int32 => Box::new(i32::try_from(int(v)?)?),
        FieldType::Int64 => Box::new(int(v)?),
        FieldType::Float32 => Box::new(v.as_f64().ok_or("not a number")? as f32),
        FieldType::Float64 => Box::new(v.as_f64().ok_or("not a number")?),
        FieldType::Boolean => Box::new(v.as_bool().ok_or("not a boolean")?),
        FieldType::String => Box::new(v.as_str().ok_or("not a string")?.to_string()),
        FieldType::Timestamp => Box::new(from_epoch_millis(int(v)?)),
    })
}

/// The table's columns and its statements by row count.
struct Writer {
    table: String,
    fields: Vec<(String, FieldType, bool)>,
    pk: String,
    mode: Mode,
    statements: HashMap<usize, Statement>,
}

impl Writer {
    fn sql(&self, rows: usize) -> String {
        let names: Vec<String> = self.fields.iter().map(|f| quote(&f.0)).collect();
        let width = names.len();
        let mut sql = format!("INSERT INTO {} ({}) VALUES ", self.table, names.join(","));
        for r in 0..rows {
            if r > 0 {
                sql.push(',');
            }
            let params: Vec<String> = (1..=width).map(|c| format!("${}", r * width + c)).collect();
            sql.push('(');
            sql.push_str(&params.join(","));
            sql.push(')');
        }
        if self.mode == Mode::Upsert {
            let set: Vec<String> = names
                .iter()
                .filter(|n| **n != quote(&self.pk))
                .map(|n| format!("{n}=EXCLUDED.{n}"))
                .collect();
            sql.push_str(&format!(
                " ON CONFLICT ({}) DO UPDATE SET {}",
                quote(&self.pk),
                set.join(",")
            ));
        }
        sql
    }

    /// Writes one batch of payloads in one transaction.
    async fn write(&mut self, client: &mut Client, payloads: &[Value]) -> Result<(), BenchError> {
        let mut params: Vec<Param> = Vec::with_capacity(payloads.len() * self.fields.len());
        for p in payloads {
            for (name, ty, optional) in &self.fields {
                params.push(
                    param(*ty, *optional, &p[name]).map_err(|e| format!("field {name}: {e}"))?,
                );
            }
        }
        let rows = payloads.len();
        if !self.statements.contains_key(&rows) {
            let statement = client.prepare(&self.sql(rows)).await?;
            self.statements.insert(rows, statement);
        }
        let statement = &self.statements[&rows];
        let refs: Vec<&(dyn ToSql + Sync)> = params
            .iter()
            .map(|p| p.as_ref() as &(dyn ToSql + Sync))
            .collect();
        let tx = client.transaction().await?;
        tx.execute(statement, &refs).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Commits the consumer's positions; nothing new to commit is fine.
fn commit(consumer: &BaseConsumer, mode: CommitMode) -> Result<(), BenchError> {
    match consumer.commit_consumer_state(mode) {
        Ok(()) | Err(KafkaError::ConsumerCommit(RDKafkaErrorCode::NoOffset)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

async fn run(args: Args) -> Result<(), BenchError> {
    let config: tokio_postgres::Config = sluice_testkit::postgres::libpq_url().parse()?;
    let (mut client, connection) = config.connect(tokio_postgres::NoTls).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let group = args
        .group
        .clone()
        .unwrap_or_else(|| format!("pg-loader-{}", args.table));
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", bootstrap())
        .set("group.id", &group)
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        // The read-ahead Sluice's sink tasks use (its LIBRDKAFKA_CONSUMER_SETTINGS), without
        // librdkafka's 1 s pause of a partition's fetches whenever that queue is full.
        .set("queued.max.messages.kbytes", "4096")
        .set("queued.min.messages", "10000")
        .set("fetch.queue.backoff.ms", "100");
    for kv in &args.consumer_config {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| format!("--consumer-config {kv}: expected KEY=VALUE"))?;
        config.set(k, v);
    }
    let consumer: BaseConsumer = config.create()?;
    consumer.subscribe(&[&args.topic])?;
    let table = format!("{}.{}", quote(&args.schema), quote(&args.table));
    let mut writer: Option<Writer> = None;
    let mut written = 0u64;
    let mut started = None;
    let mut batch: Vec<Value> = Vec::with_capacity(args.batch);
    let mut last_message = Instant::now();
    while written < args.count {
        let wait = if batch.is_empty() {
            Duration::from_millis(100)
        } else {
            Duration::ZERO
        };
        let room = usize::try_from(args.count - written)
            .unwrap_or(usize::MAX)
            .min(args.batch);
        match consumer.poll(wait) {
            Some(m) => {
                let m = m?;
                last_message = Instant::now();
                started.get_or_insert_with(Instant::now);
                let mut v: Value = serde_json::from_slice(m.payload().unwrap_or(b"null"))
                    .map_err(|e| format!("offset {}: not JSON: {e}", m.offset()))?;
                if writer.is_none() {
                    let fields = v["schema"]["fields"]
                        .as_array()
                        .ok_or("the first record has no struct schema (schemas.enable=true?)")?
                        .iter()
                        .map(|f| -> Result<_, BenchError> {
                            let name = f["field"]
                                .as_str()
                                .ok_or("field without a name")?
                                .to_string();
                            let optional = f["optional"].as_bool().unwrap_or(false);
                            Ok((name, FieldType::from_schema(f)?, optional))
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    client
                        .batch_execute(&create_table_sql(&table, &fields, &args.pk))
                        .await?;
                    writer = Some(Writer {
                        table: table.clone(),
                        fields,
                        pk: args.pk.clone(),
                        mode: args.mode,
                        statements: HashMap::new(),
                    });
                }
                batch.push(v["payload"].take());
                if batch.len() < room {
                    continue;
                }
            }
            None if batch.is_empty() => {
                if last_message.elapsed() > Duration::from_secs(args.idle_timeout_secs) {
                    return Err(format!(
                        "no record for {} s after {written} rows",
                        args.idle_timeout_secs
                    )
                    .into());
                }
                continue;
            }
            None => {}
        }
        if let Some(w) = writer.as_mut() {
            w.write(&mut client, &batch).await?;
        }
        written += batch.len() as u64;
        batch.clear();
        commit(&consumer, CommitMode::Async)?;
    }
    commit(&consumer, CommitMode::Sync)?;
    let secs = started.map_or(0.0, |s| s.elapsed().as_secs_f64());
    println!(
        "loader_rows={written} loader_secs={secs:.3} loader_rows_per_sec={:.0}",
        written as f64 / secs.max(1e-3)
    );
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.batch == 0 {
        eprintln!("pg-loader: --batch must be at least 1");
        return ExitCode::from(2);
    }
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(BenchError::from)
        .and_then(|rt| rt.block_on(run(args)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pg-loader: {e}");
            ExitCode::FAILURE
        }
    }
}
