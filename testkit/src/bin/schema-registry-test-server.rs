//! `schema-registry-test-server`: the Schema Registry-like test server as a process, for
//! scripts, examples and benchmarks.
//!
//! ```text
//! schema-registry-test-server [--listen 127.0.0.1:8081]
//! ```

use clap::Parser;

/// Command line.
#[derive(Debug, Parser)]
#[command(
    name = "schema-registry-test-server",
    about = "A Confluent Schema Registry-like HTTP test server"
)]
struct Args {
    /// Address to listen on (`host:port`; port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8081")]
    listen: String,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    let server = match sluice_testkit::SchemaRegistryTestServer::start_on(&args.listen).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!(
                "schema-registry-test-server: cannot listen on {}: {e}",
                args.listen
            );
            return std::process::ExitCode::FAILURE;
        }
    };
    // Scripts wait for this line to learn the URL (useful with port 0).
    println!("schema-registry-test-server listening on {}", server.url());
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("schema-registry-test-server: cannot wait for Ctrl-C: {e}");
    }
    server.stop().await;
    std::process::ExitCode::SUCCESS
}
