//! `chat_settings`: the automatic messages, limits and business hours, and their PATCH.

use super::SectionData;
use crate::model::Section;
use crate::stored::{Reader, Writer, set};
use chrono::NaiveTime;
use kernel::FieldErrors;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// `chat_settings` as stored (see [`crate::CompanyData`] for missing and unknown keys).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChatSettings {
    pub mensagem_saudacao: Option<String>,
    pub mensagem_fora_expediente: Option<String>,
    pub mensagem_encerramento: Option<String>,
    pub mensagem_inatividade: Option<String>,
    pub timeout_inatividade_minutos: Option<i64>,
    pub limite_chats_simultaneos: Option<i64>,
    /// Replaced whole by a sent one.
    pub horario_funcionamento: Option<HorarioFuncionamento>,
    pub extra: Map<String, Value>,
}

/// `horario_funcionamento`: day name → hours. The days used are `segunda` … `domingo`, but
/// any name is kept; a day whose value is not an object stays in `extra`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HorarioFuncionamento {
    pub dias: BTreeMap<String, HorarioDia>,
    pub extra: Map<String, Value>,
}

/// One day's `{"inicio": str|null, "fim": str|null}`: `None` when the key is missing,
/// `Some(None)` for null. The times are free text (the contract checks no format).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HorarioDia {
    pub inicio: Option<Option<String>>,
    pub fim: Option<Option<String>>,
    pub extra: Map<String, Value>,
}

impl ChatSettings {
    pub fn from_stored(stored: &Map<String, Value>) -> Self {
        let mut r = Reader::new(stored);
        Self {
            mensagem_saudacao: r.text("mensagem_saudacao"),
            mensagem_fora_expediente: r.text("mensagem_fora_expediente"),
            mensagem_encerramento: r.text("mensagem_encerramento"),
            mensagem_inatividade: r.text("mensagem_inatividade"),
            timeout_inatividade_minutos: r.int("timeout_inatividade_minutos"),
            limite_chats_simultaneos: r.int("limite_chats_simultaneos"),
            horario_funcionamento: r
                .object("horario_funcionamento", HorarioFuncionamento::from_stored),
            extra: r.rest(),
        }
    }

    /// The section as stored and as clients see it (it holds no secret).
    pub fn to_json(&self) -> Map<String, Value> {
        let mut w = Writer::new(&self.extra);
        w.put("mensagem_saudacao", self.mensagem_saudacao.clone());
        w.put(
            "mensagem_fora_expediente",
            self.mensagem_fora_expediente.clone(),
        );
        w.put("mensagem_encerramento", self.mensagem_encerramento.clone());
        w.put("mensagem_inatividade", self.mensagem_inatividade.clone());
        w.put(
            "timeout_inatividade_minutos",
            self.timeout_inatividade_minutos,
        );
        w.put("limite_chats_simultaneos", self.limite_chats_simultaneos);
        w.put(
            "horario_funcionamento",
            self.horario_funcionamento
                .as_ref()
                .map(|h| Value::Object(h.to_json())),
        );
        w.finish()
    }
}

impl HorarioFuncionamento {
    pub fn from_stored(stored: &Map<String, Value>) -> Self {
        let mut h = Self::default();
        for (dia, v) in stored {
            match v {
                Value::Object(horas) => {
                    h.dias.insert(dia.clone(), HorarioDia::from_stored(horas));
                }
                other => {
                    h.extra.insert(dia.clone(), other.clone());
                }
            }
        }
        h
    }

    pub fn to_json(&self) -> Map<String, Value> {
        let mut out = self.extra.clone();
        for (dia, horas) in &self.dias {
            out.insert(dia.clone(), Value::Object(horas.to_json()));
        }
        out
    }

    /// The hours of a day (`segunda`, …), if it has any.
    pub fn dia(&self, nome: &str) -> Option<&HorarioDia> {
        self.dias.get(nome)
    }
}

impl HorarioDia {
    pub fn from_stored(stored: &Map<String, Value>) -> Self {
        let mut r = Reader::new(stored);
        Self {
            inicio: r.nullable_text("inicio"),
            fim: r.nullable_text("fim"),
            extra: r.rest(),
        }
    }

    pub fn to_json(&self) -> Map<String, Value> {
        let mut w = Writer::new(&self.extra);
        w.put("inicio", self.inicio.clone());
        w.put("fim", self.fim.clone());
        w.finish()
    }

    /// The opening and closing times when both read as `HH:MM` or `HH:MM:SS` (surrounding
    /// spaces ignored); `None` (a closed day) otherwise.
    pub fn horas(&self) -> Option<(NaiveTime, NaiveTime)> {
        let hora = |t: &Option<Option<String>>| {
            let s = t.as_ref()?.as_deref()?.trim();
            NaiveTime::parse_from_str(s, "%H:%M")
                .or_else(|_| NaiveTime::parse_from_str(s, "%H:%M:%S"))
                .ok()
        };
        Some((hora(&self.inicio)?, hora(&self.fim)?))
    }
}

impl SectionData for ChatSettings {
    const SECTION: Section = Section::Chat;

    fn read(stored: &Map<String, Value>) -> Self {
        Self::from_stored(stored)
    }

    fn write(&self) -> Map<String, Value> {
        self.to_json()
    }

    fn merged_errors(&self) -> FieldErrors {
        crate::rules::chat_errors(self)
    }
}

/// The chat keys a request sets (`None`: not sent), each one already valid on its own
/// (non-blank messages; bounds in [`crate::limits`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChatPatch {
    pub mensagem_saudacao: Option<String>,
    pub mensagem_fora_expediente: Option<String>,
    pub mensagem_encerramento: Option<String>,
    pub mensagem_inatividade: Option<String>,
    pub timeout_inatividade_minutos: Option<i64>,
    pub limite_chats_simultaneos: Option<i64>,
    /// Replaces the stored hours whole.
    pub horario_funcionamento: Option<HorarioFuncionamento>,
}

impl ChatPatch {
    /// Shallow merge: each sent key replaces the stored one.
    pub(crate) fn apply(&self, c: &mut ChatSettings) {
        let x = &mut c.extra;
        set(
            &mut c.mensagem_saudacao,
            &self.mensagem_saudacao,
            "mensagem_saudacao",
            x,
        );
        set(
            &mut c.mensagem_fora_expediente,
            &self.mensagem_fora_expediente,
            "mensagem_fora_expediente",
            x,
        );
        set(
            &mut c.mensagem_encerramento,
            &self.mensagem_encerramento,
            "mensagem_encerramento",
            x,
        );
        set(
            &mut c.mensagem_inatividade,
            &self.mensagem_inatividade,
            "mensagem_inatividade",
            x,
        );
        set(
            &mut c.timeout_inatividade_minutos,
            &self.timeout_inatividade_minutos,
            "timeout_inatividade_minutos",
            x,
        );
        set(
            &mut c.limite_chats_simultaneos,
            &self.limite_chats_simultaneos,
            "limite_chats_simultaneos",
            x,
        );
        set(
            &mut c.horario_funcionamento,
            &self.horario_funcionamento,
            "horario_funcionamento",
            x,
        );
    }
}
