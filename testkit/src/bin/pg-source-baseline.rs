//! `pg-source-baseline`: the JDBC source benchmark's baseline (`bench/jdbc/run`): a plain
//! `SELECT` + rdkafka producer loop.
//!
//! ```text
//! pg-source-baseline --schema S --table X --topic T [--batch-max-rows 100] [--column id]
//! ```
//!
//! Reads the table in chunks of `--batch-max-rows` rows (`SELECT * FROM X WHERE id > $1
//! ORDER BY id LIMIT n`, as the incrementing mode orders rows) and produces every row, no key,
//! as the JsonConverter envelope the JDBC source's records become (`{"schema":{struct named
//! after the table},"payload":{…}}`) with a librdkafka producer (its defaults), then waits
//! for every delivery. Prints `source_rows=… source_secs=… source_rows_per_sec=…`. The broker
//! is `SLUICE_BOOTSTRAP_SERVERS`, PostgreSQL `SLUICE_TEST_POSTGRES_URL`.

use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime};

use clap::Parser;
use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use serde_json::Value;
use sluice_testkit::jdbc_bench::{
    bootstrap, epoch_millis, quote, struct_schema_json, BenchError, FieldType,
};
use tokio_postgres::types::Type;
use tokio_postgres::Row;

/// Command line.
#[derive(Debug, Parser)]
#[command(
    name = "pg-source-baseline",
    about = "Plain SELECT + rdkafka producer (JDBC source baseline)."
)]
struct Args {
    /// Schema of the table.
    #[arg(long, default_value = "public")]
    schema: String,
    /// Table to read.
    #[arg(long)]
    table: String,
    /// Topic to write.
    #[arg(long)]
    topic: String,
    /// Rows per query.
    #[arg(long, default_value_t = 100)]
    batch_max_rows: i64,
    /// The strictly incrementing column.
    #[arg(long, default_value = "id")]
    column: String,
}

/// The Connect type of a PostgreSQL column type.
fn field_type(ty: &Type) -> Result<FieldType, BenchError> {
    Ok(match *ty {
        Type::INT2 => FieldType::Int16,
        Type::INT4 => FieldType::Int32,
        Type::INT8 => FieldType::Int64,
        Type::FLOAT4 => FieldType::Float32,
        Type::FLOAT8 => FieldType::Float64,
        Type::BOOL => FieldType::Boolean,
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => FieldType::String,
        Type::TIMESTAMP => FieldType::Timestamp,
        _ => return Err(format!("column type {ty} not supported by the baseline").into()),
    })
}

/// Appends column `i` of `row` as JSON.
fn push_value(out: &mut String, row: &Row, i: usize, ty: FieldType) -> Result<(), BenchError> {
    fn push<T: ToString>(out: &mut String, v: Option<T>) {
        match v {
            Some(v) => out.push_str(&v.to_string()),
            None => out.push_str("null"),
        }
    }
    match ty {
        FieldType::Int16 => push(out, row.try_get::<_, Option<i16>>(i)?),
        FieldType::Int32 => push(out, row.try_get::<_, Option<i32>>(i)?),
        FieldType::Int64 => push(out, row.try_get::<_, Option<i64>>(i)?),
        FieldType::Float32 => push(
            out,
            row.try_get::<_, Option<f32>>(i)?
                .map(|f| Value::from(f64::from(f))),
        ),
        FieldType::Float64 => push(out, row.try_get::<_, Option<f64>>(i)?.map(Value::from)),
        FieldType::Boolean => push(out, row.try_get::<_, Option<bool>>(i)?),
        FieldType::String => push(
            out,
            row.try_get::<_, Option<&str>>(i)?
                .map(|s| Value::String(s.to_string())),
        ),
        FieldType::Timestamp => push(
            out,
            row.try_get::<_, Option<SystemTime>>(i)?.map(epoch_millis),
        ),
    }
    Ok(())
}

async fn run(args: Args) -> Result<(), BenchError> {
    let config: tokio_postgres::Config = sluice_testkit::postgres::libpq_url().parse()?;
    let (client, connection) = config.connect(tokio_postgres::NoTls).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .create()?;
    let started = Instant::now();
    // Nullability for the schema's `optional` flags, once.
    let nullable: Vec<(String, bool)> = client
        .query(
            "SELECT column_name::text, is_nullable = 'YES' FROM information_schema.columns \
             WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position",
            &[&args.schema, &args.table],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let table = format!("{}.{}", quote(&args.schema), quote(&args.table));
    let column = quote(&args.column);
    let statement = client
        .prepare(&format!(
            "SELECT * FROM {table} WHERE {column} > $1 ORDER BY {column} ASC LIMIT $2"
        ))
        .await?;
    let id_index = statement
        .columns()
        .iter()
        .position(|c| c.name() == args.column)
        .ok_or_else(|| format!("{table} has no column {column}"))?;
    let mut fields = Vec::new();
    for c in statement.columns() {
        let optional = nullable.iter().any(|(n, null)| n == c.name() && *null);
        fields.push((c.name().to_string(), field_type(c.type_())?, optional));
    }
    let head = format!(
        "{{\"schema\":{},\"payload\":{{",
        struct_schema_json(&fields, Some(&args.table))
    );
    let names: Vec<String> = fields
        .iter()
        .map(|f| format!("{}:", Value::String(f.0.clone())))
        .collect();
    let mut last: i64 = i64::MIN;
    let mut rows_sent = 0u64;
    let mut value = String::with_capacity(1024);
    loop {
        let rows = client
            .query(&statement, &[&last, &args.batch_max_rows])
            .await?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            value.clear();
            value.push_str(&head);
            for (i, (name, f)) in names.iter().zip(&fields).enumerate() {
                if i > 0 {
                    value.push(',');
                }
                value.push_str(name);
                push_value(&mut value, row, i, f.1)?;
            }
            value.push_str("}}");
            let mut record = BaseRecord::<(), str>::to(&args.topic).payload(&value);
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
            rows_sent += 1;
        }
        if let Some(row) = rows.last() {
            last = row.try_get(id_index)?;
        }
    }
    producer.flush(Duration::from_secs(300))?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "source_rows={rows_sent} source_secs={secs:.3} source_rows_per_sec={:.0}",
        rows_sent as f64 / secs.max(1e-3)
    );
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.batch_max_rows < 1 {
        eprintln!("pg-source-baseline: --batch-max-rows must be at least 1");
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
            eprintln!("pg-source-baseline: {e}");
            ExitCode::FAILURE
        }
    }
}
