//! `avro-bench`: records/s through AvroConverter in both directions beside JsonConverter
//! (`schemas.enable=true`) on the same position records in the same run, with CPU time per
//! record and the Schema Registry calls counted (an in-process test registry). No broker.
//!
//! ```text
//! avro-bench [--records 1000000] [--runs 3]
//! ```
//!
//! Prints a markdown table; the best of `--runs` runs is kept for each direction.

use std::time::Instant;

use clap::Parser;
use sluice_api::config::props_of;
use sluice_api::logical;
use sluice_api::{schemas, Converter, Headers, SchemaBuilder, SchemaRef, Struct, Value};
use sluice_converters::{AvroConverter, JsonConverter};
use sluice_testkit::SchemaRegistryTestServer;

/// Command line.
#[derive(Debug, Parser)]
#[command(
    name = "avro-bench",
    about = "AvroConverter beside JsonConverter, both directions"
)]
struct Args {
    /// Records per run.
    #[arg(long, default_value_t = 1_000_000)]
    records: usize,
    /// Runs per converter and direction (the best is kept).
    #[arg(long, default_value_t = 3)]
    runs: usize,
}

fn position_schema() -> SchemaRef {
    SchemaBuilder::struct_()
        .name("courier.Position")
        .field("courier", schemas::string())
        .and_then(|b| b.field("latitude", schemas::float64()))
        .and_then(|b| b.field("longitude", schemas::float64()))
        .and_then(|b| b.field("speed", schemas::optional_float32()))
        .and_then(|b| b.field("ts", logical::timestamp().build_ref()))
        .expect("position schema")
        .build_ref()
}

fn positions(schema: &SchemaRef, n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let mut s = Struct::new(schema.clone());
            let f = i as f64;
            s.put_index(0, Value::String(format!("courier-{:03}", i % 50)));
            s.put_index(1, Value::Float64(52.52 + (f * 0.000_37) % 0.1));
            s.put_index(2, Value::Float64(13.405 + (f * 0.000_53) % 0.16));
            s.put_index(
                3,
                if i % 3 == 0 {
                    Value::Null
                } else {
                    Value::Float32((i % 90) as f32 + 0.5)
                },
            );
            s.put_index(4, Value::Date(1_700_000_000_000 + i as i64));
            Value::Struct(s)
        })
        .collect()
}

/// CPU time of this thread in nanoseconds (`/proc/thread-self/schedstat`).
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

#[derive(Debug, Clone, Copy)]
struct Measure {
    records_per_s: f64,
    cpu_ns_per_record: f64,
}

fn best(runs: usize, mut f: impl FnMut() -> usize) -> Measure {
    let mut best: Option<Measure> = None;
    for _ in 0..runs {
        let cpu0 = thread_cpu_ns();
        let t0 = Instant::now();
        let n = f();
        let wall = t0.elapsed().as_secs_f64();
        let cpu = thread_cpu_ns().saturating_sub(cpu0) as f64;
        let m = Measure {
            records_per_s: n as f64 / wall,
            cpu_ns_per_record: cpu / n as f64,
        };
        if best.is_none_or(|b| m.records_per_s > b.records_per_s) {
            best = Some(m);
        }
    }
    best.expect("at least one run")
}

fn encode_all(c: &mut dyn Converter, schema: &SchemaRef, values: &[Value]) -> Vec<Vec<u8>> {
    let mut headers = Headers::new();
    values
        .iter()
        .map(|v| {
            c.from_connect_data("position", &mut headers, Some(schema), v)
                .expect("serialize")
                .expect("bytes")
        })
        .collect()
}

fn decode_all(c: &mut dyn Converter, encoded: &[Vec<u8>]) -> usize {
    let headers = Headers::new();
    let mut n = 0;
    for b in encoded {
        let sv = c
            .to_connect_data("position", &headers, Some(b))
            .expect("deserialize");
        n += usize::from(!sv.value.is_null());
    }
    n
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("avro-bench: cannot start a runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let registry = match runtime.block_on(SchemaRegistryTestServer::start()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("avro-bench: cannot start the test registry: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let schema = position_schema();
    eprintln!("avro-bench: building {} position records", args.records);
    let values = positions(&schema, args.records);

    let mut json_w = JsonConverter::new();
    let mut json_r = JsonConverter::new();
    let mut avro_w = AvroConverter::new();
    let mut avro_r = AvroConverter::new();
    let props = props_of(&[("schema.registry.url", registry.url())]);
    if let Err(e) = avro_w
        .configure(&props, false)
        .and_then(|()| avro_r.configure(&props, false))
    {
        eprintln!("avro-bench: {e}");
        return std::process::ExitCode::FAILURE;
    }

    // Sanity: both converters give back what they were given.
    let json_bytes = encode_all(&mut json_w, &schema, &values[..1]);
    let avro_bytes = encode_all(&mut avro_w, &schema, &values[..1]);
    let back = avro_r
        .to_connect_data("position", &Headers::new(), Some(&avro_bytes[0]))
        .expect("avro back");
    assert_eq!(
        back.value.as_struct().map(Struct::values),
        values[0].as_struct().map(Struct::values)
    );
    let back = json_r
        .to_connect_data("position", &Headers::new(), Some(&json_bytes[0]))
        .expect("json back");
    assert_eq!(
        back.value.as_struct().map(Struct::values),
        values[0].as_struct().map(Struct::values)
    );

    eprintln!(
        "avro-bench: JsonConverter (schemas.enable=true), {} runs",
        args.runs
    );
    let mut json_encoded = Vec::new();
    let json_out = best(args.runs, || {
        json_encoded = encode_all(&mut json_w, &schema, &values);
        json_encoded.len()
    });
    let json_in = best(args.runs, || decode_all(&mut json_r, &json_encoded));
    eprintln!("avro-bench: AvroConverter, {} runs", args.runs);
    let mut avro_encoded = Vec::new();
    let avro_out = best(args.runs, || {
        avro_encoded = encode_all(&mut avro_w, &schema, &values);
        avro_encoded.len()
    });
    let avro_in = best(args.runs, || decode_all(&mut avro_r, &avro_encoded));

    let stats = registry.stats();
    let json_size = json_encoded.iter().map(Vec::len).sum::<usize>() as f64 / values.len() as f64;
    let avro_size = avro_encoded.iter().map(Vec::len).sum::<usize>() as f64 / values.len() as f64;
    let n = values.len();
    println!("| converter | direction | records/s | CPU ns/record | bytes/record |");
    println!("| --- | --- | ---: | ---: | ---: |");
    for (name, dir, m, size) in [
        (
            "JsonConverter (schemas.enable=true)",
            "Connect → bytes (source)",
            json_out,
            json_size,
        ),
        (
            "JsonConverter (schemas.enable=true)",
            "bytes → Connect (sink)",
            json_in,
            json_size,
        ),
        (
            "AvroConverter",
            "Connect → bytes (source)",
            avro_out,
            avro_size,
        ),
        (
            "AvroConverter",
            "bytes → Connect (sink)",
            avro_in,
            avro_size,
        ),
    ] {
        println!(
            "| {name} | {dir} | {:.0} | {:.0} | {size:.0} |",
            m.records_per_s, m.cpu_ns_per_record
        );
    }
    println!();
    println!(
        "Avro/JSON throughput: source side {:.2}x, sink side {:.2}x ({n} records, best of {} runs).",
        avro_out.records_per_s / json_out.records_per_s,
        avro_in.records_per_s / json_in.records_per_s,
        args.runs
    );
    println!(
        "Schema Registry calls for {} Avro records written and {} read ({} runs each, one schema): {} (register {}, schema by id {}, version lookup {}).",
        n * args.runs + 1,
        n * args.runs + 1,
        args.runs,
        stats.requests,
        stats.registers,
        stats.schema_fetches,
        stats.lookups
    );
    std::process::ExitCode::SUCCESS
}
