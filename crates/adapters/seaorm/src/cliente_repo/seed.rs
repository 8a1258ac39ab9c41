//! Bulk seeding of synthetic clientes (benchmarks and demos): multi-row INSERTs inside
//! transactions, with valid, unique CNPJs and the same `search_text` as the repository writes.

use super::SeaOrmClienteRepository;
use super::mapping::active_model;
use crate::entities::cliente::{self, Column as C};
use crate::support::{db_err, now};
use chrono::Duration;
use clientes::ClienteData;
use kernel::Result;
use sea_orm::ExprTrait;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DbBackend, EntityTrait, QuerySelect, TransactionTrait,
};

/// Rows per INSERT statement (29 bound values each: well under SQLite's 32,766 and
/// PostgreSQL's 65,535 parameters).
const ROWS_PER_STATEMENT: u64 = 500;
/// Rows per transaction.
const ROWS_PER_TRANSACTION: u64 = 20_000;

const PREFIXOS: [&str; 12] = [
    "Comercial",
    "Distribuidora",
    "Indústria",
    "Transportadora",
    "Construtora",
    "Padaria",
    "Farmácia",
    "Auto Peças",
    "Consultoria",
    "Supermercado",
    "Tecnologia",
    "Clínica",
];
const NOMES: [&str; 16] = [
    "Silva",
    "Santos",
    "Oliveira",
    "Souza",
    "Rodrigues",
    "Ferreira",
    "Alves",
    "Pereira",
    "Lima",
    "Gomes",
    "Costa",
    "Ribeiro",
    "Martins",
    "Carvalho",
    "Almeida",
    "Lopes",
];
const CIDADES: [(&str, &str); 10] = [
    ("São Paulo", "SP"),
    ("Rio de Janeiro", "RJ"),
    ("Belo Horizonte", "MG"),
    ("Curitiba", "PR"),
    ("Porto Alegre", "RS"),
    ("Salvador", "BA"),
    ("Recife", "PE"),
    ("Fortaleza", "CE"),
    ("Goiânia", "GO"),
    ("Campinas", "SP"),
];
const REGIMES: [&str; 5] = [
    "simples_nacional",
    "lucro_presumido",
    "lucro_real",
    "mei",
    "outro",
];

/// A formatted CNPJ `RR.RRR.RRR/0001-DV` for an 8-digit root, with valid check digits.
fn cnpj(root: u64) -> String {
    let base: Vec<u32> = format!("{:08}0001", root % 100_000_000)
        .bytes()
        .map(|b| u32::from(b - b'0'))
        .collect();
    let dv = |digits: &[u32], weights: &[u32]| {
        let r = digits.iter().zip(weights).map(|(d, w)| d * w).sum::<u32>() % 11;
        if r < 2 { 0 } else { 11 - r }
    };
    let d1 = dv(&base, &[5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]);
    let mut with1 = base.clone();
    with1.push(d1);
    let d2 = dv(&with1, &[6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]);
    let s: String = base.iter().map(|d| char::from(b'0' + *d as u8)).collect();
    format!(
        "{}.{}.{}/{}-{d1}{d2}",
        &s[0..2],
        &s[2..5],
        &s[5..8],
        &s[8..12]
    )
}

/// The `n`-th synthetic cliente.
fn synthetic(n: u64) -> ClienteData {
    let prefixo = PREFIXOS[(n % PREFIXOS.len() as u64) as usize];
    let nome = NOMES[(n / 7 % NOMES.len() as u64) as usize];
    let (cidade, uf) = CIDADES[(n / 3 % CIDADES.len() as u64) as usize];
    let mut d = ClienteData::defaults(cnpj(10_000_000 + n));
    d.razao_social = format!("{prefixo} {nome} {n} Ltda");
    d.nome_fantasia = Some(format!("{prefixo} {nome}"));
    d.email_principal = Some(format!(
        "contato{n}@{}.com.br",
        nome.to_lowercase().replace(' ', "")
    ));
    d.telefone_principal = Some(format!(
        "(11) 9{:04}-{:04}",
        n / 10_000 % 10_000,
        n % 10_000
    ));
    d.cidade = Some(cidade.into());
    d.estado = Some(uf.into());
    d.regime_tributario = REGIMES[(n % REGIMES.len() as u64) as usize].into();
    d.status = if n.is_multiple_of(10) {
        "inativo"
    } else {
        "ativo"
    }
    .into();
    d.responsavel_legal_nome = format!("Responsável {nome}");
    d
}

impl SeaOrmClienteRepository {
    /// Inserts `count` synthetic clientes (numbered after the highest id, created one second
    /// apart and ending now) and returns how many were inserted (a CNPJ already taken is
    /// skipped).
    pub async fn seed(&self, count: u64) -> Result<u64> {
        let start: Option<i64> = cliente::Entity::find()
            .select_only()
            .column_as(Expr::col(C::Id).max(), "m")
            .into_tuple()
            .one(&self.db)
            .await
            .map_err(db_err)?
            .flatten();
        let start = Ord::max(start.unwrap_or(0), 0) as u64 + 1;
        let t0 = now() - Duration::seconds(count as i64);
        let mut inserted = 0;
        let mut i = 0;
        while i < count {
            let txn = self.db.begin().await.map_err(db_err)?;
            // The write lock first (SQLite), waited for like any writer's: without it the
            // multi-row insert was refused outright ("database is locked", no wait) in 1 of
            // 10 runs beside concurrent writers, as a transaction that began by reading is.
            crate::whatsapp_repo::write_lock(&txn).await?;
            let end = Ord::min(count, i + ROWS_PER_TRANSACTION);
            while i < end {
                let stop = Ord::min(end, i + ROWS_PER_STATEMENT);
                let models = (i..stop).map(|k| {
                    let mut am = active_model(&synthetic(start + k));
                    let t = t0 + Duration::seconds(k as i64 + 1);
                    am.criado_em = Set(t);
                    am.atualizado_em = Set(t);
                    am.criado_por = Set(None);
                    am.atualizado_por = Set(None);
                    am
                });
                inserted += cliente::Entity::insert_many(models)
                    .on_conflict(OnConflict::column(C::Cnpj).do_nothing().to_owned())
                    .exec_without_returning(&txn)
                    .await
                    .map_err(db_err)?;
                i = stop;
            }
            super::merge_search_index(&txn).await;
            txn.commit().await.map_err(db_err)?;
        }
        if self.db.get_database_backend() == DbBackend::Postgres {
            // Statistics for the planner and the visibility map for index-only scans, so a
            // fresh database plans its list pages as a long-lived one does (autovacuum would
            // get there only later).
            self.db
                .execute_unprepared("VACUUM (ANALYZE) clientes")
                .await
                .map_err(db_err)?;
        }
        Ok(inserted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cnpjs_are_valid_and_distinct() {
        assert_eq!(cnpj(11_222_333), "11.222.333/0001-81");
        let a = cnpj(10_000_001);
        let b = cnpj(10_000_002);
        assert_ne!(a, b);
        assert!(kernel::values::Cnpj::parse_formatted(&a).is_ok(), "{a}");
        assert!(kernel::values::Cnpj::parse_formatted(&b).is_ok(), "{b}");
    }

    #[test]
    fn synthetic_rows_vary() {
        let a = synthetic(1);
        let b = synthetic(2);
        assert_ne!(a.razao_social, b.razao_social);
        assert_ne!(a.cnpj, b.cnpj);
    }
}
