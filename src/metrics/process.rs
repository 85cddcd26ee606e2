//! The standard `process_*` metrics, read from `/proc/self` at scrape time. No maintained crate
//! fits prometheus-client 0.26 (kubert-prometheus-process needs 0.23), and the few fields are
//! simple to read. Off Linux, nothing is emitted.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Unit;

#[derive(Debug)]
pub(crate) struct ProcessCollector;

#[derive(Debug, Default, PartialEq)]
struct ProcessStats {
    cpu_seconds: f64,
    resident_bytes: f64,
    virtual_bytes: f64,
    start_time_seconds: f64,
    open_fds: f64,
}

impl Collector for ProcessCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let Some(stats) = read_stats() else {
            return Ok(());
        };
        let cpu = ConstCounter::new(stats.cpu_seconds);
        cpu.encode(encoder.encode_descriptor(
            "process_cpu",
            "Total user and system CPU time spent",
            Some(&Unit::Seconds),
            MetricType::Counter,
        )?)?;
        for (name, help, unit, value) in [
            (
                "process_resident_memory",
                "Resident memory size",
                Some(Unit::Bytes),
                stats.resident_bytes,
            ),
            (
                "process_virtual_memory",
                "Virtual memory size",
                Some(Unit::Bytes),
                stats.virtual_bytes,
            ),
            (
                "process_start_time",
                "Start time of the process since the Unix epoch",
                Some(Unit::Seconds),
                stats.start_time_seconds,
            ),
            (
                "process_open_fds",
                "Number of open file descriptors",
                None,
                stats.open_fds,
            ),
        ] {
            ConstGauge::new(value).encode(encoder.encode_descriptor(
                name,
                help,
                unit.as_ref(),
                MetricType::Gauge,
            )?)?;
        }
        Ok(())
    }
}

fn read_stats() -> Option<ProcessStats> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let system_stat = std::fs::read_to_string("/proc/stat").ok()?;
    // SAFETY: sysconf only reads system configuration values.
    let (ticks, page_size) = unsafe {
        (
            libc::sysconf(libc::_SC_CLK_TCK),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    let open_fds = std::fs::read_dir("/proc/self/fd").ok()?.count() as f64;
    parse_stats(
        &stat,
        &system_stat,
        ticks as f64,
        page_size as f64,
        open_fds,
    )
}

/// Parses `/proc/self/stat` (fields after the parenthesised command name, which may itself hold
/// spaces and parentheses) and the boot time from `/proc/stat`.
fn parse_stats(
    stat: &str,
    system_stat: &str,
    ticks_per_second: f64,
    page_size: f64,
    open_fds: f64,
) -> Option<ProcessStats> {
    if ticks_per_second <= 0.0 {
        return None;
    }
    let after_name = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Field numbers of proc(5), minus the two (pid, comm) before `after_name`, minus one.
    let field = |n: usize| fields.get(n - 3)?.parse::<f64>().ok();
    let boot_time: f64 = system_stat
        .lines()
        .find_map(|line| line.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()?;
    Some(ProcessStats {
        cpu_seconds: (field(14)? + field(15)?) / ticks_per_second,
        virtual_bytes: field(23)?,
        resident_bytes: field(24)? * page_size,
        start_time_seconds: boot_time + field(22)? / ticks_per_second,
        open_fds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_stat_is_parsed_even_with_odd_command_names() {
        let stat = "4242 (my (odd) exe) S 1 4242 4242 0 -1 4194560 500 0 0 0 250 50 0 0 20 0 8 0 1000 104857600 2560 18446744073709551615";
        let system = "cpu  1 2 3\nbtime 1700000000\nprocesses 10\n";
        let stats = parse_stats(stat, system, 100.0, 4096.0, 7.0).unwrap();
        assert_eq!(
            stats,
            ProcessStats {
                cpu_seconds: 3.0,
                resident_bytes: 2560.0 * 4096.0,
                virtual_bytes: 104857600.0,
                start_time_seconds: 1_700_000_010.0,
                open_fds: 7.0,
            }
        );
    }

    #[test]
    fn this_process_can_be_read() {
        let stats = read_stats().expect("running on Linux");
        assert!(stats.resident_bytes > 0.0);
        assert!(stats.open_fds > 0.0);
    }
}
