//! `UnitOfWork` on sea-orm: the writes of one use case over several tables in one database
//! transaction (rolled back when dropped without commit).

use crate::cliente_repo::{insert_cliente, merge_search_index, with_grupo_nome};
use crate::contato_repo::{fetch, insert_contato};
use crate::entities::{cliente, documento};
use crate::support::db_err;
use async_trait::async_trait;
use clientes::ports::{ClientesTx, UnitOfWork};
use clientes::{Cliente, ClienteData, Contato, ContatoData};
use kernel::{DomainError, Result};
use sea_orm::sea_query::Query;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryResult, TransactionTrait,
};

pub struct SeaOrmUnitOfWork {
    db: DatabaseConnection,
}

impl SeaOrmUnitOfWork {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[async_trait]
impl UnitOfWork for SeaOrmUnitOfWork {
    async fn begin(&self) -> Result<Box<dyn ClientesTx>> {
        let tx = self.db.begin().await.map_err(db_err)?;
        Ok(Box::new(SeaOrmClientesTx {
            tx,
            clientes_written: false,
        }))
    }
}

struct SeaOrmClientesTx {
    tx: DatabaseTransaction,
    /// `clientes` rows were written: the search index gets its merge step before commit.
    clientes_written: bool,
}

#[async_trait]
impl ClientesTx for SeaOrmClientesTx {
    async fn insert_cliente(
        &mut self,
        data: &ClienteData,
        criado_por: Option<i64>,
    ) -> Result<Cliente> {
        let m = insert_cliente(&self.tx, data, criado_por).await?;
        self.clientes_written = true;
        with_grupo_nome(&self.tx, m).await.map_err(db_err)
    }

    async fn insert_contato(&mut self, data: &ContatoData) -> Result<Contato> {
        let m = insert_contato(&self.tx, data).await?;
        fetch(&self.tx, m.id).await
    }

    async fn delete_documentos_do_cliente(&mut self, cliente_id: i64) -> Result<Vec<String>> {
        // One statement (a write first: on SQLite a read would leave the transaction to
        // upgrade its lock later, which a concurrent writer can make fail).
        let mut q = Query::delete();
        q.from_table(documento::Entity)
            .and_where(documento::Column::ClienteId.eq(cliente_id))
            .returning(Query::returning().column(documento::Column::Arquivo));
        let stmt = self.tx.get_database_backend().build(&q);
        let rows: Vec<QueryResult> = self.tx.query_all_raw(stmt).await.map_err(db_err)?;
        rows.iter()
            .map(|r| r.try_get_by_index::<String>(0).map_err(db_err))
            .filter(|p| !matches!(p, Ok(p) if p.is_empty()))
            .collect()
    }

    async fn delete_cliente(&mut self, id: i64) -> Result<()> {
        // Foreign keys cascade to contatos (and every later table that references clientes).
        let r = cliente::Entity::delete_by_id(id)
            .exec(&self.tx)
            .await
            .map_err(db_err)?;
        if r.rows_affected == 0 {
            return Err(DomainError::NotFound("Cliente"));
        }
        self.clientes_written = true;
        Ok(())
    }

    async fn commit(self: Box<Self>) -> Result<()> {
        if self.clientes_written {
            merge_search_index(&self.tx).await;
        }
        self.tx.commit().await.map_err(db_err)
    }
}
