//! The CPU time of the running process, for the examples that print it beside their rates
//! (`es_bench`, `kafka_tool`); included by each with `#[path = "shared/own_cpu.rs"] mod own_cpu;`.

/// User + system CPU seconds of this process so far, from `/proc/self/stat` (Linux; `None`
/// elsewhere). Ticks are taken as 100 per second, Linux's USER_HZ.
pub fn own_cpu_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) start at field 3 (state).
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let user: f64 = fields.get(11)?.parse().ok()?;
    let system: f64 = fields.get(12)?.parse().ok()?;
    Some((user + system) / 100.0)
}

/// [`own_cpu_secs`] with two decimals, `unknown` when it cannot be read.
pub fn own_cpu_secs_text() -> String {
    own_cpu_secs().map_or_else(|| "unknown".to_string(), |c| format!("{c:.2}"))
}
