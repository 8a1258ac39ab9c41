//! Ports of one area implemented with another area's ports or use cases: the wiring between
//! domain crates that do not depend on each other.

use async_trait::async_trait;
use clientes::ports::ClienteRepository;
use configuracoes::ConfigService;
use documentos::geracao::{ClienteResumo, EmpresaResumo};
use documentos::{ClientesDaGeracao, EmpresaDaGeracao, Template};
use kernel::Result;
use std::sync::Arc;

/// The clientes of a generation, read through the cliente repository with the caller's scope.
pub struct ClientesDocumentos(pub Arc<dyn ClienteRepository>);

#[async_trait]
impl ClientesDaGeracao for ClientesDocumentos {
    async fn cliente(&self, id: i64, owner: Option<i64>) -> Result<Option<ClienteResumo>> {
        Ok(self.0.get(id, owner).await?.map(|c| {
            let endereco_completo = c.endereco_completo();
            ClienteResumo {
                id: c.id,
                razao_social: c.data.razao_social,
                cnpj: c.data.cnpj,
                endereco_completo,
                email: c.data.email_principal,
                telefone: c.data.telefone_principal,
                status: c.data.status,
            }
        }))
    }
}

/// The issuing company and the templates of a generation, from the settings.
pub struct EmpresaDocumentos(pub Arc<ConfigService>);

#[async_trait]
impl EmpresaDaGeracao for EmpresaDocumentos {
    async fn empresa(&self) -> Result<Option<EmpresaResumo>> {
        Ok(self.0.company_summary().await?.map(|e| EmpresaResumo {
            razao_social: e.razao_social,
            cnpj: e.cnpj,
            endereco: e.endereco,
            cidade: None,
        }))
    }

    async fn templates(&self) -> Result<Vec<Template>> {
        Ok(documentos::template::templates_configurados(
            &self.0.document_templates().await?,
        ))
    }
}
