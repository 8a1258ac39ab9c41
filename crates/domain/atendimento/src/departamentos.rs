//! Departamentos and queue rows (§4.7), with auto-distribution.

use crate::commands::{DepartamentoChanges, DepartamentoFilter, FilaChanges, FilaFilter};
use crate::events::ChatAssigned;
use crate::model::{Departamento, FilaItem};
use crate::ports::NOME_TAKEN;
use crate::service::Deps;
use kernel::{Audience, DomainError, Page, PageRequest, Result};

pub const DEPARTAMENTO: &str = "Departamento";
pub const FILA: &str = "FilaAtendimento";
pub const NOME_TAKEN_MSG: &str = "Departamento com este Nome já existe.";
pub const DEPARTAMENTO_REQUIRED: &str = "departamento_id é obrigatório";

fn nome_taken(e: DomainError) -> DomainError {
    match e {
        DomainError::Conflict(c) if c == NOME_TAKEN => DomainError::field("nome", NOME_TAKEN_MSG),
        other => other,
    }
}

pub struct DepartamentoService {
    d: Deps,
}

impl DepartamentoService {
    pub fn new(d: Deps) -> Self {
        Self { d }
    }

    pub async fn list(
        &self,
        filter: DepartamentoFilter,
        page: PageRequest,
    ) -> Result<Page<Departamento>> {
        self.d
            .departamentos
            .list(&filter, page)
            .await?
            .ok_or(DomainError::InvalidPage)
    }

    pub async fn get(&self, id: i64) -> Result<Departamento> {
        self.d
            .departamentos
            .get(id)
            .await?
            .ok_or(DomainError::NotFound(DEPARTAMENTO))
    }

    pub async fn create(&self, c: DepartamentoChanges) -> Result<Departamento> {
        self.d
            .departamentos
            .insert(&c, self.d.clock.now())
            .await
            .map_err(nome_taken)
    }

    pub async fn update(&self, id: i64, c: DepartamentoChanges) -> Result<Departamento> {
        self.d
            .departamentos
            .update(id, &c, self.d.clock.now())
            .await
            .map_err(nome_taken)?
            .ok_or(DomainError::NotFound(DEPARTAMENTO))
    }

    pub async fn delete(&self, id: i64) -> Result<()> {
        if self.d.departamentos.delete(id).await? {
            Ok(())
        } else {
            Err(DomainError::NotFound(DEPARTAMENTO))
        }
    }
}

pub struct FilaService {
    d: Deps,
}

impl FilaService {
    pub fn new(d: Deps) -> Self {
        Self { d }
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.d.clock.now()
    }

    pub async fn list(&self, filter: FilaFilter, page: PageRequest) -> Result<Page<FilaItem>> {
        self.d
            .filas
            .list(&filter, page)
            .await?
            .ok_or(DomainError::InvalidPage)
    }

    pub async fn get(&self, id: i64) -> Result<FilaItem> {
        self.d
            .filas
            .get(id)
            .await?
            .ok_or(DomainError::NotFound(FILA))
    }

    /// A plain insert (no auto-distribution).
    pub async fn create(&self, c: FilaChanges) -> Result<FilaItem> {
        self.d.filas.insert(&c, self.d.clock.now()).await
    }

    pub async fn update(&self, id: i64, c: FilaChanges) -> Result<FilaItem> {
        self.d
            .filas
            .update(id, &c)
            .await?
            .ok_or(DomainError::NotFound(FILA))
    }

    pub async fn delete(&self, id: i64) -> Result<()> {
        if self.d.filas.delete(id).await? {
            Ok(())
        } else {
            Err(DomainError::NotFound(FILA))
        }
    }

    /// `distribuir` (§4.7): an unknown or inactive department distributes nothing. Each
    /// assignment reaches its agent as `chat_assigned` once the transaction committed.
    pub async fn distribuir(&self, departamento: i64) -> Result<usize> {
        match self.d.departamentos.get(departamento).await? {
            Some(dep) if dep.ativo => {}
            _ => return Ok(0),
        }
        let now = self.d.clock.now();
        let done = self.d.chats.distribuir(departamento, now).await?;
        for a in &done {
            self.d
                .events
                .publish(Audience::User(a.atendente_id), ChatAssigned::of(a, now));
        }
        Ok(done.len())
    }
}
