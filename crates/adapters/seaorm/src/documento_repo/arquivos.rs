//! The documentos' files as the clientes area asks for them (a cliente's deletion removes
//! them).

use super::SeaOrmDocumentoRepository;
use async_trait::async_trait;
use documentos::ports::DocumentoRepository;
use kernel::Result;

#[async_trait]
impl clientes::ports::ArquivosDoCliente for SeaOrmDocumentoRepository {
    async fn arquivos_do_cliente(&self, cliente_id: i64) -> Result<Vec<String>> {
        DocumentoRepository::arquivos_do_cliente(self, cliente_id).await
    }
}
