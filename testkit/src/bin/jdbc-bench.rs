//! `jdbc-bench`: the JDBC benchmark's topic filler and watchers (`bench/jdbc/run`).
//!
//! ```text
//! jdbc-bench create-topic TOPIC [--partitions P]   create a topic (an existing one is fine)
//! jdbc-bench produce TOPIC --count N [--partitions P]
//!                         N order records (JsonConverter envelope with schema, no key, id = i)
//!                         to TOPIC, record i to partition i % P; fails when the broker dropped
//!                         any (the mock cluster keeps 5 MiB per partition)
//! jdbc-bench wait-rows --table SCHEMA.TABLE --count N [--partitions P] [--timeout-secs S]
//!                         wait until the table holds the N orders of `produce`
//! jdbc-bench wait-offsets TOPIC --count N [--partitions P] [--timeout-secs S]
//!                         wait until the topic's end offsets add up to N
//! ```
//!
//! The broker is `SLUICE_BOOTSTRAP_SERVERS` (else `127.0.0.1:9092`), PostgreSQL
//! `SLUICE_TEST_POSTGRES_URL` (libpq form, else `postgres://postgres@127.0.0.1:5432/postgres`).
//! Results are `key=value` lines on standard output; times are seconds since the command
//! started, so a watcher started just before the process it watches times that process.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use sluice_testkit::jdbc_bench::{
    bootstrap, order_envelope, order_fields, struct_schema_json, BenchError,
};

/// Command line.
#[derive(Debug, Parser)]
#[command(name = "jdbc-bench", about = "JDBC benchmark helper.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a topic; an existing one is fine.
    CreateTopic {
        topic: String,
        #[arg(long, default_value_t = 1)]
        partitions: i32,
    },
    /// Produce N order records.
    Produce {
        topic: String,
        #[arg(long)]
        count: u64,
        #[arg(long, default_value_t = 1)]
        partitions: i32,
    },
    /// Wait until a table holds the N orders.
    WaitRows {
        /// Schema-qualified table, as SQL (`"schema"."table"`).
        #[arg(long)]
        table: String,
        #[arg(long)]
        count: u64,
        #[arg(long, default_value_t = 1)]
        partitions: i32,
        #[arg(long, default_value_t = 900)]
        timeout_secs: u64,
    },
    /// Wait until a topic's end offsets add up to N.
    WaitOffsets {
        topic: String,
        #[arg(long)]
        count: i64,
        #[arg(long, default_value_t = 1)]
        partitions: i32,
        #[arg(long, default_value_t = 900)]
        timeout_secs: u64,
    },
}

fn runtime() -> Result<tokio::runtime::Runtime, BenchError> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

fn create_topic(topic: &str, partitions: i32) -> Result<(), BenchError> {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .create()?;
    let results = runtime()?.block_on(async {
        let new = NewTopic::new(topic, partitions, TopicReplication::Fixed(1));
        let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
        admin.create_topics([&new], &options).await
    })?;
    for r in results {
        match r {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((t, code)) => return Err(format!("creating {t}: {code}").into()),
        }
    }
    Ok(())
}

fn produce(topic: &str, count: u64, partitions: i32) -> Result<(), BenchError> {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("linger.ms", "20")
        .set("batch.size", "1000000")
        .set("compression.type", "lz4")
        .set("message.timeout.ms", "120000")
        .create()?;
    let schema = struct_schema_json(&order_fields(), None);
    let started = Instant::now();
    let mut bytes = 0u64;
    for i in 0..count {
        let value = order_envelope(&schema, i);
        bytes += value.len() as u64;
        let partition = i32::try_from(i % u64::try_from(partitions)?)?;
        let mut record = BaseRecord::<(), str>::to(topic)
            .partition(partition)
            .payload(&value);
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    producer.poll(Duration::from_millis(5));
                    record = back;
                }
                Err((e, _)) => return Err(e.into()),
            }
        }
        producer.poll(Duration::ZERO);
    }
    producer.flush(Duration::from_secs(300))?;
    let secs = started.elapsed().as_secs_f64();
    // Every record must still be there: the mock cluster drops a partition's oldest batches
    // beyond 5 MiB.
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .create()?;
    let mut total = 0;
    for p in 0..partitions {
        let (low, high) = consumer.fetch_watermarks(topic, p, Duration::from_secs(10))?;
        if low != 0 {
            return Err(format!(
                "partition {p} of {topic} starts at offset {low}: the broker dropped records \
                 (the mock cluster keeps 5 MiB per partition; use more partitions)"
            )
            .into());
        }
        total += high;
    }
    if total != i64::try_from(count)? {
        return Err(format!("{topic} holds {total} records, expected {count}").into());
    }
    println!(
        "produced={count} produce_secs={secs:.3} produce_records_per_sec={:.0} value_bytes_avg={:.0}",
        count as f64 / secs,
        bytes as f64 / count.max(1) as f64
    );
    Ok(())
}

/// Ids of the last order of every partition: once they are all in the table, every order is
/// (each partition is written in order, one transaction per batch).
fn last_ids(count: u64, partitions: i32) -> Vec<i64> {
    let p = u64::try_from(partitions).unwrap_or(1).max(1);
    (0..p.min(count))
        .map(|k| {
            // The largest i < count with i % p == k.
            let i = (count - 1 - k) / p * p + k;
            i64::try_from(i).unwrap_or(i64::MAX)
        })
        .collect()
}

fn wait_rows(
    table: &str,
    count: u64,
    partitions: i32,
    timeout: Duration,
) -> Result<(), BenchError> {
    let started = Instant::now();
    runtime()?.block_on(async {
        let config: tokio_postgres::Config = sluice_testkit::postgres::libpq_url().parse()?;
        let (client, connection) = config.connect(tokio_postgres::NoTls).await?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        let ids = last_ids(count, partitions);
        let any_sql = format!("SELECT EXISTS (SELECT 1 FROM {table})");
        let last_sql = format!("SELECT count(*) FROM {table} WHERE \"id\" = ANY($1)");
        let count_sql = format!("SELECT count(*) FROM {table}");
        let mut first = None;
        let mut checked_full = Instant::now();
        loop {
            let now = started.elapsed();
            if now > timeout {
                let n = client
                    .query_one(&count_sql, &[])
                    .await
                    .map(|r| r.get::<_, i64>(0))
                    .unwrap_or(0);
                return Err(format!(
                    "timed out after {timeout:?}: {table} holds {n} of {count} rows"
                )
                .into());
            }
            if first.is_none() {
                match client.query_one(&any_sql, &[]).await {
                    Ok(row) if row.get::<_, bool>(0) => first = Some(now),
                    Ok(_) => {}
                    // Not created yet (auto.create happens with the first batch).
                    Err(e)
                        if e.code() == Some(&tokio_postgres::error::SqlState::UNDEFINED_TABLE) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            if first.is_some() {
                let found: i64 = client.query_one(&last_sql, &[&ids]).await?.get(0);
                if found == i64::try_from(ids.len())?
                    && checked_full.elapsed() > Duration::from_millis(500)
                {
                    let done = started.elapsed();
                    let n: i64 = client.query_one(&count_sql, &[]).await?.get(0);
                    if n == i64::try_from(count)? {
                        let first = first.unwrap_or(done).as_secs_f64();
                        let done = done.as_secs_f64();
                        println!(
                            "rows={n} first_row_secs={first:.3} done_secs={done:.3} \
                             rows_per_sec={:.0} rows_per_sec_from_start={:.0}",
                            n as f64 / (done - first).max(1e-3),
                            n as f64 / done.max(1e-3)
                        );
                        return Ok(());
                    }
                    if n > i64::try_from(count)? {
                        return Err(format!("{table} holds {n} rows, more than {count}").into());
                    }
                    // The last ids arrived before some earlier rows: count again later.
                    checked_full = Instant::now();
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
}

fn wait_offsets(
    topic: &str,
    count: i64,
    partitions: i32,
    timeout: Duration,
) -> Result<(), BenchError> {
    let started = Instant::now();
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .create()?;
    let mut first = None;
    loop {
        let mut total = 0;
        for p in 0..partitions {
            // A topic not there yet reads as empty.
            if let Ok((_, high)) = consumer.fetch_watermarks(topic, p, Duration::from_secs(5)) {
                total += high;
            }
        }
        let now = started.elapsed();
        if total > 0 && first.is_none() {
            first = Some(now);
        }
        if total >= count {
            let first = first.unwrap_or(now).as_secs_f64();
            let done = now.as_secs_f64();
            println!(
                "records={total} first_record_secs={first:.3} done_secs={done:.3} \
                 records_per_sec={:.0} records_per_sec_from_start={:.0}",
                total as f64 / (done - first).max(1e-3),
                total as f64 / done.max(1e-3)
            );
            return Ok(());
        }
        if now > timeout {
            return Err(format!(
                "timed out after {timeout:?}: {topic} holds {total} of {count} records"
            )
            .into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::CreateTopic { topic, partitions } => create_topic(&topic, partitions),
        Command::Produce {
            topic,
            count,
            partitions,
        } => produce(&topic, count, partitions),
        Command::WaitRows {
            table,
            count,
            partitions,
            timeout_secs,
        } => wait_rows(&table, count, partitions, Duration::from_secs(timeout_secs)),
        Command::WaitOffsets {
            topic,
            count,
            partitions,
            timeout_secs,
        } => wait_offsets(&topic, count, partitions, Duration::from_secs(timeout_secs)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("jdbc-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::last_ids;

    #[test]
    fn last_id_of_every_partition() {
        assert_eq!(last_ids(10, 1), vec![9]);
        assert_eq!(last_ids(10, 3), vec![9, 7, 8]);
        assert_eq!(last_ids(2, 4), vec![0, 1]);
        assert_eq!(last_ids(12, 4), vec![8, 9, 10, 11]);
    }
}
