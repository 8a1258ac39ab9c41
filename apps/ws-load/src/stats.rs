//! Latency percentiles, printed in milliseconds.

use crate::Report;

/// Adds `<key>_p50_ms`, `_p90_ms`, `_p99_ms`, `_max_ms`, `_mean_ms` from nanosecond samples
/// (all zero when there are none).
pub fn latency(report: &mut Report, key: &str, mut samples: Vec<u64>) {
    samples.sort_unstable();
    let ms = |ns: u64| format!("{:.3}", ns as f64 / 1e6);
    let at = |p: f64| {
        if samples.is_empty() {
            0
        } else {
            samples[((samples.len() - 1) as f64 * p).round() as usize]
        }
    };
    let mean = if samples.is_empty() {
        0
    } else {
        (samples.iter().map(|&s| s as u128).sum::<u128>() / samples.len() as u128) as u64
    };
    report.push(&format!("{key}_p50_ms"), ms(at(0.50)));
    report.push(&format!("{key}_p90_ms"), ms(at(0.90)));
    report.push(&format!("{key}_p99_ms"), ms(at(0.99)));
    report.push(
        &format!("{key}_max_ms"),
        ms(samples.last().copied().unwrap_or(0)),
    );
    report.push(&format!("{key}_mean_ms"), ms(mean));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_known_samples() {
        let mut r = Report::default();
        latency(
            &mut r,
            "l",
            (1..=100).rev().map(|ms| ms * 1_000_000).collect(),
        );
        assert_eq!(r.get("l_p50_ms"), Some("51.000"));
        assert_eq!(r.get("l_p99_ms"), Some("99.000"));
        assert_eq!(r.get("l_max_ms"), Some("100.000"));
        assert_eq!(r.get("l_mean_ms"), Some("50.500"));
        let mut e = Report::default();
        latency(&mut e, "l", vec![]);
        assert_eq!(e.get("l_max_ms"), Some("0.000"));
    }
}
