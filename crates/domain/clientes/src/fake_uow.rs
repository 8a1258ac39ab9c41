//! A fake [`UnitOfWork`] for the use cases' tests: it answers with the given functions and
//! logs every step (`begin`, each write, `commit`, or `rollback` for a transaction dropped
//! without commit).

use crate::cliente::{Cliente, ClienteData};
use crate::contato::{Contato, ContatoData};
use crate::ports::{ClientesTx, UnitOfWork};
use async_trait::async_trait;
use kernel::{DomainError, Result};
use std::sync::{Arc, Mutex};

type InsertCliente = fn(&ClienteData) -> Result<Cliente>;
type InsertContato = fn(&ContatoData) -> Result<Contato>;

pub(crate) struct FakeUow {
    pub log: Arc<Mutex<Vec<String>>>,
    pub cliente: InsertCliente,
    pub contato: InsertContato,
    pub arquivos: Vec<String>,
}

impl FakeUow {
    pub fn new(cliente: InsertCliente, contato: InsertContato) -> Self {
        Self {
            log: Arc::default(),
            cliente,
            contato,
            arquivos: Vec::new(),
        }
    }

    pub fn steps(&self) -> Vec<String> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

struct FakeTx {
    log: Arc<Mutex<Vec<String>>>,
    cliente: InsertCliente,
    contato: InsertContato,
    arquivos: Vec<String>,
    committed: bool,
}

impl FakeTx {
    fn step(&self, s: String) {
        if let Ok(mut l) = self.log.lock() {
            l.push(s);
        }
    }
}

impl Drop for FakeTx {
    fn drop(&mut self) {
        if !self.committed {
            self.step("rollback".into());
        }
    }
}

#[async_trait]
impl UnitOfWork for FakeUow {
    async fn begin(&self) -> Result<Box<dyn ClientesTx>> {
        if let Ok(mut l) = self.log.lock() {
            l.push("begin".into());
        }
        Ok(Box::new(FakeTx {
            log: self.log.clone(),
            cliente: self.cliente,
            contato: self.contato,
            arquivos: self.arquivos.clone(),
            committed: false,
        }))
    }
}

#[async_trait]
impl ClientesTx for FakeTx {
    async fn insert_cliente(&mut self, data: &ClienteData, _by: Option<i64>) -> Result<Cliente> {
        self.step(format!("insert_cliente:{}", data.cnpj));
        (self.cliente)(data)
    }

    async fn insert_contato(&mut self, data: &ContatoData) -> Result<Contato> {
        self.step(format!("insert_contato:{}", data.cliente));
        (self.contato)(data)
    }

    async fn delete_documentos_do_cliente(&mut self, cliente_id: i64) -> Result<Vec<String>> {
        self.step(format!("delete_documentos:{cliente_id}"));
        Ok(self.arquivos.clone())
    }

    async fn delete_cliente(&mut self, id: i64) -> Result<()> {
        self.step(format!("delete_cliente:{id}"));
        if id == 404 {
            return Err(DomainError::NotFound("Cliente"));
        }
        Ok(())
    }

    async fn commit(mut self: Box<Self>) -> Result<()> {
        self.committed = true;
        self.step("commit".into());
        Ok(())
    }
}
