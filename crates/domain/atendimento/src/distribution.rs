//! The choices of auto-distribution (§4.7), as a pure function: the repository runs it inside
//! the transaction that holds the department's agents and writes what it returns.

use crate::model::Prioridade;
use chrono::{DateTime, Utc};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// A queue row waiting for an agent.
#[derive(Debug, Clone, PartialEq)]
pub struct Pendente {
    pub fila_id: i64,
    pub prioridade: Prioridade,
    pub entrou_na_fila_em: DateTime<Utc>,
}

/// An active member of the department and its load (atendimentos aguardando or
/// em_atendimento assigned to it, in any department).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidato {
    pub agent: i64,
    pub load: i64,
}

/// Pairs each pending row (highest rank first, then oldest, then lowest id) with the
/// available agent of lowest load (ties: lowest id), counting each assignment, until nobody
/// is below `max` any more. Returns `(fila_id, agent)` in assignment order.
pub fn plan(pending: &[Pendente], agents: &[Candidato], max: i64) -> Vec<(i64, i64)> {
    let mut rows: Vec<&Pendente> = pending.iter().collect();
    rows.sort_by_key(|p| (Reverse(p.prioridade.rank()), p.entrou_na_fila_em, p.fila_id));
    let mut available: BinaryHeap<Reverse<(i64, i64)>> = agents
        .iter()
        .filter(|c| c.load < max)
        .map(|c| Reverse((c.load, c.agent)))
        .collect();
    let mut out = Vec::new();
    for row in rows {
        let Some(Reverse((load, agent))) = available.pop() else {
            break;
        };
        out.push((row.fila_id, agent));
        if load + 1 < max {
            available.push(Reverse((load + 1, agent)));
        }
    }
    out
}

/// At most how many rows one run can assign (so the repository loads no more than that).
pub fn capacity(agents: &[Candidato], max: i64) -> i64 {
    agents.iter().map(|c| (max - c.load).max(0)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).unwrap() + chrono::Duration::minutes(min)
    }

    fn row(id: i64, p: Prioridade, min: i64) -> Pendente {
        Pendente {
            fila_id: id,
            prioridade: p,
            entrou_na_fila_em: t(min),
        }
    }

    fn agent(agent: i64, load: i64) -> Candidato {
        Candidato { agent, load }
    }

    #[test]
    fn semantic_priority_then_fifo() {
        let rows = [
            row(1, Prioridade::Normal, 0),
            row(2, Prioridade::Baixa, -10),
            row(3, Prioridade::Urgente, 5),
            row(4, Prioridade::Alta, 1),
            row(5, Prioridade::Normal, -1),
        ];
        let got = plan(&rows, &[agent(7, 0)], 10);
        let order: Vec<i64> = got.iter().map(|(f, _)| *f).collect();
        assert_eq!(order, vec![3, 4, 5, 1, 2]);
    }

    #[test]
    fn least_loaded_with_lowest_id_tie_break() {
        let rows: Vec<Pendente> = (1..=4).map(|i| row(i, Prioridade::Normal, i)).collect();
        let got = plan(&rows, &[agent(9, 1), agent(3, 1), agent(5, 0)], 5);
        // 5 (load 0); then 3 and 5 and 9 at load 1 → lowest id 3, then 5, then 9.
        assert_eq!(got, vec![(1, 5), (2, 3), (3, 5), (4, 9)]);
    }

    #[test]
    fn capacity_stops_the_run() {
        let rows: Vec<Pendente> = (1..=10).map(|i| row(i, Prioridade::Normal, i)).collect();
        let agents = [agent(1, 4), agent(2, 5), agent(3, 3)];
        let got = plan(&rows, &agents, 5);
        assert_eq!(got.len(), 3);
        assert_eq!(capacity(&agents, 5), 3);
        let to_1 = got.iter().filter(|(_, a)| *a == 1).count();
        let to_3 = got.iter().filter(|(_, a)| *a == 3).count();
        assert_eq!((to_1, to_3), (1, 2));
    }

    #[test]
    fn nobody_available_assigns_nothing() {
        let rows = [row(1, Prioridade::Alta, 0)];
        assert!(plan(&rows, &[], 5).is_empty());
        assert!(plan(&rows, &[agent(1, 5)], 5).is_empty());
        assert!(plan(&[], &[agent(1, 0)], 5).is_empty());
        assert_eq!(capacity(&[agent(1, 7)], 5), 0);
    }
}
