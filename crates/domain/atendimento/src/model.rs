//! Departamentos, queue rows, atendimentos (= chats) and transfers (contract §3).

use chrono::{DateTime, Utc};
use serde::Serialize;

/// Atendimento `status` (= chat status).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Aguardando,
    EmAtendimento,
    Pausado,
    Finalizado,
    Cancelado,
}

pub const STATUSES: [&str; 5] = [
    "aguardando",
    "em_atendimento",
    "pausado",
    "finalizado",
    "cancelado",
];

/// The statuses of an open atendimento (at most one per `chat_id`, guarded by a partial
/// unique index).
pub const OPEN: [Status; 3] = [Status::Aguardando, Status::EmAtendimento, Status::Pausado];

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Aguardando => "aguardando",
            Status::EmAtendimento => "em_atendimento",
            Status::Pausado => "pausado",
            Status::Finalizado => "finalizado",
            Status::Cancelado => "cancelado",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "aguardando" => Status::Aguardando,
            "em_atendimento" => Status::EmAtendimento,
            "pausado" => Status::Pausado,
            "finalizado" => Status::Finalizado,
            "cancelado" => Status::Cancelado,
            _ => return None,
        })
    }

    /// aguardando, em_atendimento or pausado (`esta_ativo`).
    pub fn is_open(self) -> bool {
        OPEN.contains(&self)
    }
}

/// `prioridade` of queue rows and atendimentos; ordered by its semantic rank (§2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Prioridade {
    Baixa,
    #[default]
    Normal,
    Alta,
    Urgente,
}

pub const PRIORIDADES: [&str; 4] = ["baixa", "normal", "alta", "urgente"];

impl Prioridade {
    pub fn as_str(self) -> &'static str {
        match self {
            Prioridade::Baixa => "baixa",
            Prioridade::Normal => "normal",
            Prioridade::Alta => "alta",
            Prioridade::Urgente => "urgente",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "baixa" => Prioridade::Baixa,
            "normal" => Prioridade::Normal,
            "alta" => Prioridade::Alta,
            "urgente" => Prioridade::Urgente,
            _ => return None,
        })
    }

    /// `urgente` 3 > `alta` 2 > `normal` 1 > `baixa` 0 (stored beside the text, so the
    /// database orders by it).
    pub fn rank(self) -> i16 {
        match self {
            Prioridade::Baixa => 0,
            Prioridade::Normal => 1,
            Prioridade::Alta => 2,
            Prioridade::Urgente => 3,
        }
    }
}

/// Whole minutes from `from` to `to` (never negative).
pub fn minutes_between(from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    (to - from).num_minutes().max(0)
}

#[derive(Debug, Clone, PartialEq)]
pub struct Departamento {
    pub id: i64,
    pub nome: String,
    pub descricao: String,
    pub cor: String,
    /// Member agent ids, ascending.
    pub atendentes: Vec<i64>,
    pub max_atendimentos_simultaneos: i32,
    pub tempo_resposta_esperado_minutos: i32,
    pub ativo: bool,
    /// Queue rows with `atribuido_em` null.
    pub total_em_fila: i64,
    /// Atendimentos `em_atendimento`.
    pub total_em_atendimento: i64,
    pub criado_em: DateTime<Utc>,
    pub atualizado_em: DateTime<Utc>,
}

/// A queue row (`FilaAtendimento`).
#[derive(Debug, Clone, PartialEq)]
pub struct FilaItem {
    pub id: i64,
    pub departamento: i64,
    pub departamento_nome: String,
    /// The department's `tempo_resposta_esperado_minutos` (for `esta_atrasado`).
    pub tempo_resposta_esperado_minutos: i32,
    pub cliente: i64,
    pub cliente_nome: String,
    pub chat_id: String,
    pub numero_whatsapp: String,
    pub mensagem_inicial: String,
    pub prioridade: Prioridade,
    pub entrou_na_fila_em: DateTime<Utc>,
    pub atribuido_em: Option<DateTime<Utc>>,
}

impl FilaItem {
    /// Whole minutes waited, until `atribuido_em` or now.
    pub fn tempo_espera_minutos(&self, now: DateTime<Utc>) -> i64 {
        minutes_between(self.entrou_na_fila_em, self.atribuido_em.unwrap_or(now))
    }

    pub fn esta_atrasado(&self, now: DateTime<Utc>) -> bool {
        self.tempo_espera_minutos(now) > i64::from(self.tempo_resposta_esperado_minutos)
    }
}

/// An agent as the atendimento area shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentRef {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub is_active: bool,
}

/// The last message of a chat's window, kept on the atendimento.
#[derive(Debug, Clone, PartialEq)]
pub struct UltimaMensagem {
    pub texto: String,
    pub em: DateTime<Utc>,
    pub tipo: String,
    pub direcao: String,
}

/// An atendimento, which is also the chat addressed by its `chat_id`.
#[derive(Debug, Clone, PartialEq)]
pub struct Atendimento {
    pub id: i64,
    pub departamento: i64,
    pub departamento_nome: String,
    pub departamento_cor: String,
    pub cliente: i64,
    pub cliente_nome: String,
    pub cliente_email: Option<String>,
    pub cliente_telefone: Option<String>,
    /// The atendente, with its username and display name.
    pub atendente: Option<AgentRef>,
    pub chat_id: String,
    pub numero_whatsapp: String,
    pub status: Status,
    pub prioridade: Prioridade,
    pub tempo_primeira_resposta_segundos: Option<i64>,
    pub tempo_total_atendimento_segundos: Option<i64>,
    pub total_mensagens_cliente: i64,
    pub total_mensagens_atendente: i64,
    pub avaliacao: Option<i32>,
    pub comentario_avaliacao: String,
    pub observacoes: String,
    pub criado_em: DateTime<Utc>,
    pub iniciado_em: Option<DateTime<Utc>>,
    pub primeira_resposta_em: Option<DateTime<Utc>>,
    pub finalizado_em: Option<DateTime<Utc>>,
    pub atualizado_em: DateTime<Utc>,
    /// The chat's message window starts here (the opening message's time, inclusive).
    pub janela_desde: DateTime<Utc>,
    /// Messages in the window (both directions).
    pub total_mensagens: i64,
    /// Inbound messages after the last agent message in the window.
    pub mensagens_nao_lidas: i64,
    pub ultima_mensagem: Option<UltimaMensagem>,
    /// Closed by the inactivity job.
    pub auto_encerrado: bool,
    /// The first message's text (≤ 500 characters), as its queue row had it.
    pub mensagem_inicial: String,
}

impl Atendimento {
    pub fn atendente_id(&self) -> Option<i64> {
        self.atendente.as_ref().map(|a| a.id)
    }

    /// Whole minutes from `criado_em` until `iniciado_em` or now.
    pub fn tempo_espera_minutos(&self, now: DateTime<Utc>) -> i64 {
        minutes_between(self.criado_em, self.iniciado_em.unwrap_or(now))
    }

    /// **Atendimento** `duracao_minutos`: 0 until started, then to `finalizado_em` or now.
    pub fn duracao_minutos(&self, now: DateTime<Utc>) -> i64 {
        match self.iniciado_em {
            None => 0,
            Some(i) => minutes_between(i, self.finalizado_em.unwrap_or(now)),
        }
    }

    /// **ChatDetail** `duracao_minutos`: from `criado_em` to `finalizado_em` or now.
    pub fn chat_duracao_minutos(&self, now: DateTime<Utc>) -> i64 {
        minutes_between(self.criado_em, self.finalizado_em.unwrap_or(now))
    }

    pub fn tempo_primeira_resposta_minutos(&self) -> Option<i64> {
        self.tempo_primeira_resposta_segundos.map(|s| s / 60)
    }

    pub fn esta_ativo(&self) -> bool {
        self.status.is_open()
    }

    /// Whether `caller` may read this chat (§4.6): superusers, its atendente, and anyone
    /// while it has no atendente or is waiting.
    pub fn visible_to(&self, caller: i64, is_superuser: bool) -> bool {
        is_superuser
            || self.status == Status::Aguardando
            || self.atendente_id().is_none_or(|a| a == caller)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Transferencia {
    pub id: i64,
    pub atendimento: i64,
    pub atendente_origem: Option<i64>,
    pub atendente_origem_nome: Option<String>,
    pub atendente_destino: Option<i64>,
    pub atendente_destino_nome: Option<String>,
    pub departamento_origem: Option<i64>,
    pub departamento_origem_nome: Option<String>,
    pub departamento_destino: Option<i64>,
    pub departamento_destino_nome: Option<String>,
    pub motivo: String,
    pub aceito: bool,
    pub aceito_em: Option<DateTime<Utc>>,
    pub criado_em: DateTime<Utc>,
}

impl Transferencia {
    pub fn foi_entre_departamentos(&self) -> bool {
        self.departamento_origem != self.departamento_destino
    }
}

/// A message of a chat's window (`/chats/{chat_id}/messages/`): the stored WhatsApp message
/// with its sender's names.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatMessage {
    pub message: whatsapp::Message,
    /// Outbound: the sending agent's display name, else username, else `"Sistema"`.
    pub from_name: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn enums_round_trip_and_rank() {
        for s in STATUSES {
            assert_eq!(Status::parse(s).unwrap().as_str(), s);
        }
        for p in PRIORIDADES {
            assert_eq!(Prioridade::parse(p).unwrap().as_str(), p);
        }
        assert!(Prioridade::Urgente > Prioridade::Alta);
        assert!(Prioridade::Alta.rank() > Prioridade::Normal.rank());
        assert!(Prioridade::Normal.rank() > Prioridade::Baixa.rank());
        assert_eq!(Status::parse("x"), None);
        assert!(Status::Pausado.is_open() && !Status::Finalizado.is_open());
    }

    #[test]
    fn waits_are_whole_minutes() {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 10, 0, 0).unwrap();
        let f = FilaItem {
            id: 1,
            departamento: 1,
            departamento_nome: "S".into(),
            tempo_resposta_esperado_minutos: 15,
            cliente: 1,
            cliente_nome: "C".into(),
            chat_id: "1".into(),
            numero_whatsapp: "1".into(),
            mensagem_inicial: String::new(),
            prioridade: Prioridade::Normal,
            entrou_na_fila_em: t0,
            atribuido_em: None,
        };
        assert_eq!(
            f.tempo_espera_minutos(t0 + chrono::Duration::seconds(899)),
            14
        );
        assert!(!f.esta_atrasado(t0 + chrono::Duration::minutes(15)));
        assert!(f.esta_atrasado(t0 + chrono::Duration::minutes(16)));
        assert_eq!(minutes_between(t0, t0 - chrono::Duration::minutes(3)), 0);
    }
}
