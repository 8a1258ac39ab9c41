//! Business hours (`chat_settings.horario_funcionamento`) in São Paulo local time: whether a
//! moment is inside them, and when the current closed period began.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};

/// Opening and closing time of each weekday (index 0 = segunda … 6 = domingo); `None`: closed
/// all day. A closing time not after the opening time runs past midnight.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Horario {
    pub dias: [Option<(NaiveTime, NaiveTime)>; 7],
}

pub const DIAS: [&str; 7] = [
    "segunda", "terca", "quarta", "quinta", "sexta", "sabado", "domingo",
];

impl Horario {
    fn slot(&self, d: NaiveDate) -> Option<(NaiveDateTime, NaiveDateTime)> {
        let (i, f) = self.dias[d.weekday().num_days_from_monday() as usize]?;
        let open = d.and_time(i);
        let close = if f > i {
            d.and_time(f)
        } else {
            (d + Duration::days(1)).and_time(f)
        };
        Some((open, close))
    }

    /// Whether `local` is inside business hours (opening inclusive, closing exclusive).
    pub fn aberto(&self, local: NaiveDateTime) -> bool {
        let today = local.date();
        [today - Duration::days(1), today].iter().any(|d| {
            self.slot(*d)
                .is_some_and(|(open, close)| open <= local && local < close)
        })
    }

    /// When the closed period that contains `local` began: the latest closing time at or
    /// before it (within the last week); `None` when nothing ever opens.
    pub fn ultimo_fechamento(&self, local: NaiveDateTime) -> Option<NaiveDateTime> {
        (0..=8)
            .filter_map(|back| self.slot(local.date() - Duration::days(back)))
            .map(|(_, close)| close)
            .filter(|close| *close <= local)
            .max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveTime {
        NaiveTime::parse_from_str(s, "%H:%M").unwrap()
    }

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    /// Monday–Friday 08:00–18:00, weekends closed (2026-03-02 is a Monday).
    fn comercial() -> Horario {
        let mut h = Horario::default();
        for d in 0..5 {
            h.dias[d] = Some((t("08:00"), t("18:00")));
        }
        h
    }

    #[test]
    fn weekdays_and_weekends() {
        let h = comercial();
        assert!(h.aberto(at("2026-03-02 08:00")));
        assert!(h.aberto(at("2026-03-06 17:59")));
        assert!(!h.aberto(at("2026-03-06 18:00")));
        assert!(!h.aberto(at("2026-03-07 10:00")), "saturday");
        assert!(!h.aberto(at("2026-03-02 07:59")));
        // Friday 18:00 closes until Monday: Saturday and Sunday belong to that period.
        assert_eq!(
            h.ultimo_fechamento(at("2026-03-08 12:00")),
            Some(at("2026-03-06 18:00"))
        );
        assert_eq!(
            h.ultimo_fechamento(at("2026-03-09 07:00")),
            Some(at("2026-03-06 18:00"))
        );
        assert_eq!(
            h.ultimo_fechamento(at("2026-03-03 07:00")),
            Some(at("2026-03-02 18:00"))
        );
    }

    #[test]
    fn a_shift_across_midnight() {
        let mut h = Horario::default();
        h.dias[4] = Some((t("22:00"), t("02:00"))); // friday night
        assert!(h.aberto(at("2026-03-06 23:30")));
        assert!(
            h.aberto(at("2026-03-07 01:59")),
            "saturday early hours belong to friday"
        );
        assert!(!h.aberto(at("2026-03-07 02:00")));
        assert!(!h.aberto(at("2026-03-06 21:59")));
        assert_eq!(
            h.ultimo_fechamento(at("2026-03-07 10:00")),
            Some(at("2026-03-07 02:00"))
        );
    }

    #[test]
    fn never_open() {
        let h = Horario::default();
        assert!(!h.aberto(at("2026-03-02 12:00")));
        assert_eq!(h.ultimo_fechamento(at("2026-03-02 12:00")), None);
    }
}
