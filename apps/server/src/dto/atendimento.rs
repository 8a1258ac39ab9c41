//! Atendimento wire shapes (contract §3 Departamento, Fila, AtendimentoList, Atendimento,
//! Transferencia; §4.7). Model datetimes in São Paulo time with offset and microseconds;
//! `*_nome` of a null relation is omitted. The parsing of bodies and queries is in
//! [`super::atendimento_form`].

use atendimento::model::{Atendimento, Departamento, FilaItem, Prioridade, Status, Transferencia};
use chrono::{DateTime, Utc};
use kernel::clock::format_local;
use serde::Serialize;
use utoipa::ToSchema;

pub(crate) fn local(t: Option<DateTime<Utc>>) -> Option<String> {
    t.map(format_local)
}

/// **Departamento**.
#[derive(Debug, Serialize, ToSchema)]
pub struct DepartamentoOut {
    pub id: i64,
    pub nome: String,
    pub descricao: String,
    pub cor: String,
    /// Member agent ids.
    pub atendentes: Vec<i64>,
    pub max_atendimentos_simultaneos: i32,
    pub tempo_resposta_esperado_minutos: i32,
    pub ativo: bool,
    pub total_atendentes: i64,
    /// Queue rows not yet assigned.
    pub total_em_fila: i64,
    /// Atendimentos `em_atendimento`.
    pub total_em_atendimento: i64,
    pub criado_em: String,
    pub atualizado_em: String,
}

impl From<&Departamento> for DepartamentoOut {
    fn from(d: &Departamento) -> Self {
        Self {
            id: d.id,
            nome: d.nome.clone(),
            descricao: d.descricao.clone(),
            cor: d.cor.clone(),
            atendentes: d.atendentes.clone(),
            max_atendimentos_simultaneos: d.max_atendimentos_simultaneos,
            tempo_resposta_esperado_minutos: d.tempo_resposta_esperado_minutos,
            ativo: d.ativo,
            total_atendentes: i64::try_from(d.atendentes.len()).unwrap_or(i64::MAX),
            total_em_fila: d.total_em_fila,
            total_em_atendimento: d.total_em_atendimento,
            criado_em: format_local(d.criado_em),
            atualizado_em: format_local(d.atualizado_em),
        }
    }
}

/// Writable fields of a departamento (`nome` required on `POST` and `PUT`).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct DepartamentoIn {
    #[schema(max_length = 100)]
    pub nome: String,
    pub descricao: Option<String>,
    /// Default `#3B82F6`.
    #[schema(max_length = 7)]
    pub cor: Option<String>,
    /// Member agent ids (replaces the members).
    pub atendentes: Option<Vec<i64>>,
    /// Default 5.
    #[schema(minimum = 0, maximum = 2147483647)]
    pub max_atendimentos_simultaneos: Option<i32>,
    /// Default 15.
    #[schema(minimum = 0, maximum = 2147483647)]
    pub tempo_resposta_esperado_minutos: Option<i32>,
    pub ativo: Option<bool>,
}

/// **Fila** (a queue row).
#[derive(Debug, Serialize, ToSchema)]
pub struct FilaOut {
    pub id: i64,
    pub departamento: i64,
    pub departamento_nome: String,
    pub cliente: i64,
    pub cliente_nome: String,
    pub chat_id: String,
    pub numero_whatsapp: String,
    pub mensagem_inicial: String,
    #[schema(value_type = String, example = "normal")]
    pub prioridade: Prioridade,
    pub entrou_na_fila_em: String,
    pub atribuido_em: Option<String>,
    /// Whole minutes until `atribuido_em` or now.
    pub tempo_espera_minutos: i64,
    /// The wait exceeds the department's `tempo_resposta_esperado_minutos`.
    pub esta_atrasado: bool,
}

impl FilaOut {
    pub fn of(f: &FilaItem, now: DateTime<Utc>) -> Self {
        Self {
            id: f.id,
            departamento: f.departamento,
            departamento_nome: f.departamento_nome.clone(),
            cliente: f.cliente,
            cliente_nome: f.cliente_nome.clone(),
            chat_id: f.chat_id.clone(),
            numero_whatsapp: f.numero_whatsapp.clone(),
            mensagem_inicial: f.mensagem_inicial.clone(),
            prioridade: f.prioridade,
            entrou_na_fila_em: format_local(f.entrou_na_fila_em),
            atribuido_em: local(f.atribuido_em),
            tempo_espera_minutos: f.tempo_espera_minutos(now),
            esta_atrasado: f.esta_atrasado(now),
        }
    }
}

/// Writable fields of a queue row (`departamento`, `cliente`, `chat_id`, `numero_whatsapp`
/// required on `POST` and `PUT`).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct FilaIn {
    pub departamento: i64,
    pub cliente: i64,
    #[schema(max_length = 100)]
    pub chat_id: String,
    #[schema(max_length = 20)]
    pub numero_whatsapp: String,
    pub mensagem_inicial: Option<String>,
    /// `baixa`, `normal` (default), `alta`, `urgente`.
    #[schema(value_type = Option<String>, example = "normal")]
    pub prioridade: Option<String>,
}

/// **AtendimentoList**.
#[derive(Debug, Serialize, ToSchema)]
pub struct AtendimentoListOut {
    pub id: i64,
    pub cliente_nome: String,
    /// The atendente's username (omitted without an atendente).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub atendente_nome: Option<String>,
    #[schema(value_type = String, example = "aguardando")]
    pub status: Status,
    #[schema(value_type = String, example = "normal")]
    pub prioridade: Prioridade,
    pub duracao_minutos: i64,
    pub criado_em: String,
}

impl AtendimentoListOut {
    pub fn of(a: &Atendimento, now: DateTime<Utc>) -> Self {
        Self {
            id: a.id,
            cliente_nome: a.cliente_nome.clone(),
            atendente_nome: a.atendente.as_ref().map(|x| x.username.clone()),
            status: a.status,
            prioridade: a.prioridade,
            duracao_minutos: a.duracao_minutos(now),
            criado_em: format_local(a.criado_em),
        }
    }
}

/// **Atendimento**.
#[derive(Debug, Serialize, ToSchema)]
pub struct AtendimentoOut {
    pub id: i64,
    pub departamento: i64,
    pub departamento_nome: String,
    pub cliente: i64,
    pub cliente_nome: String,
    pub atendente: Option<i64>,
    /// The atendente's username (omitted without an atendente).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub atendente_nome: Option<String>,
    pub chat_id: String,
    pub numero_whatsapp: String,
    #[schema(value_type = String, example = "aguardando")]
    pub status: Status,
    #[schema(value_type = String, example = "normal")]
    pub prioridade: Prioridade,
    pub tempo_primeira_resposta_segundos: Option<i64>,
    pub tempo_total_atendimento_segundos: Option<i64>,
    pub total_mensagens_cliente: i64,
    pub total_mensagens_atendente: i64,
    pub avaliacao: Option<i32>,
    pub comentario_avaliacao: String,
    pub observacoes: String,
    pub criado_em: String,
    pub iniciado_em: Option<String>,
    pub primeira_resposta_em: Option<String>,
    pub finalizado_em: Option<String>,
    /// Whole minutes until `iniciado_em` or now.
    pub tempo_espera_minutos: i64,
    /// 0 until `iniciado_em`, then whole minutes to `finalizado_em` or now.
    pub duracao_minutos: i64,
    /// aguardando, em_atendimento or pausado.
    pub esta_ativo: bool,
}

impl AtendimentoOut {
    pub fn of(a: &Atendimento, now: DateTime<Utc>) -> Self {
        Self {
            id: a.id,
            departamento: a.departamento,
            departamento_nome: a.departamento_nome.clone(),
            cliente: a.cliente,
            cliente_nome: a.cliente_nome.clone(),
            atendente: a.atendente_id(),
            atendente_nome: a.atendente.as_ref().map(|x| x.username.clone()),
            chat_id: a.chat_id.clone(),
            numero_whatsapp: a.numero_whatsapp.clone(),
            status: a.status,
            prioridade: a.prioridade,
            tempo_primeira_resposta_segundos: a.tempo_primeira_resposta_segundos,
            tempo_total_atendimento_segundos: a.tempo_total_atendimento_segundos,
            total_mensagens_cliente: a.total_mensagens_cliente,
            total_mensagens_atendente: a.total_mensagens_atendente,
            avaliacao: a.avaliacao,
            comentario_avaliacao: a.comentario_avaliacao.clone(),
            observacoes: a.observacoes.clone(),
            criado_em: format_local(a.criado_em),
            iniciado_em: local(a.iniciado_em),
            primeira_resposta_em: local(a.primeira_resposta_em),
            finalizado_em: local(a.finalizado_em),
            tempo_espera_minutos: a.tempo_espera_minutos(now),
            duracao_minutos: a.duracao_minutos(now),
            esta_ativo: a.esta_ativo(),
        }
    }
}

/// Writable fields of an atendimento (`departamento`, `cliente`, `chat_id`,
/// `numero_whatsapp` required on `POST` and `PUT`; no state-machine checks).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct AtendimentoIn {
    pub departamento: i64,
    pub cliente: i64,
    pub atendente: Option<i64>,
    #[schema(max_length = 100)]
    pub chat_id: String,
    #[schema(max_length = 20)]
    pub numero_whatsapp: String,
    /// `aguardando` (default), `em_atendimento`, `pausado`, `finalizado`, `cancelado`.
    #[schema(value_type = Option<String>, example = "aguardando")]
    pub status: Option<String>,
    #[schema(value_type = Option<String>, example = "normal")]
    pub prioridade: Option<String>,
    #[schema(minimum = 0)]
    pub total_mensagens_cliente: Option<i64>,
    #[schema(minimum = 0)]
    pub total_mensagens_atendente: Option<i64>,
    #[schema(minimum = 1, maximum = 5)]
    pub avaliacao: Option<i32>,
    pub comentario_avaliacao: Option<String>,
    pub observacoes: Option<String>,
}

/// **Transferencia**.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransferenciaOut {
    pub id: i64,
    pub atendimento: i64,
    pub atendente_origem: Option<i64>,
    /// Username (omitted when null).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub atendente_origem_nome: Option<String>,
    pub atendente_destino: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub atendente_destino_nome: Option<String>,
    pub departamento_origem: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub departamento_origem_nome: Option<String>,
    pub departamento_destino: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub departamento_destino_nome: Option<String>,
    pub motivo: String,
    pub aceito: bool,
    pub aceito_em: Option<String>,
    pub criado_em: String,
    pub foi_entre_departamentos: bool,
}

impl From<&Transferencia> for TransferenciaOut {
    fn from(t: &Transferencia) -> Self {
        Self {
            id: t.id,
            atendimento: t.atendimento,
            atendente_origem: t.atendente_origem,
            atendente_origem_nome: t.atendente_origem_nome.clone(),
            atendente_destino: t.atendente_destino,
            atendente_destino_nome: t.atendente_destino_nome.clone(),
            departamento_origem: t.departamento_origem,
            departamento_origem_nome: t.departamento_origem_nome.clone(),
            departamento_destino: t.departamento_destino,
            departamento_destino_nome: t.departamento_destino_nome.clone(),
            motivo: t.motivo.clone(),
            aceito: t.aceito,
            aceito_em: local(t.aceito_em),
            criado_em: format_local(t.criado_em),
            foi_entre_departamentos: t.foi_entre_departamentos(),
        }
    }
}

/// Body of both transfer endpoints.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct TransferirIn {
    pub atendente_destino_id: i64,
    pub departamento_destino_id: Option<i64>,
    pub motivo: String,
}

/// Body of `POST /atendimentos/{id}/avaliar/`.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct AvaliarIn {
    /// A JSON integer 1..5 (anything else: 400 `Avaliação deve ser de 1 a 5`).
    #[schema(minimum = 1, maximum = 5)]
    pub avaliacao: i64,
    pub comentario: Option<String>,
}

/// Body of `POST /filas/distribuir/`.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct DistribuirIn {
    pub departamento_id: i64,
}

/// Body of `finalizar` (and of chat `encerrar`, with `solicitar_avaliacao`).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct FinalizarIn {
    /// Replaces `observacoes` when non-empty.
    pub observacoes: Option<String>,
}

/// Answer of `POST /atendimentos/{id}/transferir/`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AtendimentoTransferidoOut {
    #[schema(example = "Atendimento transferido com sucesso")]
    pub message: &'static str,
    pub transferencia: TransferenciaOut,
    pub atendimento_id: i64,
}

/// Answer of `distribuir`: `{"message":"<n> atendimentos distribuídos","distribuidos":n}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct DistribuidosOut {
    #[schema(example = "2 atendimentos distribuídos")]
    pub message: String,
    pub distribuidos: usize,
}

/// Answer of `finalizar`.
#[derive(Debug, Serialize, ToSchema)]
pub struct FinalizadoOut {
    #[schema(example = "Atendimento finalizado")]
    pub message: &'static str,
    pub atendimento_id: i64,
}

/// Answer of `avaliar`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AvaliadoOut {
    #[schema(example = "Avaliação registrada")]
    pub message: &'static str,
    pub avaliacao: i32,
}
