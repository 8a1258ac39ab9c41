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
fn parse_time(s: &str) -> Option<DateTime<Utc>> {
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

/// The values of one row, taken in order.
struct Cols(std::vec::IntoIter<Json>);

impl Cols {
    fn next(&mut self, what: &str) -> Result<Json> {
        self.0.next().ok_or_else(|| bad(what))
    }

    fn opt_i64(&mut self, what: &str) -> Result<Option<i64>> {
        match self.next(what)? {
            Json::Null => Ok(None),
            v => v.as_i64().map(Some).ok_or_else(|| bad(what)),
        }
    }

    fn i64(&mut self, what: &str) -> Result<i64> {
        self.opt_i64(what)?.ok_or_else(|| bad(what))
    }

    fn opt_text(&mut self, what: &str) -> Result<Option<String>> {
        match self.next(what)? {
            Json::Null => Ok(None),
            Json::String(s) => Ok(Some(s)),
            _ => Err(bad(what)),
        }
    }

    fn text(&mut self, what: &str) -> Result<String> {
        self.opt_text(what)?.ok_or_else(|| bad(what))
    }

    fn opt_bool(&mut self, what: &str) -> Result<Option<bool>> {
        match self.next(what)? {
            Json::Null => Ok(None),
            Json::Bool(b) => Ok(Some(b)),
            v => v.as_i64().map(|n| Some(n != 0)).ok_or_else(|| bad(what)),
        }
    }

    fn opt_time(&mut self, what: &str) -> Result<Option<DateTime<Utc>>> {
        match self.opt_text(what)? {
            None => Ok(None),
            Some(s) => parse_time(&s).map(Some).ok_or_else(|| bad(what)),
        }
    }

    fn time(&mut self, what: &str) -> Result<DateTime<Utc>> {
        self.opt_time(what)?.ok_or_else(|| bad(what))
    }
}

fn row(c: &mut Cols) -> Result<Atendimento> {
    let id = c.i64("id")?;
    let departamento = c.i64("departamento_id")?;
    let departamento_nome = c.text("d_nome")?;
    let departamento_cor = c.text("d_cor")?;
    let cliente = c.i64("cliente_id")?;
    let cliente_nome = c.text("c_nome")?;
    let cliente_email = c.opt_text("c_email")?;
    let cliente_telefone = c.opt_text("c_tel")?;
    let atendente_id = c.opt_i64("atendente_id")?;
    let username = c.opt_text("g_username")?.unwrap_or_default();
    let display_name = c.opt_text("g_display")?.unwrap_or_default();
    let is_active = c.opt_bool("g_active")?.unwrap_or(false);
    let chat_id = c.text("chat_id")?;
    let numero_whatsapp = c.text("numero_whatsapp")?;
    let status = status_of(&c.text("status")?).map_err(DomainError::internal)?;
    let prioridade = prioridade_of(&c.text("prioridade")?).map_err(DomainError::internal)?;
    let tempo_primeira_resposta_segundos = c.opt_i64("tempo_primeira_resposta_segundos")?;
    let tempo_total_atendimento_segundos = c.opt_i64("tempo_total_atendimento_segundos")?;
    let total_mensagens_cliente = c.i64("total_mensagens_cliente")?;
    let total_mensagens_atendente = c.i64("total_mensagens_atendente")?;
    let avaliacao = match c.opt_i64("avaliacao")? {
        Some(n) => Some(i32::try_from(n).map_err(|_| bad("avaliacao"))?),
        None => None,
    };
    let comentario_avaliacao = c.text("comentario_avaliacao")?;
    let observacoes = c.text("observacoes")?;
    let criado_em = c.time("criado_em")?;
    let iniciado_em = c.opt_time("iniciado_em")?;
    let primeira_resposta_em = c.opt_time("primeira_resposta_em")?;
    let finalizado_em = c.opt_time("finalizado_em")?;
    let atualizado_em = c.time("atualizado_em")?;
    let janela_desde = c.time("janela_desde")?;
    let total_mensagens = c.i64("total_mensagens")?;
    let mensagens_nao_lidas = c.i64("mensagens_nao_lidas")?;
    let texto = c.opt_text("ultima_mensagem_texto")?;
    let em = c.opt_time("ultima_mensagem_em")?;
    let tipo = c.opt_text("ultima_mensagem_tipo")?;
    let direcao = c.opt_text("ultima_mensagem_direcao")?;
    let auto_encerrado = c.opt_bool("auto_encerrado")?.ok_or_else(|| bad("auto"))?;
    let mensagem_inicial = c.text("mensagem_inicial")?;
    Ok(Atendimento {
        id,
        departamento,
        departamento_nome,
        departamento_cor,
        cliente,
        cliente_nome,
        cliente_email,
        cliente_telefone,
        atendente: atendente_id.map(|id| AgentRef {
            id,
            username,
            display_name,
            is_active,
        }),
        chat_id,
        numero_whatsapp,
        status,
        prioridade,
        tempo_primeira_resposta_segundos,
        tempo_total_atendimento_segundos,
        total_mensagens_cliente,
        total_mensagens_atendente,
        avaliacao,
        comentario_avaliacao,
        observacoes,
        criado_em,
        iniciado_em,
        primeira_resposta_em,
        finalizado_em,
        atualizado_em,
        janela_desde,
        total_mensagens,
        mensagens_nao_lidas,
        ultima_mensagem: em.map(|em| UltimaMensagem {
            texto: texto.unwrap_or_default(),
            em,
            tipo: tipo.unwrap_or_default(),
            direcao: direcao.unwrap_or_default(),
        }),
        auto_encerrado,
        mensagem_inicial,
    })
}

/// `[[id, departamento_id, …, mensagem_inicial], …]` in the order of [`COLUMNS`].
fn parse(json: &str) -> Result<Vec<Atendimento>> {
    let Json::Array(rows) = serde_json::from_str(json).map_err(DomainError::internal)? else {
        return Err(bad("page"));
    };
    rows.into_iter()
        .map(|r| {
            let Json::Array(cols) = r else {
                return Err(bad("row"));
            };
            let mut c = Cols(cols.into_iter());
            let a = row(&mut c)?;
            if c.0.next().is_some() {
                return Err(bad("row width"));
            }
            Ok(a)
        })
        .collect()
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
