//! Time comes from a port so that time-dependent rules are testable.

use chrono::{DateTime, Utc};

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// The timezone every model datetime is rendered in (contract §1.6).
pub const TZ: chrono_tz::Tz = chrono_tz::America::Sao_Paulo;

/// Renders a datetime as the contract wants model datetimes: São Paulo offset, microseconds.
pub fn format_local(dt: DateTime<Utc>) -> String {
    dt.with_timezone(&TZ)
        .format_with_items(LOCAL_FORMAT.iter())
        .to_string()
}

/// `%Y-%m-%dT%H:%M:%S%.6f%:z`, parsed once (a list page renders several per row).
static LOCAL_FORMAT: std::sync::LazyLock<Vec<chrono::format::Item<'static>>> =
    std::sync::LazyLock::new(|| {
        chrono::format::StrftimeItems::new("%Y-%m-%dT%H:%M:%S%.6f%:z").collect()
    });

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn local_format_has_offset_and_micros() {
        let dt = Utc.with_ymd_and_hms(2025, 10, 12, 13, 18, 45).unwrap();
        assert_eq!(format_local(dt), "2025-10-12T10:18:45.000000-03:00");
    }
}
