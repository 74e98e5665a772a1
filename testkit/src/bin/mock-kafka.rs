//! `mock-kafka`: librdkafka's in-memory mock cluster as a process, so that several Sluice
//! workers (separate processes) can share a broker that behaves right where the local test
//! broker does not: a group member that dies without LeaveGroup is expired after its
//! session timeout and the group rebalances in a new generation.
//!
//! ```text
//! mock-kafka [--brokers 1] [--topic NAME:PARTITIONS]... [--disable-api KEY]...
//! ```
//!
//! Prints `mock-kafka bootstrap.servers=<host:port,...>` on stdout once the cluster is up,
//! then runs until stdin is closed or the process is signalled. The mock cluster has no
//! CreateTopics: topics are created here, before any client connects. It keeps only a few
//! MiB per partition and nothing on disk.
//!
//! `--disable-api` leaves an API out of the brokers' ApiVersions answers, for instance 71 and
//! 72 (GetTelemetrySubscriptions, PushTelemetry) to answer as a Kafka broker without a
//! client-telemetry receiver, which is Kafka's default (the mock cluster has them).

use std::io::{Read, Write};

use clap::Parser;
use rdkafka::bindings;
use rdkafka::producer::{BaseProducer, Producer};
use rdkafka::ClientConfig;

/// Command line.
#[derive(Debug, Parser)]
#[command(
    name = "mock-kafka",
    about = "librdkafka's mock Kafka cluster as a process"
)]
struct Args {
    /// Number of brokers.
    #[arg(long, default_value_t = 1)]
    brokers: i32,
    /// A topic to create, `NAME:PARTITIONS` (repeatable).
    #[arg(long = "topic", value_name = "NAME:PARTITIONS")]
    topics: Vec<String>,
    /// An API key the brokers do not advertise (repeatable), e.g. 71 and 72 for a broker
    /// without client telemetry.
    #[arg(long = "disable-api", value_name = "KEY")]
    disabled_apis: Vec<i16>,
}

fn parse_topic(spec: &str) -> Result<(String, i32), String> {
    let (name, partitions) = spec
        .rsplit_once(':')
        .ok_or_else(|| format!("--topic {spec}: expected NAME:PARTITIONS"))?;
    let partitions: i32 = partitions
        .parse()
        .map_err(|_| format!("--topic {spec}: '{partitions}' is not a partition count"))?;
    if name.is_empty() || partitions < 1 {
        return Err(format!(
            "--topic {spec}: expected a name and at least one partition"
        ));
    }
    Ok((name.to_string(), partitions))
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let topics: Vec<(String, i32)> = match args.topics.iter().map(|t| parse_topic(t)).collect() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("mock-kafka: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    // The cluster lives in this client's handle (`test.mock.num.brokers`), which gives the
    // raw cluster that `--disable-api` needs (rdkafka's `MockCluster::new` hides it).
    let owner: BaseProducer = match ClientConfig::new()
        .set("test.mock.num.brokers", args.brokers.to_string())
        .create()
    {
        Ok(p) => p,
        Err(e) => {
            eprintln!("mock-kafka: cannot start the mock cluster: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let Some(cluster) = owner.client().mock_cluster() else {
        eprintln!("mock-kafka: the client has no mock cluster");
        return std::process::ExitCode::FAILURE;
    };
    for key in &args.disabled_apis {
        // SAFETY: the cluster belongs to `owner`, alive until the end of `main`; -1/-1
        // removes the API, as librdkafka documents.
        #[allow(unsafe_code)]
        let err = unsafe {
            bindings::rd_kafka_mock_set_apiversion(
                bindings::rd_kafka_handle_mock_cluster(owner.client().native_ptr()),
                *key,
                -1,
                -1,
            )
        };
        if err != bindings::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            eprintln!("mock-kafka: cannot disable API {key}: {err:?}");
            return std::process::ExitCode::FAILURE;
        }
    }
    for (name, partitions) in &topics {
        if let Err(e) = cluster.create_topic(name, *partitions, 1) {
            eprintln!("mock-kafka: cannot create topic {name}: {e}");
            return std::process::ExitCode::FAILURE;
        }
    }
    // Scripts and tests wait for this line to learn the address.
    println!(
        "mock-kafka bootstrap.servers={}",
        cluster.bootstrap_servers()
    );
    let _ = std::io::stdout().flush();
    // Run until stdin closes (the parent went away) or a signal ends the process.
    let mut sink = [0u8; 256];
    let mut stdin = std::io::stdin();
    while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
    drop(cluster);
    drop(owner);
    std::process::ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::parse_topic;

    #[test]
    fn topic_specs() {
        assert_eq!(
            parse_topic("connect-configs:1"),
            Ok(("connect-configs".into(), 1))
        );
        assert_eq!(parse_topic("a:b:25"), Ok(("a:b".into(), 25)));
        assert!(parse_topic("x").is_err());
        assert!(parse_topic("x:0").is_err());
        assert!(parse_topic(":3").is_err());
        assert!(parse_topic("x:many").unwrap_err().contains("'many'"));
    }
}
