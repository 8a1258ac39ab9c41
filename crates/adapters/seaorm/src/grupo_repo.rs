//! `GrupoEmpresaRepository` on sea-orm.

use crate::entities::{cliente, grupo_empresa};
use crate::support::{
    count, db_err, filtered, icontains, now, only_changed, ordered, paged, update_err, window,
};
use async_trait::async_trait;
use clientes::grupo::{GrupoData, GrupoEmpresa};
use clientes::ports::GrupoEmpresaRepository;
use kernel::{DomainError, OrderBy, Page, PageRequest, Result};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, EntityTrait,
    QueryFilter, QuerySelect,
};
use std::collections::HashMap;

use grupo_empresa::Column as G;

pub struct SeaOrmGrupoEmpresaRepository {
    db: DatabaseConnection,
}

impl SeaOrmGrupoEmpresaRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// Number of clientes per group, for the given groups, in one grouped query.
    async fn counts(&self, ids: &[i64]) -> Result<HashMap<i64, u64>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let rows: Vec<(i64, i64)> = cliente::Entity::find()
            .select_only()
            .column(cliente::Column::GrupoEmpresaId)
            .column_as(Expr::cust("COUNT(*)"), "n")
            .filter(cliente::Column::GrupoEmpresaId.is_in(ids.iter().copied()))
            .group_by(cliente::Column::GrupoEmpresaId)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(|(id, n)| (id, n.max(0) as u64))
            .collect())
    }

    async fn with_counts(&self, models: Vec<grupo_empresa::Model>) -> Result<Vec<GrupoEmpresa>> {
        let ids: Vec<i64> = models.iter().map(|m| m.id).collect();
        let counts = self.counts(&ids).await?;
        Ok(models
            .into_iter()
            .map(|m| {
                let n = counts.get(&m.id).copied().unwrap_or(0);
                to_domain(m, n)
            })
            .collect())
    }
}

fn to_domain(m: grupo_empresa::Model, empresas_count: u64) -> GrupoEmpresa {
    GrupoEmpresa {
        id: m.id,
        nome: m.nome,
        descricao: m.descricao,
        ativo: m.ativo,
        empresas_count,
        criado_em: m.criado_em,
        atualizado_em: m.atualizado_em,
    }
}

fn order_column(field: &str) -> Option<G> {
    match field {
        "nome" => Some(G::Nome),
        "criado_em" => Some(G::CriadoEm),
        _ => None,
    }
}

#[async_trait]
impl GrupoEmpresaRepository for SeaOrmGrupoEmpresaRepository {
    async fn list(
        &self,
        search: &[String],
        order: &[OrderBy],
        page: PageRequest,
    ) -> Result<Option<Page<GrupoEmpresa>>> {
        let backend = self.db.get_database_backend();
        let mut cond = Condition::all();
        for term in search {
            cond = cond.add(
                Condition::any()
                    .add(icontains((grupo_empresa::Entity, G::Nome), term, backend))
                    .add(icontains(
                        (grupo_empresa::Entity, G::Descricao),
                        term,
                        backend,
                    )),
            );
        }
        let total = count(
            &self.db,
            filtered(grupo_empresa::Entity::find(), cond.clone()),
        )
        .await?;
        let Some(w) = window(page, total) else {
            return Ok(None);
        };
        let q = ordered(
            filtered(grupo_empresa::Entity::find(), cond),
            order,
            order_column,
            G::Id,
        );
        let models = paged(q, &w).all(&self.db).await.map_err(db_err)?;
        let items = self.with_counts(models).await?;
        Ok(Some(Page {
            items,
            count: total,
            page: w.page,
            page_size: w.limit,
        }))
    }

    async fn get(&self, id: i64) -> Result<Option<GrupoEmpresa>> {
        let Some(m) = grupo_empresa::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .map_err(db_err)?
        else {
            return Ok(None);
        };
        Ok(self.with_counts(vec![m]).await?.pop())
    }

    async fn insert(&self, data: &GrupoData) -> Result<GrupoEmpresa> {
        let t = now();
        let m = grupo_empresa::ActiveModel {
            nome: Set(data.nome.clone()),
            descricao: Set(data.descricao.clone()),
            ativo: Set(data.ativo),
            criado_em: Set(t),
            atualizado_em: Set(t),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .map_err(db_err)?;
        Ok(to_domain(m, 0))
    }

    async fn update(
        &self,
        id: i64,
        data: &GrupoData,
        since: Option<GrupoData>,
    ) -> Result<GrupoEmpresa> {
        let columns = |d: &GrupoData| grupo_empresa::ActiveModel {
            nome: Set(d.nome.clone()),
            descricao: Set(d.descricao.clone()),
            ativo: Set(d.ativo),
            ..Default::default()
        };
        let mut am = match since {
            Some(before) => only_changed(columns(data), &columns(&before)),
            None => columns(data),
        };
        am.id = Set(id);
        am.atualizado_em = Set(now());
        let m = am
            .update(&self.db)
            .await
            .map_err(update_err("GrupoEmpresa"))?;
        self.with_counts(vec![m])
            .await?
            .pop()
            .ok_or(DomainError::NotFound("GrupoEmpresa"))
    }

    async fn delete(&self, id: i64) -> Result<bool> {
        // The foreign key (ON DELETE SET NULL) detaches the group's clientes.
        let r = grupo_empresa::Entity::delete_by_id(id)
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(r.rows_affected > 0)
    }
}
