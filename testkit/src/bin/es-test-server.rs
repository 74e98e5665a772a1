//! `es-test-server`: the Elasticsearch-like test server as a process, for scripts, examples and
//! benchmarks. Faults are driven through its `/_testkit/*` admin endpoints.
//!
//! ```text
//! es-test-server [--listen 127.0.0.1:9200] [--es-version 8.15.0]
//! ```

use clap::Parser;

/// Command line.
#[derive(Debug, Parser)]
#[command(
    name = "es-test-server",
    about = "An Elasticsearch-like HTTP test server"
)]
struct Args {
    /// Address to listen on (`host:port`; port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:9200")]
    listen: String,
    /// The version `GET /` reports (7.x runs the sink without compatibility headers).
    #[arg(long, default_value = sluice_testkit::es::DEFAULT_VERSION)]
    es_version: String,
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
    let server = match sluice_testkit::EsTestServer::start_on(&args.listen, &args.es_version).await
    {
        Ok(s) => s,
        Err(e) => {
            eprintln!("es-test-server: cannot listen on {}: {e}", args.listen);
            return std::process::ExitCode::FAILURE;
        }
    };
    // Scripts wait for this line to learn the URL (useful with port 0).
    println!("es-test-server listening on {}", server.url());
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("es-test-server: cannot wait for Ctrl-C: {e}");
    }
    server.stop().await;
    std::process::ExitCode::SUCCESS
}
