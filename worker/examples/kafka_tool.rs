//! A small Kafka helper for the quickstart and the benchmark (not part of the worker):
//!
//! ```text
//! kafka_tool create-topic TOPIC [--partitions N]        create a topic (an existing one is fine)
//! kafka_tool produce TOPIC --count N --size BYTES       the benchmark baseline: a plain rdkafka
//!                                                       producer sending N values of BYTES bytes
//! kafka_tool produce TOPIC --file PATH [--set K=V]...   ... or each line of PATH (without its
//!                                                       terminator) as one value, with librdkafka
//!                                                       settings K=V on top of its defaults
//! kafka_tool wait-count TOPIC --count N [--timeout-secs S]
//!                                                       wait until the topic holds N records
//! ```
//!
//! The broker is `--bootstrap-servers`, else `SLUICE_BOOTSTRAP_SERVERS`, else
//! `127.0.0.1:9092`. Results are printed as one `key=value` line on standard output; `produce`
//! adds its own CPU time (`cpu_secs`, user + system of the whole process, start-up included).
//!
//! Run with `cargo run --release -p sluice-worker --example kafka_tool -- create-topic t`.

#[path = "shared/own_cpu.rs"]
mod own_cpu;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

/// Command line.
#[derive(Debug, Parser)]
#[command(
    name = "kafka_tool",
    about = "Kafka helper for the Sluice quickstart and benchmark."
)]
struct Cli {
    /// Broker list (default: SLUICE_BOOTSTRAP_SERVERS, else 127.0.0.1:9092).
    #[arg(long, global = true)]
    bootstrap_servers: Option<String>,
    /// What to do.
    #[command(subcommand)]
    command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Creates a topic; succeeds when it already exists.
    CreateTopic {
        /// Topic name.
        topic: String,
        /// Partitions.
        #[arg(long, default_value_t = 1)]
        partitions: i32,
    },
    /// Sends `count` records of `size` bytes, or the lines of `file`, (no key) and waits for
    /// every acknowledgement.
    Produce {
        /// Topic name.
        topic: String,
        /// Records to send (without `--file`).
        #[arg(long, required_unless_present = "file")]
        count: Option<u64>,
        /// Value size in bytes (without `--file`).
        #[arg(long, default_value_t = 100)]
        size: usize,
        /// Send each line of this file (LF or CRLF terminator removed) as one record's value.
        #[arg(long, conflicts_with = "count")]
        file: Option<std::path::PathBuf>,
        /// A librdkafka setting `KEY=VALUE` for the producer (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        settings: Vec<String>,
    },
    /// Waits until the topic's partitions hold `count` records in total.
    WaitCount {
        /// Topic name.
        topic: String,
        /// Records expected.
        #[arg(long)]
        count: i64,
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 120)]
        timeout_secs: u64,
    },
}

/// What can fail.
#[derive(Debug, thiserror::Error)]
enum ToolError {
    #[error("Kafka error: {0}")]
    Kafka(#[from] KafkaError),
    #[error("could not create topic {topic}: {code}")]
    CreateTopic {
        topic: String,
        code: RDKafkaErrorCode,
    },
    #[error("timed out after {secs} s: topic {topic} holds {seen} of {want} records")]
    Timeout {
        topic: String,
        seen: i64,
        want: i64,
        secs: u64,
    },
    #[error("could not start the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("--set {0}: expected KEY=VALUE")]
    Setting(String),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let bootstrap = cli
        .bootstrap_servers
        .or_else(|| std::env::var("SLUICE_BOOTSTRAP_SERVERS").ok())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "127.0.0.1:9092".to_string());
    let result = match cli.command {
        Command::CreateTopic { topic, partitions } => create_topic(&bootstrap, &topic, partitions),
        Command::Produce {
            topic,
            count,
            size,
            file,
            settings,
        } => produce(&bootstrap, &topic, count, size, file.as_deref(), &settings),
        Command::WaitCount {
            topic,
            count,
            timeout_secs,
        } => wait_count(&bootstrap, &topic, count, timeout_secs),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kafka_tool: {e}");
            ExitCode::FAILURE
        }
    }
}

fn client_config(bootstrap: &str) -> ClientConfig {
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", bootstrap);
    config
}

fn create_topic(bootstrap: &str, topic: &str, partitions: i32) -> Result<(), ToolError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(ToolError::Runtime)?;
    runtime.block_on(async {
        let admin: AdminClient<DefaultClientContext> = client_config(bootstrap).create()?;
        let new = NewTopic::new(topic, partitions, TopicReplication::Fixed(1));
        let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
        for result in admin.create_topics([&new], &options).await? {
            match result {
                Ok(_) => println!("created={topic}"),
                Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => println!("exists={topic}"),
                Err((topic, code)) => return Err(ToolError::CreateTopic { topic, code }),
            }
        }
        Ok(())
    })
}

/// Sends `count` values of `size` bytes, or every line of `file`, then waits for every
/// acknowledgement.
fn produce(
    bootstrap: &str,
    topic: &str,
    count: Option<u64>,
    size: usize,
    file: Option<&std::path::Path>,
    settings: &[String],
) -> Result<(), ToolError> {
    let mut config = client_config(bootstrap);
    for setting in settings {
        let (key, value) = setting
            .split_once('=')
            .ok_or_else(|| ToolError::Setting(setting.clone()))?;
        config.set(key, value);
    }
    let producer: BaseProducer = config.create()?;
    let start = Instant::now();
    let (mut records, mut bytes) = (0u64, 0u64);
    let mut send = |value: &[u8]| -> Result<(), ToolError> {
        let mut record = BaseRecord::<(), [u8]>::to(topic).payload(value);
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    record = back;
                    producer.poll(Duration::from_millis(5));
                }
                Err((e, _)) => return Err(e.into()),
            }
        }
        producer.poll(Duration::ZERO);
        records += 1;
        bytes += value.len() as u64;
        Ok(())
    };
    match file {
        Some(path) => {
            use std::io::BufRead;
            let read_error = |source| ToolError::Read {
                path: path.display().to_string(),
                source,
            };
            let mut input = std::io::BufReader::new(std::fs::File::open(path).map_err(read_error)?);
            let mut line = Vec::new();
            while input.read_until(b'\n', &mut line).map_err(read_error)? > 0 {
                let mut end = line.len();
                if line[..end].ends_with(b"\n") {
                    end -= 1;
                    if line[..end].ends_with(b"\r") {
                        end -= 1;
                    }
                }
                send(&line[..end])?;
                line.clear();
            }
        }
        None => {
            let value = vec![b'x'; size];
            for _ in 0..count.unwrap_or(0) {
                send(&value)?;
            }
        }
    }
    producer.flush(Duration::from_secs(120))?;
    let secs = start.elapsed().as_secs_f64();
    let cpu = own_cpu::own_cpu_secs_text();
    println!("records={records} bytes={bytes} seconds={secs:.3} cpu_secs={cpu}");
    Ok(())
}

fn wait_count(bootstrap: &str, topic: &str, want: i64, timeout_secs: u64) -> Result<(), ToolError> {
    let consumer: BaseConsumer = client_config(bootstrap)
        .set("group.id", "sluice-kafka-tool")
        .create()?;
    let start = Instant::now();
    let deadline = start + Duration::from_secs(timeout_secs);
    let mut seen = 0;
    loop {
        if let Ok(metadata) = consumer.fetch_metadata(Some(topic), Duration::from_secs(5)) {
            let partitions: Vec<i32> = metadata
                .topics()
                .iter()
                .flat_map(|t| t.partitions().iter().map(|p| p.id()))
                .collect();
            let mut total = 0;
            for p in partitions {
                if let Ok((low, high)) = consumer.fetch_watermarks(topic, p, Duration::from_secs(5))
                {
                    total += high - low;
                }
            }
            seen = total;
        }
        if seen >= want {
            println!(
                "records={seen} seconds={:.3}",
                start.elapsed().as_secs_f64()
            );
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(ToolError::Timeout {
                topic: topic.to_string(),
                seen,
                want,
                secs: timeout_secs,
            });
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
