//! The standard `process_*` metrics, read from `/proc/self` (Linux). There is no JVM: the
//! `jvm_*` series dashboards query do not exist.

use super::render::Families;

/// Linux's `USER_HZ`: the unit of the CPU times in `/proc/self/stat`.
const CLOCK_TICKS_PER_SECOND: f64 = 100.0;

/// What `/proc` tells about this process.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProcessStats {
    /// User and system CPU time, in seconds.
    pub cpu_seconds: f64,
    /// Resident set size, in bytes.
    pub resident_bytes: f64,
    /// Virtual memory size, in bytes.
    pub virtual_bytes: f64,
    /// Start time since the Unix epoch, in seconds.
    pub start_time_seconds: f64,
    /// Open file descriptors.
    pub open_fds: f64,
    /// The limit of open file descriptors.
    pub max_fds: Option<f64>,
}

/// Fields 14 and 15 (utime, stime) and 22 (starttime) of a `stat` line, in clock ticks.
fn parse_stat(stat: &str) -> Option<(f64, f64, f64)> {
    // The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3.
    let num = |n: usize| fields.get(n - 3)?.parse::<f64>().ok();
    Some((num(14)?, num(15)?, num(22)?))
}

/// A `Name:   value kB` line of `/proc/self/status`, in bytes.
fn status_kb(status: &str, name: &str) -> Option<f64> {
    let line = status.lines().find(|l| l.starts_with(name))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024.0)
}

/// `btime` of `/proc/stat`: the boot time, in seconds since the epoch.
fn boot_time(stat: &str) -> Option<f64> {
    stat.lines()
        .find_map(|l| l.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()
}

/// `Max open files` (soft limit) of `/proc/self/limits`.
fn max_open_files(limits: &str) -> Option<f64> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

impl ProcessStats {
    /// Reads `/proc/self`; `None` where `/proc` is missing (not Linux).
    pub fn read() -> Option<Self> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        let (utime, stime, start_ticks) = parse_stat(&stat)?;
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let boot = std::fs::read_to_string("/proc/stat")
            .ok()
            .and_then(|s| boot_time(&s))
            .unwrap_or(0.0);
        let open_fds = std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count()) as f64;
        Some(ProcessStats {
            cpu_seconds: (utime + stime) / CLOCK_TICKS_PER_SECOND,
            resident_bytes: status_kb(&status, "VmRSS:").unwrap_or(0.0),
            virtual_bytes: status_kb(&status, "VmSize:").unwrap_or(0.0),
            start_time_seconds: boot + start_ticks / CLOCK_TICKS_PER_SECOND,
            open_fds,
            max_fds: std::fs::read_to_string("/proc/self/limits")
                .ok()
                .and_then(|l| max_open_files(&l)),
        })
    }

    /// Renders the `process_*` families.
    pub fn render(&self, out: &mut Families) {
        out.push(
            "process_cpu_seconds_total",
            "Total user and system CPU time spent in seconds.",
            vec![],
            self.cpu_seconds,
        );
        out.push(
            "process_resident_memory_bytes",
            "Resident memory size in bytes.",
            vec![],
            self.resident_bytes,
        );
        out.push(
            "process_virtual_memory_bytes",
            "Virtual memory size in bytes.",
            vec![],
            self.virtual_bytes,
        );
        out.push(
            "process_start_time_seconds",
            "Start time of the process since unix epoch in seconds.",
            vec![],
            self.start_time_seconds,
        );
        out.push(
            "process_open_fds",
            "Number of open file descriptors.",
            vec![],
            self.open_fds,
        );
        if let Some(max) = self.max_fds {
            out.push(
                "process_max_fds",
                "Maximum number of open file descriptors.",
                vec![],
                max,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_files_are_parsed() {
        let stat =
            "1234 (sluice (w) x) S 1 1234 1234 0 -1 4194560 500 0 0 0 250 50 0 0 20 0 9 0 1000 0 0";
        assert_eq!(parse_stat(stat), Some((250.0, 50.0, 1000.0)));
        assert_eq!(
            status_kb("VmSize:\t  2048 kB\nVmRSS:\t    512 kB\n", "VmRSS:"),
            Some(512.0 * 1024.0)
        );
        assert_eq!(boot_time("cpu 1 2\nbtime 1700000000\n"), Some(1.7e9));
        assert_eq!(
            max_open_files("Limit Soft Hard Units\nMax open files            1024                 4096                 files\n"),
            Some(1024.0)
        );
    }

    #[test]
    fn this_process_is_measured() {
        let p = ProcessStats::read().expect("/proc is there on Linux");
        assert!(p.resident_bytes > 0.0);
        assert!(p.open_fds >= 3.0);
        assert!(p.start_time_seconds > 1.6e9);
    }
}
