//! The atendimento area's real-time events (§5.3 B and C), typed, in their exact envelopes.

use crate::model::Atendimento;
use crate::ports::Atribuicao;
use chrono::{DateTime, Utc};
use kernel::Event;
use kernel::clock::format_local;
use serde::Serialize;
pub use whatsapp::events::{V1, utc_iso};

/// `mensagem_inicial`/`texto` in intake events: at most 200 characters.
pub fn preview(s: &str) -> String {
    s.chars().take(200).collect()
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChatAssigned {
    pub atendimento_id: i64,
    pub cliente_nome: String,
    pub chat_id: String,
    pub departamento: String,
    pub prioridade: &'static str,
    pub mensagem_inicial: String,
    pub timestamp: String,
}

impl ChatAssigned {
    pub fn event(a: &Atendimento, mensagem_inicial: &str, at: DateTime<Utc>) -> Event {
        Self::encode(ChatAssigned {
            atendimento_id: a.id,
            cliente_nome: a.cliente_nome.clone(),
            chat_id: a.chat_id.clone(),
            departamento: a.departamento_nome.clone(),
            prioridade: a.prioridade.as_str(),
            mensagem_inicial: mensagem_inicial.to_string(),
            timestamp: utc_iso(at),
        })
    }

    /// The event of one row handed out by `distribuir`.
    pub fn of(a: &Atribuicao, at: DateTime<Utc>) -> Event {
        Self::encode(ChatAssigned {
            atendimento_id: a.atendimento_id,
            cliente_nome: a.cliente_nome.clone(),
            chat_id: a.chat_id.clone(),
            departamento: a.departamento_nome.clone(),
            prioridade: a.prioridade.as_str(),
            mensagem_inicial: a.mensagem_inicial.clone(),
            timestamp: utc_iso(at),
        })
    }

    fn encode(self) -> Event {
        V1::encode("chat_assigned", self)
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChatTransferred {
    pub atendimento_id: i64,
    pub cliente_nome: String,
    pub chat_id: String,
    /// The origin atendente's username, or `"Sistema"`.
    pub de: String,
    pub motivo: String,
    pub timestamp: String,
}

impl ChatTransferred {
    pub fn event(a: &Atendimento, de: Option<&str>, motivo: &str, at: DateTime<Utc>) -> Event {
        V1::encode(
            "chat_transferred",
            ChatTransferred {
                atendimento_id: a.id,
                cliente_nome: a.cliente_nome.clone(),
                chat_id: a.chat_id.clone(),
                de: de.unwrap_or("Sistema").to_string(),
                motivo: motivo.to_string(),
                timestamp: utc_iso(at),
            },
        )
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChatAutoClosed {
    pub atendimento_id: i64,
    pub cliente_nome: String,
    pub chat_id: String,
    pub motivo: &'static str,
    pub tempo_inativo_minutos: i64,
    pub timestamp: String,
}

impl ChatAutoClosed {
    pub fn event(a: &Atendimento, idle_minutes: i64, at: DateTime<Utc>) -> Event {
        V1::encode(
            "chat_auto_closed",
            ChatAutoClosed {
                atendimento_id: a.id,
                cliente_nome: a.cliente_nome.clone(),
                chat_id: a.chat_id.clone(),
                motivo: "inatividade",
                tempo_inativo_minutos: idle_minutes,
                timestamp: utc_iso(at),
            },
        )
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChatAccepted {
    pub chat_id: String,
    pub atendimento_id: i64,
    pub atendente_id: Option<i64>,
    pub atendente_nome: Option<String>,
    pub status: &'static str,
}

impl ChatAccepted {
    pub fn event(a: &Atendimento) -> Event {
        V1::encode(
            "chat_accepted",
            ChatAccepted {
                chat_id: a.chat_id.clone(),
                atendimento_id: a.id,
                atendente_id: a.atendente_id(),
                atendente_nome: a.atendente.as_ref().map(|x| x.display_name.clone()),
                status: "em_atendimento",
            },
        )
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChatClosed {
    pub chat_id: String,
    pub atendimento_id: i64,
    pub atendente_id: Option<i64>,
    pub finalizado_em: Option<String>,
}

impl ChatClosed {
    pub fn event(a: &Atendimento) -> Event {
        V1::encode(
            "chat_closed",
            ChatClosed {
                chat_id: a.chat_id.clone(),
                atendimento_id: a.id,
                atendente_id: a.atendente_id(),
                finalizado_em: a.finalizado_em.map(utc_iso),
            },
        )
    }
}

/// Envelope C: `{"event": …, "play_sound": …, "data": {…}}` (no `version`).
#[derive(Debug, Clone, Serialize, PartialEq)]
struct Intake<T: Serialize> {
    event: &'static str,
    play_sound: bool,
    data: T,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NewChat {
    pub chat_id: String,
    pub atendimento_id: i64,
    pub numero_whatsapp: String,
    pub cliente_id: i64,
    pub cliente_nome: String,
    pub departamento_id: i64,
    pub departamento_nome: String,
    pub mensagem_inicial: String,
    pub criado_em: String,
    pub prioridade: &'static str,
}

impl NewChat {
    pub fn event(a: &Atendimento, mensagem_inicial: &str) -> Event {
        Event::encode(
            "new_chat",
            &Intake {
                event: "new_chat",
                play_sound: true,
                data: NewChat {
                    chat_id: a.chat_id.clone(),
                    atendimento_id: a.id,
                    numero_whatsapp: a.numero_whatsapp.clone(),
                    cliente_id: a.cliente,
                    cliente_nome: a.cliente_nome.clone(),
                    departamento_id: a.departamento,
                    departamento_nome: a.departamento_nome.clone(),
                    mensagem_inicial: preview(mensagem_inicial),
                    criado_em: format_local(a.criado_em),
                    prioridade: a.prioridade.as_str(),
                },
            },
        )
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NewMessage {
    pub chat_id: String,
    pub atendimento_id: i64,
    pub message_id: String,
    pub texto: String,
    pub tipo: String,
    pub de: String,
    pub criado_em: String,
}

impl NewMessage {
    pub fn event(a: &Atendimento, m: &whatsapp::Message) -> Event {
        let de = if m.contact_name.is_empty() {
            m.contact_number.clone()
        } else {
            m.contact_name.clone()
        };
        Event::encode(
            "new_message",
            &Intake {
                event: "new_message",
                play_sound: false,
                data: NewMessage {
                    chat_id: a.chat_id.clone(),
                    atendimento_id: a.id,
                    message_id: m.message_id.clone(),
                    texto: preview(&m.text_content),
                    tipo: m.message_type.as_str().to_string(),
                    de,
                    criado_em: format_local(m.created_at),
                },
            },
        )
    }
}
