//! Figures of a process from `/proc` (Linux): CPU time and resident memory. `None` elsewhere
//! or when the process is gone.

/// `/proc/<pid>/stat` counts CPU time in USER_HZ ticks, 100 per second on Linux.
const TICKS_PER_SEC: f64 = 100.0;

/// User + system CPU seconds of all the threads of `pid` so far.
pub fn cpu_secs(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_cpu_secs(&stat)
}

/// From the text of `/proc/<pid>/stat`: fields 14 (utime) and 15 (stime), counted after the
/// command name, which is in parentheses and may hold spaces.
pub fn parse_cpu_secs(stat: &str) -> Option<f64> {
    let after = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // `after` starts at field 3 (state); utime is field 14.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / TICKS_PER_SEC)
}

/// `VmRSS` of `pid` in KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_of_a_stat_line_with_spaces_in_the_name() {
        let line = "4242 (dx connect (x)) S 1 2 3 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 4 0 \
                    12345 1000000 500 18446744073709551615";
        assert_eq!(parse_cpu_secs(line), Some(3.0));
    }

    #[test]
    fn this_process_has_cpu_time_and_memory() {
        #[cfg(target_os = "linux")]
        {
            assert!(cpu_secs(std::process::id()).is_some());
            assert!(rss_kib(std::process::id()).unwrap() > 0);
        }
    }
}
