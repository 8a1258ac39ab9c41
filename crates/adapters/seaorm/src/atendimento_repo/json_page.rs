//! A page of atendimentos as one value (SQLite): the rows of a list query come back as a
//! single `json_group_array(json_array(…))` text and are parsed here. Handing 50 rows of 37
//! columns from the driver's thread one value at a time costs several times more than
//! parsing one JSON text (the same trade as the cliente list page, `cliente_repo/resumo.rs`).

use super::sql::Sql;
use super::{prioridade_of, status_of};
use crate::support::db_err;
use atendimento::model::{AgentRef, Atendimento, UltimaMensagem};
use chrono::{DateTime, NaiveDateTime, Utc};
use kernel::{DomainError, Result};
use sea_orm::{ConnectionTrait, DbBackend};
use serde::Deserialize;
use serde_json::Value as Json;

/// The columns of [`super::SELECT_ATENDIMENTO`] read from its subquery `s`, in the order
/// [`parse`] takes them.
const COLUMNS: &str = "s.id, s.departamento_id, s.d_nome, s.d_cor, s.cliente_id, s.c_nome, \
     s.c_email, s.c_tel, s.atendente_id, s.g_username, s.g_display, s.g_active, s.chat_id, \
     s.numero_whatsapp, s.status, s.prioridade, s.tempo_primeira_resposta_segundos, \
     s.tempo_total_atendimento_segundos, s.total_mensagens_cliente, \
     s.total_mensagens_atendente, s.avaliacao, s.comentario_avaliacao, s.observacoes, \
     s.criado_em, s.iniciado_em, s.primeira_resposta_em, s.finalizado_em, s.atualizado_em, \
     s.janela_desde, s.total_mensagens, s.mensagens_nao_lidas, s.ultima_mensagem_texto, \
     s.ultima_mensagem_em, s.ultima_mensagem_tipo, s.ultima_mensagem_direcao, \
     s.auto_encerrado, s.mensagem_inicial";

/// Runs `q` (a `SELECT_ATENDIMENTO` query, ordered and limited) on SQLite as one value.
pub(super) async fn list<D: ConnectionTrait>(db: &D, q: &Sql) -> Result<Vec<Atendimento>> {
    let mut outer = Sql::new(&format!(
        "SELECT json_group_array(json_array({COLUMNS})) FROM ("
    ));
    outer.append(q).push(") AS s");
    let row = db
        .query_one_raw(outer.build(DbBackend::Sqlite))
        .await
        .map_err(db_err)?
        .ok_or_else(|| DomainError::internal("empty atendimento page query"))?;
    let json: String = row.try_get_by_index(0).map_err(db_err)?;
    parse(&json)
}

fn bad(what: &str) -> DomainError {
    DomainError::internal(format!("atendimento page JSON: bad {what}"))
}

/// A stored time: RFC 3339 (what sea-orm writes), or the other forms SQLite rows may hold
/// (`YYYY-MM-DD HH:MM:SS[.f][±hh:mm]`, no offset meaning UTC).
pub(super) fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for f in ["%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%d %H:%M:%S%.f %:z"] {
        if let Ok(t) = DateTime::parse_from_str(s, f) {
            return Some(t.with_timezone(&Utc));
        }
    }
    for f in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(t.and_utc());
        }
    }
    None
}

/// SQLite's JSON renders booleans as 0 and 1.
fn opt_flag<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<bool>, D::Error> {
    match Json::deserialize(d)? {
        Json::Null => Ok(None),
        Json::Bool(b) => Ok(Some(b)),
        Json::Number(n) if n.as_i64().is_some() => Ok(Some(n.as_i64() != Some(0))),
        other => Err(serde::de::Error::custom(format!("not a boolean: {other}"))),
    }
}

fn flag<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<bool, D::Error> {
    opt_flag(d)?.ok_or_else(|| serde::de::Error::custom("not a boolean: null"))
}

/// One row of the page: the JSON array of [`COLUMNS`], read in order straight into its
/// fields (no intermediate JSON tree).
#[derive(Deserialize)]
struct Raw {
    id: i64,
    departamento_id: i64,
    d_nome: String,
    d_cor: String,
    cliente_id: i64,
    c_nome: String,
    c_email: Option<String>,
    c_tel: Option<String>,
    atendente_id: Option<i64>,
    g_username: Option<String>,
    g_display: Option<String>,
    #[serde(deserialize_with = "opt_flag")]
    g_active: Option<bool>,
    chat_id: String,
    numero_whatsapp: String,
    status: String,
    prioridade: String,
    tempo_primeira_resposta_segundos: Option<i64>,
    tempo_total_atendimento_segundos: Option<i64>,
    total_mensagens_cliente: i64,
    total_mensagens_atendente: i64,
    avaliacao: Option<i32>,
    comentario_avaliacao: String,
    observacoes: String,
    criado_em: String,
    iniciado_em: Option<String>,
    primeira_resposta_em: Option<String>,
    finalizado_em: Option<String>,
    atualizado_em: String,
    janela_desde: String,
    total_mensagens: i64,
    mensagens_nao_lidas: i64,
    ultima_mensagem_texto: Option<String>,
    ultima_mensagem_em: Option<String>,
    ultima_mensagem_tipo: Option<String>,
    ultima_mensagem_direcao: Option<String>,
    #[serde(deserialize_with = "flag")]
    auto_encerrado: bool,
    mensagem_inicial: String,
}

fn time(s: &str, what: &str) -> Result<DateTime<Utc>> {
    parse_time(s).ok_or_else(|| bad(what))
}

fn opt_time(s: Option<&str>, what: &str) -> Result<Option<DateTime<Utc>>> {
    s.map(|s| time(s, what)).transpose()
}

fn row(r: Raw) -> Result<Atendimento> {
    let atendente = r.atendente_id.map(|id| AgentRef {
        id,
        username: r.g_username.unwrap_or_default(),
        display_name: r.g_display.unwrap_or_default(),
        is_active: r.g_active.unwrap_or(false),
    });
    let ultima = match opt_time(r.ultima_mensagem_em.as_deref(), "ultima_mensagem_em")? {
        Some(em) => Some(UltimaMensagem {
            texto: r.ultima_mensagem_texto.unwrap_or_default(),
            em,
            tipo: r.ultima_mensagem_tipo.unwrap_or_default(),
            direcao: r.ultima_mensagem_direcao.unwrap_or_default(),
        }),
        None => None,
    };
    Ok(Atendimento {
        id: r.id,
        departamento: r.departamento_id,
        departamento_nome: r.d_nome,
        departamento_cor: r.d_cor,
        cliente: r.cliente_id,
        cliente_nome: r.c_nome,
        cliente_email: r.c_email,
        cliente_telefone: r.c_tel,
        atendente,
        chat_id: r.chat_id,
        numero_whatsapp: r.numero_whatsapp,
        status: status_of(&r.status).map_err(DomainError::internal)?,
        prioridade: prioridade_of(&r.prioridade).map_err(DomainError::internal)?,
        tempo_primeira_resposta_segundos: r.tempo_primeira_resposta_segundos,
        tempo_total_atendimento_segundos: r.tempo_total_atendimento_segundos,
        total_mensagens_cliente: r.total_mensagens_cliente,
        total_mensagens_atendente: r.total_mensagens_atendente,
        avaliacao: r.avaliacao,
        comentario_avaliacao: r.comentario_avaliacao,
        observacoes: r.observacoes,
        criado_em: time(&r.criado_em, "criado_em")?,
        iniciado_em: opt_time(r.iniciado_em.as_deref(), "iniciado_em")?,
        primeira_resposta_em: opt_time(r.primeira_resposta_em.as_deref(), "primeira_resposta_em")?,
        finalizado_em: opt_time(r.finalizado_em.as_deref(), "finalizado_em")?,
        atualizado_em: time(&r.atualizado_em, "atualizado_em")?,
        janela_desde: time(&r.janela_desde, "janela_desde")?,
        total_mensagens: r.total_mensagens,
        mensagens_nao_lidas: r.mensagens_nao_lidas,
        ultima_mensagem: ultima,
        auto_encerrado: r.auto_encerrado,
        mensagem_inicial: r.mensagem_inicial,
    })
}

/// `[[id, departamento_id, …, mensagem_inicial], …]` in the order of [`COLUMNS`].
fn parse(json: &str) -> Result<Vec<Atendimento>> {
    let rows: Vec<Raw> = serde_json::from_str(json).map_err(DomainError::internal)?;
    rows.into_iter().map(row).collect()
}

#[cfg(test)]
mod tests {
    use super::{parse, parse_time};

    #[test]
    fn reads_the_stored_time_forms() {
        let t = parse_time("2026-12-02T16:09:41.855243670+00:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-12-02T16:09:41.855243670+00:00");
        assert_eq!(
            parse_time("2026-12-02 13:09:41-03:00"),
            parse_time("2026-12-02T16:09:41Z")
        );
        assert_eq!(
            parse_time("2026-12-02 16:09:41.5"),
            parse_time("2026-12-02T16:09:41.5+00:00")
        );
        assert!(parse_time("02/12/2026").is_none());
    }

    #[test]
    fn parses_a_page_and_refuses_a_malformed_one() {
        let row = r##"[7,2,"Suporte","#3B82F6",5,"Maria",null,"5511",9,"ana","Ana",1,
            "5511@s","5511","em_atendimento","alta",12,null,3,1,null,"","obs",
            "2026-12-02T16:00:00+00:00",null,null,null,"2026-12-02T16:01:00+00:00",
            "2026-12-02T16:00:00+00:00",4,0,"oi","2026-12-02T16:01:00+00:00","text","inbound",
            0,"ola"]"##;
        let p = parse(&format!("[{row}]")).unwrap();
        assert_eq!(p.len(), 1);
        let a = &p[0];
        assert_eq!((a.id, a.departamento, a.cliente), (7, 2, 5));
        assert_eq!(
            a.atendente.as_ref().map(|g| g.display_name.as_str()),
            Some("Ana")
        );
        assert!(a.atendente.as_ref().unwrap().is_active);
        assert_eq!(a.tempo_primeira_resposta_segundos, Some(12));
        assert_eq!(a.ultima_mensagem.as_ref().unwrap().texto, "oi");
        assert!(!a.auto_encerrado);
        assert_eq!(a.mensagem_inicial, "ola");
        assert!(parse("[]").unwrap().is_empty());
        assert!(parse("[[1,2]]").is_err());
        let wide = format!("[{}, 1]]", row.trim_end_matches(']'));
        assert!(parse(&wide).is_err());
        assert!(parse(&format!("[{}]", row.replace("\"em_atendimento\"", "\"x\""))).is_err());
    }
}
