//! The Elasticsearch sink benchmark's helper (`bench/elasticsearch/run`; not part of the worker):
//!
//! ```text
//! es_bench produce TOPIC --count N [--existing] [--keyless]
//!                                           create TOPIC (1 partition; --existing: it exists)
//!                                           and produce N courier positions (key: courier id
//!                                           as JSON, value: JSON)
//! es_bench bulk --url U --index I --topic T --count N [--batch 2000] [--in-flight 5]
//!               [--source memory|broker]    the baselines: a plain bulk client indexing the same
//!                                           documents (ids T+partition+offset) into index I,
//!                                           generated in memory or read from every partition
//!                                           of T by a plain consumer
//! es_bench consume TOPIC --count N          a plain consumer reading N records of TOPIC's
//!                                           partitions (the broker's own ceiling)
//! es_bench wait --url U --index I --count N [--timeout-secs S]
//!                                           wait until index I holds N documents
//! ```
//!
//! Results are printed as `key=value` lines on standard output; `bulk` and `consume` add the
//! process's own CPU time (`*_cpu_secs`: user + system, start-up included). The broker is
//! `SLUICE_BOOTSTRAP_SERVERS`, else `127.0.0.1:9092`.

#[path = "shared/own_cpu.rs"]
mod own_cpu;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use own_cpu::own_cpu_secs_text;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

/// Command line.
#[derive(Debug, Parser)]
#[command(name = "es_bench", about = "Elasticsearch sink benchmark helper.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create the topic and produce N positions.
    Produce {
        topic: String,
        #[arg(long)]
        count: u64,
        /// The topic exists already (librdkafka's mock cluster has no CreateTopics).
        #[arg(long)]
        existing: bool,
        /// Records without keys, spread evenly over the partitions (the courier ids as keys
        /// put up to a few times the average on one partition).
        #[arg(long)]
        keyless: bool,
        /// With --keyless: the topic's partition count, so that record i goes to partition
        /// i mod P (librdkafka's sticky partitioner fills some partitions with several times
        /// the average, past what the mock cluster keeps per partition).
        #[arg(long)]
        partitions: Option<i32>,
    },
    /// Index the same documents with a plain bulk client.
    Bulk {
        #[arg(long)]
        url: String,
        #[arg(long)]
        index: String,
        #[arg(long)]
        topic: String,
        #[arg(long)]
        count: u64,
        #[arg(long, default_value_t = 2000)]
        batch: u64,
        #[arg(long, default_value_t = 5)]
        in_flight: u64,
        /// Where the documents come from.
        #[arg(long, value_enum, default_value_t = Source::Memory)]
        source: Source,
    },
    /// Read N records of the topic with a plain consumer (no group), to see what the broker
    /// alone allows.
    Consume {
        topic: String,
        #[arg(long)]
        count: u64,
    },
    /// Wait until an index holds N documents.
    Wait {
        #[arg(long)]
        url: String,
        #[arg(long)]
        index: String,
        #[arg(long)]
        count: u64,
        #[arg(long, default_value_t = 600)]
        timeout_secs: u64,
    },
}

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// The value of position `i`: a courier random-walking around Berlin, as the example's
/// generator writes it.
fn position(i: u64) -> String {
    let courier = i % 50;
    let step = (i / 50) as f64;
    let lat = 52.52 + (courier as f64) * 0.001 + (step * 0.37).sin() * 0.0005;
    let lon = 13.405 - (courier as f64) * 0.0016 + (step * 0.23).cos() * 0.0008;
    format!("{{\"courier\":\"courier-{courier:03}\",\"latitude\":{lat:.6},\"longitude\":{lon:.6}}}")
}

fn bootstrap() -> String {
    std::env::var("SLUICE_BOOTSTRAP_SERVERS")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "127.0.0.1:9092".to_string())
}

fn produce(
    topic: &str,
    count: u64,
    existing: bool,
    keyless: bool,
    partitions: Option<i32>,
) -> Result<()> {
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", bootstrap());
    if !existing {
        create_topic(&config, topic)?;
    }
    let producer: BaseProducer = config
        .clone()
        .set("linger.ms", "20")
        .set("batch.size", "1000000")
        .set("compression.type", "none")
        .set("message.timeout.ms", "60000")
        .create()?;
    let started = Instant::now();
    for i in 0..count {
        let key = format!("\"courier-{:03}\"", i % 50);
        let value = position(i);
        let mut record = BaseRecord::<str, str>::to(topic).payload(&value);
        if !keyless {
            record = record.key(&key);
        } else if let Some(p) = partitions.filter(|p| *p > 0) {
            record = record.partition((i % p as u64) as i32);
        }
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
    producer.flush(Duration::from_secs(120))?;
    let secs = started.elapsed().as_secs_f64();
    println!("produced={count} produce_secs={secs:.3}");
    Ok(())
}

/// Creates `topic` with one partition (an existing one is fine).
fn create_topic(config: &ClientConfig, topic: &str) -> Result<()> {
    let admin: AdminClient<DefaultClientContext> = config.create()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let results = runtime.block_on(async {
        let new = NewTopic::new(topic, 1, TopicReplication::Fixed(1));
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

/// Assigns every partition of `topic` from its beginning.
fn assign_all<C: rdkafka::consumer::ConsumerContext>(
    consumer: &rdkafka::consumer::BaseConsumer<C>,
    topic: &str,
) -> Result<()> {
    use rdkafka::consumer::Consumer;
    use rdkafka::{Offset, TopicPartitionList};
    let metadata = consumer.fetch_metadata(Some(topic), Duration::from_secs(10))?;
    let mut tpl = TopicPartitionList::new();
    for t in metadata.topics() {
        for p in t.partitions() {
            tpl.add_partition_offset(topic, p.id(), Offset::Beginning)?;
        }
    }
    if tpl.count() == 0 {
        return Err(format!("topic {topic} has no partitions").into());
    }
    consumer.assign(&tpl)?;
    Ok(())
}

/// A minimal HTTP/1.1 client over one keep-alive connection (the plain baseline has no
/// client-library overhead beyond building the body).
struct Conn {
    host: String,
    stream: TcpStream,
}

impl Conn {
    fn open(url: &str) -> Result<Conn> {
        let host = url
            .strip_prefix("http://")
            .ok_or("only http:// URLs")?
            .trim_end_matches('/')
            .to_string();
        let stream = TcpStream::connect(&host)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(60)))?;
        Ok(Conn { host, stream })
    }

    /// Sends a request and returns (status, body).
    fn request(
        &mut self,
        method: &str,
        path: &str,
        ctype: &str,
        body: &[u8],
    ) -> Result<(u16, Vec<u8>)> {
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\r\n",
            self.host,
            body.len()
        );
        self.stream.write_all(head.as_bytes())?;
        self.stream.write_all(body)?;
        // Read the head, then Content-Length bytes (or chunks).
        let mut buf = Vec::with_capacity(64 * 1024);
        let mut chunk = [0u8; 64 * 1024];
        let head_end = loop {
            let n = self.stream.read(&mut chunk)?;
            if n == 0 {
                return Err("connection closed".into());
            }
            buf.extend_from_slice(&chunk[..n]);
            if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break p + 4;
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
        let status: u16 = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or("bad status line")?;
        let length = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse::<usize>().ok());
        let mut body = buf[head_end..].to_vec();
        if let Some(len) = length {
            while body.len() < len {
                let n = self.stream.read(&mut chunk)?;
                if n == 0 {
                    return Err("connection closed".into());
                }
                body.extend_from_slice(&chunk[..n]);
            }
            body.truncate(len);
        } else if head.contains("transfer-encoding: chunked") {
            while !body.ends_with(b"0\r\n\r\n") {
                let n = self.stream.read(&mut chunk)?;
                if n == 0 {
                    return Err("connection closed".into());
                }
                body.extend_from_slice(&chunk[..n]);
            }
        }
        Ok((status, body))
    }
}

/// Where the plain bulk client takes its documents from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Source {
    /// Generated in memory: what the test server alone can take.
    Memory,
    /// Read from the topic with a plain rdkafka consumer: the same work as the sink minus
    /// Connect (converters, records, offsets).
    Broker,
}

/// Fills bulk bodies of `batch` documents from `source` and hands them, with their document
/// counts, to `out`.
fn fill_bodies(
    source: Source,
    index: &str,
    topic: &str,
    count: u64,
    batch: u64,
    out: std::sync::mpsc::SyncSender<(Vec<u8>, u64)>,
) -> Result<()> {
    use rdkafka::consumer::BaseConsumer;
    use rdkafka::Message;
    let consumer: Option<BaseConsumer> = match source {
        Source::Memory => None,
        Source::Broker => {
            let consumer: BaseConsumer = ClientConfig::new()
                .set("bootstrap.servers", bootstrap())
                .set("group.id", "es-bench-bulk")
                .set("enable.auto.commit", "false")
                .create()?;
            assign_all(&consumer, topic)?;
            Some(consumer)
        }
    };
    let mut body = Vec::new();
    let mut in_body = 0;
    for i in 0..count {
        // Document ids as the sink's: topic+partition+offset.
        match &consumer {
            None => {
                writeln!(
                    body,
                    "{{\"index\":{{\"_index\":\"{index}\",\"_id\":\"{topic}+0+{i}\"}}}}"
                )?;
                body.extend_from_slice(position(i).as_bytes());
            }
            Some(c) => {
                let m = c
                    .poll(Duration::from_secs(30))
                    .ok_or_else(|| format!("no record for 30 s after {i}"))??;
                writeln!(
                    body,
                    "{{\"index\":{{\"_index\":\"{index}\",\"_id\":\"{topic}+{}+{}\"}}}}",
                    m.partition(),
                    m.offset()
                )?;
                body.extend_from_slice(m.payload().unwrap_or(b"null"));
            }
        }
        body.push(b'\n');
        in_body += 1;
        if in_body == batch || i + 1 == count {
            out.send((std::mem::take(&mut body), in_body))
                .map_err(|_| "the bulk senders stopped")?;
            in_body = 0;
        }
    }
    Ok(())
}

fn bulk(
    url: &str,
    index: &str,
    topic: &str,
    count: u64,
    batch: u64,
    in_flight: u64,
    source: Source,
) -> Result<()> {
    // Create the index first, as the sink does.
    let mut conn = Conn::open(url)?;
    let (status, body) = conn.request("PUT", &format!("/{index}"), "application/json", b"{}")?;
    if status != 200 && status != 400 {
        return Err(format!("PUT /{index}: {status} {}", String::from_utf8_lossy(&body)).into());
    }
    let (tx, rx) = std::sync::mpsc::sync_channel::<(Vec<u8>, u64)>(usize::try_from(in_flight)?);
    let rx = Arc::new(std::sync::Mutex::new(rx));
    let started = Instant::now();
    let filler = {
        let (index, topic) = (index.to_string(), topic.to_string());
        std::thread::spawn(move || fill_bodies(source, &index, &topic, count, batch, tx))
    };
    let workers: Vec<_> = (0..in_flight)
        .map(|_| {
            let (rx, url) = (rx.clone(), url.to_string());
            std::thread::spawn(move || -> Result<u64> {
                let mut conn = Conn::open(&url)?;
                let mut sent = 0;
                loop {
                    let next = rx.lock().map_err(|_| "poisoned")?.recv();
                    let Ok((body, docs)) = next else {
                        return Ok(sent);
                    };
                    loop {
                        let (status, reply) =
                            conn.request("POST", "/_bulk", "application/x-ndjson", &body)?;
                        if status == 200 {
                            let head = &reply[..reply.len().min(64)];
                            if String::from_utf8_lossy(head).contains("\"errors\":true") {
                                return Err("bulk item errors".into());
                            }
                            break;
                        }
                        if status != 429 && status < 500 {
                            return Err(format!("bulk answered {status}").into());
                        }
                        std::thread::sleep(Duration::from_millis(50));
                    }
                    sent += docs;
                }
            })
        })
        .collect();
    let mut total = 0;
    for w in workers {
        total += w.join().map_err(|_| "bulk thread panicked")??;
    }
    filler.join().map_err(|_| "filler thread panicked")??;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "bulk_docs={total} bulk_secs={secs:.3} bulk_docs_per_sec={:.0} bulk_cpu_secs={}",
        total as f64 / secs,
        own_cpu_secs_text()
    );
    Ok(())
}

fn count_of(conn: &mut Conn, index: &str) -> Result<u64> {
    let (status, body) =
        conn.request("GET", &format!("/{index}/_count"), "application/json", b"")?;
    if status == 404 {
        return Ok(0);
    }
    let v: serde_json::Value = serde_json::from_slice(&body)?;
    v["count"]
        .as_u64()
        .ok_or_else(|| format!("_count answered {status}: {v}").into())
}

fn wait(url: &str, index: &str, count: u64, timeout: Duration) -> Result<()> {
    let started = Instant::now();
    let mut conn = Conn::open(url)?;
    let mut first = None;
    loop {
        let n = count_of(&mut conn, index)?;
        let now = started.elapsed();
        if n > 0 && first.is_none() {
            first = Some(now);
        }
        if n >= count {
            let first = first.unwrap_or(now).as_secs_f64();
            let done = now.as_secs_f64();
            println!(
                "sink_docs={n} sink_secs_from_start={done:.3} sink_first_doc_secs={first:.3} \
                 sink_docs_per_sec={:.0} sink_docs_per_sec_from_start={:.0}",
                n as f64 / (done - first).max(1e-3),
                n as f64 / done.max(1e-3)
            );
            return Ok(());
        }
        if now > timeout {
            return Err(
                format!("timed out after {timeout:?}: {index} holds {n} of {count}").into(),
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn consume(topic: &str, count: u64) -> Result<()> {
    use rdkafka::consumer::BaseConsumer;
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", bootstrap())
        .set("group.id", "es-bench-consume")
        .set("enable.auto.commit", "false");
    let consumer: BaseConsumer = config.create()?;
    assign_all(&consumer, topic)?;
    let started = Instant::now();
    let (mut n, mut bytes) = (0u64, 0u64);
    while n < count {
        if let Some(m) = consumer.poll(Duration::from_secs(10)) {
            let m = m?;
            use rdkafka::Message;
            bytes += m.payload().map_or(0, <[u8]>::len) as u64;
            n += 1;
        } else {
            return Err(format!("no record for 10 s after {n}").into());
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "consume_records={n} consume_secs={secs:.3} consume_records_per_sec={:.0} consume_bytes={bytes} consume_cpu_secs={}",
        n as f64 / secs,
        own_cpu_secs_text()
    );
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Produce {
            topic,
            count,
            existing,
            keyless,
            partitions,
        } => produce(&topic, count, existing, keyless, partitions),
        Command::Consume { topic, count } => consume(&topic, count),
        Command::Bulk {
            url,
            index,
            topic,
            count,
            batch,
            in_flight,
            source,
        } => bulk(&url, &index, &topic, count, batch, in_flight, source),
        Command::Wait {
            url,
            index,
            count,
            timeout_secs,
        } => wait(&url, &index, count, Duration::from_secs(timeout_secs)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("es_bench: {e}");
            ExitCode::FAILURE
        }
    }
}
